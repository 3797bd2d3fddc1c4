"""An independent re-implementation of the relation definitions, used to check generated records.

It follows the definitions written in ``sim/language/relations.py``'s docstring, but shares no code with
the generator: plain loops over one pair at a time, and each condition cut at the *middle* of its margin
band. The generator only writes facts that clear the whole band, so the two must agree on every record.
Rankings are re-done by sorting.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.scene_object import SceneObject, ViewPose

VIEW_KINDS = {"left_of", "right_of", "in_front_of", "behind", "leftmost", "rightmost", "nearest_to_viewer",
              "ordinal"}


class Oracle:
    """Resolves a record's logical form over a scene's objects, one object at a time."""

    def __init__(self, objects: list[SceneObject], views: dict[str, ViewPose]) -> None:
        self.objects = objects
        self.by_id = {o.object_id: o for o in objects}
        self.views = views

    # Geometry -------------------------------------------------------------------------------------------

    @staticmethod
    def corners(o: SceneObject) -> list[tuple[float, float]]:
        c, s = math.cos(o.yaw), math.sin(o.yaw)
        hx, hy = o.size[0] / 2, o.size[1] / 2
        return [(o.center[0] + c * u - s * v, o.center[1] + s * u + c * v)
                for u, v in ((-hx, -hy), (hx, -hy), (hx, hy), (-hx, hy))]

    @staticmethod
    def inside(p: tuple[float, float], o: SceneObject) -> float:
        dx, dy = p[0] - o.center[0], p[1] - o.center[1]
        c, s = math.cos(o.yaw), math.sin(o.yaw)
        u, v = c * dx + s * dy, -s * dx + c * dy
        return min(o.size[0] / 2 - abs(u), o.size[1] / 2 - abs(v))

    def footprint_gap(self, a: SceneObject, b: SceneObject) -> float:
        """Distance between footprints from points sampled densely on A's boundary to B's edges (and back);
        minus the separating-axis penetration when they overlap."""
        ca, cb = self.corners(a), self.corners(b)
        axes = []
        for o in (a, b):
            axes += [(math.cos(o.yaw), math.sin(o.yaw)), (-math.sin(o.yaw), math.cos(o.yaw))]
        overlaps = []
        for ax in axes:
            pa = [x * ax[0] + y * ax[1] for x, y in ca]
            pb = [x * ax[0] + y * ax[1] for x, y in cb]
            overlaps.append(min(max(pa), max(pb)) - max(min(pa), min(pb)))
        if min(overlaps) > 0:
            return -min(overlaps)
        return min(self._to_edges(self._boundary(ca), cb), self._to_edges(self._boundary(cb), ca))

    @staticmethod
    def _boundary(corners: list[tuple[float, float]], n: int = 200) -> np.ndarray:
        pts = []
        for i in range(4):
            p, q = np.array(corners[i]), np.array(corners[(i + 1) % 4])
            t = np.linspace(0.0, 1.0, n)[:, None]
            pts.append(p + t * (q - p))
        return np.concatenate(pts)

    @staticmethod
    def _to_edges(points: np.ndarray, corners: list[tuple[float, float]]) -> float:
        best = np.inf
        for i in range(4):
            p, q = np.array(corners[i]), np.array(corners[(i + 1) % 4])
            t = np.clip((points - p) @ (q - p) / float((q - p) @ (q - p)), 0.0, 1.0)
            best = min(best, float(np.linalg.norm(points - (p + t[:, None] * (q - p)), axis=1).min()))
        return best

    @staticmethod
    def zr(o: SceneObject) -> tuple[float, float]:
        return o.center[2] - o.size[2] / 2, o.center[2] + o.size[2] / 2

    def gap3(self, a: SceneObject, b: SceneObject) -> float:
        (a0, a1), (b0, b1) = self.zr(a), self.zr(b)
        h = max(self.footprint_gap(a, b), 0.0)
        v = max(a0 - b1, b0 - a1, 0.0)
        return math.hypot(h, v)

    def view_coords(self, view: str, p: np.ndarray) -> tuple[float, float]:
        pose = self.views[view]
        f = np.array(pose.look_at, float) - np.array(pose.position, float)
        f[2] = 0
        f /= np.linalg.norm(f)
        r = np.array([f[1], -f[0], 0.0])  # forward x up
        d = np.asarray(p, float) - np.array(pose.position, float)
        return float(d @ r), float(d @ f)

    def x_interval(self, view: str, o: SceneObject) -> tuple[float, float, float, float]:
        xs, ds = zip(*(self.view_coords(view, np.array([x, y, 0.0])) for x, y in self.corners(o)), strict=True)
        return min(xs), max(xs), min(ds), max(ds)

    def in_front_of_viewer(self, view: str, o: SceneObject) -> bool:
        return self.view_coords(view, o.center)[1] > 0.3

    @staticmethod
    def scale(a: SceneObject, b: SceneObject) -> float:
        return (max(a.size[0], a.size[1]) + max(b.size[0], b.size[1])) / 2

    # Predicates (thresholds at the middle of each band) ------------------------------------------------

    def holds(self, kind: str, a: SceneObject, b: SceneObject, view: str) -> bool:
        if kind in ("left_of", "right_of", "in_front_of", "behind"):
            if not (self.in_front_of_viewer(view, a) and self.in_front_of_viewer(view, b)):
                return False
            ax, ad = self.view_coords(view, a.center)
            bx0, bx1, bd0, bd1 = self.x_interval(view, b)
            if kind == "left_of":
                return bx0 - ax > 0
            if kind == "right_of":
                return ax - bx1 > 0
            ax0, ax1, _, _ = self.x_interval(view, a)
            in_line = max(ax0 - bx1, bx0 - ax1) < 0.15 and self.footprint_gap(a, b) > -0.02
            return in_line and (bd0 - ad > 0 if kind == "in_front_of" else ad - bd1 > 0)
        (a0, a1), (b0, b1) = self.zr(a), self.zr(b)
        if kind == "on":
            return self.inside(tuple(a.center[:2]), b) > 0 and a0 - b1 < 0.04 and a0 - b0 > 0.025
        if kind == "under":
            return self.inside(tuple(a.center[:2]), b) > 0 and a0 - b0 < 0.025 and b1 - a1 > 0.07
        if kind == "above":
            return a0 - b1 > 0.03 and self.footprint_gap(a, b) < 0.015
        if kind == "below":
            return b0 - a1 > 0.03 and self.footprint_gap(a, b) < 0.015
        if kind == "next_to":
            t = min(max(0.25 * self.scale(a, b), 0.08), 0.35)
            g = self.footprint_gap(a, b)
            z_overlap = min(a1, b1) - max(a0, b0)
            return -0.05 < g < t + 0.05 and z_overlap > 0.015
        if kind == "near":
            t = min(max(0.75 * self.scale(a, b), 0.25), 1.0)
            return self.gap3(a, b) < (t + 1.5 * t + 0.05) / 2
        if kind == "far_from":
            t = min(max(3.0 * self.scale(a, b), 1.5), 3.0)
            return self.gap3(a, b) > 0.85 * t
        raise AssertionError(f"unknown pair relation {kind}")

    def between(self, a: SceneObject, b: SceneObject, c: SceneObject) -> bool:
        p, q, r = (np.array(o.center[:2], float) for o in (a, b, c))
        length = float(np.linalg.norm(r - q))
        if length < 0.45:
            return False
        t = float((p - q) @ (r - q)) / length**2
        perp = abs(float((r - q)[0] * (p - q)[1] - (r - q)[1] * (p - q)[0])) / length
        return 0.125 < t < 0.875 and perp < min(max(0.2 * length, 0.1), 0.4) + 0.075

    # Programs -------------------------------------------------------------------------------------------

    def resolve(self, program: dict[str, Any], view: str) -> tuple[set[int], list[int]]:
        """(ids the program picks out, anchor ids: direct anchors first, then theirs)."""
        anchors: list[SceneObject] = []
        nested: list[int] = []
        for sub in program.get("anchors", []):
            ids, sub_anchors = self.resolve(sub, view)
            assert len(ids) == 1, f"anchor {sub} is not unique: {ids}"
            anchors.append(self.by_id[next(iter(ids))])
            nested += sub_anchors
        members = [o for o in self.objects if o.label == program["category"] and o not in anchors
                   and ("color" not in program or o.color == program["color"])
                   and ("not_color" not in program or o.color != program["not_color"])]
        kind = program["relation"]
        anchor_ids = [o.object_id for o in anchors] + nested
        if kind == "attribute":
            return {o.object_id for o in members}, anchor_ids
        if kind == "between":
            return {o.object_id for o in members if self.between(o, anchors[0], anchors[1])}, anchor_ids
        if kind in ("closest_to", "farthest_from"):
            dist = {o.object_id: float(np.linalg.norm(o.center - anchors[0].center)) for o in members}
            pick = min if kind == "closest_to" else max
            return {pick(dist, key=lambda i: dist[i])}, anchor_ids
        if kind in ("tallest", "largest", "smallest"):
            value = {o.object_id: (o.size[2] if kind == "tallest" else float(np.prod(o.size))) for o in members}
            pick = min if kind == "smallest" else max
            return {pick(value, key=lambda i: value[i])}, anchor_ids
        if kind in ("leftmost", "rightmost", "ordinal", "nearest_to_viewer"):
            seen = [o for o in members if self.in_front_of_viewer(view, o)]
            if kind == "nearest_to_viewer":
                pos = np.array(self.views[view].position, float)
                return {min(seen, key=lambda o: float(np.linalg.norm(o.center - pos))).object_id}, anchor_ids
            order = sorted(seen, key=lambda o: self.view_coords(view, o.center)[0])
            from_right = kind == "rightmost" or program.get("side") == "right"
            if from_right:
                order = order[::-1]
            k = program.get("k", 1) if kind == "ordinal" else 1
            return {order[k - 1].object_id}, anchor_ids
        return {o.object_id for o in members if self.holds(kind, o, anchors[0], view)}, anchor_ids
