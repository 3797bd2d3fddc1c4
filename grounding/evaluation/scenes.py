"""Scenes of a dataset as the engine takes them: oracle proposals from the ground truth, or predicted ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from grounding.model.scene_batch import color_statistics
from grounding.model.scene_input import SceneInput
from perception import Box3D, ObjectProposal, PointCloud
from perception.dataset import SceneData


def proposals_from_scene_input(scene: SceneInput) -> list[ObjectProposal]:
    """The objects of a SceneInput (e.g. oracle instances) as ObjectProposals with their given boxes."""
    out = []
    for o in scene.objects:
        stats = color_statistics(o.colors)  # mean RGB in [0, 1], then the HSV histogram
        out.append(
            ObjectProposal(
                object_id=int(o.object_id),
                points=o.points.astype(np.float32, copy=False),
                colors=o.colors,
                indices=np.arange(len(o.points), dtype=np.int64),
                aabb=Box3D.from_points_axis_aligned(o.points.astype(np.float64)),
                obb=o.box,
                mean_color=(stats[:3] * 255.0).astype(np.float32),
                color_hist=stats[3:].astype(np.float32),
            )
        )
    return out


def object_metadata(data: SceneData) -> dict[int, dict[str, Any]]:
    """Known facts per object id from objects.json (label, colour, and support_id when the dataset has it)."""
    meta: dict[int, dict[str, Any]] = {}
    for rec in data.objects:
        m: dict[str, Any] = {"label": rec.label}
        if rec.color:
            m["color"] = rec.color
        if "support_id" in rec.extra:
            m["support_id"] = int(rec.extra["support_id"])
        meta[rec.object_id] = m
    return meta


def ground_truth_boxes(data: SceneData) -> dict[int, Box3D]:
    """object_id -> ground-truth box from objects.json."""
    return {r.object_id: Box3D(center=r.center, size=r.size, yaw=r.yaw) for r in data.objects}


def scene_cloud(data: SceneData) -> PointCloud:
    """The full-scene coloured cloud of scene.npz (world frame), the input of predicted proposals."""
    return PointCloud(xyz=data.points, rgb=data.colors, frame_id="world")


def best_match(box: Box3D, candidates: Sequence[Box3D], min_iou: float) -> int:
    """Index of the candidate box with the highest IoU to ``box`` if it reaches ``min_iou``, else -1."""
    if not candidates:
        return -1
    ious = [box.iou(c) for c in candidates]
    i = int(np.argmax(ious))
    return i if ious[i] >= min_iou else -1
