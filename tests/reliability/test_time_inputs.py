"""Time: frames out of order and pose jumps are refused with ``FrameOrderError`` naming expected and received."""

from __future__ import annotations

import numpy as np
import pytest

from perception.errors import FrameOrderError, PerceptionError
from perception.frame_guard import FrameGuard, FrameGuardConfig
from ros_nodes.errors import RosNodesError
from ros_nodes.scene_session import PerceptionSession, PerceptionSessionConfig

S = 1_000_000_000


def pose(x: float) -> np.ndarray:
    T = np.eye(4)
    T[0, 3] = x
    return T


def test_frame_older_than_the_last_accepted_one_is_refused() -> None:
    guard = FrameGuard()
    guard.admit(5 * S, pose(0.0))
    with pytest.raises(FrameOrderError, match=r"expected >= the last accepted frame's 5000000000 ns, got 4000000000"):
        guard.admit(4 * S, pose(0.0))
    assert guard.refused == 1
    guard.admit(6 * S, pose(0.1))  # the stream goes on with the next good frame
    assert guard.last_stamp_ns == 6 * S


def test_pose_jump_is_refused_and_names_allowed_and_moved_distance() -> None:
    guard = FrameGuard(FrameGuardConfig(max_speed_m_s=2.0, slack_m=0.1))
    guard.admit(0, pose(0.0))
    guard.admit(S, pose(1.5))  # 1.5 m in 1 s: a walk
    with pytest.raises(FrameOrderError, match=r"pose jump: expected .* at most 2\.100 m in 1\.000 s.*got 48\.500 m"):
        guard.admit(2 * S, pose(50.0))
    assert np.allclose(guard.last_position, [1.5, 0, 0])  # the refused pose is not remembered


def test_after_a_relocalisation_the_new_pose_is_accepted_once_enough_time_passed() -> None:
    guard = FrameGuard(FrameGuardConfig(max_speed_m_s=1.0, slack_m=0.0))
    guard.admit(0, pose(0.0))
    with pytest.raises(FrameOrderError):
        guard.admit(S, pose(3.0))
    guard.admit(4 * S, pose(3.0))  # 3 m in 4 s is believable again: bounded, not a permanent lock-out
    assert guard.last_stamp_ns == 4 * S


def test_non_finite_pose_and_bad_config_are_refused() -> None:
    guard = FrameGuard()
    bad = pose(0.0)
    bad[1, 3] = np.nan
    with pytest.raises(FrameOrderError, match="finite"):
        guard.admit(0, bad)
    with pytest.raises(PerceptionError, match=r"max_speed_m_s: expected .* got -1"):
        FrameGuardConfig(max_speed_m_s=-1)
    with pytest.raises(RosNodesError, match=r"max_speed_m_s: expected .* got inf"):
        PerceptionSessionConfig(max_speed_m_s=float("inf"))


def test_session_uses_its_guard_and_forgets_it_on_reset() -> None:
    session = PerceptionSession(PerceptionSessionConfig(max_speed_m_s=3.0))
    assert session.guard.config.max_speed_m_s == 3.0
    session.guard.admit(S, pose(0.0))
    session.reset()
    session.guard.admit(0, pose(100.0))  # a new scene: no stale limit from the old one
