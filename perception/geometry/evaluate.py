"""Proposal quality against ground-truth instances: recall at IoU 0.25 / 0.5 and precision.

Both sides are compared as axis-aligned boxes of points: a proposal's ``aabb`` against the box of the
instance's visible points (the whole instance in a full-scene cloud, its pixels in one view). For a single
RGB-D view each pixel's instance is the one the sim's renderer hit (the view's ``instance.png``). Views written
without it, or with ``nearest_labels``, take for each back-projected pixel the instance of the nearest scene
point within ``label_radius``: under depth noise of several centimetres at range that transfer labels some
floor and table pixels as the objects standing on them, and leaves noisy object pixels unlabelled.

Run: ``python -m perception.geometry.evaluate --data /tmp/g3d-data/sim200 --split test``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.spatial import cKDTree

from perception.box3d import Box3D
from perception.convert import rgbd_frame_to_cloud
from perception.dataset import Dataset
from perception.geometry.depth_filter import DepthDenoiseConfig, denoised_frame
from perception.geometry.proposals import GeometryConfig, extract_proposals, rgbd_view_config
from perception.point_cloud import PointCloud
from perception.proposal import ObjectProposal

IOU_THRESHOLDS = (0.25, 0.5)
MISS_KINDS = ("none", "larger", "smaller", "offset")
"""Why an object was missed, from the proposal with the highest IoU with it: no proposal overlaps it; that
proposal's box has over 1.5 times the object's volume (the object merged into something, or swollen);
under 1 / 1.5 of it (a fragment of the object); or about its volume but misplaced."""
_VOLUME_RATIO = 1.5


@dataclass
class ProposalScores:
    """Counts and rates over a set of clouds."""

    num_clouds: int = 0
    """Clouds evaluated."""
    num_objects: int = 0
    """Ground-truth objects with at least ``min_points`` visible points."""
    num_proposals: int = 0
    """Proposals made."""
    matched: dict[str, int] = field(default_factory=dict)
    """Objects matched one-to-one by a proposal, per IoU threshold ("0.25", "0.5")."""
    category_objects: dict[str, int] = field(default_factory=dict)
    """Counted objects per category, when the categories were given."""
    category_matched: dict[str, dict[str, int]] = field(default_factory=dict)
    """Matched objects per IoU threshold, then per category."""
    misses: dict[str, int] = field(default_factory=dict)
    """Objects left unmatched at IoU 0.5, by the proposal that overlaps each most (``MISS_KINDS``)."""

    def recall(self, iou: float) -> float:
        """Matched objects / objects at threshold ``iou``."""
        return self.matched.get(str(iou), 0) / max(self.num_objects, 1)

    def precision(self, iou: float) -> float:
        """Matched proposals / proposals at threshold ``iou``."""
        return self.matched.get(str(iou), 0) / max(self.num_proposals, 1)

    def category_recall(self, iou: float) -> dict[str, float]:
        """Matched objects / objects of each category at threshold ``iou`` (empty without categories)."""
        matched = self.category_matched.get(str(iou), {})
        return {c: round(matched.get(c, 0) / n, 4) for c, n in sorted(self.category_objects.items())}

    def add(self, other: ProposalScores) -> None:
        self.num_clouds += other.num_clouds
        self.num_objects += other.num_objects
        self.num_proposals += other.num_proposals
        for k, v in other.matched.items():
            self.matched[k] = self.matched.get(k, 0) + v
        for k, v in other.misses.items():
            self.misses[k] = self.misses.get(k, 0) + v
        for c, n in other.category_objects.items():
            self.category_objects[c] = self.category_objects.get(c, 0) + n
        for k, per_category in other.category_matched.items():
            mine = self.category_matched.setdefault(k, {})
            for c, n in per_category.items():
                mine[c] = mine.get(c, 0) + n

    def summary(self) -> dict[str, float]:
        """Flat dict of the counts and of recall / precision at each threshold."""
        out: dict[str, float] = {
            "clouds": self.num_clouds, "objects": self.num_objects, "proposals": self.num_proposals
        }
        for t in IOU_THRESHOLDS:
            out[f"recall@{t}"] = round(self.recall(t), 4)
            out[f"precision@{t}"] = round(self.precision(t), 4)
        return out


@dataclass
class EvaluationReport:
    """Scores on full-scene clouds and on single RGB-D views."""

    scenes: ProposalScores
    """Full-scene clouds (scene.npz)."""
    views: ProposalScores
    """Single RGB-D views, back-projected into the world frame."""


def score_proposals(
    proposals: list[ObjectProposal],
    points: np.ndarray,
    instance: np.ndarray,
    min_points: int = 50,
    categories: Mapping[int, str] | None = None,
) -> ProposalScores:
    """Match proposals to the instances of points (N, 3) / instance (N,) (-1 background) by AABB IoU.

    Greedy one-to-one matching by decreasing IoU, per threshold. Instances with fewer than ``min_points``
    points are not counted, and a proposal matching one of them is left out of the precision. With
    ``categories`` (instance id -> category name) the counts are also kept per category.
    """
    ids, counts = np.unique(instance[instance >= 0], return_counts=True)
    boxes = [Box3D.from_points_axis_aligned(points[instance == i].astype(np.float64)) for i in ids]
    counted = counts >= min_points
    iou = np.array([[p.aabb.iou(b) for b in boxes] for p in proposals]).reshape(len(proposals), len(boxes))
    # Proposals whose best match is an uncounted (barely visible) instance neither help nor hurt.
    ignored = np.zeros(len(proposals), dtype=bool)
    if len(boxes) and len(proposals):
        best = iou.argmax(axis=1)
        ignored = ~counted[best] & (iou.max(axis=1) >= IOU_THRESHOLDS[0])
    scores = ProposalScores(num_clouds=1, num_objects=int(counted.sum()), num_proposals=int((~ignored).sum()))
    names = [categories.get(int(i), "unknown") for i in ids[counted]] if categories is not None else None
    for name in names or []:
        scores.category_objects[name] = scores.category_objects.get(name, 0) + 1
    for t in IOU_THRESHOLDS:
        columns = _greedy_matches(np.where(ignored[:, None], 0.0, iou[:, counted]), t)
        scores.matched[str(t)] = len(columns)
        if names is not None:
            per_category = scores.category_matched.setdefault(str(t), {})
            for c in columns:
                per_category[names[c]] = per_category.get(names[c], 0) + 1
        if t == IOU_THRESHOLDS[1]:
            missed = np.setdiff1d(np.arange(int(counted.sum())), columns)
            for kind in _miss_kinds(proposals, [b for b, c in zip(boxes, counted, strict=True) if c],
                                    iou[:, counted], missed):
                scores.misses[kind] = scores.misses.get(kind, 0) + 1
    return scores


def _miss_kinds(proposals: list[ObjectProposal], boxes: list[Box3D], iou: np.ndarray, missed: np.ndarray) -> list[str]:
    """``MISS_KINDS`` entry of each missed object (column of ``iou`` (P, K) against its ``boxes``)."""
    kinds = []
    for c in missed:
        if not len(proposals) or iou[:, c].max() <= 0.0:
            kinds.append("none")
            continue
        ratio = float(np.prod(proposals[int(iou[:, c].argmax())].aabb.size)) / max(float(np.prod(boxes[c].size)), 1e-12)
        kinds.append("larger" if ratio > _VOLUME_RATIO else "smaller" if ratio < 1 / _VOLUME_RATIO else "offset")
    return kinds


def _greedy_matches(iou: np.ndarray, threshold: float) -> list[int]:
    """Columns (objects) matched one-to-one by decreasing IoU, at least ``threshold``."""
    matched = []
    iou = iou.copy()
    while iou.size and iou.max() >= threshold:
        r, c = np.unravel_index(int(iou.argmax()), iou.shape)
        iou[r, :] = 0.0
        iou[:, c] = 0.0
        matched.append(int(c))
    return matched


def evaluate_proposals(
    dataset_root: str,
    split: str = "test",
    config: GeometryConfig | None = None,
    view_config: GeometryConfig | None = None,
    max_scenes: int | None = None,
    views: bool = True,
    min_points: int = 50,
    label_radius: float = 0.03,
    denoise: DepthDenoiseConfig | None = None,
    nearest_labels: bool = False,
    use_viewpoint: bool = True,
) -> EvaluationReport:
    """Evaluate ``extract_proposals`` on the scenes of ``split`` of the dataset at ``dataset_root``.

    ``config`` is used on full-scene clouds (default ``GeometryConfig()``), ``view_config`` on single
    views (default ``rgbd_view_config()``). ``nearest_labels`` labels view pixels by the nearest scene point
    even where the view has its rendered instance image. ``use_viewpoint`` gives each view's camera position
    to ``extract_proposals``, as ``ScenePerception.from_frames`` does for a single frame. Each view's depth
    first goes through ``denoise`` (default ``DepthDenoiseConfig()``, the scene map's), as every frame the
    scene map fuses does.
    """
    config = config or GeometryConfig()
    view_config = view_config or rgbd_view_config()
    denoise = denoise or DepthDenoiseConfig()
    dataset = Dataset(dataset_root)
    scene_ids = dataset.splits[split][:max_scenes]
    report = EvaluationReport(scenes=ProposalScores(), views=ProposalScores())
    for scene_id in scene_ids:
        scene = dataset.scene(scene_id)
        categories = {o.object_id: o.label for o in scene.objects}
        cloud = PointCloud(xyz=scene.points, rgb=scene.colors, frame_id="world")
        result = extract_proposals(cloud, config)
        report.scenes.add(score_proposals(result.proposals, scene.points, scene.instance, min_points, categories))
        if not views:
            continue
        tree = cKDTree(scene.points)
        for view in scene.views:
            organized = rgbd_frame_to_cloud(denoised_frame(view.frame(), denoise), world=True)
            keep = organized.finite_mask()  # (H * W,)
            world = organized.select(keep)
            if view.instance is not None and not nearest_labels:
                labels = view.instance.reshape(-1)[keep]
            else:
                dist, nearest = tree.query(world.xyz, distance_upper_bound=label_radius)
                hit = np.isfinite(dist)
                labels = np.full(len(world), -1, dtype=np.int32)
                labels[hit] = scene.instance[nearest[hit]]
            viewpoint = view.T_world_cam[:3, 3] if use_viewpoint else None
            view_result = extract_proposals(world, view_config, viewpoint)
            report.views.add(score_proposals(view_result.proposals, world.xyz, labels, min_points, categories))
    return report


def main(argv: list[str] | None = None) -> None:
    """CLI: print the scores as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="dataset root (format version 1)")
    parser.add_argument("--split", default="test", help="split to evaluate")
    parser.add_argument("--max-scenes", type=int, default=None, help="evaluate only the first scenes")
    parser.add_argument("--no-views", action="store_true", help="skip the single RGB-D views")
    parser.add_argument("--min-points", type=int, default=50, help="visible points for an object to count")
    parser.add_argument("--nearest-labels", action="store_true",
                        help="views: label pixels by the nearest scene point, not the rendered instance.png")
    parser.add_argument("--no-viewpoint", action="store_true",
                        help="views: extract without the camera's position (no occlusion reasoning)")
    parser.add_argument("--raw-depth", action="store_true", help="views: skip the depth median")
    parser.add_argument("--by-category", action="store_true", help="also print recall@0.5 per category")
    parser.add_argument("--misses", action="store_true",
                        help="also print the objects missed at IoU 0.5 by kind (MISS_KINDS)")
    parser.add_argument("--view-support-margin", type=float, default=None,
                        help="views: ProposalConfig.support_margin in metres (default: rgbd_view_config's)")
    parser.add_argument("--chroma-step", type=float, default=None,
                        help="ClusterConfig.max_chroma_step for scenes and views (0: no colour split)")
    args = parser.parse_args(argv)
    config, view_config = GeometryConfig(), rgbd_view_config()
    if args.view_support_margin is not None:
        view_config.proposals = replace(view_config.proposals, support_margin=args.view_support_margin)
    if args.chroma_step is not None:
        for each in (config, view_config):
            each.clustering = replace(each.clustering, max_chroma_step=args.chroma_step)
    report = evaluate_proposals(args.data, args.split, config, view_config, max_scenes=args.max_scenes,
                                views=not args.no_views, min_points=args.min_points,
                                denoise=DepthDenoiseConfig(enabled=not args.raw_depth),
                                nearest_labels=args.nearest_labels, use_viewpoint=not args.no_viewpoint)
    out: dict[str, dict[str, object]] = {"scenes": dict(report.scenes.summary()), "views": dict(report.views.summary())}
    if args.by_category:
        for name, scores in (("scenes", report.scenes), ("views", report.views)):
            out[name]["objects by category"] = dict(sorted(scores.category_objects.items()))
            out[name]["recall@0.5 by category"] = scores.category_recall(IOU_THRESHOLDS[1])
    if args.misses:
        for name, scores in (("scenes", report.scenes), ("views", report.views)):
            out[name]["misses@0.5"] = {kind: scores.misses.get(kind, 0) for kind in MISS_KINDS}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
