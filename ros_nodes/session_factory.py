"""Sessions configured from the params file, so replay and the demo use the nodes' own parameters."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ros_nodes.errors import ConfigError
from ros_nodes.params import default_config_path, load_params_file
from ros_nodes.replay import ReplayTopics
from ros_nodes.scene_session import (
    GroundingSession,
    GroundingSessionConfig,
    PerceptionSession,
    PerceptionSessionConfig,
)


def make_sessions(
    params_file: Path | None = None, lazy_scene: bool = True
) -> tuple[PerceptionSession, GroundingSession, ReplayTopics]:
    """Unloaded sessions and input topics from the ``perception_node`` / ``grounding_node`` sections."""
    path = params_file or default_config_path()
    if path is None:
        raise ConfigError("params file: expected config/ground3d.yaml or --params-file, got none")
    p = load_params_file(path, "perception_node")
    g = load_params_file(path, "grounding_node")
    T = np.asarray(p.get("T_world_sensor", np.eye(4).reshape(-1)), dtype=np.float64)
    if T.size != 16:
        raise ConfigError(f"T_world_sensor: expected 16 numbers (row-major 4x4), got {T.size}")
    perception = PerceptionSession(PerceptionSessionConfig(
        input_mode=str(p.get("input_mode", "rgbd")), world_frame=str(p.get("world_frame", "map")),
        T_world_sensor=T.reshape(4, 4), update_period_s=float(p.get("update_period_s", 1.0)),
        scene_sample_points=int(p.get("scene_sample_points", 128)), depth_scale=float(p.get("depth_scale", 1000.0)),
        fusion_method=str(p.get("fusion_method", "voxel_hash")),
        fusion_voxel_size=float(p.get("fusion_voxel_size", 0.02)),
        min_map_growth=float(p.get("min_map_growth", 0.0)), depth_denoise=bool(p.get("depth_denoise", True)),
        incremental_proposals=bool(p.get("incremental_proposals", True)),
    ))
    grounding = GroundingSession(GroundingSessionConfig(checkpoint=str(g.get("checkpoint", "")), lazy_scene=lazy_scene))
    topics = ReplayTopics(
        cloud=str(p.get("cloud_topic", ReplayTopics.cloud)), color=str(p.get("color_topic", ReplayTopics.color)),
        depth=str(p.get("depth_topic", ReplayTopics.depth)),
        camera_info=str(p.get("camera_info_topic", ReplayTopics.camera_info)),
        odom=str(p.get("odom_topic", ReplayTopics.odom)),
    )
    return perception, grounding, topics
