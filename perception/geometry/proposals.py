"""Object proposals from a cloud: preprocess, remove support planes, cluster, and describe each cluster.

Objects standing on a support surface (a table top, a shelf board) are clustered apart from the furniture
under them: the points above a support patch and inside its footprint form their own pool. A cluster in that
pool that spans most of its support's width is a part of the furniture (a chair back over its seat, a sofa
back) and goes back to the furniture pool.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from perception.box3d import Box3D
from perception.columnwise import column_bounds
from perception.geometry.appearance import hsv_histogram, hsv_histograms
from perception.geometry.clustering import (
    DARK_SUM,
    ClusterConfig,
    chromaticity,
    cluster_points,
    group_bounds,
    group_rows,
    stable_order,
)
from perception.geometry.errors import GeometryConfigError
from perception.geometry.footprint import gravity_aligned_box
from perception.geometry.occlusion import ViewRays, hidden_between
from perception.geometry.planes import (
    HORIZONTAL,
    PlaneConfig,
    PlaneSegmentation,
    SupportPlane,
    dominant_planes,
    support_planes,
)
from perception.geometry.preprocess import (
    PreprocessConfig,
    PreprocessedCloud,
    downsample,
    estimate_normals,
    outlier_mask,
)
from perception.point_cloud import PointCloud
from perception.proposal import ObjectProposal


@dataclass
class ProposalConfig:
    """How clusters become proposals."""

    support_clearance: float = 0.6
    """Points up to this far above a support patch (and inside its footprint) are objects on it, metres."""
    support_margin: float = 0.008
    """Points closer than this above a support patch belong to the patch, metres; plane inliers further
    above it are object points."""
    footprint_grow_cells: int = -1
    """Cells the support footprint is grown by when testing what stands on it; negative shrinks it, which
    keeps the side panels of a shelf, standing at the edge of each board, out of the objects."""
    convex_footprint: bool = True
    """What stands on a support is tested against the convex hull of its patch, not only the cells seen: an
    object hides the surface behind it from the camera, and where that shadow reaches the far edge (a
    laptop near the back of a table) the object's far part stood on no seen cell and joined the table."""
    underside_gap: float = 0.1
    """A horizontal patch with another one covering it at most this far above is an underside, metres."""
    underside_reach: float = 0.25
    """A furniture cluster under a horizontal patch whose top comes this close to the patch is that
    furniture's underside (a table's legs below its apron) and joins the patch's cluster, metres."""
    underside_inside: float = 0.9
    """Least fraction of such a cluster's points inside the patch's footprint."""
    fragment_width: float = 0.1
    """A furniture cluster at most this wide on both horizontal axes (for joining: along most of its height)
    is a fragment of a thin part (a lamp's pole) and joins what stands right above or below it, metres."""
    stack_gap: float = 0.15
    """Largest height between such a fragment and the cluster it joins, metres."""
    stack_by_color: bool = True
    """Colour decides stacked joins too (chromaticities within half ``ClusterConfig.max_chroma_step`` are one
    colour). Furniture clusters of one colour stacked like that join whatever their width: a chair's back
    and its seat, which an occluder in front (a table's top) or the image's edge cut apart in one view. And a
    thin fragment joins a cluster of another colour only when it has no colour of its own (grey metal, or
    dark): a lamp's grey pole still joins its shade, a cyan mug on a shelf board the view cannot see stays
    apart from the purple shelf."""
    max_float: float = 0.1
    """A cluster over a support whose lowest point is higher than this above it does not stand on it (a
    piece of a chair back over the seat) and goes to the furniture, metres."""
    furniture_span: float = 0.8
    """A cluster on a support spanning this fraction of the support's width is part of the furniture."""
    carve_flat_objects: bool = True
    """Points of a support patch or of the floor whose chromaticity differs from the patch's own by more than
    ``ClusterConfig.max_chroma_step`` are things lying flat on it (a book, a laptop's base, a lamp's base
    disc), not the surface: they join the objects on that support, or on the floor the furniture. Off, or
    with the colour split off, they stay the surface's."""
    supports_are_objects: bool = True
    """Horizontal patches above the floor (table tops, shelf boards) join the clusters of their furniture;
    False leaves them out of every proposal, as background."""
    occlusion_gap: float = 0.6
    """Seen from one viewpoint (``extract_proposals(..., viewpoint=...)``), two furniture clusters of one
    colour at most this far apart join when the view could not see the space between them: one piece of
    furniture that an occluder in front cut in two (a chair in front of a sofa, a table's top in front of a
    chair's back). 0 turns it off, metres."""
    occlusion_margin: float = 0.05
    """A place counts as hidden when an observed point on its ray lies this much nearer, metres (about the
    depth noise at 5 m)."""
    min_points: int = 20
    """Smallest proposal, in input points."""
    max_size: float = 4.0
    """Clusters longer than this on any axis (leftover walls, room-sized clutter) are dropped, metres."""

    def __post_init__(self) -> None:
        if self.support_clearance <= self.support_margin or self.support_margin < 0:
            raise GeometryConfigError(
                f"ProposalConfig.support_clearance/support_margin: expected 0 <= margin < clearance, got "
                f"{self.support_margin}, {self.support_clearance}"
            )
        if self.underside_gap < 0:
            raise GeometryConfigError(f"ProposalConfig.underside_gap: expected >= 0, got {self.underside_gap}")
        if self.fragment_width < 0 or self.stack_gap < 0:
            raise GeometryConfigError(
                f"ProposalConfig.fragment_width/stack_gap: expected >= 0, got {self.fragment_width}, {self.stack_gap}"
            )
        if self.occlusion_gap < 0 or self.occlusion_margin < 0:
            raise GeometryConfigError(
                f"ProposalConfig.occlusion_gap/occlusion_margin: expected >= 0, got {self.occlusion_gap}, "
                f"{self.occlusion_margin}"
            )
        if self.max_float < 0:
            raise GeometryConfigError(f"ProposalConfig.max_float: expected >= 0, got {self.max_float}")
        if self.underside_reach < 0 or not 0.0 < self.underside_inside <= 1.0:
            raise GeometryConfigError(
                f"ProposalConfig.underside_reach/underside_inside: expected >= 0 and in (0, 1], got "
                f"{self.underside_reach}, {self.underside_inside}"
            )
        if not 0.0 < self.furniture_span <= 1.0:
            raise GeometryConfigError(f"ProposalConfig.furniture_span: expected in (0, 1], got {self.furniture_span}")
        if self.min_points < 1 or self.max_size <= 0:
            raise GeometryConfigError(
                f"ProposalConfig: expected min_points >= 1 and max_size > 0, got {self.min_points}, {self.max_size}"
            )


@dataclass
class GeometryConfig:
    """The whole geometric chain, one sub-config per step."""

    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
    """Crop, voxel downsample, outlier removal, normals."""
    planes: PlaneConfig = field(default_factory=PlaneConfig)
    """Support and wall plane removal."""
    clustering: ClusterConfig = field(default_factory=ClusterConfig)
    """Clustering of what is left."""
    proposals: ProposalConfig = field(default_factory=ProposalConfig)
    """Cluster -> proposal rules."""


def rgbd_view_config() -> GeometryConfig:
    """Defaults for one depth-camera view, whose noise grows with the square of the depth (about 1 cm at
    2 m): a wider plane band and margin, and larger minimum clusters, so noise does not become objects.
    Fused (TSDF) or full-scene clouds are cleaner and keep ``GeometryConfig()``. The support margin is 1 cm:
    since the depth median, a 2 cm margin hid books and laptop bases, and on the sim200 val split 1 cm gave
    the best recall of 0.5, 0.8, 1.0, 1.4, 1.7 and 2 cm."""
    return GeometryConfig(
        planes=PlaneConfig(distance_threshold=0.03),
        clustering=ClusterConfig(min_cluster_size=30),
        proposals=ProposalConfig(support_margin=0.01),
    )


@dataclass
class GeometryResult:
    """Proposals and the scene context they were cut from."""

    proposals: list[ObjectProposal]
    """Object proposals, ids 0..K-1 in a deterministic order."""
    planes: list[SupportPlane]
    """Removed support and wall patches."""
    cloud: PreprocessedCloud
    """The preprocessed (downsampled) cloud."""
    point_label: np.ndarray
    """(V,) int64 proposal index of each downsampled point, -1 for planes, noise and dropped clusters."""


def extract_proposals(
    cloud: PointCloud, config: GeometryConfig | None = None, viewpoint: np.ndarray | None = None
) -> GeometryResult:
    """Run the chain on ``cloud`` (N points, z up in its frame) and return its proposals and planes.

    ``viewpoint`` (3,): where the sensor stood, in the cloud's frame, when the cloud is one view (a depth
    frame, one LiDAR scan); what that view could not see then helps join pieces an occluder cut apart. A
    fused map or a full scene has no single viewpoint and leaves it None."""
    config = config or GeometryConfig()
    pre = downsample(cloud, config.preprocess)
    segmentation = dominant_planes(pre.points, config.planes)
    keep = outlier_mask(pre.points, config.preprocess.outliers, protected=segmentation.explained())
    pre, segmentation = pre.select(keep), segmentation.select(keep)
    pre.normals = estimate_normals(pre.points, config.preprocess.normals, segmentation.known_normals())
    segmentation = support_planes(pre.points, pre.normals, segmentation, config.planes)
    rays = None
    if viewpoint is not None and config.proposals.occlusion_gap > 0:
        rays = ViewRays.from_points(pre.points, np.asarray(viewpoint, dtype=np.float64),
                                    config.preprocess.voxel.voxel_size)
    labels = _cluster(pre.points, pre.colors, segmentation, config, rays)
    proposals, labels = describe_clusters(cloud, pre, labels, config.proposals)
    return GeometryResult(proposals=proposals, planes=segmentation.planes, cloud=pre, point_label=labels)


def _cluster(
    points: np.ndarray,
    colors: np.ndarray,
    seg: PlaneSegmentation,
    config: GeometryConfig,
    rays: ViewRays | None = None,
) -> np.ndarray:
    """(V,) int64 cluster label per downsampled point (V, 3), with colours (V, 3) uint8 to cut colour edges:
    objects on supports first, then furniture. ``rays``: the view the points are, when they are one."""
    rules = config.proposals
    # RANSAC's band also catches the lowest centimetre of what stands on a surface (a laptop's base);
    # inliers clearly above their fitted surface go back to the object points.
    point_plane = seg.point_plane.copy()
    for i, plane in enumerate(seg.planes):
        rows = np.flatnonzero(point_plane == i)
        if plane.kind == HORIZONTAL and not plane.is_floor:  # what lies flat on the floor is rarely an object
            point_plane[rows[plane.signed_distance(points[rows]) > rules.support_margin]] = -1
    seg = PlaneSegmentation(seg.planes, point_plane, seg.up, seg.flat)
    supports = _support_surfaces(points, seg, rules)
    free = seg.point_plane < 0  # (V,)
    on_support = np.full(points.shape[0], -1, dtype=np.int64)
    for i in supports:
        plane = seg.planes[i]
        rows = np.flatnonzero(free & (on_support < 0))
        above = plane.signed_distance(points[rows])  # (R,) height over the plane
        rows = rows[(above > rules.support_margin) & (above <= rules.support_clearance)]
        on_support[rows[plane.covers(points[rows], rules.footprint_grow_cells, rules.convex_footprint)]] = i
    if rules.carve_flat_objects and config.clustering.max_chroma_step > 0:
        for i, plane in enumerate(seg.planes):
            if not (plane.is_floor or i in supports):
                continue
            flat = _off_color_rows(colors, np.flatnonzero(seg.point_plane == i), config.clustering.max_chroma_step)
            seg.point_plane[flat] = -1
            if plane.is_floor:  # a lamp's base, a chair's feet: clustered with the furniture standing there
                free[flat] = True
            else:
                on_support[flat] = i

    labels = np.full(points.shape[0], -1, dtype=np.int64)
    object_rows = np.flatnonzero(on_support >= 0)
    object_labels = cluster_points(points[object_rows], config.clustering, colors[object_rows])
    furniture = free & (on_support < 0)
    # Plane points sorted by x, so that each object's base is searched in a narrow x window rather than
    # over every plane point of the scene (the floor alone is most of a fused room).
    plane_rows = np.flatnonzero(seg.point_plane >= 0)
    plane_rows = plane_rows[np.argsort(points[plane_rows, 0])]  # only ever taken as a set of rows per window
    plane_x = points[plane_rows, 0]
    next_label = 0
    support_patches = [seg.planes[i] for i in supports]
    for k in range(int(object_labels.max(initial=-1)) + 1):
        rows = object_rows[object_labels == k]
        support_index = int(np.bincount(on_support[rows]).argmax())
        support = seg.planes[support_index]
        if _spans_support(points[rows], support, rules.furniture_span) or (
            _gap_below(points[rows], support_patches) > rules.max_float
        ):
            furniture[rows] = True
            continue
        # The support's inliers under the object (its base, within the plane's band) belong to the object;
        # only that support's: the underside of a thin board lies within the band's reach below it.
        box = gravity_aligned_box(points[rows])
        box.size[2] += 2 * config.planes.distance_threshold
        box.center[2] -= config.planes.distance_threshold
        reach = float(np.linalg.norm(box.size[:2])) / 2  # the box's x extent at any yaw is within this
        window = plane_rows[np.searchsorted(plane_x, box.center[0] - reach, side="left") :
                            np.searchsorted(plane_x, box.center[0] + reach, side="right")]
        window = window[(labels[window] < 0) & (seg.point_plane[window] == support_index)]
        base = window[box.contains(points[window])]
        labels[rows] = next_label
        labels[base] = next_label
        next_label += 1
    if rules.supports_are_objects:
        for i, plane in enumerate(seg.planes):
            if plane.kind == HORIZONTAL and not plane.is_floor:
                furniture |= (seg.point_plane == i) & (labels < 0)
    furniture_rows = np.flatnonzero(furniture)
    furniture_labels = cluster_points(points[furniture_rows], config.clustering, colors[furniture_rows])
    clustered = furniture_labels >= 0
    labels[furniture_rows[clustered]] = furniture_labels[clustered] + next_label
    if rules.supports_are_objects:
        _attach_undersides(points, labels, seg, next_label, rules)
    color_step = config.clustering.max_chroma_step / 2 if rules.stack_by_color else 0.0
    _join_stacked_fragments(points, labels, next_label, config.clustering.eps, rules, colors, color_step)
    if rays is not None and config.clustering.max_chroma_step > 0:
        _join_occluded(points, labels, next_label, colors, config.clustering.max_chroma_step / 2, rays, rules)
    _drop_floating_fragments(points, labels, next_label, seg, support_patches, config.clustering.eps, rules)
    return labels


def _join_stacked_fragments(
    points: np.ndarray,
    labels: np.ndarray,
    first_furniture: int,
    eps: float,
    rules: ProposalConfig,
    colors: np.ndarray | None = None,
    color_step: float = 0.0,
) -> None:
    """Join each thin furniture cluster to the clusters right above or below it (in place on ``labels``).

    A thin pole (a floor lamp's, a coat stand's) gets too few points for density clustering to keep it in
    one piece, so it comes apart into short fragments and its shade into a cluster of its own. A fragment
    narrower than ``fragment_width`` in most of its 10 cm height slabs (``_core_width``) whose centre lies
    over or under another cluster's horizontal box, with at most ``stack_gap`` of height between them,
    belongs to it. Only clusters that do not overlap in height are joined: two objects side by side are not
    a stack.

    With ``colors`` (V, 3) uint8 and ``color_step`` > 0, colour has its say (mean chromaticities within the
    step are one colour). Two clusters stacked so, of one colour and with touching footprints, join whatever
    their width: one piece of furniture that something in front cut in two (a table's top hides the bottom
    of a chair's back, so the back and the seat come apart). And a thin fragment joins a cluster of another
    colour only when it has none of its own (grey or dark, as a metal pole): a small object on a board the
    view cannot see is thin too, and stands right under the board above it.
    """
    clusters = _furniture_clusters(points, labels, first_furniture)
    if clusters is None:
        return
    furniture, ids, inverse, lo, hi = clusters
    k = ids.size
    thin = _core_width(points[furniture], inverse, k) <= rules.fragment_width  # (K,)
    center = (lo[:, :2] + hi[:, :2]) / 2  # (K, 2)
    over = ((center[:, None] >= lo[None, :, :2] - eps) & (center[:, None] <= hi[None, :, :2] + eps)).all(-1)
    gap = np.maximum(lo[:, None, 2] - hi[None, :, 2], lo[None, :, 2] - hi[:, None, 2])  # (K, K) height between
    if colors is None or color_step <= 0:
        joinable = thin[:, None] & over
    else:
        mean, colored = _mean_chromaticity(colors[furniture], inverse, k)  # (K, 3), (K,)
        same = _same_color(mean, colored, color_step)
        plain = ~colored | (np.linalg.norm(mean - 1.0 / 3.0, axis=1) <= color_step)  # (K,) grey or dark
        # One colour is evidence enough for footprints that merely touch: the back of a chair stands at its
        # seat's edge, and a view may see only the front of the seat.
        touch = ((lo[:, None, :2] <= hi[None, :, :2] + eps) & (hi[:, None, :2] >= lo[None, :, :2] - eps)).all(-1)
        joinable = (thin[:, None] & over & (plain[:, None] | same)) | (same & touch)
    _join_groups(labels, furniture, ids, inverse, joinable & (gap >= -eps) & (gap <= rules.stack_gap))


def _join_occluded(
    points: np.ndarray,
    labels: np.ndarray,
    first_furniture: int,
    colors: np.ndarray,
    color_step: float,
    rays: ViewRays,
    rules: ProposalConfig,
) -> None:
    """Join furniture clusters of one colour that an occluder cut apart in this view (in place on ``labels``).

    Two clusters whose mean chromaticities lie within ``color_step`` and whose nearest points are at most
    ``occlusion_gap`` apart are one piece of furniture when the view saw none of the space between them.
    Side by side (sharing some height), the path between their nearest points must be hidden all along in
    every 10 cm slab of the height they share: two chairs side by side show the wall through the gap
    between them somewhere. One over the other, the path between their nearest points must be.
    """
    clusters = _furniture_clusters(points, labels, first_furniture)
    if clusters is None:
        return
    furniture, ids, inverse, lo, hi = clusters
    k = ids.size
    same = _same_color(*_mean_chromaticity(colors[furniture], inverse, k), color_step)
    shared = np.minimum(hi[:, None, 2], hi[None, :, 2]) - np.maximum(lo[:, None, 2], lo[None, :, 2])  # (K, K)
    near = ((lo[:, None] <= hi[None] + rules.occlusion_gap) & (hi[:, None] >= lo[None] - rules.occlusion_gap)).all(-1)
    candidates = np.argwhere(np.triu(same & near, k=1))  # (P, 2) i < j
    if candidates.size == 0:
        return
    members = [points[furniture[inverse == c]] for c in range(k)]
    joined = np.zeros((k, k), dtype=bool)
    for i, j in candidates:
        if shared[i, j] > 0:
            joined[i, j] = _hidden_in_every_slab(members[i], members[j], rays, rules)
        else:
            joined[i, j] = hidden_between(members[i], members[j], rays, rules.occlusion_margin, rules.occlusion_gap)
    _join_groups(labels, furniture, ids, inverse, joined)


def _furniture_clusters(
    points: np.ndarray, labels: np.ndarray, first_furniture: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The furniture clusters (labels from ``first_furniture`` on) of points (V, 3): their rows (F,), labels
    (K,), the cluster of each row (F,) and the clusters' box corners (K, 3) each; None when there are none."""
    furniture = np.flatnonzero(labels >= first_furniture)
    if furniture.size == 0:
        return None
    ids, inverse = np.unique(labels[furniture], return_inverse=True)
    lo, hi = group_bounds(points[furniture], inverse, ids.size)  # (K, 3) each
    return furniture, ids, inverse, lo, hi


def _join_groups(
    labels: np.ndarray, rows: np.ndarray, ids: np.ndarray, inverse: np.ndarray, joined: np.ndarray
) -> None:
    """Relabel in place the clusters ``ids`` (K,) of ``rows`` (R,) (cluster ``inverse`` (R,) of each) that
    ``joined`` (K, K) links, a chain of links being one: each group takes its lowest label, whatever the
    order the clusters came in."""
    k = ids.size
    _, component = connected_components(csr_matrix(joined), directed=False)  # (K,)
    lowest = np.full(k, k, dtype=np.int64)
    np.minimum.at(lowest, component, np.arange(k))
    labels[rows] = ids[lowest[component][inverse]]


def _same_color(mean: np.ndarray, colored: np.ndarray, step: float) -> np.ndarray:
    """(K, K) bool: clusters of mean chromaticity ``mean`` (K, 3), both with a hue (``colored`` (K,)), within
    ``step`` of each other."""
    return (np.linalg.norm(mean[:, None] - mean[None], axis=-1) <= step) & colored[:, None] & colored


def _hidden_in_every_slab(
    a: np.ndarray, b: np.ndarray, rays: ViewRays, rules: ProposalConfig, slab: float = 0.1
) -> bool:
    """Whether clusters a (A, 3) and b (B, 3) are at most ``occlusion_gap`` apart and the view saw nothing
    between them in any ``slab``-high band of the heights both reach."""
    bottom, top = max(a[:, 2].min(), b[:, 2].min()), min(a[:, 2].max(), b[:, 2].max())
    checked = False
    for z in np.arange(bottom, top, slab):
        in_a, in_b = a[(a[:, 2] >= z) & (a[:, 2] < z + slab)], b[(b[:, 2] >= z) & (b[:, 2] < z + slab)]
        if in_a.size == 0 or in_b.size == 0:
            continue
        if not hidden_between(in_a, in_b, rays, rules.occlusion_margin, rules.occlusion_gap):
            return False
        checked = True
    return checked


def _core_width(points: np.ndarray, inverse: np.ndarray, k: int, slab: float = 0.1) -> np.ndarray:
    """(K,) median over the 10 cm height slabs of each cluster (``points`` (R, 3) of cluster ``inverse`` (R,))
    of the slab's larger horizontal extent, metres: a lamp's pole with pieces of its base at the foot is
    still thin along most of its height. A cluster with no point has width 0."""
    width = np.zeros(k)
    if inverse.size == 0:
        return width
    # Every (cluster, slab) pair at once, where a loop over the clusters spent most of its time in numpy's
    # per-call overhead.
    level = np.floor(points[:, 2] / slab).astype(np.int64)  # (R,)
    level -= level.min()
    levels = int(level.max()) + 1
    pair_key = inverse.astype(np.int64) * levels + level  # (R,) one key per (cluster, slab)
    keys, pair = np.unique(pair_key, return_inverse=True)  # (S,), (R,)
    lo, hi = group_bounds(points[:, :2], pair, keys.size)  # (S, 2) each
    extent = (hi - lo).max(axis=1)  # (S,) in the points' dtype, as np.median of each cluster's would see it
    cluster = keys // levels  # (S,) ascending: keys sort by cluster first
    extent = extent[np.lexsort((extent, cluster))]  # each cluster's slab extents, ascending, in one run
    count = np.bincount(cluster, minlength=k)  # (K,)
    start = np.cumsum(count) - count
    has = count > 0
    low = extent[(start + (count - 1) // 2)[has]]
    high = extent[(start + count // 2)[has]]
    width[has] = (low + high) / 2  # np.median: the middle extent, or the mean of the middle two
    return width


def _mean_chromaticity(colors: np.ndarray, inverse: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean chromaticity (K, 3) of each of ``k`` clusters over its bright points (colours (R, 3) uint8 of
    cluster ``inverse`` (R,)), and whether at least half its points are bright (K,): a cluster mostly dark
    has no colour to compare."""
    chroma, total = chromaticity(colors)  # (R, 3), (R,)
    bright = total >= DARK_SUM
    count = np.bincount(inverse[bright], minlength=k)  # (K,)
    sums = np.stack([np.bincount(inverse[bright], chroma[bright, c], minlength=k) for c in range(3)], 1)
    return sums / np.maximum(count, 1)[:, None], count >= 0.5 * np.bincount(inverse, minlength=k)


def _drop_floating_fragments(
    points: np.ndarray,
    labels: np.ndarray,
    first_furniture: int,
    seg: PlaneSegmentation,
    supports: list[SupportPlane],
    eps: float,
    rules: ProposalConfig,
) -> None:
    """Unlabel each thin furniture cluster that rests on nothing (in place on ``labels``).

    A view that sees only the top of a chair back over a table, the rest of the chair hidden behind it,
    leaves a can-sized piece in the air, which grounding then takes for a small object ("the red can" was
    answered with a red chair's back in the live ROS test). Nothing floats: a cluster no wider than
    ``fragment_width`` that the stacked-fragment join left alone, whose lowest point is more than
    ``max_float`` above the floor and above every support under it, with no point at all in the
    ``max_float`` below it, is part of something hidden. A bottle on a shelf board too small or too
    edge-on to be found as a support still has the board's points under it.
    """
    floors = [plane for plane in seg.planes if plane.is_floor]
    furniture = np.flatnonzero(labels >= first_furniture)
    if not floors or furniture.size == 0:
        return  # without a floor, what floats cannot be told
    ids, inverse = np.unique(labels[furniture], return_inverse=True)
    lo, hi = group_bounds(points[furniture], inverse, ids.size)  # (K, 3) each
    thin = np.flatnonzero(((hi[:, :2] - lo[:, :2]) <= rules.fragment_width).all(axis=1))
    if thin.size == 0:
        return
    # Each thin cluster's rows, and the points in a narrow x window around it, come from sorted orders made
    # once: a mask over every point per cluster cost more than the rest of the step on a fused room.
    rows_of = group_rows(inverse, ids.size)
    by_x = np.argsort(points[:, 0])  # (V,) a window of it is only tested for any point beneath
    sorted_x = points[by_x, 0]
    for k in thin:
        rows = furniture[rows_of[k]]
        cluster = points[rows]
        if min(float(floor.signed_distance(cluster).min()) for floor in floors) <= rules.max_float:
            continue
        if min(_gaps_to_supports_below(cluster, supports), default=np.inf) <= rules.max_float:
            continue
        low, high = lo[k] - eps, hi[k] + eps
        near = points[by_x[np.searchsorted(sorted_x, low[0], "left") : np.searchsorted(sorted_x, high[0], "right")]]
        beneath = (near[:, 1] >= low[1]) & (near[:, 1] <= high[1]) & (
            (near[:, 2] < lo[k, 2]) & (near[:, 2] >= lo[k, 2] - rules.max_float))
        if not beneath.any():
            labels[rows] = -1


def _attach_undersides(
    points: np.ndarray, labels: np.ndarray, seg: PlaneSegmentation, first_furniture: int, rules: ProposalConfig
) -> None:
    """Join to a table top's cluster the furniture clusters standing under it (in place on ``labels``).

    Seen from above, a table's legs show only below its apron: the top hides where they meet it, so the legs
    cluster apart from the top. A furniture cluster that lies almost wholly inside a horizontal patch's
    footprint, below the patch, and reaching up to within ``underside_reach`` of it, is that furniture's
    underside. An object standing under a table (a box, a chair pushed in) is lower than this or sticks out.
    """
    below = np.flatnonzero(labels >= first_furniture)  # (R,) furniture rows; joining keeps them furniture
    # Rows per furniture label, kept up to date as labels join: one mask over every point per candidate
    # was most of this step's time on a fused room.
    ids, inverse = np.unique(labels[below], return_inverse=True)
    members = {int(label): below[rows] for label, rows in zip(ids, group_rows(inverse, ids.size), strict=True)}
    for i, plane in enumerate(seg.planes):
        if plane.kind != HORIZONTAL or plane.is_floor:
            continue
        top = labels[seg.point_plane == i]
        top = top[top >= first_furniture]
        if top.size == 0:
            continue
        top_label = int(np.bincount(top).argmax())
        height = plane.signed_distance(points[below])  # (R,) negative under the patch
        # Clusters with any point above the patch, or out of reach below it, are not its underside.
        reaches = below[(height > -rules.underside_reach) & (height <= rules.support_margin)]
        candidates = np.setdiff1d(np.unique(labels[reaches]), [top_label])
        for label in candidates:
            rows = members[int(label)]
            if plane.signed_distance(points[rows]).max() > rules.support_margin:
                continue
            if plane.covers(points[rows], grow_cells=1).mean() >= rules.underside_inside:
                labels[rows] = top_label
                members[top_label] = np.concatenate([members[top_label], members.pop(int(label))])


def _support_surfaces(points: np.ndarray, seg: PlaneSegmentation, rules: ProposalConfig) -> list[int]:
    """Horizontal non-floor patches that hold objects, lowest first; demoted patches lose their plane label.

    Not a support: the underside of a patch just above it (a table top's lower face), and a patch standing
    on a lower support without spanning it (a laptop's base on a table), which is part of an object. A
    patch spanning the one below (the next shelf board) stays a support.
    """
    horizontal = sorted(
        (i for i, p in enumerate(seg.planes) if p.kind == HORIZONTAL and not p.is_floor),
        key=lambda i: seg.planes[i].height,
    )
    patches = {i: points[seg.point_plane == i] for i in horizontal}
    supports: list[int] = []
    for i in horizontal:
        plane = seg.planes[i]
        if patches[i].shape[0] == 0:
            continue
        underside = any(
            0.0 < seg.planes[j].height - plane.height <= rules.underside_gap
            and seg.planes[j].covers(patches[i]).mean() > 0.5
            for j in horizontal
            if j != i
        )
        if underside:
            continue
        on_lower = any(
            0.0 < plane.height - seg.planes[j].height <= rules.support_clearance
            and seg.planes[j].covers(patches[i]).mean() > 0.5
            and not _spans_support(patches[i], seg.planes[j], rules.furniture_span)
            for j in supports
        )
        if on_lower:
            seg.point_plane[seg.point_plane == i] = -1
        else:
            supports.append(i)
    return supports


def _off_color_rows(colors: np.ndarray, rows: np.ndarray, max_step: float) -> np.ndarray:
    """The rows of one support patch (indices into ``colors`` (V, 3) uint8) whose chromaticity lies more
    than ``max_step`` from the patch's median: what lies on the surface in another colour. Dark points, whose
    chromaticity is noise, stay; so does every point of a patch that is mostly dark, whose median means
    nothing."""
    chroma, total = chromaticity(colors[rows])  # (R, 3), (R,)
    bright = total >= DARK_SUM
    if bright.sum() < 0.5 * rows.size:
        return rows[:0]
    surface = np.median(chroma[bright], axis=0)  # (3,) the patch's own colour, which covers most of it
    return rows[bright & (np.linalg.norm(chroma - surface, axis=1) > max_step)]


def _gap_below(points: np.ndarray, supports: list[SupportPlane]) -> float:
    """Height of a cluster's lowest point (M, 3) above the highest support under most of it, metres (0 when
    none is under it)."""
    return min(_gaps_to_supports_below(points, supports), default=0.0)


def _gaps_to_supports_below(points: np.ndarray, supports: list[SupportPlane]) -> list[float]:
    """Height of a cluster's lowest point (M, 3) above each support under most of it, metres. A support up to
    5 cm above that point still counts as under it: an object's lowest points often lie inside the band of
    the board it stands on, and with only the 8 mm support margin as the tolerance many bowls on shelves
    were taken for floating pieces."""
    return [gap for plane in supports
            if (gap := float(plane.signed_distance(points).min())) >= -0.05 and plane.covers(points).mean() > 0.5]


def _spans_support(points: np.ndarray, plane: SupportPlane, ratio: float) -> bool:
    """Whether points (M, 3) stretch over ``ratio`` of the patch's length or width."""
    center, size, angle = plane.footprint_rectangle()
    c, s = np.cos(angle), np.sin(angle)
    local = (plane.to_uv(points) - center) @ np.array([[c, -s], [s, c]])  # (M, 2) in the rectangle's axes
    lo, hi = column_bounds(local)
    span = hi - lo  # (2,)
    return bool((span >= ratio * size).any())


def describe_clusters(
    cloud: PointCloud,
    pre: PreprocessedCloud,
    labels: np.ndarray,
    rules: ProposalConfig,
    yaws: np.ndarray | None = None,
) -> tuple[list[ObjectProposal], np.ndarray]:
    """Cut each cluster's input points out of ``cloud`` and build its proposal; drop too small or large ones.

    ``labels`` (V,) int64 is the cluster of each downsampled point of ``pre`` (-1 for none); returns the
    proposals, numbered in cluster order, and (V,) the proposal of each downsampled point (-1 for none).
    ``yaws`` (K,) float64, radians: the oriented box's yaw of each cluster whose downsampled points an
    earlier call already boxed (NaN for the others), which skips its rectangle search."""
    # An unmapped input row has voxel -1, which picks the -1 appended at the end: one gather, no mask.
    num_clusters = int(labels.max(initial=-1)) + 1
    point_label = np.append(labels, -1).astype(np.int32)[pre.point_to_voxel]  # (N,)
    member = np.flatnonzero(point_label >= 0)  # (P,) input rows in some cluster
    member_label = point_label[member]  # (P,)
    del point_label  # each (N,) or (P,) array freed as soon as it is used keeps a frame's peak down
    # Cluster k's rows are member[bounds[k]:bounds[k + 1]] once sorted by label; counting gives the bounds
    # without keeping a sorted copy of the labels.
    bounds = np.concatenate([[0], np.cumsum(np.bincount(member_label, minlength=num_clusters))])
    order = stable_order(member_label)
    del member_label
    member = member[order]
    del order
    # The downsampled points of each cluster, grouped once by a sort rather than one mask per cluster.
    voxel_order = stable_order(labels)
    voxel_bounds = np.searchsorted(labels[voxel_order], np.arange(num_clusters + 1))
    colors = _colors(cloud, member)  # (P, 3) in cluster order
    if cloud.rgb is None:  # every point the same grey: its histogram is every cluster's
        histograms = np.tile(hsv_histogram(colors[:1]), (num_clusters, 1))
    else:
        histograms = hsv_histograms(colors, bounds)  # (K, 3 * bins), every cluster's in one pass
    proposals: list[ObjectProposal] = []
    new_label = np.full(num_clusters, -1, dtype=np.int64)
    for k in range(bounds.size - 1):
        idx = member[bounds[k] : bounds[k + 1]]  # a view: flatnonzero's rows are int64 already
        if idx.size < rules.min_points:
            continue
        outline = pre.points[voxel_order[voxel_bounds[k] : voxel_bounds[k + 1]]]
        yaw = None if yaws is None or np.isnan(yaws[k]) else float(yaws[k])
        proposal = make_proposal(len(proposals), cloud.xyz[idx], colors[bounds[k] : bounds[k + 1]].copy(), idx,
                                 outline, yaw, histograms[k])
        if proposal.aabb.size.max() > rules.max_size:
            continue
        new_label[k] = len(proposals)
        proposals.append(proposal)
    return proposals, np.append(new_label, -1)[labels]  # -1 (no cluster) picks the appended -1


def _colors(cloud: PointCloud, idx: np.ndarray) -> np.ndarray:
    if cloud.rgb is None:
        return np.full((idx.size, 3), 128, dtype=np.uint8)
    return cloud.rgb[idx]


def make_proposal(
    object_id: int,
    points: np.ndarray,
    colors: np.ndarray,
    indices: np.ndarray,
    outline: np.ndarray | None = None,
    yaw: float | None = None,
    color_hist: np.ndarray | None = None,
) -> ObjectProposal:
    """A proposal from its points (M, 3) float32, colours (M, 3) uint8 and input indices (M,) int64.

    ``outline`` (K, 3), the object's downsampled points, makes the oriented box cheaper, and a ``yaw`` known
    from that outline skips its search (see ``gravity_aligned_box``). ``color_hist``: the colours'
    ``hsv_histogram``, when it was computed with other clusters' (``hsv_histograms``)."""
    return ObjectProposal(
        object_id=object_id,
        points=points.astype(np.float32, copy=False),
        colors=colors,
        indices=indices.astype(np.int64, copy=False),
        # The box of the two extreme corners is the points' box, without a float64 copy of all of them.
        aabb=Box3D.from_points_axis_aligned(np.stack(column_bounds(points)).astype(np.float64)),
        obb=gravity_aligned_box(points, outline, yaw),
        mean_color=colors.mean(axis=0).astype(np.float32),
        color_hist=hsv_histogram(colors) if color_hist is None else color_hist,
    )
