"""Deterministic RANSAC plane fit, vectorised over hypotheses.

Written here rather than calling open3d's ``PointCloud.segment_plane``: open3d runs its RANSAC iterations
on OpenMP threads that draw from one shared random engine, so which thread gets which sample depends on
scheduling and the same cloud and seed can give a different plane from one process to the next. That made
two replays of one bag end with different scenes. Here every hypothesis is drawn up front from a seeded
numpy generator and all are scored in one pass, so the same points and seed always give the same plane.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_SCORE_BLOCK = 1_000_000
"""Hypothesis-by-point distances scored per block (float32: 4 MB), so memory stays flat for large inputs.
A 4 MB block also stays in cache, which made the plane search faster than with 16 MB blocks on fused rooms."""


@dataclass
class PlaneFit:
    """The best plane ``model`` (4,) = (a, b, c, d) with unit normal, ax + by + cz + d = 0 (metres), and its
    ``inliers`` (K,), rows of the input within the threshold. An empty ``inliers`` means no plane was found."""

    model: np.ndarray
    inliers: np.ndarray


def fit_plane(points: np.ndarray) -> np.ndarray:
    """(4,) least-squares plane through points (M >= 3, 3): the normal is the covariance's smallest
    eigenvector, so it minimises the sum of squared point-to-plane distances."""
    center = points.astype(np.float64).mean(axis=0)
    offsets = points - center  # (M, 3)
    _, vectors = np.linalg.eigh(offsets.T @ offsets)
    normal = vectors[:, 0]
    return np.append(normal, -normal @ center)


def ransac_plane(points: np.ndarray, threshold: float, iterations: int, rng: np.random.Generator) -> PlaneFit:
    """Fit one plane to points (N, 3) in metres by RANSAC with ``iterations`` 3-point hypotheses.

    As open3d's ``segment_plane``: the hypothesis with the most points within ``threshold`` metres wins, a
    tie goes to the smaller inlier RMS distance (then to the earliest drawn), and the winner is refitted by
    least squares to its inliers, whose set is then taken again. Degenerate (collinear) triples are never
    chosen. Fewer than 3 points give an empty fit.
    """
    num = points.shape[0]
    if num < 3 or iterations < 1:
        return PlaneFit(np.zeros(4), np.empty(0, dtype=np.int64))
    pts = points.astype(np.float64, copy=False)
    # Three distinct rows per hypothesis: draw from 0..n-1, 0..n-2, 0..n-3 and shift past the earlier picks.
    a = rng.integers(0, num, iterations)
    b = rng.integers(0, num - 1, iterations)
    b += b >= a
    c = rng.integers(0, num - 2, iterations)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    c += c >= lo
    c += c >= hi
    p0, p1, p2 = pts[a], pts[b], pts[c]  # (I, 3) each
    normal = np.cross(p1 - p0, p2 - p0)  # (I, 3)
    length = np.linalg.norm(normal, axis=1)  # (I,)
    valid = length > 1e-12
    normal[valid] /= length[valid, None]
    offset = -np.einsum("ij,ij->i", normal, p0)  # (I,)
    scores = np.full(iterations, -1, dtype=np.int64)
    pts32, normal32, offset32 = pts.astype(np.float32), normal.astype(np.float32), offset.astype(np.float32)
    step = max(1, _SCORE_BLOCK // num)
    for start in range(0, iterations, step):
        rows = slice(start, start + step)
        dist = normal32[rows] @ pts32.T  # (block, N)
        dist += offset32[rows, None]
        np.abs(dist, out=dist)  # in place: the block is the step's whole working memory
        # A count per row: numpy's count_nonzero(axis=1) casts the mask to integers first, several times slower.
        scores[rows] = [np.count_nonzero(near) for near in dist <= threshold]
        del dist  # else the next block is allocated while this one is still held: twice the memory
    scores[~valid] = -1
    top = np.flatnonzero(scores == scores.max())  # usually one; ties are broken by inlier RMS distance
    dist = np.abs(normal32[top] @ pts32.T + offset32[top, None])  # (T, N)
    sq_error = np.where(dist <= threshold, dist * dist, 0.0).sum(axis=1)
    best = int(top[np.argmin(sq_error)])  # argmin: the earliest of equals
    if scores[best] < 3:
        return PlaneFit(np.zeros(4), np.empty(0, dtype=np.int64))
    model = np.append(normal[best], offset[best])
    inliers = np.flatnonzero(np.abs(pts @ model[:3] + model[3]) <= threshold)
    refit = fit_plane(pts[inliers])
    model = refit if refit[:3] @ model[:3] >= 0 else -refit  # keep the hypothesis's side
    inliers = np.flatnonzero(np.abs(pts @ model[:3] + model[3]) <= threshold)
    return PlaneFit(model, inliers)
