import pytest
import torch

from pointnet.errors import ConfigError
from pointnet.ops import ball_query, knn, resolve_backend
from tests.pointnet.ops.reference import brute_ball, brute_knn, packed

BACKENDS = ["kdtree", "torch"]
SIZES_X = [40, 5, 120]
SIZES_Y = [10, 3, 30]


def _pairs(edge: torch.Tensor) -> set[tuple[int, int]]:
    return set(map(tuple, edge.t().tolist()))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("k", [1, 8])
def test_knn_matches_brute_force_on_packed_batch(backend, k):
    x, bx = packed(SIZES_X, seed=10)
    y, by = packed(SIZES_Y, seed=11)
    edge = knn(x, y, k, bx, by, backend=backend)
    assert _pairs(edge) == brute_knn(x, y, k, bx, by)
    assert bool((by[edge[0]] == bx[edge[1]]).all())  # never across clouds
    # Cloud 1 has only 5 sources: its queries get 5 neighbours when k = 8.
    per_query = torch.bincount(edge[0], minlength=y.shape[0])
    assert per_query[10:13].tolist() == [min(k, 5)] * 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_knn_orders_each_query_nearest_first(backend):
    x, bx = packed([60], seed=12)
    y, by = packed([9], seed=13)
    edge = knn(x, y, 6, bx, by, backend=backend)
    d = (x[edge[1]] - y[edge[0]]).norm(dim=1).view(9, 6)
    assert bool((d[:, 1:] >= d[:, :-1]).all())
    assert edge[0].tolist() == sorted(edge[0].tolist())


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("radius, max_nb", [(0.2, 64), (0.35, 4)])
def test_ball_query_matches_brute_force_on_packed_batch(backend, radius, max_nb):
    x, bx = packed(SIZES_X, seed=14)
    y, by = packed(SIZES_Y, seed=15)
    edge = ball_query(x, y, radius, max_nb, bx, by, backend=backend)
    assert _pairs(edge) == brute_ball(x, y, radius, max_nb, bx, by)
    assert bool((by[edge[0]] == bx[edge[1]]).all())
    assert int(torch.bincount(edge[0]).max()) <= max_nb


@pytest.mark.parametrize("backend", BACKENDS)
def test_ball_query_radius_is_inclusive(backend):
    x = torch.tensor([[0.0, 0.0, 0.0], [0.5, 0.0, 0.0], [0.5001, 0.0, 0.0]])
    y = torch.zeros(1, 3)
    assert _pairs(ball_query(x, y, 0.5, 8, backend=backend)) == {(0, 0), (0, 1)}


def test_backends_agree_on_a_larger_cloud():
    x, bx = packed([3000, 2000], seed=16)
    y, by = packed([200, 100], seed=17)
    assert torch.equal(knn(x, y, 16, bx, by, "kdtree"), knn(x, y, 16, bx, by, "torch"))


def test_neighbour_arguments_are_checked():
    x, _ = packed([10])
    with pytest.raises(ConfigError, match=r"knn\.k"):
        knn(x, x, 0)
    with pytest.raises(ConfigError, match="radius"):
        ball_query(x, x, 0.0, 4)
    with pytest.raises(ConfigError, match="backend"):
        knn(x, x, 2, backend="faiss")  # type: ignore[arg-type]
    assert resolve_backend("auto", torch.device("cpu")) == "kdtree"
    assert resolve_backend("auto", torch.device("cuda")) == "torch"
