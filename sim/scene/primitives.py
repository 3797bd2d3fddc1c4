"""Coloured open3d primitives as plain arrays, and the ``ObjectModel`` that category builders assemble.

Builders take open3d's primitive meshes (box, cylinder, sphere, cone, torus) and keep only their vertex and
triangle arrays: the scene is then concatenated and raycast as one mesh, which is much faster than merging
legacy ``TriangleMesh`` objects one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import open3d as o3d

_TriMesh = o3d.geometry.TriangleMesh


@dataclass
class Part:
    """One coloured piece of an object, in the object's local frame (metres, z up)."""

    vertices: np.ndarray
    """(V, 3) float64 vertex positions."""
    triangles: np.ndarray
    """(T, 3) int32 vertex indices."""
    rgb: tuple[int, int, int]
    """Colour of the piece, 0-255."""


@dataclass
class Surface:
    """A horizontal rectangle that small objects can stand on, in the owner's local frame."""

    z: float
    """Height of the surface above the owner's base in metres."""
    center_xy: tuple[float, float]
    """Centre of the rectangle in metres."""
    half_xy: tuple[float, float]
    """Half extents of the rectangle along local x and y in metres."""
    clearance: float
    """Free height above the surface in metres (the next shelf board, or a cap for open tops)."""


@dataclass
class ObjectModel:
    """An object's geometry in its local frame: footprint centred on the origin, base at z = 0."""

    label: str
    """Category name."""
    parts: list[Part]
    """Coloured pieces."""
    size: np.ndarray = field(default_factory=lambda: np.zeros(3))
    """(3,) full extents (dx, dy, dz) of the local bounding box in metres."""
    surfaces: list[Surface] = field(default_factory=list)
    """Where other objects may stand on this one."""

    def __post_init__(self) -> None:
        self.recenter()

    def recenter(self) -> None:
        """Move the parts so the bounding box is centred in x, y with its base at z = 0; update ``size``."""
        allv = np.concatenate([p.vertices for p in self.parts])
        lo, hi = allv.min(axis=0), allv.max(axis=0)
        shift = np.array([-(lo[0] + hi[0]) / 2.0, -(lo[1] + hi[1]) / 2.0, -lo[2]])
        for p in self.parts:
            p.vertices = p.vertices + shift
        self.surfaces = [
            Surface(s.z + shift[2], (s.center_xy[0] + shift[0], s.center_xy[1] + shift[1]), s.half_xy, s.clearance)
            for s in self.surfaces
        ]
        self.size = hi - lo


def _part(mesh: o3d.geometry.TriangleMesh, rgb: tuple[int, int, int]) -> Part:
    return Part(np.asarray(mesh.vertices, dtype=np.float64).copy(), np.asarray(mesh.triangles, dtype=np.int32), rgb)


def box(dx: float, dy: float, dz: float, center: tuple[float, float, float], rgb: tuple[int, int, int]) -> Part:
    """An axis-aligned box of extents (dx, dy, dz) centred at ``center``."""
    m = _TriMesh.create_box(dx, dy, dz)
    m.translate((center[0] - dx / 2.0, center[1] - dy / 2.0, center[2] - dz / 2.0))
    return _part(m, rgb)


def cylinder(
    radius: float, height: float, base: tuple[float, float, float], rgb: tuple[int, int, int], resolution: int = 16
) -> Part:
    """A vertical closed cylinder standing on ``base``."""
    m = _TriMesh.create_cylinder(radius=radius, height=height, resolution=resolution, split=1)
    m.translate((base[0], base[1], base[2] + height / 2.0))
    return _part(m, rgb)


def cone(
    radius: float, height: float, base: tuple[float, float, float], rgb: tuple[int, int, int], resolution: int = 16
) -> Part:
    """A vertical cone with its base disc at ``base`` and its tip ``height`` above."""
    m = _TriMesh.create_cone(radius=radius, height=height, resolution=resolution, split=1)
    m.translate(base)
    return _part(m, rgb)


def sphere(radius: float, center: tuple[float, float, float], rgb: tuple[int, int, int], resolution: int = 8) -> Part:
    """A sphere centred at ``center``."""
    m = _TriMesh.create_sphere(radius=radius, resolution=resolution)
    m.translate(center)
    return _part(m, rgb)


def ellipsoid(
    radii: tuple[float, float, float], center: tuple[float, float, float], rgb: tuple[int, int, int]
) -> Part:
    """A sphere scaled per axis to ``radii`` and centred at ``center``."""
    p = sphere(1.0, (0.0, 0.0, 0.0), rgb)
    p.vertices = p.vertices * np.asarray(radii) + np.asarray(center)
    return p


def lower_half_shell(radius_xy: float, depth: float, rim_z: float, rgb: tuple[int, int, int]) -> Part:
    """An open bowl: the lower half of a flattened sphere whose rim lies at height ``rim_z``."""
    m = _TriMesh.create_sphere(radius=1.0, resolution=12)
    v = np.asarray(m.vertices) * np.array([radius_xy, radius_xy, depth])
    tris = np.asarray(m.triangles)
    keep = (v[tris][:, :, 2] <= 1e-9).all(axis=1)  # triangles of the lower hemisphere only
    v = v + np.array([0.0, 0.0, rim_z])
    return Part(v, tris[keep].astype(np.int32), rgb)


def torus_xz(
    ring_radius: float, tube_radius: float, center: tuple[float, float, float], rgb: tuple[int, int, int]
) -> Part:
    """A torus standing upright in the x-z plane (a mug handle), centred at ``center``."""
    m = _TriMesh.create_torus(torus_radius=ring_radius, tube_radius=tube_radius, radial_resolution=12,
                              tubular_resolution=6)
    m.rotate(m.get_rotation_matrix_from_xyz((np.pi / 2.0, 0.0, 0.0)), center=(0.0, 0.0, 0.0))
    m.translate(center)
    return _part(m, rgb)


def rotate_x(part: Part, angle: float, pivot: tuple[float, float, float]) -> Part:
    """``part`` rotated by ``angle`` radians about the x axis through ``pivot`` (a hinge)."""
    c, s = np.cos(angle), np.sin(angle)
    R = np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    p = np.asarray(pivot)
    return Part((part.vertices - p) @ R.T + p, part.triangles, part.rgb)


def darker(rgb: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    """``rgb`` scaled by ``factor`` (a shadowed or secondary shade of the same colour)."""
    return (int(rgb[0] * factor), int(rgb[1] * factor), int(rgb[2] * factor))
