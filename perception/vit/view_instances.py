"""Per-pixel instance ids of a depth view, recovered from a labelled scene cloud.

Dataset views store colour and depth but no instance mask, so the mask is rebuilt geometrically: each
valid depth pixel is back-projected to the world and takes the instance of its nearest labelled scene
point, when that point is close enough to be the same surface.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from perception._checks import check_array
from perception.camera import CameraIntrinsics
from perception.transforms import transform_points


def view_instance_mask(
    depth_m: np.ndarray,
    intrinsics: CameraIntrinsics,
    T_world_cam: np.ndarray,
    scene_points: np.ndarray,
    scene_instance: np.ndarray,
    max_distance_m: float = 0.03,
) -> np.ndarray:
    """(H, W) int32 instance id per pixel; -1 for background, no return, or no scene point within range.

    depth_m: (H, W) float32 metres. scene_points: (N, 3) world frame. scene_instance: (N,) int32.
    ``max_distance_m`` should exceed the depth noise of the view and the scene cloud's point spacing.
    """
    h, w = depth_m.shape
    check_array("scene_points", scene_points, (None, 3))
    check_array("scene_instance", scene_instance, (scene_points.shape[0],))
    mask = np.full(h * w, -1, dtype=np.int32)
    z = depth_m.reshape(-1).astype(np.float64)
    valid = np.flatnonzero(np.isfinite(z) & (z > 0))
    if valid.size == 0 or scene_points.shape[0] == 0:
        return mask.reshape(h, w)
    v, u = np.divmod(valid, w)
    zv = z[valid]
    pts_cam = np.stack([(u - intrinsics.cx) * zv / intrinsics.fx, (v - intrinsics.cy) * zv / intrinsics.fy, zv], 1)
    pts_world = transform_points(pts_cam, T_world_cam)  # (M, 3)
    dist, nearest = cKDTree(scene_points).query(pts_world, k=1, distance_upper_bound=max_distance_m, workers=-1)
    hit = np.isfinite(dist)
    mask[valid[hit]] = scene_instance[nearest[hit]]
    return mask.reshape(h, w)
