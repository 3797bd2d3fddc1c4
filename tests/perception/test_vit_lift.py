"""Lifting patch tokens to 3D is exact on a plane at a known depth, and respects the camera pose."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from perception import Box3D, CameraIntrinsics
from perception.vit import LiftConfig, PatchTokens, lift_patch_tokens, pool_object_features


def _intrinsics(w: int = 64, h: int = 48) -> CameraIntrinsics:
    K = np.array([[50.0, 0, 31.5], [0, 50.0, 23.5], [0, 0, 1]])
    return CameraIntrinsics(K=K, width=w, height=h)


def _patches(hp: int = 6, wp: int = 8, d: int = 4) -> PatchTokens:
    feats = torch.arange(hp * wp * d, dtype=torch.float32).reshape(hp, wp, d)
    return PatchTokens(features=feats, image_size=(48, 64))


def test_plane_at_known_depth_is_exact() -> None:
    K = _intrinsics()
    depth = np.full((48, 64), 2.0, np.float32)
    tokens = lift_patch_tokens(_patches(), depth, K, np.eye(4))
    assert tokens.num_tokens == 48
    pos = tokens.pos.numpy().reshape(6, 8, 3)
    # Patch (i, j) covers pixels rows 8i..8i+7, cols 8j..8j+7: its median pixel is (8j + 3.5, 8i + 3.5).
    j, i = np.meshgrid(np.arange(8), np.arange(6))
    np.testing.assert_allclose(pos[..., 0], (8 * j + 3.5 - 31.5) * 2.0 / 50.0, atol=1e-6)
    np.testing.assert_allclose(pos[..., 1], (8 * i + 3.5 - 23.5) * 2.0 / 50.0, atol=1e-6)
    np.testing.assert_allclose(pos[..., 2], 2.0, atol=1e-6)
    # Tokens keep their patch's feature.
    assert torch.equal(tokens.features[9], _patches().features[1, 1])


def test_pose_moves_tokens_into_world() -> None:
    T = np.eye(4)
    T[:3, :3] = [[0, 0, 1], [-1, 0, 0], [0, -1, 0]]  # optical z forward -> world x forward
    T[:3, 3] = [1.0, 2.0, 0.5]
    depth = np.full((48, 64), 3.0, np.float32)
    tokens = lift_patch_tokens(_patches(), depth, _intrinsics(), T)
    np.testing.assert_allclose(tokens.pos.numpy()[:, 0], 1.0 + 3.0, atol=1e-6)


def test_patches_without_depth_are_dropped_and_edges_use_the_majority_surface() -> None:
    depth = np.full((48, 64), 2.0, np.float32)
    depth[:8, :8] = 0.0  # patch (0, 0): no return
    depth[8:16, 8:13] = 1.0  # patch (1, 1): 5 of 8 columns on a near surface
    tokens = lift_patch_tokens(_patches(), depth, _intrinsics(), np.eye(4), LiftConfig(min_valid_fraction=0.5))
    assert tokens.num_tokens == 47
    near = tokens.pos.numpy()[8]  # patch (1, 1) is row 8 once patch (0, 0) is gone
    assert near[2] == pytest.approx(1.0)


def test_pool_object_features_over_views() -> None:
    depth = np.full((48, 64), 2.0, np.float32)
    view_a = lift_patch_tokens(_patches(), depth, _intrinsics(), np.eye(4))
    box = Box3D(center=[0.0, 0.0, 2.0], size=[0.4, 0.4, 0.2])
    far = Box3D(center=[0.0, 0.0, 9.0], size=[0.1, 0.1, 0.1])
    pooled = pool_object_features(view_a, [box, far])
    inside = torch.from_numpy(box.contains(view_a.pos.numpy(), margin=0.02))
    assert pooled.counts.tolist() == [int(inside.sum()), 0]
    assert torch.allclose(pooled.features[0], view_a.features[inside].mean(0))
    assert torch.equal(pooled.features[1], torch.zeros(4))
