"""Rigid transforms of point arrays."""

from __future__ import annotations

import numpy as np

from perception._checks import check_array
from perception.errors import ShapeError

_CHUNK_ROWS = 32768
"""Rows transformed at a time, so the products' temporaries stay a few hundred kB: whole-cloud ones kept about
one more copy of the cloud resident at a frame's start (3 MiB for 307k points)."""


def transform_points(points: np.ndarray, T_target_source: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Apply a 4x4 rigid transform to points (N, 3) in the source frame; returns (N, 3) in the target frame.

    Written as three scaled columns instead of ``points @ R.T``: numpy sends that thin (N, 3) x (3, 3)
    product to multi-threaded OpenBLAS, which was measured to stall for 100+ ms on a busy 2-core robot CPU,
    while this form stays at memory speed. The result keeps the input's float dtype.

    ``out`` (N, 3) of that dtype receives the result and may be ``points`` itself (a cloud moved in place).
    """
    check_array("points", points, (None, 3))
    check_array("T_target_source", np.asarray(T_target_source), (4, 4))
    T = np.asarray(T_target_source, dtype=points.dtype if points.dtype.kind == "f" else np.float64)
    R, t = T[:3, :3], T[:3, 3]
    if out is None:
        out = np.empty(points.shape, dtype=T.dtype)  # (N, 3)
    elif out.shape != points.shape or out.dtype != T.dtype:
        raise ShapeError(f"transform_points: expected out of shape {points.shape} and dtype {T.dtype}, "
                         f"got {out.shape} {out.dtype}")
    in_place = np.may_share_memory(points, out)
    # An infinite coordinate (a corrupt return) comes out NaN, as a no-return does: a non-finite row either
    # way, which clouds already mark as missing (finite_mask), so numpy's "invalid value" warning adds nothing.
    with np.errstate(invalid="ignore"):
        for start in range(0, points.shape[0], _CHUNK_ROWS):
            p = points[start : start + _CHUNK_ROWS]  # (C, 3)
            if in_place:
                p = p.copy()  # each output column reads every input column of its rows
            chunk = out[start : start + _CHUNK_ROWS]
            np.multiply(p[:, 0:1], R[:, 0], out=chunk)
            chunk += p[:, 1:2] * R[:, 1]
            chunk += p[:, 2:3] * R[:, 2]
            chunk += t
    return out
