"""Euclidean / DBSCAN clustering of points into object candidates, cut at colour edges.

DBSCAN runs on one list of neighbour pairs (scipy's cKDTree) rather than open3d's ``cluster_dbscan``: the
colour split needs the same pairs, so one search serves both where open3d's DBSCAN and the split each
searched. The labels are open3d's (the tests compare them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from perception.geometry.errors import GeometryConfigError

DARK_SUM = 90.0
"""Below this sum of r, g and b (0-255 each) a colour's chromaticity is mostly sensor noise."""
_NESTED_VOLUME_RATIO = 0.05
"""Two nested parts are one object only when the smaller's box holds at least this fraction of the larger's
volume."""


@dataclass
class ClusterConfig:
    """DBSCAN parameters; ``min_points`` 1 turns it into plain Euclidean clustering."""

    enabled: bool = True
    """Run this step; when off no proposal is made."""
    eps: float = 0.045
    """Neighbour distance in metres that links two points into one cluster."""
    min_points: int = 3
    """Neighbours within ``eps`` for a point to be a core point."""
    min_cluster_size: int = 15
    """Smallest cluster kept, in downsampled points."""
    max_chroma_step: float = 0.08
    """When > 0, two neighbours whose chromaticities differ by more than this are not linked, so touching
    objects of different colours come apart (see ``split_by_color``); 0 turns the split off."""

    def __post_init__(self) -> None:
        if self.eps <= 0:
            raise GeometryConfigError(f"ClusterConfig.eps: expected > 0, got {self.eps}")
        if self.min_points < 1 or self.min_cluster_size < 1:
            raise GeometryConfigError(
                f"ClusterConfig: expected min_points, min_cluster_size >= 1, got "
                f"{self.min_points}, {self.min_cluster_size}"
            )


def cluster_points(
    points: np.ndarray, config: ClusterConfig | None = None, colors: np.ndarray | None = None
) -> np.ndarray:
    """(V,) int64 cluster label of each point (V, 3), -1 for noise and clusters below the minimum size.
    With ``colors`` (V, 3) uint8 and ``max_chroma_step`` > 0, clusters are also cut at colour edges.

    Labels are renumbered 0..K-1 in the order of each cluster's first point, so equal input gives equal output.
    """
    config = config or ClusterConfig()
    num = points.shape[0]
    if not config.enabled or num == 0:
        return np.full(num, -1, dtype=np.int64)
    i, j = neighbour_pairs(points, config.eps)
    labels = dbscan(i, j, num, config.min_points)
    if colors is None or config.max_chroma_step <= 0:
        return relabel(labels, config.min_cluster_size)
    mixed = color_mixed_rows(colors, labels, config.max_chroma_step, config.min_cluster_size)
    # The split needs only the pairs among those rows: rebinding frees the others before it builds its graph,
    # which would otherwise be a frame's peak of memory.
    i, j = pairs_among(i, j, mixed, num)
    return split_by_color(points, colors, labels, mixed, (i, j), config.eps, config.max_chroma_step,
                          config.min_cluster_size)


def neighbour_pairs(points: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Rows i < j (P,) int32 each of every pair of points (V, 3) at most ``radius`` metres apart."""
    found = cKDTree(points, balanced_tree=False, compact_nodes=False).query_pairs(radius, output_type="ndarray")
    i, j = found[:, 0].astype(np.int32), found[:, 1].astype(np.int32)
    del found  # (P, 2) int64: twice the pairs' size, freed before the caller goes on
    return i, j


def pairs_among(i: np.ndarray, j: np.ndarray, rows: np.ndarray, num: int) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (i, j) (P,) of rows of ``num`` points whose both ends are among ``rows`` (M,), as indices into
    ``rows`` (int32 each)."""
    local = np.full(num, -1, dtype=np.int32)  # (num,) index in ``rows``, -1 elsewhere
    local[rows] = np.arange(rows.size, dtype=np.int32)
    i = local[i]
    keep = i >= 0
    j = local[j]
    keep &= j >= 0
    return i[keep], j[keep]


def dbscan(i: np.ndarray, j: np.ndarray, num: int, min_points: int) -> np.ndarray:
    """(num,) int64 DBSCAN cluster of each of ``num`` points given their neighbour pairs (i, j) (P,) each,
    -1 for noise: the labels of open3d's ``cluster_dbscan``, numbered from 0 in the order of each cluster's
    lowest core point (labels may skip numbers).

    A point is core when it has at least ``min_points`` neighbours counting itself, as open3d's radius search
    counts it. Core points linked by pairs form the clusters; a border point (not core, next to a core point)
    joins the lowest-numbered cluster it touches, which is the one open3d's scan in row order reaches first.
    """
    degree = np.bincount(i, minlength=num) + np.bincount(j, minlength=num)  # (num,)
    core = degree + 1 >= min_points
    linked = core[i] & core[j]
    # (num,) by lowest node: lowest core point first. All pairs linked is the usual case: no copy of them.
    component = _components(i, j, num) if linked.all() else _components(i[linked], j[linked], num)
    del linked
    labels = np.where(core, component, -1)
    if core.all():  # no border point to place
        return labels
    to_j, to_i = core[i] & ~core[j], core[j] & ~core[i]  # pairs from a core point to a border point
    if to_j.any() or to_i.any():
        border = np.concatenate([j[to_j], i[to_i]])  # (B,)
        reached = np.concatenate([component[i[to_j]], component[j[to_i]]])  # (B,)
        first = np.full(num, num, dtype=np.int64)
        np.minimum.at(first, border, reached)
        labels[border] = first[border]
    return labels


def chromaticity(colors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chromaticity rgb / (r + g + b) (V, 3) float32 of colours (V, 3) uint8, which shading does not change,
    and the sums r + g + b (V,) float32; below ``DARK_SUM`` a chromaticity is mostly sensor noise."""
    rgb = colors.astype(np.float32)  # (V, 3)
    total = rgb.sum(axis=1)  # (V,)
    return rgb / np.maximum(total, 1.0)[:, None], total


def color_mixed_rows(colors: np.ndarray, labels: np.ndarray, max_step: float, min_size: int) -> np.ndarray:
    """(M,) rows of the clusters of ``labels`` (V,) whose colours (V, 3) uint8 may hold an edge to cut.

    A cluster too small to keep is dropped whole anyway, and one whose bright chromaticities lie in a box no
    wider than ``max_step`` (a LiDAR cloud's grey, most single objects) has no edge: both skip the split's
    graph, which is most of its cost."""
    num = int(labels.max(initial=-1)) + 1
    clustered = np.flatnonzero(labels >= 0)
    chroma, total = chromaticity(colors[clustered])  # (C, 3), (C,)
    bright = total >= DARK_SUM
    lo, hi = group_bounds(chroma[bright], labels[clustered[bright]], num)  # (num, 3) each
    spread = np.linalg.norm(np.where(hi >= lo, hi - lo, 0.0), axis=1)  # (num,) 0 with no bright point
    cuttable = (spread > max_step) & (np.bincount(labels[clustered], minlength=num) >= min_size)
    return clustered[cuttable[labels[clustered]]]


def split_by_color(
    points: np.ndarray,
    colors: np.ndarray,
    labels: np.ndarray,
    mixed: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray],
    radius: float,
    max_step: float,
    min_size: int,
) -> np.ndarray:
    """(V,) int64 labels: the clusters of ``labels`` with rows ``mixed`` (M,) (``color_mixed_rows``) cut where
    neighbouring colours jump.

    Neighbours (``pairs`` (P,) indices into ``mixed`` each, points (V, 3) within ``radius`` metres) in the
    same cluster stay linked when their chromaticities (rgb / (r + g + b), which shading does not change)
    differ by at most ``max_step``, or when either is too dark to tell (r + g + b below ``DARK_SUM``). Two
    parts of one cluster then join again when their mean colours are within a step (one object's pieces that
    only a band of blended colour kept apart), or when each holds the other's horizontal centre: one object's
    parts of another colour (a plant's foliage over its pot, a book's pages between its covers) are nested
    so, two objects standing side by side are not. Parts are renumbered like ``relabel``; noise (-1) stays
    noise.
    """
    out = labels.copy()
    if mixed.size == 0:
        return relabel(out, min_size)
    chroma, total = chromaticity(colors[mixed])  # (M, 3), (M,)
    cluster = labels[mixed]  # (M,)
    part = _color_parts(chroma, total, cluster, pairs[0], pairs[1], max_step)
    part = _join_parts(points[mixed], chroma, total >= DARK_SUM, part, cluster, max_step, radius)
    out[mixed] = int(labels.max()) + 1 + part  # parts take labels past every uncut cluster's
    return relabel(out, min_size)


def _color_parts(
    chroma: np.ndarray, total: np.ndarray, cluster: np.ndarray, i: np.ndarray, j: np.ndarray, max_step: float
) -> np.ndarray:
    """(R,) int64 part index of each of R points in clusters ``cluster`` (R,): the connected parts of the graph
    of their neighbour pairs (i, j) (P,) int32 each that lie in one cluster and whose chromaticities (R, 3)
    differ by at most ``max_step`` or whose r + g + b sums ``total`` (R,) fall below ``DARK_SUM`` for either."""
    # One channel at a time, and the tests on per-point flags and int32 ids: the (P, 3) chromaticity
    # differences of all pairs at once were the largest peak of memory in a frame's proposal step.
    dist2 = np.zeros(i.size, dtype=np.float32)  # (P,) squared chromaticity distance
    for channel in chroma.T:  # (R,) each
        step = channel[i] - channel[j]
        step *= step
        dist2 += step
    del step
    dark = total < DARK_SUM  # (R,)
    same = cluster.astype(np.int32)  # (R,) DBSCAN labels: far fewer than 2**31
    in_cluster = same[i] == same[j]  # DBSCAN's border points can lie within reach of another cluster
    # Bright neighbours link by colour and dark ones to each other. A dark point is no bridge between two
    # colours (a shadowed shelf edge between a red book and the green shelf): each dark part joins the one
    # bright part it borders most (a laptop's black screen, its lid).
    mixed = in_cluster & (dark[i] != dark[j])
    linked = in_cluster & (dark[i] == dark[j]) & ((dist2 <= np.float32(max_step) ** 2) | dark[i])
    del dist2, in_cluster
    part = _components(i[linked], j[linked], cluster.shape[0])
    del linked
    shade, lit = np.where(dark[i], i, j)[mixed], np.where(dark[i], j, i)[mixed]  # (M,) each
    return _attach_dark_parts(part, part[shade], part[lit])


def _attach_dark_parts(part: np.ndarray, shade: np.ndarray, lit: np.ndarray) -> np.ndarray:
    """(R,) parts renumbered after each dark part joins the bright part it shares most neighbour pairs with.

    ``part`` (R,) part index 0..K-1; ``shade`` and ``lit`` (M,) the dark and the bright part of each
    neighbour pair across a dark / bright border. A dark part with no bright neighbour stays as it is."""
    num = int(part.max(initial=-1)) + 1
    if shade.size == 0:
        return part
    pairs, count = np.unique(shade.astype(np.int64) * num + lit, return_counts=True)  # (U,) each
    order = np.lexsort((-count, pairs // num))  # by dark part, the most shared first
    first = np.unique(pairs[order] // num, return_index=True)[1]
    best = pairs[order][first]
    target = np.arange(num)
    target[best // num] = best % num  # dark parts link only to bright ones, so one step reaches a root
    return np.unique(target[part], return_inverse=True)[1].astype(np.int64)


def _components(i: np.ndarray, j: np.ndarray, num: int) -> np.ndarray:
    """(num,) connected-component index 0..K-1 of each node of the undirected graph with integer edges
    (i[e], j[e]) (E,) each; components are numbered by their lowest node, as scipy's ``connected_components`` does.

    Union-find by hooking each edge's larger root under its smaller one, then pointer jumping, until no edge
    joins two roots. scipy's undirected search copies the graph to float64 and builds its transpose; on the
    colour split's largest graph that was the peak of memory of a frame's proposal step. This holds only each
    round's root arrays, at about twice scipy's time (a few ms a frame).
    """
    parent = np.arange(num, dtype=np.int32)  # (num,) fully compressed: every node points at its root
    while i.size:
        root_i, hi = parent[i], parent[j]  # (E,) each edge's two roots
        del i, j
        lo = np.minimum(root_i, hi)
        np.maximum(root_i, hi, out=hi)
        del root_i
        cross = lo != hi  # edges still joining two components
        lo, hi = lo[cross], hi[cross]
        del cross
        np.minimum.at(parent, hi, lo)
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
        i, j = lo, hi  # what is left to join, on the roots
    return np.unique(parent, return_inverse=True)[1].astype(np.int64)


def _join_parts(
    points: np.ndarray,
    chroma: np.ndarray,
    bright: np.ndarray,
    part: np.ndarray,
    cluster: np.ndarray,
    max_step: float,
    radius: float,
) -> np.ndarray:
    """(R,) labels where the parts of one cluster that share a colour or are nested are one part.

    ``points`` (R, 3), ``chroma`` (R, 3) chromaticities, ``bright`` (R,) whether a point's colour counts,
    ``part`` (R,) labels 0..K-1 of the same points, each part within one of the ``cluster`` (R,) labels. Two
    parts of a cluster join when the mean chromaticities of their bright points differ by at most
    ``max_step`` and their boxes lie within two ``radius`` of each other (a band of blended colour between
    them, not the other end of a density cluster that runs through a room), or when each holds the other's
    horizontal centre.
    """
    num = int(part.max()) + 1
    part_cluster = np.zeros(num, dtype=np.int64)
    part_cluster[part] = cluster  # (K,)
    a, b = _pairs_within(part_cluster)  # (E,) each: every ordered pair of parts of one cluster
    lo, hi = group_bounds(points, part, num)  # (K, 3) each
    near = (np.maximum(lo[a] - hi[b], lo[b] - hi[a]) <= 2 * radius).all(-1)  # (E,) boxes at most 2 radii apart
    volume = np.prod(np.maximum(hi - lo, radius), axis=1)  # (K,)
    lo, hi = lo[:, :2], hi[:, :2]
    centre = (lo + hi) / 2  # (K, 2)
    nested = ((centre[a] >= lo[b]) & (centre[a] <= hi[b]) & (centre[b] >= lo[a]) & (centre[b] <= hi[a])).all(-1)
    # Parts of one object are of a size (a pot and its foliage, covers and pages); a book on a shelf board,
    # in the middle of the shelf and as deep as the board, also holds the shelf's centre, at a hundredth of
    # its volume.
    nested &= np.minimum(volume[a], volume[b]) >= _NESTED_VOLUME_RATIO * np.maximum(volume[a], volume[b])
    counts = np.bincount(part[bright], minlength=num)  # (K,)
    sums = np.stack([np.bincount(part[bright], weights=chroma[bright, c], minlength=num) for c in range(3)], axis=1)
    mean = sums / np.maximum(counts, 1)[:, None]  # (K, 3)
    close = ((mean[a] - mean[b]) ** 2).sum(-1) <= max_step**2  # (E,)
    close &= (counts[a] > 0) & (counts[b] > 0)  # a part with no bright point has no colour to share
    joined = nested | (close & near)
    return _components(a[joined], b[joined], num)[part]


def _pairs_within(group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every ordered pair (a, b), a != b, of indices into ``group`` (K,) with the same group value."""
    order = stable_order(group)  # (K,)
    _, start, size = np.unique(group[order], return_index=True, return_counts=True)
    per = np.repeat(size, size)  # (K,) the size of each sorted index's group
    first = np.repeat(start, size)  # (K,) where that group begins in order
    a = np.repeat(order, per)  # (E,)
    offset = np.arange(a.size) - np.repeat(np.cumsum(per) - per, per)  # (E,) 0..size-1 within each run
    b = order[np.repeat(first, per) + offset]
    keep = a != b
    return a[keep], b[keep]


def stable_order(group: np.ndarray) -> np.ndarray:
    """(N,) int64 ``np.argsort(group, kind="stable")`` of integer labels (N,) (>= -1, small enough that
    label * N fits int64), as the sort of the unique keys label * N + row: numpy sorts those with its SIMD
    quicksort, faster than its stable sort on labels in no particular order (such as a cloud's clusters in
    point order; labels already sorted are the stable sort's fast case)."""
    n = group.shape[0]
    return np.argsort(group.astype(np.int64) * n + np.arange(n))


def group_rows(group: np.ndarray, num: int) -> list[np.ndarray]:
    """The rows of each group 0..num-1 (ascending within a group) of group indices (N,) int in [0, num): one
    stable sort, where a mask per group is a pass over all N rows each."""
    if num == 0:
        return []
    order = stable_order(group)  # (N,)
    return np.split(order, np.searchsorted(group[order], np.arange(1, num)))


def group_bounds(values: np.ndarray, group: np.ndarray, num: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-group minimum and maximum (num, D) of ``values`` (N, D), group index (N,) in [0, num); a group with
    no row gets +inf / -inf. Sorted reductions: ``np.minimum.at`` took several times as long."""
    lo = np.full((num, values.shape[1]), np.inf, dtype=values.dtype)
    hi = np.full((num, values.shape[1]), -np.inf, dtype=values.dtype)
    if group.size == 0:
        return lo, hi
    order = np.argsort(group)  # minima and maxima do not care which of a group's rows comes first
    present, starts = np.unique(group[order], return_index=True)
    lo[present] = np.minimum.reduceat(values[order], starts, axis=0)
    hi[present] = np.maximum.reduceat(values[order], starts, axis=0)
    return lo, hi


def relabel(labels: np.ndarray, min_size: int) -> np.ndarray:
    """Drop clusters smaller than ``min_size`` and renumber the rest by first appearance."""
    out = np.full(labels.shape[0], -1, dtype=np.int64)
    valid = labels >= 0
    if not valid.any():
        return out
    ids, first, counts = np.unique(labels[valid], return_index=True, return_counts=True)
    keep = counts >= min_size
    order = np.argsort(first[keep])  # first occurrences: no two are equal
    new_id = np.full(int(ids.max()) + 1, -1, dtype=np.int64)
    new_id[ids[keep][order]] = np.arange(order.size)
    out[valid] = new_id[labels[valid]]
    return out
