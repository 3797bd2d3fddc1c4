"""spconv on CPU against dense torch conv3d (forward and gradients), and the CPU fixes that make it agree."""

import pytest
import spconv.pytorch as spconv
import torch
import torch.nn.functional as F

from pointnet import sparse_voxel_encoder  # noqa: F401  (importing it applies the fixes)
from pointnet.spconv_compat import apply_spconv_cpu_fixes, is_patched
from tests.pointnet.small_models import packed_input, small_encoder

SHAPE = (4, 5, 6)


def _dense_grid(batch: int, channels: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every voxel of a (batch, *SHAPE) grid active: indices (V, 4) int32 and dense features (B, C, *SHAPE)."""
    g = torch.Generator().manual_seed(seed)
    dense = torch.randn(batch, channels, *SHAPE, generator=g)
    grid = torch.stack(torch.meshgrid(torch.arange(batch), *(torch.arange(s) for s in SHAPE), indexing="ij"), -1)
    return grid.reshape(-1, 4).int(), dense


def test_fixes_are_in_place_and_idempotent():
    assert is_patched()
    apply_spconv_cpu_fixes()
    apply_spconv_cpu_fixes()
    assert is_patched()
    import spconv.pytorch.ops as ops

    assert getattr(ops.indice_conv, "__wrapped__", None) is not None
    assert getattr(ops.indice_conv.__wrapped__, "__ground3d_single_threaded__", False) is False  # wrapped once


@pytest.mark.parametrize("kind", ["subm", "strided"])
def test_sparse_conv_matches_dense_conv3d_forward_and_gradients(kind):
    torch.manual_seed(0)
    c_in, c_out = 3, 4
    if kind == "subm":
        conv = spconv.SubMConv3d(c_in, c_out, 3, bias=True, indice_key="s")
        stride, padding = 1, 1
    else:
        conv = spconv.SparseConv3d(c_in, c_out, 3, stride=2, padding=1, bias=True)
        stride, padding = 2, 1
    indices, dense = _dense_grid(2, c_in, seed=1)
    feats = dense.permute(0, 2, 3, 4, 1)[indices[:, 0].long(), indices[:, 1].long(), indices[:, 2].long(),
                                         indices[:, 3].long()].clone().requires_grad_(True)  # (V, C_in)
    out = conv(spconv.SparseConvTensor(feats, indices, list(SHAPE), 2)).dense()  # (B, C_out, D0', D1', D2')
    # spconv keeps weights as (C_out, k, k, k, C_in); conv3d wants (C_out, C_in, k, k, k).
    weight = conv.weight.detach().permute(0, 4, 1, 2, 3).clone().requires_grad_(True)
    bias = conv.bias.detach().clone().requires_grad_(True)
    dense_in = dense.clone().requires_grad_(True)
    ref = F.conv3d(dense_in, weight, bias, stride=stride, padding=padding)
    assert out.shape == ref.shape
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)

    probe = torch.randn(ref.shape, generator=torch.Generator().manual_seed(2))
    (out * probe).sum().backward()
    (ref * probe).sum().backward()
    torch.testing.assert_close(conv.weight.grad.permute(0, 4, 1, 2, 3), weight.grad, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(conv.bias.grad, bias.grad, atol=1e-4, rtol=1e-4)
    ref_feat_grad = dense_in.grad.permute(0, 2, 3, 4, 1)[indices[:, 0].long(), indices[:, 1].long(),
                                                          indices[:, 2].long(), indices[:, 3].long()]
    torch.testing.assert_close(feats.grad, ref_feat_grad, atol=1e-4, rtol=1e-4)


def test_two_threads_give_the_same_gradients_every_time():
    # Without the single-thread fix, spconv's CPU conv differs run to run with two threads.
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        enc = small_encoder("sparse_voxel").train()
        x, pos, batch = packed_input([37, 120, 64], seed=4)
        grads = []
        for _ in range(6):
            enc.zero_grad()
            out = enc(x, pos, batch)
            (out.global_feature.square().sum() + out.point_features.square().sum()).backward()
            grads.append({n: p.grad.clone() for n, p in enc.named_parameters()})
        for g in grads[1:]:
            for name, value in g.items():
                assert torch.equal(value, grads[0][name]), name
    finally:
        torch.set_num_threads(threads)
