"""FrameGuard: refuse a sensor frame whose stamp goes back in time or whose pose jumps, before it is fused.

A frame fused at a wrong pose smears every object it sees, and the damage stays in the map; a wrong pose
from a localisation reset or a bad TF is far more common on a robot than a truly fast one. So each frame's
``T_world_sensor`` is compared with the last accepted one: moving faster than ``max_speed_m_s`` (plus a
small ``slack_m`` for pose noise) is a jump. A refused frame is not remembered, so after a genuine
relocalisation the allowance grows with the elapsed time and the new pose is accepted again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from perception.errors import FrameOrderError, PerceptionError


@dataclass
class FrameGuardConfig:
    """Limits a frame must respect against the last accepted frame."""

    max_speed_m_s: float = 10.0
    """Largest believable sensor speed, metres per second of sensor time (an indoor robot: ~1-2 m/s)."""
    slack_m: float = 0.5
    """Translation always allowed, metres (pose noise; frames with the same or very close stamps)."""

    def __post_init__(self) -> None:
        if not (np.isfinite(self.max_speed_m_s) and self.max_speed_m_s > 0):
            raise PerceptionError(f"FrameGuardConfig.max_speed_m_s: expected a finite value > 0, "
                                  f"got {self.max_speed_m_s}")
        if not (np.isfinite(self.slack_m) and self.slack_m >= 0):
            raise PerceptionError(f"FrameGuardConfig.slack_m: expected a finite value >= 0, got {self.slack_m}")


class FrameGuard:
    """``admit(stamp_ns, T_world_sensor)`` accepts a frame or raises ``FrameOrderError``."""

    def __init__(self, config: FrameGuardConfig | None = None) -> None:
        self.config = config or FrameGuardConfig()
        self.last_stamp_ns: int | None = None
        self.last_position: np.ndarray | None = None
        self.refused = 0

    def check(self, stamp_ns: int, T_world_sensor: np.ndarray) -> None:
        """Raise ``FrameOrderError`` when ``stamp_ns`` is older than the last accepted frame, or when the
        sensor position (translation of the (4, 4) ``T_world_sensor``, metres) moved faster than allowed."""
        T = np.asarray(T_world_sensor, dtype=np.float64)
        if T.shape != (4, 4) or not np.isfinite(T).all():
            self.refused += 1
            raise FrameOrderError(f"frame pose: expected a finite (4, 4) T_world_sensor, got shape {T.shape}")
        if self.last_stamp_ns is None or self.last_position is None:
            return
        if stamp_ns < self.last_stamp_ns:
            self.refused += 1
            raise FrameOrderError(
                f"frame stamp: expected >= the last accepted frame's {self.last_stamp_ns} ns, got {stamp_ns} ns "
                f"({(self.last_stamp_ns - stamp_ns) / 1e9:.3f} s back in time)"
            )
        dt_s = (stamp_ns - self.last_stamp_ns) / 1e9
        allowed_m = self.config.slack_m + self.config.max_speed_m_s * dt_s
        moved_m = float(np.linalg.norm(T[:3, 3] - self.last_position))
        if moved_m > allowed_m:
            self.refused += 1
            raise FrameOrderError(
                f"pose jump: expected the sensor to move at most {allowed_m:.3f} m in {dt_s:.3f} s "
                f"(max_speed_m_s={self.config.max_speed_m_s}, slack_m={self.config.slack_m}), got {moved_m:.3f} m"
            )

    def admit(self, stamp_ns: int, T_world_sensor: np.ndarray) -> None:
        """``check`` the frame, then remember it as the last accepted one."""
        self.check(stamp_ns, T_world_sensor)
        self.last_stamp_ns = int(stamp_ns)
        self.last_position = np.asarray(T_world_sensor, dtype=np.float64)[:3, 3].copy()

    def reset(self) -> None:
        """Forget the last frame (a new scene starts)."""
        self.last_stamp_ns = None
        self.last_position = None
