"""Preprocessing to object proposals on one LiDAR scan and one RGB-D frame, against the same chain written
directly in open3d (crop, voxel downsample, RANSAC plane removal, statistical outliers, normals, DBSCAN,
one box per cluster) with the same parameters as ``perception.geometry``'s defaults.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.harness import Row, peak_growth, time_row, timed_pair
from bench.inputs import message_bytes, scene_inputs
from perception import PointCloud


def plain_open3d_chain(xyz: np.ndarray, rgb: np.ndarray | None) -> list[tuple[Any, Any]]:
    """The chain in plain open3d calls with ``GeometryConfig()``'s parameters; returns one OBB per cluster.

    xyz (N, 3) float32 metres with z up; rgb (N, 3) uint8 or None.
    """
    import open3d as o3d

    from perception.geometry import GeometryConfig

    cfg = GeometryConfig()
    pre, planes, clus = cfg.preprocess, cfg.planes, cfg.clustering
    r2 = np.einsum("ij,ij->i", xyz, xyz)
    keep = np.isfinite(r2) & (r2 <= pre.crop.max_range ** 2) & (r2 >= pre.crop.min_range ** 2)
    pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(xyz[keep].astype(np.float64)))
    if rgb is not None:
        pcd.colors = o3d.utility.Vector3dVector(rgb[keep].astype(np.float64) / 255.0)
    pcd = pcd.voxel_down_sample(pre.voxel.voxel_size)
    up = np.asarray(planes.up)
    cos_tilt = np.cos(np.radians(planes.max_tilt_deg))
    for _ in range(planes.max_planes):  # remove horizontal and vertical planes, largest first
        if len(pcd.points) < planes.min_inliers:
            break
        model, inliers = pcd.segment_plane(planes.distance_threshold, 3, planes.iterations)
        if len(inliers) < planes.min_inliers:
            break
        c = abs(float(np.dot(model[:3], up)) / np.linalg.norm(model[:3]))
        if c >= cos_tilt or c <= 1 - cos_tilt:
            pcd = pcd.select_by_index(inliers, invert=True)
        else:
            break
    pcd, _ = pcd.remove_statistical_outlier(pre.outliers.num_neighbors, pre.outliers.std_ratio)
    pcd.estimate_normals(o3d.geometry.KDTreeSearchParamHybrid(pre.normals.radius, pre.normals.max_neighbors))
    labels = np.asarray(pcd.cluster_dbscan(clus.eps, clus.min_points))
    boxes = []
    for label in range(int(labels.max(initial=-1)) + 1):
        idx = np.flatnonzero(labels == label)
        if idx.size >= clus.min_cluster_size:
            part = pcd.select_by_index(idx.tolist())
            boxes.append((part.get_oriented_bounding_box(), part.get_axis_aligned_bounding_box()))
    return boxes


def preprocess_inputs(quick: bool) -> list[tuple[str, PointCloud, int]]:
    """(label, world-frame cloud, bytes of the input messages) of the LiDAR scan and the RGB-D frame that
    ``preprocess`` times."""
    from perception.convert import pointcloud2_to_cloud

    inputs = scene_inputs(quick)
    rings, cols = inputs.lidar_msg.height, inputs.lidar_msg.width
    h, w = inputs.rgb.shape[:2]
    return [
        (f"LiDAR scan {rings}x{cols}", pointcloud2_to_cloud(inputs.lidar_msg).transformed(inputs.T_world_lidar, "map"),
         message_bytes(inputs.lidar_msg)),
        (f"RGB-D frame {w}x{h}", inputs.xyzrgb_cloud.transformed(inputs.T_world_cam, "map"),
         message_bytes(inputs.rgb_msg) + message_bytes(inputs.depth_msg)),
    ]


def preprocess(quick: bool) -> list[Row]:
    """``extract_proposals`` (ours) vs ``plain_open3d_chain`` on the world-frame scan and RGB-D frame."""
    from perception.geometry import ClusterConfig, GeometryConfig, extract_proposals

    without_split = GeometryConfig(clustering=ClusterConfig(max_chroma_step=0.0))
    rows = []
    repeats = 2 if quick else 10
    for label, cloud, nbytes in preprocess_inputs(quick):
        def ours(c: PointCloud = cloud) -> object:
            return extract_proposals(c)

        def peer(c: PointCloud = cloud) -> object:
            return plain_open3d_chain(c.xyz, c.rgb)

        def ours_without_split(c: PointCloud = cloud) -> object:
            return extract_proposals(c, without_split)

        t_ours, t_peer = timed_pair(ours, peer, repeats)
        # What the colour split (ClusterConfig.max_chroma_step) costs, in rounds of its own.
        t_split, t_unsplit = timed_pair(ours, ours_without_split, max(1, repeats // 2))
        growth = peak_growth(ours)
        n_ours, n_peer = len(extract_proposals(cloud).proposals), len(plain_open3d_chain(cloud.xyz, cloud.rgb))
        case = f"preprocess -> proposals, {label}"
        row = time_row(case, t_ours, "plain open3d", t_peer, "<= 1.2x plain chain and <= 50 ms",
                       max_ratio=1.2, input_bytes=nbytes, mem_growth_bytes=growth,
                       note=f"{n_ours} proposals (plain chain: {n_peer} clusters); without the colour split "
                            f"{t_unsplit.median_ms:.0f} ms against {t_split.median_ms:.0f} ms with it")
        row.met = bool(row.met) and t_ours.median_ms <= 50.0
        row.numbers = {"proposals": float(n_ours), "plain_clusters": float(n_peer),
                       "with_color_split_ms": t_split.median_ms, "without_color_split_ms": t_unsplit.median_ms}
        rows.append(row)
    return rows

