"""torch.compile over the pure-torch PointNet (graph capture with aot_eager is cheap; inductor is slow)."""

import pytest
import torch

from tests.pointnet.small_models import packed_input, small_encoder


@pytest.mark.parametrize("key", ["pointnet", "pointnet_tnet"])
def test_pointnet_compiles_and_matches_eager(key):
    enc = small_encoder(key).eval()
    x, pos, batch = packed_input([40, 60], seed=8)
    compiled = torch.compile(enc, backend="aot_eager", dynamic=False)
    with torch.no_grad():
        a, b = enc(x, pos, batch), compiled(x, pos, batch)
    torch.testing.assert_close(a.global_feature, b.global_feature)
    torch.testing.assert_close(a.point_features, b.point_features)


@pytest.mark.slow
def test_pointnet_compiles_with_inductor():
    enc = small_encoder("pointnet").eval()
    x, pos, batch = packed_input([40, 60], seed=9)
    compiled = torch.compile(enc, backend="inductor", dynamic=False)
    with torch.no_grad():
        torch.testing.assert_close(enc(x, pos, batch).global_feature, compiled(x, pos, batch).global_feature,
                                   atol=1e-5, rtol=1e-5)
