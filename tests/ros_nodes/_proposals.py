"""A small synthetic proposal shared by the session tests."""

from __future__ import annotations

import numpy as np

from perception import Box3D, ObjectProposal


def cube_proposal(i: int, n: int = 300) -> ObjectProposal:
    """Object ``i``: n random points in a 0.2 m cube at x = i metres, random colours, flat histogram."""
    rng = np.random.default_rng(i)
    pts = (rng.random((n, 3)) * 0.2 + [i, 0, 0]).astype(np.float32)
    box = Box3D.from_points_axis_aligned(pts)
    return ObjectProposal(i, pts, rng.integers(0, 255, (n, 3), dtype=np.uint8), np.arange(n, dtype=np.int64), box,
                          box, np.full(3, 100.0, np.float32), np.full(24, 1 / 8, np.float32))
