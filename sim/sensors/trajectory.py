"""Camera trajectories: a robot walking a loop through the free space of a scene, looking at its objects."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.errors import SimConfigError
from sim.scene.geometry import object_footprint
from sim.scene.scene import Scene
from sim.scene_object import ViewPose


@dataclass
class TrajectoryConfig:
    """How the robot walks."""

    camera_height_m: tuple[float, float] = (1.1, 1.6)
    """Range of the camera height above the floor in metres."""
    look_at_height_m: float = 0.5
    """Height of the point the camera looks at, metres."""
    clearance_m: float = 0.35
    """Smallest distance from the path to any object's footprint (the robot's radius), metres."""
    arc_fraction: float = 0.6
    """Fraction of the loop that one trajectory covers."""
    look_jitter_m: float = 0.4
    """Random offset of each frame's look-at point, metres."""

    def __post_init__(self) -> None:
        lo, hi = self.camera_height_m
        if not 0.1 <= lo <= hi:
            raise SimConfigError(f"TrajectoryConfig.camera_height_m: expected 0.1 <= lo <= hi, got {(lo, hi)}")
        if self.clearance_m < 0:
            raise SimConfigError(f"TrajectoryConfig.clearance_m: expected >= 0, got {self.clearance_m}")
        if not 0.0 < self.arc_fraction <= 1.0:
            raise SimConfigError(f"TrajectoryConfig.arc_fraction: expected in (0, 1], got {self.arc_fraction}")
        if self.look_jitter_m < 0:
            raise SimConfigError(f"TrajectoryConfig.look_jitter_m: expected >= 0, got {self.look_jitter_m}")


def look_at_pose(position: np.ndarray, look_at: np.ndarray) -> np.ndarray:
    """(4, 4) ``T_world_cam`` of an optical frame (z forward, x right, y down) at ``position`` facing ``look_at``.

    World z is up; the image's horizon stays level. Raises SimConfigError when the two points coincide or the
    camera would look straight up or down.
    """
    position, look_at = np.asarray(position, dtype=np.float64), np.asarray(look_at, dtype=np.float64)
    z_axis = look_at - position
    n = float(np.linalg.norm(z_axis))
    x_axis = np.cross(z_axis, [0.0, 0.0, 1.0])
    if n < 1e-9 or float(np.linalg.norm(x_axis)) < 1e-9 * max(n, 1.0):
        raise SimConfigError(f"look_at_pose: expected a non-vertical viewing direction, got {z_axis.tolist()}")
    z_axis /= n
    x_axis /= np.linalg.norm(x_axis)
    y_axis = np.cross(z_axis, x_axis)
    T = np.eye(4)
    T[:3, 0], T[:3, 1], T[:3, 2], T[:3, 3] = x_axis, y_axis, z_axis, position
    return T


def _inside(point: np.ndarray, quad: np.ndarray, inflate: float) -> bool:
    center = quad.mean(axis=0)
    ex, ey = quad[1] - quad[0], quad[3] - quad[0]
    d = point - center
    lx, ly = np.linalg.norm(ex), np.linalg.norm(ey)
    return bool(abs(d @ ex) / lx <= lx / 2 + inflate and abs(d @ ey) / ly <= ly / 2 + inflate)


def walk_trajectory(
    scene: Scene, n_frames: int, rng: np.random.Generator, config: TrajectoryConfig | None = None
) -> list[ViewPose]:
    """``n_frames`` camera poses along an elliptic loop through free floor, each looking towards the objects.

    Tries random loops and keeps the first whose samples all keep ``clearance_m`` from every footprint
    (the loop with the fewest collisions when none does).
    """
    cfg = config or TrajectoryConfig()
    if n_frames < 1:
        raise SimConfigError(f"walk_trajectory n_frames: expected >= 1, got {n_frames}")
    quads = [object_footprint(o) for o in scene.objects]
    centers = np.array([o.center[:2] for o in scene.objects]) if scene.objects else np.zeros((1, 2))
    focus = centers.mean(axis=0)
    hw, hd = scene.room.width / 2, scene.room.depth / 2
    best: tuple[int, np.ndarray, float] | None = None
    for _ in range(60):
        ax = rng.uniform(0.35, 0.8) * (hw - cfg.clearance_m)
        ay = rng.uniform(0.35, 0.8) * (hd - cfg.clearance_m)
        phase = rng.uniform(0, 2 * np.pi)
        sense = 1.0 if rng.random() < 0.5 else -1.0
        t = phase + sense * np.linspace(0.0, 2 * np.pi * cfg.arc_fraction, n_frames)
        xy = np.stack([ax * np.cos(t), ay * np.sin(t)], axis=1)  # (F, 2)
        hits = sum(any(_inside(p, q, cfg.clearance_m) for q in quads) for p in xy)
        height = rng.uniform(*cfg.camera_height_m)
        if best is None or hits < best[0]:
            best = (hits, xy, height)
        if hits == 0:
            break
    assert best is not None
    _, xy, height = best
    poses = []
    for p in xy:
        target = focus + rng.normal(0.0, cfg.look_jitter_m, 2)
        if np.linalg.norm(target - p) < 0.5:  # too close to look at: look towards the room centre instead
            away = -p if np.linalg.norm(p) > 1e-6 else np.array([1.0, 0.0])
            target = p + 1.5 * away / np.linalg.norm(away)
        poses.append(ViewPose(np.array([p[0], p[1], height]), np.array([target[0], target[1], cfg.look_at_height_m])))
    return poses
