"""The preprocessing chain: each step on its own, skippable, and the input -> voxel map."""

from __future__ import annotations

import numpy as np
import pytest

from perception import EmptyCloudError, PointCloud
from perception.geometry.errors import GeometryConfigError
from perception.geometry.preprocess import (
    CropConfig,
    NormalConfig,
    OutlierConfig,
    PreprocessConfig,
    VoxelConfig,
    preprocess,
)


def _plane_cloud(n: int = 8000, seed: int = 0) -> PointCloud:
    rng = np.random.default_rng(seed)
    xyz = np.column_stack([rng.uniform(-0.5, 0.5, (n, 2)), rng.normal(0.0, 0.001, n)]).astype(np.float32)
    rgb = rng.integers(0, 256, (n, 3)).astype(np.uint8)
    return PointCloud(xyz=xyz, rgb=rgb)


def test_every_input_point_maps_to_its_voxel_centroid() -> None:
    cloud = _plane_cloud()
    cloud.xyz[5] = np.nan
    pre = preprocess(cloud, PreprocessConfig(outliers=OutlierConfig(enabled=False)))
    assert pre.point_to_voxel[5] == -1
    mapped = pre.point_to_voxel >= 0
    assert mapped.sum() == len(cloud) - 1
    # A point and its voxel's centroid share a 2 cm voxel, so they are at most one diagonal apart.
    gap = np.linalg.norm(cloud.xyz[mapped] - pre.points[pre.point_to_voxel[mapped]], axis=1)
    assert gap.max() <= 0.02 * np.sqrt(3)
    assert len(pre) < len(cloud) / 2


def test_crop_by_range_and_box() -> None:
    cloud = _plane_cloud()
    config = PreprocessConfig(
        crop=CropConfig(max_range=0.3, box_min=(0.0, -1.0, -1.0), box_max=(1.0, 1.0, 1.0)),
        voxel=VoxelConfig(enabled=False),
        outliers=OutlierConfig(enabled=False),
        normals=NormalConfig(enabled=False),
    )
    pre = preprocess(cloud, config)
    kept = cloud.xyz[pre.point_to_voxel >= 0]
    expected = (np.linalg.norm(cloud.xyz, axis=1) <= 0.3) & (cloud.xyz[:, 0] >= 0)
    assert kept.shape[0] == expected.sum() == len(pre)
    assert pre.normals is None


def test_outliers_are_dropped_and_normals_face_up() -> None:
    cloud = _plane_cloud()
    cloud.xyz[:3] = np.array([[0.0, 0.0, 0.5], [0.3, 0.2, -0.6], [0.4, -0.4, 0.4]], dtype=np.float32)
    pre = preprocess(cloud)
    assert (pre.point_to_voxel[:3] == -1).all()
    assert pre.normals is not None
    assert np.median(pre.normals[:, 2]) > 0.99


def test_skipping_steps_changes_the_output() -> None:
    cloud = _plane_cloud()
    full = preprocess(cloud)
    raw = preprocess(cloud, PreprocessConfig(voxel=VoxelConfig(enabled=False), outliers=OutlierConfig(enabled=False)))
    assert len(raw) == len(cloud) > len(full)


def test_empty_crop_and_bad_configs_raise() -> None:
    with pytest.raises(EmptyCloudError):
        preprocess(_plane_cloud(), PreprocessConfig(crop=CropConfig(min_range=5.0, max_range=6.0)))
    with pytest.raises(GeometryConfigError, match="voxel_size"):
        VoxelConfig(voxel_size=0.0)
    with pytest.raises(GeometryConfigError, match="box_min"):
        CropConfig(box_min=(0.0, 0.0, 0.0))
