"""PointCloud: points with optional colour, intensity and other named per-point fields."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from perception._checks import check_array, check_length
from perception.columnwise import finite_rows
from perception.errors import ShapeError
from perception.transforms import transform_points


@dataclass
class PointCloud:
    """A cloud of N points in ``frame_id``. An organized cloud keeps its (H, W) grid in ``grid_shape``."""

    xyz: np.ndarray
    """(N, 3) float32 positions in metres. NaN rows mark missing returns in organized clouds."""
    rgb: np.ndarray | None = None
    """(N, 3) uint8 colours, or None."""
    intensity: np.ndarray | None = None
    """(N,) float32 return intensity, or None."""
    fields: dict[str, np.ndarray] = field(default_factory=dict)
    """Other per-point fields by name, each (N,) or (N, K), e.g. ``ring`` or ``timestamp``."""
    frame_id: str = ""
    """Frame the points are expressed in."""
    stamp_ns: int = 0
    """Acquisition time in nanoseconds."""
    grid_shape: tuple[int, int] | None = None
    """(H, W) when the cloud is organized (N == H * W), else None."""

    def __post_init__(self) -> None:
        check_array("PointCloud.xyz", self.xyz, (None, 3), (np.float32,))
        n = self.xyz.shape[0]
        if self.rgb is not None:
            check_array("PointCloud.rgb", self.rgb, (n, 3), (np.uint8,))
        if self.intensity is not None:
            check_array("PointCloud.intensity", self.intensity, (n,), (np.float32,))
        for name, values in self.fields.items():
            if not isinstance(values, np.ndarray):
                raise ShapeError(f"PointCloud.fields[{name!r}]: expected a numpy array, got {type(values).__name__}")
            check_length(f"PointCloud.fields[{name!r}]", values, n, "xyz")
        if self.grid_shape is not None:
            h, w = self.grid_shape
            if h * w != n:
                raise ShapeError(f"PointCloud.grid_shape: expected H * W == {n}, got {h} x {w} = {h * w}")

    def __len__(self) -> int:
        return int(self.xyz.shape[0])

    @property
    def is_organized(self) -> bool:
        """True when the points keep their sensor grid."""
        return self.grid_shape is not None

    def finite_mask(self) -> np.ndarray:
        """(N,) bool: rows whose x, y and z are all finite."""
        return finite_rows(self.xyz)

    def select(self, mask_or_index: np.ndarray) -> PointCloud:
        """A new unorganized cloud of the chosen rows (a bool mask (N,) or an index array)."""
        return PointCloud(
            xyz=self.xyz[mask_or_index],
            rgb=None if self.rgb is None else self.rgb[mask_or_index],
            intensity=None if self.intensity is None else self.intensity[mask_or_index],
            fields={k: v[mask_or_index] for k, v in self.fields.items()},
            frame_id=self.frame_id,
            stamp_ns=self.stamp_ns,
        )

    def finite(self) -> PointCloud:
        """The cloud without its non-finite rows (unorganized)."""
        return self.select(self.finite_mask())

    def transformed(self, T_target_frame: np.ndarray, target_frame: str, in_place: bool = False) -> PointCloud:
        """The cloud moved into ``target_frame`` by the 4x4 transform ``T_target_frame``.

        ``in_place``: write the moved points over this cloud's ``xyz``, so a frame holds one copy of its points
        rather than two. Only for a cloud whose ``xyz`` the caller owns (``pointcloud2_to_cloud(msg,
        copy=True)``, not a view of a message), which is then no longer in its frame and should be dropped.
        """
        return PointCloud(
            xyz=transform_points(self.xyz, T_target_frame, out=self.xyz if in_place else None),
            rgb=self.rgb,
            intensity=self.intensity,
            fields=dict(self.fields),
            frame_id=target_frame,
            stamp_ns=self.stamp_ns,
            grid_shape=self.grid_shape,
        )
