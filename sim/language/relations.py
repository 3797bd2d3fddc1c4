"""Spatial relations between object boxes, with margins, so that a generated fact is never borderline.

Frames and units
----------------
World frame, metres, z up. Boxes turn only about z (see ``geometry``). View-dependent relations are read
in the ``ViewFrame`` of the record's view: x right, depth forward (both horizontal), z up world.

Truth scores
------------
Every predicate returns a *truth score* per object (pair, triple): ``>= +1`` clearly true, ``<= -1`` clearly
false, anything in between is *borderline*. A condition "value below t" is scored by ``band(value, true_at,
false_at)``, a line through (+1 at ``true_at``) and (-1 at ``false_at``), so the band between the two is the
margin where a person and the evaluator could disagree. Several conditions combine by ``min`` (and). The
generator uses a fact only when the target is clearly true and every distractor clearly false; a checker
that thresholds each condition at the middle of its band therefore agrees with every generated record.

Relations (A is the object described, B and C are anchors; score[i, j] reads "i REL j")
------------------------------------------------------------------------------------
View-dependent (A and B must both be clearly in front of the viewer: centre depth >= ``front_true``):

- ``left_of``: A's centre lies left of B's footprint: ``B.xmin - A.x >= lr_margin`` (false at ``-lr_margin``).
- ``right_of``: mirror: ``A.x - B.xmax``.
- ``in_front_of``: A's centre is nearer than B's nearest point, ``B.dmin - A.d >= depth_margin``, their
  x-intervals overlap or nearly so (lateral gap <= ``lateral_true``, false at ``lateral_false``), and their
  footprints do not overlap (gap >= ``apart_true``, false at ``apart_false``): a book on a shelf is on it,
  not in front of it.
- ``behind``: ``A.d - B.dmax >= depth_margin`` with the same lateral and footprint conditions.

View-independent:

- ``on``: A's centre lies inside B's footprint (by >= ``footprint_margin``), A's bottom is not above B's top
  (``A.zmin - B.zmax <= on_gap_true``, false at ``on_gap_false``) and is raised off B's base
  (``A.zmin - B.zmin >= raise_true``, false at ``raise_false``): on B's top or on a board inside it (a shelf).
- ``under``: A's centre inside B's footprint, A's bottom at B's base level (``A.zmin - B.zmin <= raise_false``,
  false at ``raise_true``) and A's top below B's top by >= ``under_clearance_true`` (false at ``..._false``).
- ``above``: A's bottom above B's top by >= ``vertical_true`` (false at ``vertical_false``) and the footprints
  overlap by >= ``overlap_true`` (false when apart by ``overlap_false``).
- ``below``: mirror of ``above``.
- ``next_to``: footprints within ``t = clip(next_scale * s, next_min, next_max)`` of each other (false at
  ``t + next_band``), where s is the mean of the two largest horizontal extents; not nested (footprint
  overlap <= ``next_overlap_true``, false at ``next_overlap_false``); height intervals overlap by
  >= ``next_z_true`` (false at 0), so a mug on a table is *on* it, not *next to* it.
- ``near``: 3D box distance <= ``t = clip(near_scale * s, near_min, near_max)`` (false at ``1.5 t + 0.05``).
- ``far_from``: 3D box distance >= ``t = clip(far_scale * s, far_min, far_max)`` (false at ``0.7 t``).
- ``between`` (ternary): in the floor plane, with L = |B C| between centres, L >= ``between_min_len`` (false
  0.1 m shorter);
  A's centre projects onto B->C at t in [0.2, 0.8] (false outside [0.05, 0.95]); its distance from the
  line is <= ``clip(0.2 L, 0.1, 0.4)`` (false 0.15 m further).

Rankings (superlatives and ordinals) over a set of members (see ``rank_scores``):
``closest_to`` / ``farthest_from`` B (3D centre distance), ``leftmost`` / ``rightmost`` (centre x in the view),
``nearest_to_viewer`` (3D centre distance to the camera), ``tallest`` (height), ``largest`` / ``smallest``
(box volume), ``ordinal`` (k-th by centre x from the left or right). One member ranks clearly before another
when it leads by the margin: ``rank_x_margin`` in x; ``max(distance_margin, distance_rel_margin * d)`` in
distance (d the smaller one); ``max(height_margin, height_rel_margin * h)`` in height; a volume ratio of
``volume_ratio``. A member is clearly k-th when those clear comparisons pin its rank to k, clearly not when
they rule k out, borderline otherwise. View-dependent rankings count only the members clearly in front of
the viewer (and are all borderline when one member is borderline in depth).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np

from sim.language.errors import LanguageConfigError, LanguageError
from sim.language.geometry import BoxSet, ViewFrame, box_gap, footprint_gap, inside_margin, vertical_gap

PAIR_KINDS: tuple[str, ...] = (
    "left_of", "right_of", "in_front_of", "behind",
    "on", "under", "above", "below", "next_to", "near", "far_from",
)
"""Binary relations "A REL B"."""
TERNARY_KINDS: tuple[str, ...] = ("between",)
"""Relations "A REL B and C"."""
ANCHORED_RANK_KINDS: tuple[str, ...] = ("closest_to", "farthest_from")
"""Superlatives relative to one anchor."""
RANK_KINDS: tuple[str, ...] = ("leftmost", "rightmost", "nearest_to_viewer", "tallest", "largest", "smallest")
"""Superlatives over the members alone."""
ORDINAL_KIND = "ordinal"
"""k-th from the left or right in the view."""
VIEW_DEPENDENT_KINDS: frozenset[str] = frozenset(
    {"left_of", "right_of", "in_front_of", "behind", "leftmost", "rightmost", "nearest_to_viewer", "ordinal"}
)
"""Relations whose truth depends on where the viewer stands."""


@dataclass
class RelationConfig:
    """Thresholds and margins of every relation, metres unless noted (see the module docstring)."""

    front_true: float = 0.4
    """Centre depth at which an object is clearly in front of the viewer."""
    front_false: float = 0.2
    """Centre depth at which it clearly is not."""
    lr_margin: float = 0.05
    """Half width of the left/right band around the anchor's footprint edge."""
    depth_margin: float = 0.05
    """Half width of the in-front/behind band around the anchor's nearest/farthest depth."""
    lateral_true: float = 0.0
    """In front/behind: lateral gap between x-intervals that is clearly "in line"."""
    lateral_false: float = 0.3
    """In front/behind: lateral gap that is clearly off to the side."""
    apart_true: float = 0.0
    """In front/behind: footprint gap (negative = overlap) that is clearly apart."""
    apart_false: float = -0.04
    """In front/behind: footprint overlap that is clearly nested."""
    footprint_margin: float = 0.02
    """On/under: how far inside (outside) the anchor footprint a centre must be to be clearly in (out)."""
    on_gap_true: float = 0.02
    """On: largest gap of A's bottom above B's top that is clearly resting on it."""
    on_gap_false: float = 0.06
    """On: gap above B's top that is clearly not resting on it."""
    raise_true: float = 0.04
    """On: height of A's bottom above B's base that is clearly off the base level."""
    raise_false: float = 0.01
    """On: height of A's bottom above B's base that is clearly at the base level (the floor)."""
    under_clearance_true: float = 0.10
    """Under: how far A's top is below B's top, clearly under its surface."""
    under_clearance_false: float = 0.04
    """Under: clearance that is clearly not under the surface."""
    vertical_true: float = 0.05
    """Above/below: vertical gap that is clearly above (below)."""
    vertical_false: float = 0.01
    """Above/below: vertical gap that clearly is not (touching counts as on, not above)."""
    overlap_true: float = -0.02
    """Above/below: footprint gap (negative = overlap) that clearly overlaps."""
    overlap_false: float = 0.05
    """Above/below: footprint gap that is clearly apart."""
    next_scale: float = 0.25
    """Next to: threshold as a fraction of the mean largest horizontal extent."""
    next_min: float = 0.08
    """Next to: smallest threshold."""
    next_max: float = 0.35
    """Next to: largest threshold."""
    next_band: float = 0.10
    """Next to: width of the borderline band beyond the threshold."""
    next_overlap_true: float = -0.02
    """Next to: footprint overlap (negative gap) still clearly side by side."""
    next_overlap_false: float = -0.08
    """Next to: footprint overlap that is clearly nested (on, in, under), not beside."""
    next_z_true: float = 0.03
    """Next to: height-interval overlap that is clearly at the same level."""
    near_scale: float = 0.75
    """Near: threshold as a fraction of the mean largest horizontal extent."""
    near_min: float = 0.25
    """Near: smallest threshold."""
    near_max: float = 1.0
    """Near: largest threshold."""
    far_scale: float = 3.0
    """Far from: threshold as a multiple of the mean largest horizontal extent."""
    far_min: float = 1.5
    """Far from: smallest threshold."""
    far_max: float = 3.0
    """Far from: largest threshold."""
    between_min_len: float = 0.5
    """Between: smallest anchor-to-anchor distance that is clearly two places."""
    rank_x_margin: float = 0.10
    """Leftmost/rightmost/ordinal: x separation that makes one centre clearly left of another."""
    distance_margin: float = 0.10
    """Closest/farthest/nearest to me: absolute distance margin."""
    distance_rel_margin: float = 0.15
    """Closest/farthest/nearest to me: margin as a fraction of the smaller distance."""
    height_margin: float = 0.03
    """Tallest: absolute height margin."""
    height_rel_margin: float = 0.15
    """Tallest: margin as a fraction of the smaller height."""
    volume_ratio: float = 1.4
    """Largest/smallest: volume ratio that is clearly bigger (unitless, > 1)."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not np.isfinite(value):
                raise LanguageConfigError(f"RelationConfig.{f.name}: expected a finite number, got {value!r}")
        pairs = [
            ("front_true", "front_false"), ("lateral_false", "lateral_true"), ("apart_true", "apart_false"),
            ("on_gap_false", "on_gap_true"),
            ("raise_true", "raise_false"), ("under_clearance_true", "under_clearance_false"),
            ("vertical_true", "vertical_false"), ("overlap_false", "overlap_true"),
            ("next_overlap_true", "next_overlap_false"), ("next_max", "next_min"), ("near_max", "near_min"),
            ("far_max", "far_min"),
        ]
        for hi, lo in pairs:
            if not getattr(self, hi) > getattr(self, lo):
                raise LanguageConfigError(
                    f"RelationConfig.{hi}: expected > {lo} ({getattr(self, lo)}), got {getattr(self, hi)}"
                )
        positive = ("lr_margin", "depth_margin", "footprint_margin", "next_band", "next_scale", "near_scale",
                    "far_scale", "next_z_true", "between_min_len", "rank_x_margin", "distance_margin",
                    "height_margin")
        for name in positive:
            if getattr(self, name) <= 0:
                raise LanguageConfigError(f"RelationConfig.{name}: expected > 0, got {getattr(self, name)}")
        for name in ("distance_rel_margin", "height_rel_margin"):
            if getattr(self, name) < 0:
                raise LanguageConfigError(f"RelationConfig.{name}: expected >= 0, got {getattr(self, name)}")
        if self.volume_ratio <= 1:
            raise LanguageConfigError(f"RelationConfig.volume_ratio: expected > 1, got {self.volume_ratio}")


def band(value: np.ndarray | float, true_at: np.ndarray | float, false_at: np.ndarray | float) -> np.ndarray:
    """Truth score of a one-sided condition: +1 at ``true_at``, -1 at ``false_at``, linear in between and beyond."""
    v, t, f = np.asarray(value, np.float64), np.asarray(true_at, np.float64), np.asarray(false_at, np.float64)
    return (2.0 * v - t - f) / (t - f)


def is_true(score: np.ndarray | float) -> np.ndarray:
    """Clearly true."""
    return np.asarray(score) >= 1.0


def is_false(score: np.ndarray | float) -> np.ndarray:
    """Clearly false."""
    return np.asarray(score) <= -1.0


class Relations:
    """Truth scores of every relation among the N boxes of one scene, computed once and cached.

    Pair scores are (N, N) with ``[i, j]`` = "i REL j"; the diagonal is -inf (nothing relates to itself).
    """

    def __init__(
        self, boxes: BoxSet, views: Mapping[str, ViewFrame], config: RelationConfig | None = None
    ) -> None:
        self.boxes = boxes
        self.views = dict(views)
        self.config = config or RelationConfig()
        self._cache: dict[tuple[str, str], np.ndarray] = {}
        n = len(boxes)
        self._fp_gap = footprint_gap(boxes) if n else np.zeros((0, 0))
        self._z_gap = vertical_gap(boxes) if n else np.zeros((0, 0))
        self._gap3 = box_gap(boxes) if n else np.zeros((0, 0))
        self.box_gap = self._gap3
        """(N, N) 3D distance between boxes, metres."""
        self._inside = inside_margin(boxes) if n else np.zeros((0, 0))
        extent = boxes.size[:, :2].max(1) if n else np.zeros(0)
        self._scale = (extent[:, None] + extent[None, :]) / 2  # (N, N) mean largest horizontal extent

    def view(self, name: str) -> ViewFrame:
        """The frame of view ``name``."""
        if name not in self.views:
            raise LanguageError(f"expected a view name in {sorted(self.views)}, got {name!r}")
        return self.views[name]

    def front(self, view: str) -> np.ndarray:
        """(N,) score of "in front of the viewer" of view ``view`` (centre depth)."""
        depth = self.view(view).to_view(self.boxes.center)[:, 1]
        return band(depth, self.config.front_true, self.config.front_false)

    def pair(self, kind: str, view: str | None = None) -> np.ndarray:
        """(N, N) scores of ``kind`` (one of PAIR_KINDS); view-dependent kinds need ``view``."""
        if kind not in PAIR_KINDS:
            raise LanguageError(f"expected a pair relation in {PAIR_KINDS}, got {kind!r}")
        if kind in VIEW_DEPENDENT_KINDS and view is None:
            raise LanguageError(f"relation {kind!r} is view-dependent: expected a view, got None")
        key = (kind, view if view is not None and kind in VIEW_DEPENDENT_KINDS else "")
        if key not in self._cache:
            score = self._view_pair(kind, view) if view is not None and kind in VIEW_DEPENDENT_KINDS \
                else self._world_pair(kind)
            np.fill_diagonal(score, -np.inf)
            self._cache[key] = score
        return self._cache[key]

    def _view_pair(self, kind: str, view: str) -> np.ndarray:
        c, frame = self.config, self.view(view)
        x_iv, d_iv = frame.footprint_intervals(self.boxes)  # (N, 2) each
        centre = frame.to_view(self.boxes.center)
        x, d = centre[:, 0], centre[:, 1]
        front = self.front(view)
        both = np.minimum(front[:, None], front[None, :])
        if kind == "left_of":
            s = band(x_iv[None, :, 0] - x[:, None], c.lr_margin, -c.lr_margin)
        elif kind == "right_of":
            s = band(x[:, None] - x_iv[None, :, 1], c.lr_margin, -c.lr_margin)
        else:
            lateral = np.maximum(x_iv[:, None, 0] - x_iv[None, :, 1], x_iv[None, :, 0] - x_iv[:, None, 1])
            in_line = np.minimum(band(lateral, c.lateral_true, c.lateral_false),
                                 band(self._fp_gap, c.apart_true, c.apart_false))
            if kind == "in_front_of":
                s = band(d_iv[None, :, 0] - d[:, None], c.depth_margin, -c.depth_margin)
            else:
                s = band(d[:, None] - d_iv[None, :, 1], c.depth_margin, -c.depth_margin)
            s = np.minimum(s, in_line)
        return np.minimum(s, both)

    def _world_pair(self, kind: str) -> np.ndarray:
        c, b = self.config, self.boxes
        zmin, zmax = b.zmin, b.zmax
        inside = band(self._inside, c.footprint_margin, -c.footprint_margin)
        raised = band(zmin[:, None] - zmin[None, :], c.raise_true, c.raise_false)
        if kind == "on":
            not_above_top = band(zmin[:, None] - zmax[None, :], c.on_gap_true, c.on_gap_false)
            return np.minimum(np.minimum(inside, not_above_top), raised)
        if kind == "under":
            clearance = zmax[None, :] - zmax[:, None]
            below_top = band(clearance, c.under_clearance_true, c.under_clearance_false)
            return np.minimum(np.minimum(inside, below_top), -raised)
        overlap = band(self._fp_gap, c.overlap_true, c.overlap_false)
        if kind == "above":
            return np.minimum(band(zmin[:, None] - zmax[None, :], c.vertical_true, c.vertical_false), overlap)
        if kind == "below":
            return np.minimum(band(zmin[None, :] - zmax[:, None], c.vertical_true, c.vertical_false), overlap)
        if kind == "next_to":
            t = np.clip(c.next_scale * self._scale, c.next_min, c.next_max)
            close = band(self._fp_gap, t, t + c.next_band)
            side_by_side = band(self._fp_gap, c.next_overlap_true, c.next_overlap_false)
            same_level = band(-self._z_gap, c.next_z_true, 0.0)
            return np.minimum(np.minimum(close, side_by_side), same_level)
        if kind == "near":
            t = np.clip(c.near_scale * self._scale, c.near_min, c.near_max)
            return band(self._gap3, t, 1.5 * t + 0.05)
        t = np.clip(c.far_scale * self._scale, c.far_min, c.far_max)  # far_from
        return band(self._gap3, t, 0.7 * t)

    def between(self) -> np.ndarray:
        """(N, N, N) scores of "i between j and k" (floor plane, centres); -inf where indices repeat."""
        key = ("between", "")
        if key not in self._cache:
            c = self.config
            p = self.boxes.center[:, :2]
            b = p[None, :, None, :]
            e = p[None, None, :, :]
            a = p[:, None, None, :]
            be = e - b  # (1, N, N, 2)
            length = np.linalg.norm(be, axis=-1)  # (1, N, N)
            safe = np.maximum(length, 1e-9)
            t = ((a - b) * be).sum(-1) / safe**2  # (N, N, N)
            perp = np.abs(be[..., 0] * (a - b)[..., 1] - be[..., 1] * (a - b)[..., 0]) / safe
            pthr = np.clip(0.2 * length, 0.1, 0.4)
            s = np.minimum.reduce([
                np.broadcast_to(band(length, c.between_min_len, c.between_min_len - 0.1), t.shape),
                band(t, 0.2, 0.05),
                band(t, 0.8, 0.95),
                band(perp, pthr, pthr + 0.15),
            ])
            n = len(self.boxes)
            idx = np.arange(n)
            s = s.copy()
            s[idx, idx, :] = -np.inf
            s[idx, :, idx] = -np.inf
            s[:, idx, idx] = -np.inf
            self._cache[key] = s
        return self._cache[key]

    def rank(
        self,
        kind: str,
        members: np.ndarray,
        view: str | None = None,
        anchor: int | None = None,
        k: int = 1,
        side: str = "left",
    ) -> np.ndarray:
        """(M,) scores (+1 / 0 / -1) of "member is the ``kind`` one (the k-th for ordinals)" among ``members``.

        ``members`` are M object indices. ``anchor`` is the object index for closest_to / farthest_from
        (it must not be a member); ``side`` ("left" or "right") and ``k`` (1-based) are for ordinals.
        View-dependent kinds rank only the members clearly in front of the viewer; if any member is
        borderline in depth, all are borderline.
        """
        if kind in ("closest_to", "farthest_from"):
            if anchor is None:
                raise LanguageError(f"ranking {kind!r} expected an anchor index, got None")
            lo, hi = self.anchored_bounds(kind, members, np.array([anchor]))
            return rank_scores(lo[0], hi[0], 1)
        lo, hi = self.rank_bounds(kind, members, view, side)
        return rank_scores(lo, hi, k if kind == ORDINAL_KIND else 1)

    def rank_bounds(
        self, kind: str, members: np.ndarray, view: str | None = None, side: str = "left"
    ) -> tuple[np.ndarray, np.ndarray]:
        """(M,) lowest and highest rank (1-based) each member can hold given the comparisons that clear
        their margins; 0 and 0 for members out of the ranking (behind the viewer). See ``rank``."""
        c, b = self.config, self.boxes
        members = np.asarray(members, dtype=np.int64)
        lo, hi = np.zeros(len(members), np.int64), np.zeros(len(members), np.int64)
        active = np.ones(len(members), dtype=bool)
        if kind in VIEW_DEPENDENT_KINDS:
            if view is None:
                raise LanguageError(f"ranking {kind!r} is view-dependent: expected a view, got None")
            front = self.front(view)[members]
            if (~is_true(front) & ~is_false(front)).any():
                # Bounds no rank can meet or miss: every member borderline for every k.
                return np.ones(len(members), np.int64), np.full(len(members), len(members) + 1, np.int64)
            active = is_true(front)
        idx = members[active]
        if kind in ("leftmost", "rightmost", ORDINAL_KIND):
            assert view is not None
            x = self.view(view).to_view(b.center[idx])[:, 0]
            values = -x if (kind == "rightmost" or (kind == ORDINAL_KIND and side == "right")) else x
            less = values[:, None] < values[None, :] - c.rank_x_margin
        elif kind == "nearest_to_viewer":
            assert view is not None
            less = self._closer(np.linalg.norm(b.center[idx] - self.view(view).origin, axis=1))
        elif kind == "tallest":
            h = b.size[idx, 2]
            margin = np.maximum(c.height_margin, c.height_rel_margin * np.minimum(h[:, None], h[None, :]))
            less = h[:, None] > h[None, :] + margin  # "ranks before" = clearly taller
        elif kind in ("largest", "smallest"):
            logv = np.log(np.prod(b.size[idx], axis=1))
            values = -logv if kind == "largest" else logv
            less = values[:, None] < values[None, :] - np.log(c.volume_ratio)
        else:
            raise LanguageError(f"expected a ranking kind, got {kind!r}")
        lo[active] = 1 + less.sum(0)  # members clearly ranked before each one
        hi[active] = len(idx) - less.sum(1)  # minus members clearly ranked after it
        return lo, hi

    def anchored_bounds(
        self, kind: str, members: np.ndarray, anchors: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(A, M) rank bounds of closest_to / farthest_from for each of A anchors at once (3D centre
        distance); a member that is the anchor itself is out of that anchor's ranking (0, 0)."""
        b = self.boxes
        members, anchors = np.asarray(members, np.int64), np.asarray(anchors, np.int64)
        dist = np.linalg.norm(b.center[members][None] - b.center[anchors][:, None], axis=-1)  # (A, M)
        valid = members[None, :] != anchors[:, None]  # (A, M)
        less = self._closer(dist) & valid[:, :, None] & valid[:, None, :]  # (A, M, M)
        if kind == "farthest_from":
            less = np.swapaxes(less, -1, -2)
        elif kind != "closest_to":
            raise LanguageError(f"expected closest_to or farthest_from, got {kind!r}")
        lo = np.where(valid, 1 + less.sum(1), 0)
        hi = np.where(valid, valid.sum(1, keepdims=True) - less.sum(2), 0)
        return lo, hi

    def _closer(self, dist: np.ndarray) -> np.ndarray:
        """(..., M, M) whether distance i is clearly smaller than distance j, from (..., M) distances."""
        c = self.config
        a, b = dist[..., :, None], dist[..., None, :]
        return a < b - np.maximum(c.distance_margin, c.distance_rel_margin * np.minimum(a, b))


def rank_scores(lo: np.ndarray, hi: np.ndarray, k: int) -> np.ndarray:
    """Scores of "is the k-th": +1 where the bounds pin the rank to k, -1 where k is outside them, else 0."""
    return np.where((lo == k) & (hi == k), 1.0, np.where((k < lo) | (k > hi), -1.0, 0.0))
