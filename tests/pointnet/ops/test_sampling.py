import numpy as np
import pytest
import torch

from pointnet.errors import BatchError, ConfigError
from pointnet.ops import farthest_point_sample, fps_indices
from pointnet.ops.sampling import canonical_order
from tests.pointnet.ops.reference import brute_fps, packed


@pytest.mark.parametrize("n, m", [(5, 3), (40, 10), (500, 64), (5000, 300)])
def test_fps_is_exact_farthest_point_sampling(n, m):
    pos, _ = packed([n], seed=n)
    idx = fps_indices(pos.numpy(), m)
    assert len(set(idx.tolist())) == m
    # Exact FPS from the same first sample picks the same set.
    assert set(idx.tolist()) == set(brute_fps(pos, m, int(idx[0])))


def test_fps_packed_batch_stays_in_each_cloud_and_counts():
    sizes = [50, 7, 300, 1]
    pos, batch = packed(sizes, seed=1)
    idx = farthest_point_sample(pos, batch, ratio=0.25)
    counts = torch.bincount(batch[idx], minlength=len(sizes))
    assert counts.tolist() == [13, 2, 75, 1]
    assert bool((batch[idx][1:] >= batch[idx][:-1]).all())
    start = 0
    for b, n in enumerate(sizes):
        own = idx[batch[idx] == b] - start
        ref = brute_fps(pos[start : start + n], len(own), int(own[0]))
        assert set(own.tolist()) == set(ref)
        start += n


def test_fps_num_samples_clips_to_cloud_size():
    pos, batch = packed([10, 3], seed=2)
    idx = farthest_point_sample(pos, batch, num_samples=5)
    assert torch.bincount(batch[idx]).tolist() == [5, 3]


def test_fps_ignores_row_order():
    pos, _ = packed([400], seed=3)
    perm = torch.randperm(400, generator=torch.Generator().manual_seed(0))
    a = set(fps_indices(pos.numpy(), 32).tolist())
    b = set(perm[torch.from_numpy(fps_indices(pos[perm].numpy(), 32))].tolist())
    assert a == b


def test_fps_rejects_bad_arguments():
    pos, batch = packed([10], seed=4)
    with pytest.raises(ConfigError, match="ratio"):
        farthest_point_sample(pos, batch, ratio=1.5)
    with pytest.raises(ConfigError, match="exactly one"):
        farthest_point_sample(pos, batch)
    with pytest.raises(BatchError, match="unsorted"):
        farthest_point_sample(pos, torch.tensor([1, 0] * 5), ratio=0.5)
    with pytest.raises(BatchError, match=r"\(N, 3\)"):
        farthest_point_sample(pos[:, :2], None, ratio=0.5)
    assert fps_indices(np.zeros((4, 3), np.float32), 9).tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("decimals", [None, 1])
def test_canonical_order_is_lexicographic(decimals):
    # Rounded coordinates share x and y often, which takes the lexsort path; raw ones take the packed-key path.
    rng = np.random.default_rng(3)
    pts = rng.normal(size=(2000, 3)).astype(np.float32)
    if decimals is not None:
        pts = np.round(pts, decimals)
    order = canonical_order(pts)
    assert sorted(order.tolist()) == list(range(2000))
    np.testing.assert_array_equal(pts[order], pts[np.lexsort((pts[:, 2], pts[:, 1], pts[:, 0]))])
