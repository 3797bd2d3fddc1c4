"""k-nearest and ball-query neighbours within each cloud of a packed batch.

Two backends give the same answer: ``"kdtree"`` (scipy cKDTree, one tree per cloud, queries on all cores)
and ``"torch"`` (blocked brute force with torch.cdist + topk, which runs on any device). On CPU the
KD-tree is the default: it was the faster of the two in ``pointnet.benchmarks.neighbour_search``
(10k queries into 100k points, k=16). On CUDA the torch backend avoids a round trip through the host.

Results follow PyG's ``knn`` / ``radius`` layout: an edge index (2, E) whose row 0 indexes the queries
``y`` and row 1 the sources ``x``, grouped by query in ascending order and, per query, nearest first.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
from scipy.spatial import cKDTree

from pointnet.errors import ConfigError
from pointnet.ops._batch import check_packed, cloud_ptr

Backend = Literal["auto", "kdtree", "torch"]

# Max distance-matrix entries per block in the torch backend: 2**24 float32 entries = 64 MiB.
_BLOCK_ENTRIES = 1 << 24


def resolve_backend(backend: Backend, device: torch.device) -> Literal["kdtree", "torch"]:
    """The backend ``"auto"`` stands for on ``device``: the KD-tree on CPU, torch elsewhere."""
    if backend == "auto":
        return "kdtree" if device.type == "cpu" else "torch"
    if backend not in ("kdtree", "torch"):
        raise ConfigError(f"neighbour backend: expected 'auto', 'kdtree' or 'torch', got {backend!r}")
    return backend


def knn(
    x: torch.Tensor,
    y: torch.Tensor,
    k: int,
    batch_x: torch.Tensor | None = None,
    batch_y: torch.Tensor | None = None,
    backend: Backend = "auto",
) -> torch.Tensor:
    """The k nearest points of ``x`` to each point of ``y``, within the same cloud.

    Args:
        x: (N, 3) source positions; batch_x (N,) their sorted cloud index (None: one cloud).
        y: (M, 3) query positions; batch_y (M,) their sorted cloud index (None: one cloud).
        k: neighbours per query; a query in a cloud of fewer than k sources gets all of them.

    Returns:
        (2, E) int64 edge index: row 0 into ``y``, row 1 into ``x``, per query nearest first.
    """
    if k < 1:
        raise ConfigError(f"knn.k: expected >= 1, got {k}")
    return _search(x, y, batch_x, batch_y, k, None, backend)


def ball_query(
    x: torch.Tensor,
    y: torch.Tensor,
    radius: float,
    max_neighbors: int,
    batch_x: torch.Tensor | None = None,
    batch_y: torch.Tensor | None = None,
    backend: Backend = "auto",
) -> torch.Tensor:
    """The points of ``x`` within ``radius`` (inclusive) of each point of ``y``, in the same cloud.

    A query with more than ``max_neighbors`` such points keeps the ``max_neighbors`` nearest (PyG's
    ``radius`` keeps an arbitrary subset instead; the nearest ones make the grouping deterministic).

    Args:
        x: (N, 3) source positions; batch_x (N,) their sorted cloud index (None: one cloud).
        y: (M, 3) query positions; batch_y (M,) their sorted cloud index (None: one cloud).
        radius: ball radius in the units of the positions (metres for scenes).
        max_neighbors: most neighbours kept per query.

    Returns:
        (2, E) int64 edge index: row 0 into ``y``, row 1 into ``x``, per query nearest first.
    """
    if not radius > 0:
        raise ConfigError(f"ball_query.radius: expected > 0, got {radius}")
    if max_neighbors < 1:
        raise ConfigError(f"ball_query.max_neighbors: expected >= 1, got {max_neighbors}")
    return _search(x, y, batch_x, batch_y, max_neighbors, float(radius), backend)


def _search(
    x: torch.Tensor,
    y: torch.Tensor,
    batch_x: torch.Tensor | None,
    batch_y: torch.Tensor | None,
    k: int,
    radius: float | None,
    backend: Backend,
) -> torch.Tensor:
    batch_x = check_packed("neighbours x", x, batch_x)
    batch_y = check_packed("neighbours y", y, batch_y)
    num_clouds = max(_num_clouds(batch_x), _num_clouds(batch_y))
    ptr_x = cloud_ptr(batch_x, num_clouds).tolist()
    ptr_y = cloud_ptr(batch_y, num_clouds).tolist()
    which = resolve_backend(backend, x.device)
    edges = []
    for b in range(num_clouds):
        xs, xe, ys, ye = ptr_x[b], ptr_x[b + 1], ptr_y[b], ptr_y[b + 1]
        if xe == xs or ye == ys:
            continue
        if which == "kdtree":
            rows, cols = _kdtree_cloud(x[xs:xe], y[ys:ye], k, radius)
        else:
            rows, cols = _torch_cloud(x[xs:xe], y[ys:ye], k, radius)
        edges.append(torch.stack([rows.to(y.device) + ys, cols.to(y.device) + xs]))
    if not edges:
        return torch.zeros(2, 0, dtype=torch.int64, device=y.device)
    return torch.cat(edges, dim=1)


def _num_clouds(batch: torch.Tensor) -> int:
    return int(batch[-1].item()) + 1 if batch.numel() else 0


def _kdtree_cloud(
    x: torch.Tensor, y: torch.Tensor, k: int, radius: float | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """One cloud through cKDTree: (E,) query rows and (E,) source columns, local indices."""
    xs = x.detach().to("cpu", torch.float64).numpy()
    ys = y.detach().to("cpu", torch.float64).numpy()
    k = min(k, xs.shape[0])
    # Threads pay off only for many queries; for a small object cloud, starting them costs more than the search.
    workers = -1 if ys.shape[0] >= 4096 else 1
    # A tree here is built for one batch of queries and dropped, so the build is most of the cost: scipy's
    # sliding-midpoint split (balanced_tree=False) builds about twice as fast as the median split, and the
    # answer is the same exact kNN.
    tree = cKDTree(xs, balanced_tree=False)
    if radius is None:
        dist, idx = tree.query(ys, k=k, workers=workers)
    else:
        # cKDTree's upper bound is exclusive in its pruning; nudge it up one ulp so that the radius is inclusive.
        bound = float(np.nextafter(radius, np.inf))
        dist, idx = tree.query(ys, k=k, distance_upper_bound=bound, workers=workers)
    idx = idx.reshape(ys.shape[0], k)  # (M, k); missing neighbours hold len(xs)
    dist = dist.reshape(ys.shape[0], k)
    keep = np.isfinite(dist) if radius is None else dist <= radius  # recheck: the ulp nudge may admit one
    rows = np.broadcast_to(np.arange(ys.shape[0])[:, None], idx.shape)[keep]
    return torch.from_numpy(np.ascontiguousarray(rows, dtype=np.int64)), torch.from_numpy(idx[keep].astype(np.int64))


def _torch_cloud(
    x: torch.Tensor, y: torch.Tensor, k: int, radius: float | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """One cloud by blocked brute force: (E,) query rows and (E,) source columns, local indices."""
    x = x.detach()
    y = y.detach()
    k = min(k, x.shape[0])
    block = max(1, _BLOCK_ENTRIES // max(1, x.shape[0]))
    rows_out, cols_out = [], []
    for start in range(0, y.shape[0], block):
        q = y[start : start + block]
        # Squared distances through the expanded form are faster than cdist's exact mode; the topk
        # distances are then recomputed exactly so that the radius test matches the KD-tree's.
        d2 = torch.cdist(q, x, compute_mode="use_mm_for_euclid_dist").square_()  # (Mb, N)
        _, idx = torch.topk(d2, k, dim=1, largest=False, sorted=True)  # (Mb, k)
        exact = (x[idx] - q[:, None, :]).square().sum(-1)  # (Mb, k)
        exact, order = torch.sort(exact, dim=1, stable=True)
        idx = torch.gather(idx, 1, order)
        keep = torch.ones_like(exact, dtype=torch.bool) if radius is None else exact <= radius * radius
        rows = torch.arange(start, start + q.shape[0], device=y.device)[:, None].expand_as(idx)
        rows_out.append(rows[keep])
        cols_out.append(idx[keep])
    return torch.cat(rows_out), torch.cat(cols_out)

