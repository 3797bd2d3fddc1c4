"""Core types check their shapes and dtypes, and Box3D's geometry is exact."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from perception import Box3D, CameraIntrinsics, PointCloud, RGBDFrame, ShapeError, SpatialTokens


def test_spatial_tokens_rejects_mismatched_rows() -> None:
    with pytest.raises(ShapeError, match=r"expected shape \(4, C\), got \(3, 8\)"):
        SpatialTokens(torch.zeros(4, 3), torch.zeros(3, 8), torch.zeros(4, dtype=torch.int64))


def test_spatial_tokens_cat_offsets_batches() -> None:
    a = SpatialTokens.single(torch.zeros(2, 3), torch.ones(2, 4))
    b = SpatialTokens.single(torch.ones(3, 3), torch.zeros(3, 4))
    packed = SpatialTokens.cat([a, b])
    assert packed.batch.tolist() == [0, 0, 1, 1, 1]
    assert packed.batch_size == 2
    assert torch.equal(packed.select(1).pos, torch.ones(3, 3))


def test_point_cloud_checks_dtype_and_grid() -> None:
    with pytest.raises(ShapeError, match="expected dtype float32, got float64"):
        PointCloud(xyz=np.zeros((5, 3)))
    with pytest.raises(ShapeError, match=r"expected H \* W == 6"):
        PointCloud(xyz=np.zeros((6, 3), np.float32), grid_shape=(4, 2))


def test_point_cloud_transform_and_finite() -> None:
    xyz = np.array([[1, 0, 0], [np.nan, 0, 0]], np.float32)
    T = np.eye(4)
    T[:3, 3] = [0, 0, 2]
    moved = PointCloud(xyz=xyz, frame_id="lidar").transformed(T, "world").finite()
    assert moved.frame_id == "world"
    np.testing.assert_allclose(moved.xyz, [[1, 0, 2]])


@pytest.mark.parametrize("copy", [False, True])
def test_a_cloud_moved_in_place_reuses_its_points_and_never_writes_the_message(copy: bool) -> None:
    from perception.convert import cloud_to_pointcloud2, pointcloud2_to_cloud

    xyz = np.random.default_rng(1).normal(size=(50, 3)).astype(np.float32)
    msg = cloud_to_pointcloud2(PointCloud(xyz=xyz))  # xyz only: point_step 12, decoded as a view unless copied
    payload = bytes(msg.data)
    T = np.eye(4)
    T[:3, 3] = [1.0, 2.0, 3.0]
    decoded = pointcloud2_to_cloud(msg, copy=copy)
    moved = decoded.transformed(T, "world", in_place=copy)
    np.testing.assert_allclose(moved.xyz, xyz + T[:3, 3], atol=1e-6)
    assert bytes(msg.data) == payload
    assert np.shares_memory(moved.xyz, decoded.xyz) == copy


def test_intrinsics_reject_zero_focal() -> None:
    with pytest.raises(ShapeError, match="fx, fy > 0"):
        CameraIntrinsics(K=np.zeros((3, 3)), width=640, height=480)


def test_rgbd_frame_scales_uint16_depth() -> None:
    K = CameraIntrinsics.from_fov(4, 3, np.pi / 2)
    depth = np.full((3, 4), 5000, np.uint16)
    frame = RGBDFrame.from_depth_image(np.zeros((3, 4, 3), np.uint8), depth, K, depth_scale=5000.0)
    assert frame.depth_m.dtype == np.float32
    np.testing.assert_allclose(frame.depth_m, 1.0)


def test_box_iou_identity_disjoint_and_rotated() -> None:
    a = Box3D(center=[0, 0, 0], size=[2, 2, 2])
    assert a.iou(a) == pytest.approx(1.0)
    assert a.iou(Box3D(center=[5, 0, 0], size=[2, 2, 2])) == 0.0
    half = Box3D(center=[1, 0, 0], size=[2, 2, 2])
    assert a.iou(half) == pytest.approx(4 / 12)
    # A square turned by 45 degrees inside a bigger one: intersection is the smaller square.
    inner = Box3D(center=[0, 0, 0], size=[1, 1, 2], yaw=np.pi / 4)
    assert a.iou(inner) == pytest.approx(2 / 8)


def test_box_contains_respects_yaw() -> None:
    box = Box3D(center=[0, 0, 0], size=[4, 0.5, 1], yaw=np.pi / 2)
    inside = box.contains(np.array([[0, 1.9, 0], [1.9, 0, 0]]))
    assert inside.tolist() == [True, False]


@pytest.mark.parametrize("num", [0, 100, 70_000])  # 70k rows: three chunks, the last one partial
def test_transform_points_matches_matrix_product(num: int) -> None:
    from perception.transforms import transform_points

    rng = np.random.default_rng(0)
    points = rng.normal(size=(num, 3)).astype(np.float32)
    c, s = np.cos(0.3), np.sin(0.3)
    T = np.array([[c, -s, 0, 1.0], [s, c, 0, -2.0], [0, 0, 1, 0.5], [0, 0, 0, 1]])
    out = transform_points(points, T)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, points @ T[:3, :3].T + T[:3, 3], atol=1e-5)
    moved = points.copy()
    assert transform_points(moved, T, out=moved) is moved
    np.testing.assert_array_equal(moved, out)  # in place: the same bits
    with pytest.raises(ShapeError, match="expected out of shape"):
        transform_points(points, T, out=np.empty((num, 3)))  # float64 for float32 points
