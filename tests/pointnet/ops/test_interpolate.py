import torch

from pointnet.ops import knn_interpolate
from tests.pointnet.ops.reference import brute_distances, packed


def test_knn_interpolate_matches_inverse_distance_reference():
    x_pos, bx = packed([30, 12], seed=20)
    y_pos, by = packed([15, 6], seed=21)
    feats = torch.randn(42, 4, generator=torch.Generator().manual_seed(0))
    out = knn_interpolate(feats, x_pos, y_pos, bx, by, k=3)
    d = brute_distances(x_pos, y_pos, bx, by)
    for i in range(y_pos.shape[0]):
        near = torch.argsort(d[i])[:3]
        w = 1.0 / d[i, near].square()
        ref = (feats[near].double() * w[:, None]).sum(0) / w.sum()
        torch.testing.assert_close(out[i].double(), ref, rtol=1e-4, atol=1e-5)


def test_knn_interpolate_at_a_source_returns_its_feature():
    x_pos, bx = packed([20], seed=22)
    feats = torch.randn(20, 2, generator=torch.Generator().manual_seed(1))
    out = knn_interpolate(feats, x_pos, x_pos[:5], bx, bx[:5], k=3)
    torch.testing.assert_close(out, feats[:5], rtol=1e-4, atol=1e-4)
