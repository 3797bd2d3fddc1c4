"""Region-incremental proposals for a growing map: only where the map changed is cut again.

A robot's fused map grows where its camera looks, and most of it is the same from one update to the next, yet a
whole-map extraction costs time in proportion to the whole map (0.3-0.4 s for a 262k-point room:
``ground3d bench --only map_proposals``). ``IncrementalExtractor`` keeps the last result's downsampled points and
their proposal labels. On the next map it finds the floor cells (``cell_size`` squares in x, y) whose point count
changed and the proposals with points in them, and cuts again, with ``extract_proposals``, the map's points over
those cells and proposals and a margin around them: full height, so that the floor and the supports under an object
come with it, but without the unchanged proposals and walls of the last result, which stay as they were (a wall's
strip is too narrow to be found as a plane again). A proposal cut short by the region's border makes the region
take in the cells it reached and be cut again. Every ``full_every``-th call, when the region holds most of the map,
or when the growing gives up, the whole map is extracted instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from perception.geometry.errors import GeometryConfigError
from perception.geometry.planes import VERTICAL, SupportPlane
from perception.geometry.preprocess import PreprocessedCloud, crop_mask
from perception.geometry.proposals import GeometryConfig, GeometryResult, describe_clusters, extract_proposals
from perception.geometry.voxel import voxel_keys
from perception.point_cloud import PointCloud
from perception.proposal import ObjectProposal

_HALF = 1 << 30
"""Offset that makes signed cell coordinates non-negative before two of them pack into one int64."""
_NEIGHBOURS = np.array([(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy], dtype=np.int64)
"""(8, 2) offsets of a cell's 8-neighbourhood."""


@dataclass
class IncrementalConfig:
    """When and where a growing map's proposals are cut again."""

    enabled: bool = True
    """Cut only the changed region; False extracts the whole map every time."""
    cell_size: float = 0.25
    """Edge of a change-detection cell in x, y, metres (rounded to whole downsampling voxels)."""
    min_change: float = 0.1
    """A cell changed when its point count moved by more than this fraction of its last count..."""
    min_points: int = 10
    """...and by more than this many points (depth noise moves a few points of a re-observed surface)."""
    margin_cells: int = 1
    """Cells added around the changed cells and the proposals reaching into them."""
    border_share: float = 0.05
    """A proposal cut from the region with more than this share of its downsampled points in the region's
    border cells (those next to cells outside) may go on outside; more than half there, it is a piece of
    something outside and is dropped, else the region takes in the cells it reached and is cut again."""
    max_growths: int = 2
    """Times a region grows so; a proposal still cut short after them makes the call extract the whole map."""
    full_every: int = 10
    """Every n-th call extracts the whole map (its support planes come from these calls)."""
    max_region_fraction: float = 0.5
    """When more than this fraction of the map's points are to be cut again, the whole map is extracted."""

    def __post_init__(self) -> None:
        if self.cell_size <= 0 or self.min_change < 0 or self.min_points < 0 or self.margin_cells < 1:
            raise GeometryConfigError(
                "IncrementalConfig: expected cell_size > 0, min_change >= 0, min_points >= 0 and margin_cells >= 1, "
                f"got {self.cell_size}, {self.min_change}, {self.min_points}, {self.margin_cells}"
            )
        if self.max_growths < 0 or not 0.0 <= self.border_share < 0.5:
            raise GeometryConfigError(
                "IncrementalConfig: expected max_growths >= 0 and border_share in [0, 0.5), "
                f"got {self.max_growths}, {self.border_share}"
            )
        if self.full_every < 1 or not 0.0 < self.max_region_fraction <= 1.0:
            raise GeometryConfigError(
                "IncrementalConfig: expected full_every >= 1 and max_region_fraction in (0, 1], "
                f"got {self.full_every}, {self.max_region_fraction}"
            )


@dataclass
class _State:
    """What the last call left: its downsampled cloud and labels, and the map's cell counts then."""

    pre: PreprocessedCloud
    labels: np.ndarray
    """(V,) int64 proposal row of each downsampled point, -1 for none."""
    cells: np.ndarray
    """(C,) sorted int64 packed cells of the map."""
    counts: np.ndarray
    """(C,) int64 map points in each cell."""
    planes: list[SupportPlane]
    yaws: np.ndarray
    """(P,) float64 oriented-box yaw of each proposal, radians: an unchanged proposal keeps its downsampled
    points, so its yaw is not searched again."""


class IncrementalExtractor:
    """``extract_proposals`` for successive versions of one growing map (a SceneMap's cloud, world frame)."""

    def __init__(self, geometry: GeometryConfig | None = None, config: IncrementalConfig | None = None) -> None:
        self.geometry = geometry or GeometryConfig()
        self.config = config or IncrementalConfig()
        self.num_full = 0
        """Calls that extracted the whole map."""
        self.num_regional = 0
        """Calls that cut a region only (or nothing, when the map had not changed)."""
        self.region_fraction = 1.0
        """Fraction of the map's points the last call cut again (1 for a whole-map extraction)."""
        self._state: _State | None = None
        self._calls = 0

    def reset(self) -> None:
        """Forget the last result: the next call extracts the whole map."""
        self._state = None
        self._calls = 0

    def extract(self, cloud: PointCloud) -> GeometryResult:
        """Proposals of ``cloud`` (N, z up), the map as it is now. Proposals are numbered in a deterministic
        order; their indices are rows of ``cloud``. The support planes are those of the last whole-map call."""
        self._calls += 1
        voxel = self.geometry.preprocess.voxel
        incremental = self.config.enabled and voxel.enabled and self._state is not None
        if not incremental or (self._calls - 1) % self.config.full_every == 0:
            return self._full(cloud)
        assert self._state is not None
        size, span = voxel.voxel_size, self._span()
        point_cell = _cells(cloud.xyz, size, span)  # (N,)
        cells, counts = np.unique(point_cell, return_counts=True)
        changed = _changed_cells(cells, counts, self._state, self.config)
        state = self._state
        old_cell = _cells(state.pre.points, size, span)  # (V,)
        region, affected = _region(changed, old_cell, state.labels, self.config.margin_cells)
        valid = cloud.finite_mask()
        if self.geometry.preprocess.crop.enabled:
            valid &= crop_mask(cloud.xyz, self.geometry.preprocess.crop)
        valid_rows = np.flatnonzero(valid)
        valid_keys = voxel_keys(cloud.xyz, size, valid_rows)  # (Q,) the same for every growth of the region
        cut, cut_rows = None, np.empty(0, dtype=np.int64)
        for _ in range(self.config.max_growths + 1):
            # Kept: what lies outside the region, and the proposals inside it that did not change (a chair in
            # the margin of a changed one stays as it was, and is not cut again with it).
            keep_old = ~_within(old_cell, region) | ((state.labels >= 0) & ~np.isin(state.labels, affected))  # (V,)
            pre = _kept(state.pre, keep_old)
            labels = state.labels[keep_old]
            pre.point_to_voxel = _lookup(pre.points, valid_keys, valid_rows, len(cloud), size)
            rows = np.flatnonzero(_within(point_cell, region) & (pre.point_to_voxel < 0))  # map points to cut again
            rows = rows[~_on_walls(cloud.xyz[rows], state.planes, 2.0 * self.geometry.planes.distance_threshold)]
            if rows.size > self.config.max_region_fraction * valid_rows.size:
                return self._full(cloud, (cells, counts))
            if rows.size == 0:
                return self._regional(cloud, pre, labels, cells, counts, rows, len(pre))
            if cut is None or not np.array_equal(rows, cut_rows):
                cut, cut_rows = extract_proposals(cloud.select(rows), self.geometry), rows
                cut_cell = _cells(cut.cloud.points, size, span)
                cut_labels, short = _border_pieces(cut.point_label, cut_cell, region, self.config.border_share)
            else:  # the cells taken in held nothing more to cut: what reaches the border ends there
                short = short[:0]
            if short.size == 0:
                mapped = cut.cloud.point_to_voxel >= 0
                pre.point_to_voxel[rows[mapped]] = cut.cloud.point_to_voxel[mapped] + len(pre)
                offset = int(labels.max(initial=-1)) + 1
                labels = np.concatenate([labels, np.where(cut_labels >= 0, cut_labels + offset, -1)])
                return self._regional(cloud, _stacked(pre, cut.cloud), labels, cells, counts, rows, len(pre),
                                      _yaws(cut.proposals))
            # A proposal was cut short by the region's border: take in the cells it reached and cut again.
            region = np.union1d(region, _grown(np.unique(cut_cell[np.isin(cut.point_label, short)]),
                                               self.config.margin_cells))
        return self._full(cloud, (cells, counts))

    def _regional(self, cloud: PointCloud, pre: PreprocessedCloud, labels: np.ndarray, cells: np.ndarray,
                  counts: np.ndarray, rows: np.ndarray, num_kept: int,
                  cut_yaws: np.ndarray | None = None) -> GeometryResult:
        """The result from the kept rows (the first ``num_kept`` of ``pre``, labelled with their old proposal
        rows) and the newly cut ones after them, labelled past the kept ones with the rows of the cut's
        proposals, whose yaws are ``cut_yaws`` (the same outlines: no rectangle search again)."""
        assert self._state is not None
        known = np.full(int(labels.max(initial=-1)) + 1, np.nan)  # (K,) yaw of each proposal already boxed
        kept = np.unique(labels[:num_kept][labels[:num_kept] >= 0])
        known[kept] = self._state.yaws[kept]
        if cut_yaws is not None:
            first = int(labels[:num_kept].max(initial=-1)) + 1  # the cut's labels start here
            new = np.unique(labels[num_kept:][labels[num_kept:] >= 0])
            known[new] = cut_yaws[new - first]
        proposals, labels = describe_clusters(cloud, pre, labels, self.geometry.proposals, known)
        self.num_regional += 1
        self.region_fraction = rows.size / max(len(cloud), 1)
        planes = self._state.planes
        self._state = _State(pre, labels, cells, counts, planes, _yaws(proposals))
        return GeometryResult(proposals=proposals, planes=planes, cloud=pre, point_label=labels)

    def _full(self, cloud: PointCloud, census: tuple[np.ndarray, np.ndarray] | None = None) -> GeometryResult:
        """A whole-map extraction; ``census``: the map's cells and their counts, when already counted."""
        result = extract_proposals(cloud, self.geometry)
        self.num_full += 1
        self.region_fraction = 1.0
        if self.geometry.preprocess.voxel.enabled:
            if census is None:
                census = np.unique(_cells(cloud.xyz, self.geometry.preprocess.voxel.voxel_size, self._span()),
                                   return_counts=True)
            self._state = _State(result.cloud, result.point_label, census[0], census[1], result.planes,
                                 _yaws(result.proposals))
        return result

    def _span(self) -> int:
        """Downsampling voxels per cell side: cells are whole voxels, so a voxel lies in one cell."""
        return max(1, round(self.config.cell_size / self.geometry.preprocess.voxel.voxel_size))


def _yaws(proposals: list[ObjectProposal]) -> np.ndarray:
    return np.array([p.obb.yaw for p in proposals], dtype=np.float64)


def _cells(points: np.ndarray, voxel_size: float, span: int) -> np.ndarray:
    """(N,) int64 packed x, y cell of points (N, 3): ``span`` voxels of ``voxel_size`` a side, so that a voxel's
    points and its centroid share a cell."""
    xy = np.floor_divide(np.floor(points[:, :2] / voxel_size).astype(np.int64), span)  # (N, 2)
    return _pack(xy)


def _pack(xy: np.ndarray) -> np.ndarray:
    return ((xy[:, 0] + _HALF) << 32) | (xy[:, 1] + _HALF)


def _unpack(keys: np.ndarray) -> np.ndarray:
    return np.stack([(keys >> 32) - _HALF, (keys & 0xFFFFFFFF) - _HALF], axis=1)  # (C, 2)


def _within(keys: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """(N,) bool: which ``keys`` (N,) are in ``sorted_set`` (S,), sorted and unique. A binary search of the
    small set: ``np.isin`` sorts the (N,) map-sized keys on every call."""
    if sorted_set.size == 0:
        return np.zeros(keys.shape[0], dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, keys), sorted_set.size - 1)
    return np.asarray(sorted_set[at] == keys)


def _grown(keys: np.ndarray, steps: int) -> np.ndarray:
    """Sorted unique cells within ``steps`` cells (Chebyshev) of ``keys``."""
    xy = _unpack(keys)
    offsets = np.arange(-steps, steps + 1)
    shifts = np.stack(np.meshgrid(offsets, offsets, indexing="ij"), axis=-1).reshape(-1, 2)  # (S, 2)
    return np.unique(_pack((xy[:, None, :] + shifts[None]).reshape(-1, 2)))


def _changed_cells(cells: np.ndarray, counts: np.ndarray, state: _State, config: IncrementalConfig) -> np.ndarray:
    """Cells whose count moved by more than ``min_change`` of the old count and ``min_points``, including
    cells that appeared or emptied."""
    union = np.union1d(cells, state.cells)
    now = np.zeros(union.size, dtype=np.int64)
    before = np.zeros(union.size, dtype=np.int64)
    now[np.searchsorted(union, cells)] = counts
    before[np.searchsorted(union, state.cells)] = state.counts
    delta = np.abs(now - before)
    return union[(delta > config.min_points) & (delta > config.min_change * before)]


def _region(
    changed: np.ndarray, point_cell: np.ndarray, labels: np.ndarray, margin: int
) -> tuple[np.ndarray, np.ndarray]:
    """The proposals with a downsampled point (cells ``point_cell`` (V,), proposal ``labels`` (V,)) in a
    changed cell, and the region to cut again: the changed cells and those proposals' cells, grown by
    ``margin``."""
    affected = np.unique(labels[(labels >= 0) & _within(point_cell, changed)])
    core = np.union1d(changed, point_cell[np.isin(labels, affected)])
    return (_grown(core, margin) if core.size else core), affected


def _on_walls(points: np.ndarray, planes: list[SupportPlane], band: float) -> np.ndarray:
    """(M,) bool points (M, 3) within ``band`` metres of a wall patch of ``planes`` and over its footprint.
    A region's strip of a wall is too narrow to be found as a plane again, and would be cut as an object."""
    on = np.zeros(points.shape[0], dtype=bool)
    for plane in planes:
        if plane.kind == VERTICAL:
            near = np.flatnonzero(~on & (np.abs(plane.signed_distance(points)) <= band))
            on[near[plane.covers(points[near])]] = True
    return on


def _border_pieces(
    labels: np.ndarray, point_cell: np.ndarray, region: np.ndarray, share: float
) -> tuple[np.ndarray, np.ndarray]:
    """Proposals cut from the region (downsampled ``labels`` (V,), cells ``point_cell`` (V,)) against its
    border cells, those with a neighbour outside. A proposal with more than half its points in the border is
    a piece of something outside that was no proposal before: its label becomes -1 in the returned copy. Also
    returned: the labels of the proposals with more than ``share`` but at most half of their points there,
    which reach out of the region and were cut short."""
    xy = _unpack(region)
    neighbours = _pack((xy[:, None, :] + _NEIGHBOURS[None]).reshape(-1, 2)).reshape(-1, 8)  # (R, 8)
    border = region[~np.isin(neighbours, region).all(axis=1)]
    member = labels >= 0
    num = np.bincount(labels[member])
    on_border = np.bincount(labels[member & np.isin(point_cell, border)], minlength=num.size) / np.maximum(num, 1)
    outside = np.flatnonzero(on_border > 0.5)
    kept = np.where(np.isin(labels, outside), -1, labels)
    return kept, np.flatnonzero((on_border > share) & (on_border <= 0.5))


def _kept(pre: PreprocessedCloud, keep: np.ndarray) -> PreprocessedCloud:
    """The rows ``keep`` (V,) of a downsampled cloud, without its input map (rebuilt for the new map)."""
    return PreprocessedCloud(
        points=pre.points[keep],
        colors=pre.colors[keep],
        normals=None if pre.normals is None else pre.normals[keep],
        point_to_voxel=np.empty(0, dtype=np.int32),
    )


def _lookup(points: np.ndarray, query_keys: np.ndarray, rows: np.ndarray, n: int, voxel_size: float) -> np.ndarray:
    """(n,) int32 row of ``points`` (V, 3), downsampled voxel centroids, holding each input point of voxel key
    ``query_keys`` (Q,) (``voxel_keys``) and input row ``rows`` (Q,); -1 where its voxel is not among them
    (and for the other rows)."""
    point_to_voxel = np.full(n, -1, dtype=np.int32)
    if points.shape[0] == 0 or rows.size == 0:
        return point_to_voxel
    keys = voxel_keys(points, voxel_size)
    order = np.argsort(keys)
    sorted_keys = keys[order]
    at = np.minimum(np.searchsorted(sorted_keys, query_keys), sorted_keys.size - 1)
    hit = sorted_keys[at] == query_keys
    point_to_voxel[rows[hit]] = order[at[hit]]
    return point_to_voxel


def _stacked(old: PreprocessedCloud, new: PreprocessedCloud) -> PreprocessedCloud:
    """``old``'s rows then ``new``'s (the input map is ``old``'s, already filled in for both)."""
    normals = None
    if old.normals is not None and new.normals is not None:
        normals = np.concatenate([old.normals, new.normals])
    return PreprocessedCloud(
        points=np.concatenate([old.points, new.points]),
        colors=np.concatenate([old.colors, new.colors]),
        normals=normals,
        point_to_voxel=old.point_to_voxel,
    )
