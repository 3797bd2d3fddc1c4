"""The demo picture: chosen boxes and labels on the camera image (left) and on a top-down view (right)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from perception import Box3D, CameraIntrinsics, ObjectProposal

STATUS_COLORS = {"found": "#22cc44", "ambiguous": "#ffcc00", "not_found": "#ff4444", "error": "#ff4444"}
_EDGES = [(0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4), (0, 4), (1, 5), (2, 6), (3, 7)]


def _project(points_world: np.ndarray, K: np.ndarray, T_world_cam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixels (M, 2) of world points (M, 3), and which lie in front of the camera (M,)."""
    T_cam_world = np.linalg.inv(T_world_cam)
    cam = points_world @ T_cam_world[:3, :3].T + T_cam_world[:3, 3]  # (M, 3) optical frame
    front = cam[:, 2] > 0.05
    uv = cam @ K.T
    return uv[:, :2] / np.maximum(uv[:, 2:3], 1e-6), front


def best_view(poses: list[np.ndarray], intrinsics: CameraIntrinsics, results: list[dict[str, Any]]) -> int:
    """Index of the camera pose (4, 4) that sees the most chosen box centres inside its image."""
    centers = [r["box"]["center"] for r in results if r.get("box")]
    if not centers:
        return len(poses) - 1
    pts = np.asarray(centers, dtype=np.float64)

    def seen(T: np.ndarray) -> int:
        uv, front = _project(pts, intrinsics.K, T)
        inside = (uv[:, 0] >= 0) & (uv[:, 0] < intrinsics.width) & (uv[:, 1] >= 0) & (uv[:, 1] < intrinsics.height)
        return int((inside & front).sum())

    return max(range(len(poses)), key=lambda i: (seen(poses[i]), i))


def draw_demo(
    path: Path, color_msg: Any, intrinsics: CameraIntrinsics, T_world_cam: np.ndarray,
    proposals: list[ObjectProposal], results: list[dict[str, Any]], ground_truth: list[dict[str, Any]],
) -> Path:
    """Write the two-panel PNG to ``path`` and return it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon

    from perception.convert import image_to_rgb

    rgb = image_to_rgb(color_msg)
    fig, (ax_cam, ax_top) = plt.subplots(1, 2, figsize=(14, 6), gridspec_kw={"width_ratios": [1.25, 1]})
    ax_cam.imshow(rgb)
    ax_cam.set_title("camera view: chosen objects")
    ax_cam.set_xlim(0, rgb.shape[1])
    ax_cam.set_ylim(rgb.shape[0], 0)
    ax_cam.axis("off")
    for gt in ground_truth:
        box = Box3D(np.asarray(gt["center"]), np.asarray(gt["size"]), float(gt.get("yaw", 0.0)))
        ax_top.add_patch(Polygon(box.corners()[:4, :2], closed=True, fill=False, ec="#bbbbbb", lw=1, ls="--"))
    for p in proposals:
        ax_top.add_patch(Polygon(p.obb.corners()[:4, :2], closed=True, fill=True, fc="#4a90d9", alpha=0.25,
                                 ec="#4a90d9", lw=1))
    drawn = 0
    for n, r in enumerate(results):
        if r.get("kind") != "grounding" or not r.get("box") or r.get("status") not in ("found", "ambiguous"):
            continue
        colour = STATUS_COLORS[r["status"]]
        label = f"[{n + 1}] {r.get('label') or 'object'} {r.get('object_id')}"
        boxes = [Box3D.from_json(r["box"])]
        if r["status"] == "ambiguous":
            boxes += [Box3D.from_json(c["box"]) for c in r.get("candidates") or []]
        for k, box in enumerate(boxes):
            corners = box.corners()
            uv, front = _project(corners, intrinsics.K, T_world_cam)
            if front.all():
                for a, b in _EDGES:
                    ax_cam.plot(uv[[a, b], 0], uv[[a, b], 1], color=colour, lw=2)
                if k == 0:
                    top = uv[4:].min(axis=0)
                    ax_cam.text(top[0], top[1] - 4, label, color="black", fontsize=8, clip_on=True,
                                bbox={"facecolor": colour, "alpha": 0.85, "pad": 1, "lw": 0})
            ax_top.add_patch(Polygon(corners[:4, :2], closed=True, fill=False, ec=colour, lw=2.5))
            if k == 0:
                ax_top.annotate(label, corners[:4, :2].mean(axis=0), fontsize=8, ha="center", va="bottom",
                                color="black", bbox={"facecolor": colour, "alpha": 0.85, "pad": 1, "lw": 0})
        drawn += 1
    cam_xy = T_world_cam[:2, 3]
    look = T_world_cam[:2, 2] / max(np.linalg.norm(T_world_cam[:2, 2]), 1e-9)
    ax_top.plot(*cam_xy, marker="o", color="black")
    ax_top.arrow(cam_xy[0], cam_xy[1], 0.5 * look[0], 0.5 * look[1], head_width=0.1, color="black")
    ax_top.set_title("top view: truth (dashed), proposals (blue), chosen")
    ax_top.set_aspect("equal")
    ax_top.autoscale_view()
    ax_top.set_xlabel("x (m)")
    ax_top.set_ylabel("y (m)")
    fig.suptitle(f"ground3d demo: {len(proposals)} objects perceived, {drawn} queries grounded "
                 "(green found, yellow ambiguous)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
