"""``ground3d sim --preview``: one picture of a generated scene, its camera view and a few of its expressions."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

from sim.dataset.language_hook import language_generators
from sim.scene.geometry import object_footprint
from sim.scene.scene import SceneConfig, generate_scene
from sim.scene_object import ViewPose
from sim.sensors.camera import RGBDCamera, RGBDCameraConfig
from sim.sensors.raycaster import SceneRaycaster
from sim.sensors.trajectory import look_at_pose, walk_trajectory


def write_preview(
    out: Path | str, seed: int = 0, scene_config: SceneConfig | None = None, n_expressions: int = 8
) -> Path:
    """Write a PNG with three panels: the rendered RGB view, a top-down map with labelled boxes and the
    camera, and ``n_expressions`` referring expressions from ``sim.language`` (when available)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon

    scene = generate_scene(scene_config or SceneConfig(min_objects=15, max_objects=25), seed, f"preview{seed:04d}")
    pose = walk_trajectory(scene, 1, np.random.default_rng([seed, 2]))[0]
    T = look_at_pose(pose.position, pose.look_at)
    render = RGBDCamera(RGBDCameraConfig()).render(SceneRaycaster(scene.mesh), T, np.random.default_rng(seed))
    views = {"view000": ViewPose(pose.position, pose.look_at)}
    gens = language_generators()
    exprs = gens[0](scene.objects, views, scene.scene_id, np.random.default_rng([seed, 4])) if gens else []
    rng = np.random.default_rng(seed)
    picked = [exprs[int(i)] for i in sorted(rng.permutation(len(exprs))[:n_expressions])]

    fig = plt.figure(figsize=(17, 6.2))
    ax_img = fig.add_axes((0.01, 0.08, 0.37, 0.84))
    ax_img.imshow(render.rgb)
    ax_img.set_title("camera view000 (RGB, 640x480)")
    ax_img.axis("off")
    visible = set(np.unique(render.instance).tolist()) - {-1}
    for oid in visible:  # label each visible object at its pixel centroid
        v, u = np.nonzero(render.instance == oid)
        if len(u) > 150:
            ax_img.text(u.mean(), v.mean(), str(oid), color="white", fontsize=8, ha="center",
                        bbox={"facecolor": "black", "alpha": 0.5, "pad": 1, "linewidth": 0})

    ax_map = fig.add_axes((0.40, 0.08, 0.27, 0.84))
    hx, hy = scene.room.width / 2, scene.room.depth / 2
    ax_map.add_patch(Polygon([(-hx, -hy), (hx, -hy), (hx, hy), (-hx, hy)], closed=True, fill=False,
                             lw=2 if scene.room.walls else 1, ls="-" if scene.room.walls else "--", color="k"))
    for o in sorted(scene.objects, key=lambda o: o.center[2]):
        ax_map.add_patch(Polygon(object_footprint(o), closed=True, facecolor=np.array(o.rgb) / 255.0,
                                 edgecolor="k", lw=0.6, alpha=0.85))
        ax_map.text(o.center[0], o.center[1], f"{o.object_id} {o.color} {o.label}", fontsize=5.5,
                    ha="center", va="center", bbox={"facecolor": "white", "alpha": 0.6, "pad": 0.5, "lw": 0})
    p, d = pose.position, T[:3, 2]
    ax_map.plot(p[0], p[1], "ko", ms=7)
    ax_map.arrow(p[0], p[1], 0.8 * d[0], 0.8 * d[1], head_width=0.12, color="k")
    ax_map.set_xlim(-hx - 0.2, hx + 0.2)
    ax_map.set_ylim(-hy - 0.2, hy + 0.2)
    ax_map.set_aspect("equal")
    ax_map.set_title(f"top-down: {len(scene.objects)} objects (id colour label), camera o->")

    ax_txt = fig.add_axes((0.69, 0.08, 0.30, 0.84))
    ax_txt.axis("off")
    ax_txt.set_title("referring expressions (from view000)")
    lines = []
    for e in picked:
        target = f"-> {e['object_id']}" if e["object_id"] >= 0 else "-> absent"
        lines.append(textwrap.fill(f"\"{e['description']}\" {target} [{e.get('relation', '')}]", 52))
    if not lines:
        lines = ["(sim.language is not available: no expressions)"]
    ax_txt.text(0.0, 1.0, "\n\n".join(lines), va="top", fontsize=9, family="monospace")
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
