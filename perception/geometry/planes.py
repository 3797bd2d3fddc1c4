"""Dominant support planes by RANSAC (``perception.geometry.ransac``) on the downsampled cloud: floor, walls,
table tops.

Each RANSAC plane is split into its connected patches on a 2D occupancy grid in the plane, because one
infinite plane model often covers several surfaces (two tables of the same height, or a table top and the
top face of a box standing elsewhere). Only patches large enough to be a floor, a table top or a wall are
removed; small patches go back to the object points.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError

from perception.box3d import Box3D
from perception.columnwise import column_bounds, rows_all
from perception.geometry.errors import GeometryConfigError
from perception.geometry.footprint import gravity_aligned_box, min_area_rectangle
from perception.geometry.ransac import fit_plane, ransac_plane

HORIZONTAL = "horizontal"
VERTICAL = "vertical"


@dataclass
class PlaneConfig:
    """RANSAC plane removal: which planes count as support (horizontal) or wall (vertical) surfaces."""

    enabled: bool = True
    """Run this step."""
    distance_threshold: float = 0.015
    """RANSAC inlier distance to the plane, metres."""
    iterations: int = 300
    """RANSAC iterations per plane."""
    max_planes: int = 8
    """At most this many free-orientation RANSAC rounds (floor in auto mode, walls)."""
    max_support_heights: int = 32
    """At most this many heights tried by the fixed-normal support search."""
    min_inliers: int = 50
    """Stop when the best plane has fewer inliers than this."""
    up: tuple[float, float, float] = (0.0, 0.0, 1.0)
    """Gravity-up direction in the cloud's frame (a hint when ``refine_up``)."""
    refine_up: bool = False
    """Take the largest plane within ``max_tilt_deg`` of ``up`` as horizontal and use its normal as up
    (a camera-frame cloud whose tilt is only roughly known)."""
    max_tilt_deg: float = 10.0
    """A plane whose normal is within this angle of ``up`` is horizontal; of the ground plane, vertical."""
    max_normal_tilt_deg: float = 30.0
    """Support surfaces are searched among points whose normal is within this angle of ``up``."""
    cell_size: float = 0.06
    """Grid cell in metres used to split a plane into connected patches and measure their area."""
    min_horizontal_area: float = 0.15
    """Smallest horizontal patch removed as a support surface (table top, shelf board), square metres."""
    min_vertical_area: float = 2.5
    """Smallest vertical patch removed as a wall, square metres; 0 disables wall removal."""
    floor_band: float = 0.05
    """Horizontal patches at most this far above the lowest one are floor too, metres: a floor fused from
    several noisy depth views is a few centimetres thick, and the support search finds it at two or three
    heights, of which only the lowest would otherwise count as floor (the rest became table-like supports)."""
    max_sample: int = 8000
    """RANSAC runs on at most this many randomly drawn points; inliers are then counted over all."""
    seed: int = 0
    """Seed of the RANSAC sampler, so the same cloud gives the same planes."""

    def __post_init__(self) -> None:
        if self.distance_threshold <= 0:
            raise GeometryConfigError(
                f"PlaneConfig.distance_threshold: expected > 0, got {self.distance_threshold}"
            )
        if self.max_support_heights < 0:
            raise GeometryConfigError(
                f"PlaneConfig.max_support_heights: expected >= 0, got {self.max_support_heights}"
            )
        if self.iterations < 1 or self.max_planes < 0 or self.min_inliers < 3:
            raise GeometryConfigError(
                f"PlaneConfig: expected iterations >= 1, max_planes >= 0, min_inliers >= 3, got "
                f"{self.iterations}, {self.max_planes}, {self.min_inliers}"
            )
        if not 0.0 < self.max_tilt_deg < 45.0:
            raise GeometryConfigError(f"PlaneConfig.max_tilt_deg: expected in (0, 45), got {self.max_tilt_deg}")
        if self.floor_band < 0:
            raise GeometryConfigError(f"PlaneConfig.floor_band: expected >= 0, got {self.floor_band}")
        if self.max_sample < 3:
            raise GeometryConfigError(f"PlaneConfig.max_sample: expected >= 3, got {self.max_sample}")
        if self.cell_size <= 0 or min(self.min_horizontal_area, self.min_vertical_area) < 0:
            raise GeometryConfigError(
                f"PlaneConfig: expected cell_size > 0 and areas >= 0, got {self.cell_size}, "
                f"{self.min_horizontal_area}, {self.min_vertical_area}"
            )
        if not np.linalg.norm(self.up) > 0:
            raise GeometryConfigError(f"PlaneConfig.up: expected a non-zero vector, got {self.up}")


@dataclass
class SupportPlane:
    """One removed planar patch, kept as scene context: its plane, extent and footprint."""

    model: np.ndarray
    """(4,) float64 plane (a, b, c, d) with a*x + b*y + c*z + d = 0 and the unit normal (a, b, c) up-facing."""
    kind: str
    """``"horizontal"`` (floor, table top, shelf board) or ``"vertical"`` (wall)."""
    extent: Box3D
    """Box around the patch's inliers (yaw about the cloud's +z)."""
    area: float
    """Occupied area of the patch in square metres."""
    num_inliers: int
    """Downsampled points in the patch."""
    height: float
    """Signed distance of the plane from the origin along ``up``, metres."""
    uv_axes: np.ndarray
    """(2, 3) float64 orthonormal in-plane axes u and v."""
    uv_min: np.ndarray
    """(2,) float64 (u, v) of the corner of cell (0, 0) of ``occupancy``, metres."""
    cell_size: float
    """Edge of an ``occupancy`` cell, metres."""
    occupancy: np.ndarray
    """(U, V) bool cells of the plane's grid the patch covers."""
    is_floor: bool = False
    """True for the patches of the lowest horizontal plane of the scene."""

    @property
    def normal(self) -> np.ndarray:
        """(3,) unit normal."""
        return self.model[:3]

    def signed_distance(self, points: np.ndarray) -> np.ndarray:
        """(M,) height of points (M, 3) above the plane along its normal, metres."""
        return np.asarray(points @ self.model[:3] + self.model[3])

    def to_uv(self, points: np.ndarray) -> np.ndarray:
        """(M, 2) in-plane coordinates of points (M, 3), metres."""
        return np.asarray(points @ self.uv_axes.T)

    def covers(self, points: np.ndarray, grow_cells: int = 1, convex: bool = False) -> np.ndarray:
        """(M,) bool: which points (M, 3), dropped onto the plane, land on the patch (grown by ``grow_cells``
        cells; shrunk when negative). Holes inside the patch count as covered: they are where something
        stands on it and hides the surface. ``convex``: so does everything inside the patch's convex hull,
        since what stands on a surface also hides the surface behind it from the camera, and that shadow
        often reaches the patch's far edge, where it is a notch rather than a hole."""
        occupancy = self._grid(grow_cells, convex)
        cells = np.floor((self.to_uv(points) - self.uv_min) / self.cell_size).astype(np.int64)  # (M, 2)
        inside = rows_all((cells >= 0) & (cells < np.array(occupancy.shape)))
        hit = np.zeros(points.shape[0], dtype=bool)
        hit[inside] = occupancy[cells[inside, 0], cells[inside, 1]]
        return hit

    def _grid(self, grow_cells: int, convex: bool) -> np.ndarray:
        """The footprint ``covers`` tests, kept per (grow, convex): a scene's clusters ask a support hundreds
        of times with the same two or three settings, and the dilation was most of each call."""
        cache: dict[tuple[int, bool], np.ndarray] = self.__dict__.setdefault("_grids", {})
        key = (grow_cells, convex)
        if key not in cache:
            occupancy = self._hull if convex else self._filled
            if grow_cells > 0:
                occupancy = ndimage.binary_dilation(occupancy, iterations=grow_cells)
            elif grow_cells < 0:
                occupancy = ndimage.binary_erosion(occupancy, iterations=-grow_cells)
            cache[key] = occupancy
        return cache[key]

    def footprint_rectangle(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Minimum-area rectangle of the patch in (u, v): centre (2,), size (2,), angle in radians."""
        return self._footprint

    @functools.cached_property
    def _filled(self) -> np.ndarray:
        return np.asarray(ndimage.binary_fill_holes(self.occupancy))

    @functools.cached_property
    def _hull(self) -> np.ndarray:
        cells = np.argwhere(self.occupancy).astype(np.float64)  # (C, 2)
        try:
            hull = ConvexHull(cells)
        except QhullError:  # a row of cells: nothing to fill
            return self._filled
        grid = np.indices(self.occupancy.shape).reshape(2, -1).T.astype(np.float64)  # (U * V, 2) cell indices
        inside = (grid @ hull.equations[:, :2].T + hull.equations[:, 2] <= 1e-9).all(axis=1)
        return inside.reshape(self.occupancy.shape) | self._filled

    @functools.cached_property
    def _footprint(self) -> tuple[np.ndarray, np.ndarray, float]:
        # Asked once per object cluster standing on the patch; the hull of its cells is computed once.
        cells = np.argwhere(self.occupancy).astype(np.float64)  # (C, 2)
        corners = (cells[:, None, :] + np.array([[0, 0], [1, 0], [0, 1], [1, 1]])).reshape(-1, 2)
        return min_area_rectangle(corners * self.cell_size + self.uv_min)


@dataclass
class PlaneSegmentation:
    """The removed planes and which downsampled point belongs to which."""

    planes: list[SupportPlane]
    """Removed patches, in the order RANSAC found them."""
    point_plane: np.ndarray
    """(V,) int64 index into ``planes`` of each point, -1 for points on no removed plane."""
    up: np.ndarray
    """(3,) unit gravity-up direction the planes were classified with."""
    flat: np.ndarray | None = None
    """(V,) bool rows on the largest horizontal RANSAC plane, left for the support search: they skip the
    outlier and normal steps like plane points (their normal is ``up``), which matters on ground scans."""

    def select(self, keep: np.ndarray) -> PlaneSegmentation:
        """The labels of the rows where ``keep`` (V,) bool is set."""
        flat = None if self.flat is None else self.flat[keep]
        return PlaneSegmentation(self.planes, self.point_plane[keep], self.up, flat)

    def explained(self) -> np.ndarray:
        """(V,) bool rows on a plane or on a horizontal RANSAC plane."""
        return self.point_plane >= 0 if self.flat is None else (self.point_plane >= 0) | self.flat

    def known_normals(self) -> np.ndarray:
        """(V, 3) float32 plane normal of each plane (or ``flat``) point, NaN for the others."""
        normals = np.full((self.point_plane.shape[0], 3), np.nan, dtype=np.float32)
        if self.flat is not None:
            normals[self.flat] = self.up.astype(np.float32)
        if self.planes:
            table = np.stack([p.normal for p in self.planes]).astype(np.float32)  # (P, 3)
            on = self.point_plane >= 0
            normals[on] = table[self.point_plane[on]]
        return normals


def segment_planes(
    points: np.ndarray, config: PlaneConfig | None = None, normals: np.ndarray | None = None
) -> PlaneSegmentation:
    """Find and label the dominant planes and the horizontal support patches among points (V, 3).

    ``normals`` (V, 3) restricts the support search to points that face up; the proposal chain passes
    them after ``dominant_planes`` so that normals are only estimated off the large planes.
    """
    config = config or PlaneConfig()
    return support_planes(points, normals, dominant_planes(points, config), config)


def dominant_planes(points: np.ndarray, config: PlaneConfig | None = None) -> PlaneSegmentation:
    """Stage 1 of two: the large planes (floor, walls) of points (V, 3) by free-orientation RANSAC.

    The second stage (``support_planes``) finds table tops and shelf boards with the normal fixed to ``up``
    at the peaks of the point heights: a one-parameter RANSAC searched exhaustively. Fitting all three
    parameters to a small table top among chairs and shelves would prefer a slightly tilted plane that
    grazes several surfaces at once.
    """
    config = config or PlaneConfig()
    num = points.shape[0]
    point_plane = np.full(num, -1, dtype=np.int64)
    planes: list[SupportPlane] = []
    up = _unit(config.up)
    flat = np.zeros(num, dtype=bool)
    if config.enabled and num >= config.min_inliers:
        up = _dominant_planes(points, config, planes, point_plane, flat)
    return PlaneSegmentation(planes, point_plane, up, flat)


def support_planes(
    points: np.ndarray, normals: np.ndarray | None, seg: PlaneSegmentation, config: PlaneConfig | None = None
) -> PlaneSegmentation:
    """Stage 2 of two: add horizontal support patches among the points (V, 3) that ``seg`` left free.

    ``up`` is refined to the normal of the largest horizontal plane of ``seg`` (the floor) when there is
    one. Points whose normal (V, 3) tilts more than ``max_normal_tilt_deg`` from up are left out, so that
    the legs crossing a table's height do not join its top. Marks the lowest horizontal patches as floor.
    """
    config = config or PlaneConfig()
    planes = list(seg.planes)
    point_plane = seg.point_plane.copy()
    if not config.enabled:
        return PlaneSegmentation(planes, point_plane, seg.up, seg.flat)
    up = seg.up
    free = point_plane < 0
    if normals is not None:  # normals may point either way along the surface normal
        free &= np.abs(normals @ up) >= np.cos(np.deg2rad(config.max_normal_tilt_deg))
    _height_planes(points, np.flatnonzero(free), config, up, planes, point_plane)
    horizontal = [p for p in planes if p.kind == HORIZONTAL]
    if horizontal:
        lowest = min(p.height for p in horizontal)
        for p in horizontal:  # every patch of the lowest plane: a sparse floor can come in pieces
            p.is_floor = p.height <= lowest + max(config.floor_band, config.distance_threshold)
    return PlaneSegmentation(planes, point_plane, up, seg.flat)


def _unit(v: tuple[float, float, float]) -> np.ndarray:
    out = np.asarray(v, dtype=np.float64)
    return out / np.linalg.norm(out)


def _dominant_planes(
    points: np.ndarray, config: PlaneConfig, planes: list[SupportPlane], point_plane: np.ndarray, flat: np.ndarray
) -> np.ndarray:
    """RANSAC rounds; appends accepted patches, labels their points and returns the up direction.

    Horizontal planes are left to the support search, which measures them with the normal fixed to
    ``up``; only walls are taken here. With ``config.refine_up`` the first horizontal plane (within
    ``max_tilt_deg`` of the hint) is taken here instead, and its normal becomes ``up``.
    """
    up = _unit(config.up)
    cos_tilt = np.cos(np.deg2rad(config.max_tilt_deg))
    sin_tilt = np.sin(np.deg2rad(config.max_tilt_deg))
    candidates = np.arange(points.shape[0])  # rows RANSAC may still pick from
    rng = np.random.default_rng(config.seed)
    need_reference = config.refine_up
    for _ in range(config.max_planes):
        if candidates.size < config.min_inliers:
            break
        # RANSAC on a fixed-size sample finds the model; scoring every candidate is one vectorised pass.
        sample = candidates[rng.choice(candidates.size, config.max_sample, replace=False)] \
            if candidates.size > config.max_sample else candidates
        fit = ransac_plane(points[sample], config.distance_threshold, config.iterations, rng)
        if fit.inliers.size < 3:
            break
        model = fit.model
        # Least-squares refit on the half band: a 3-point model is tilted by the sampling, and the half
        # band keeps near-plane clutter (things lying on it) out of the fit.
        near = candidates[np.abs(points[candidates] @ model[:3] + model[3]) <= config.distance_threshold / 2]
        if near.size >= 3:
            model = fit_plane(points[near])
        if model[:3] @ up < 0:
            model = -model
        rows = candidates[np.abs(points[candidates] @ model[:3] + model[3]) <= config.distance_threshold]
        if rows.size < config.min_inliers:
            break
        cos_up = float(model[:3] @ up)
        kind = HORIZONTAL if cos_up >= cos_tilt else VERTICAL if abs(cos_up) <= sin_tilt else ""
        if kind == HORIZONTAL and need_reference:
            up = model[:3].copy()
            need_reference = False
        elif kind == HORIZONTAL:
            if not flat.any():  # the dominant ground only: smaller ones may be crossed by legs at that height
                flat[rows] = True
            candidates = np.setdiff1d(candidates, rows, assume_unique=True)
            continue
        min_area = config.min_horizontal_area if kind == HORIZONTAL else config.min_vertical_area
        accepted = np.zeros(rows.size, dtype=bool)
        if kind and min_area > 0:
            for members, plane in _patches(points[rows], model, kind, config.cell_size, up, min_area):
                point_plane[rows[members]] = len(planes)
                planes.append(plane)
                accepted[members] = True
        if not accepted.any() and not need_reference:
            break  # the best plane left is no wall: the rest is for the support search
        candidates = np.setdiff1d(candidates, rows, assume_unique=True)
    return up


def _height_planes(
    points: np.ndarray,
    candidates: np.ndarray,
    config: PlaneConfig,
    up: np.ndarray,
    planes: list[SupportPlane],
    point_plane: np.ndarray,
) -> None:
    """Horizontal planes at the densest heights along ``up``; appends accepted patches."""
    thr = config.distance_threshold
    height = points[candidates] @ up  # (C,)
    live = np.ones(candidates.size, dtype=bool)
    bin_size = thr / 2
    origin = height.min(initial=0.0)
    for _ in range(config.max_support_heights):
        if live.sum() < config.min_inliers:
            break
        cells = np.floor((height[live] - origin) / bin_size).astype(np.int64)
        counts = np.bincount(cells)
        window = np.convolve(counts, np.ones(3, dtype=np.int64), mode="same")  # points within ~thr of a bin
        peak = int(np.argmax(window))
        if window[peak] < config.min_inliers:
            break
        near = live & (np.abs(height - (origin + (peak + 0.5) * bin_size)) <= thr)
        h = float(np.median(height[near]))
        rows_local = np.flatnonzero(live & (np.abs(height - h) <= thr))
        rows = candidates[rows_local]
        model = np.append(up, -h)
        for members, plane in _patches(points[rows], model, HORIZONTAL, config.cell_size, up,
                                       config.min_horizontal_area):
            point_plane[rows[members]] = len(planes)
            planes.append(plane)
        live[rows_local] = False  # accepted or not, this height is done


def _patches(
    plane_points: np.ndarray, model: np.ndarray, kind: str, cell: float, up: np.ndarray, min_area: float
) -> list[tuple[np.ndarray, SupportPlane]]:
    """Connected patches (8-connected cells of ``cell`` metres) of a plane's inliers (P, 3) of at least
    ``min_area`` square metres: each as (rows into ``plane_points``, plane)."""
    normal = model[:3]
    axis_u = np.cross(normal, [1.0, 0.0, 0.0] if abs(normal[0]) < 0.9 else [0.0, 1.0, 0.0])
    axis_u /= np.linalg.norm(axis_u)
    uv_axes = np.stack([axis_u, np.cross(normal, axis_u)])  # (2, 3)
    uv = plane_points @ uv_axes.T  # (P, 2) in-plane coordinates
    uv_min = column_bounds(uv)[0]
    cells = np.floor((uv - uv_min) / cell).astype(np.int64)  # (P, 2)
    occupancy = np.zeros(column_bounds(cells)[1] + 3, dtype=bool)  # one empty cell of border on each side
    cells += 1
    occupancy[cells[:, 0], cells[:, 1]] = True
    # Closing bridges one-cell gaps, so a sparsely sampled surface stays one patch with its true area.
    occupancy = ndimage.binary_closing(occupancy, structure=np.ones((3, 3), dtype=bool))
    labels, count = ndimage.label(occupancy, structure=np.ones((3, 3), dtype=bool))
    cell_label = labels[cells[:, 0], cells[:, 1]]  # (P,) 1..count
    areas = np.bincount(labels.ravel(), minlength=count + 1) * cell * cell  # (count + 1,)
    out = []
    for k, window in enumerate(ndimage.find_objects(labels), start=1):
        if window is None or areas[k] < min_area:
            continue
        members = np.flatnonzero(cell_label == k)
        corner = np.array([window[0].start, window[1].start]) - 1  # minus the border cell
        # Each patch sits at the median offset of its own inliers: tables a centimetre apart in height share
        # one level of the search, and a top placed at the level rather than on its surface would leave
        # its surface points above the support margin, where they join the objects standing on it.
        patch_model = np.append(normal, -float(np.median(plane_points[members] @ normal)))
        plane = SupportPlane(
            model=patch_model, kind=kind, extent=gravity_aligned_box(plane_points[members]),
            area=float(areas[k]), num_inliers=int(members.size), height=float(-patch_model[3] * (normal @ up)),
            uv_axes=uv_axes, uv_min=uv_min + corner * cell, cell_size=cell, occupancy=labels[window] == k,
        )
        out.append((members, plane))
    return out
