"""Properties every encoder must have, checked on small configs."""

import pytest
import torch

from perception import SpatialTokens
from pointnet import BatchError, EncoderOutput
from tests.pointnet.small_models import MODELS, packed_input, small_encoder

SIZES = [37, 120, 64]


def _permute_within_clouds(batch: torch.Tensor, seed: int) -> torch.Tensor:
    """A permutation of rows that keeps each cloud's rows in its own block (the batch stays packed)."""
    g = torch.Generator().manual_seed(seed)
    perm = []
    for b in range(int(batch.max()) + 1):
        rows = torch.nonzero(batch == b).flatten()
        perm.append(rows[torch.randperm(len(rows), generator=g)])
    return torch.cat(perm)


@pytest.mark.parametrize("key", MODELS)
def test_output_shapes_for_clouds_of_different_sizes(key):
    enc = small_encoder(key).eval()
    x, pos, batch = packed_input(SIZES)
    out = enc(x, pos, batch)
    assert isinstance(out, EncoderOutput)
    assert isinstance(out.tokens, SpatialTokens)
    assert out.global_feature.shape[0] == 3
    assert out.point_features is not None and out.point_features.shape[0] == sum(SIZES)
    assert out.tokens.batch_size == 3
    assert torch.bincount(out.tokens.batch).min() >= 1
    assert torch.isfinite(out.global_feature).all() and torch.isfinite(out.tokens.features).all()
    # Each cloud's tokens lie inside (or, for voxel centres, within a voxel of) its own points.
    for b in range(3):
        own = pos[batch == b]
        tok = out.tokens.pos[out.tokens.batch == b]
        assert (tok >= own.min(0).values - 0.5).all() and (tok <= own.max(0).values + 0.5).all()


# Not sparse_voxel: one voxel grid spans its batch, so a cloud alone lands on a shifted grid.
@pytest.mark.parametrize("key", ["pointnet", "pointnet_tnet", "pointnet2_ssg", "pointnet2_msg"])
def test_each_cloud_is_encoded_independently_of_the_batch(key):
    enc = small_encoder(key).eval()
    x, pos, batch = packed_input(SIZES)
    together = enc(x, pos, batch)
    keep = batch == 1
    alone = enc(x[keep], pos[keep], torch.zeros(int(keep.sum()), dtype=torch.int64))
    torch.testing.assert_close(together.global_feature[1], alone.global_feature[0], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(together.point_features[keep], alone.point_features, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("key", MODELS)
def test_global_feature_is_permutation_invariant_and_point_features_equivariant(key):
    enc = small_encoder(key).eval()
    x, pos, batch = packed_input(SIZES, seed=1)
    perm = _permute_within_clouds(batch, seed=2)
    a = enc(x, pos, batch)
    b = enc(x[perm], pos[perm], batch[perm])
    torch.testing.assert_close(a.global_feature, b.global_feature, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(a.point_features[perm], b.point_features, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("key", ["pointnet2_ssg", "pointnet2_msg"])
def test_pointnet2_relative_is_translation_invariant(key):
    x, pos, batch = packed_input(SIZES, seed=3, grid=64)
    shift = torch.tensor([0.5, -1.25, 2.0])
    rel = small_encoder(key, relative=True).eval()
    a, b = rel(x, pos, batch), rel(x, pos + shift, batch)
    torch.testing.assert_close(a.global_feature, b.global_feature, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(a.point_features, b.point_features, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(a.tokens.pos + shift, b.tokens.pos)
    # The paper's absolute variant sees xyz, so the same shift must change its output.
    absolute = small_encoder(key, relative=False).eval()
    c, d = absolute(x, pos, batch), absolute(x, pos + shift, batch)
    assert not torch.allclose(c.global_feature, d.global_feature, atol=1e-3)


def _random_projection_loss(out, seed: int) -> torch.Tensor:
    # Random projections: a plain sum through a BatchNorm would have zero gradient by construction.
    g = torch.Generator().manual_seed(seed)
    loss = (out.global_feature * torch.randn(out.global_feature.shape, generator=g)).sum()
    return loss + (out.point_features * torch.randn(out.point_features.shape, generator=g)).sum()


@pytest.mark.parametrize("key", MODELS)
def test_gradients_reach_every_parameter(key):
    enc = small_encoder(key).train()
    x, pos, batch = packed_input(SIZES, seed=4)
    # One SGD step first: the T-Net's last layer starts at zero (identity transform), which blocks the
    # gradient to the layers before it until that layer has moved once.
    opt = torch.optim.SGD(enc.parameters(), lr=0.01)
    _random_projection_loss(enc(x, pos, batch), seed=0).backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    _random_projection_loss(enc(x, pos, batch), seed=1).backward()
    for name, p in enc.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("key", MODELS)
def test_eval_output_is_deterministic(key):
    enc = small_encoder(key).eval()
    x, pos, batch = packed_input(SIZES, seed=5)
    a, b = enc(x, pos, batch), enc(x, pos, batch)
    assert torch.equal(a.global_feature, b.global_feature)
    assert torch.equal(a.point_features, b.point_features)
    assert torch.equal(a.tokens.features, b.tokens.features)
    # A second model from the same seed gives the same numbers: initialisation is seeded too.
    c = small_encoder(key).eval()(x, pos, batch)
    assert torch.equal(a.global_feature, c.global_feature)


# PointNet's per-point tokens are its point features, so it has no such switch.
@pytest.mark.parametrize("key", ["pointnet2_ssg", "pointnet2_msg", "sparse_voxel"])
def test_point_features_can_be_turned_off(key):
    enc = small_encoder(key, point_features=False).eval()
    x, pos, batch = packed_input(SIZES, seed=6)
    out = enc(x, pos, batch)
    assert out.point_features is None
    assert out.global_feature.shape[0] == 3


@pytest.mark.parametrize("key", MODELS)
def test_bad_inputs_are_rejected_with_shapes_in_the_message(key):
    enc = small_encoder(key).eval()
    x, pos, batch = packed_input([10, 10])
    with pytest.raises(BatchError, match=r"\(20, 3\)"):
        enc(x[:, :2], pos, batch)
    with pytest.raises(BatchError, match="unsorted"):
        enc(x, pos, batch.flip(0))
    with pytest.raises(BatchError, match="empty clouds"):
        enc(x, pos, batch * 2)
