"""perception_node: sensor topics -> ``PerceptionSession`` -> ``~/objects`` markers and the ``~/scene`` summary.

Subscribes (sensor-data QoS) to a PointCloud2 (``input_mode: cloud``) or to colour Image + depth Image +
CameraInfo matched by ``ApproximateTimeSynchronizer`` (``input_mode: rgbd``), and to nav_msgs/Odometry for the
sensor pose. A TF lookup replaces Odometry when ``tf2_ros`` can be imported and ``use_tf`` is set.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

from ros_nodes import qos, wire
from ros_nodes.markers import objects_markers
from ros_nodes.node_base import ManagedNode
from ros_nodes.params import ParamSpec
from ros_nodes.scene_session import FUSION_METHODS, INPUT_MODES, PerceptionSession, PerceptionSessionConfig, SceneUpdate
from ros_nodes.sync import ApproximateTimeSynchronizer, SyncConfig

IDENTITY_16 = [float(v) for v in np.eye(4).reshape(-1)]


class PerceptionNode(ManagedNode):
    """Lifecycle node: the models load in on_configure and are freed in on_cleanup."""

    PARAMS: ClassVar[list[ParamSpec]] = [
        ParamSpec("input_mode", "rgbd", "rgbd: colour + depth + CameraInfo fused into one map; cloud: PointCloud2",
                  choices=INPUT_MODES),
        ParamSpec("cloud_topic", "/camera/depth/points", "PointCloud2 topic (input_mode cloud)"),
        ParamSpec("color_topic", "/camera/color/image_raw", "colour Image topic (input_mode rgbd)"),
        ParamSpec("depth_topic", "/camera/depth/image_raw", "depth Image topic, 16UC1 mm or 32FC1 m"),
        ParamSpec("camera_info_topic", "/camera/camera_info", "CameraInfo of the colour camera"),
        ParamSpec("odom_topic", "/odom", "nav_msgs/Odometry giving the pose of its child_frame_id"),
        ParamSpec("world_frame", "map", "frame the fused scene and the markers are in"),
        ParamSpec("use_tf", True, "look sensor poses up in TF when tf2_ros is importable"),
        ParamSpec("T_world_sensor", IDENTITY_16, "row-major 4x4 sensor pose used when no TF or Odometry pose"),
        ParamSpec("sync_slop_s", 0.02, "largest stamp spread of a matched colour/depth/info set", 0.0, 1.0),
        ParamSpec("sync_queue_size", 10, "messages kept per synchronized stream", 1, 100),
        ParamSpec("update_period_s", 1.0, "least sensor time between scene updates (frames between skipped)",
                  0.0, 3600.0),
        ParamSpec("scene_sample_points", 128, "points per object in the ~/scene summary", 0, 100000),
        ParamSpec("depth_scale", 1000.0, "units per metre of 16UC1 depth images", 1e-6, 1e9),
        ParamSpec("fusion_method", "voxel_hash", "RGB-D fusion: voxel_hash or tsdf", choices=FUSION_METHODS),
        ParamSpec("fusion_voxel_size", 0.02, "voxel edge of the fused map, metres", 0.001, 1.0),
        ParamSpec("depth_denoise", True, "take depth through a 3x3 median, guarded at 3 noise sigmas, before fusion"),
        ParamSpec("min_map_growth", 0.0, "recompute proposals once the fused map grew by this fraction of its "
                  "voxels (0: every update)", 0.0, 1.0),
        ParamSpec("incremental_proposals", True, "recompute proposals only where the fused map changed"),
    ]

    def __init__(self, parameter_overrides: dict[str, Any] | None = None,
                 on_scene: Callable[[SceneUpdate], None] | None = None, **kwargs: Any) -> None:
        super().__init__("perception_node", parameter_overrides, **kwargs)
        self.on_scene = on_scene
        """Called with every scene update; ``ground3d launch`` hands proposals to grounding in-process."""
        self.session: PerceptionSession | None = None
        self.sync: ApproximateTimeSynchronizer | None = None
        self._tf: Any = None

    def setup(self) -> None:
        T = np.asarray(self.param("T_world_sensor"), dtype=np.float64)
        if T.size != 16:
            raise ValueError(f"T_world_sensor: expected 16 numbers (row-major 4x4), got {T.size}")
        config = PerceptionSessionConfig(
            input_mode=self.param("input_mode"), world_frame=self.param("world_frame"),
            T_world_sensor=T.reshape(4, 4), update_period_s=self.param("update_period_s"),
            scene_sample_points=self.param("scene_sample_points"), depth_scale=self.param("depth_scale"),
            fusion_method=self.param("fusion_method"), fusion_voxel_size=self.param("fusion_voxel_size"),
            min_map_growth=self.param("min_map_growth"), depth_denoise=self.param("depth_denoise"),
            incremental_proposals=self.param("incremental_proposals"),
        )
        self.session = PerceptionSession(config)
        self.session.load()
        if self.param("use_tf"):
            self.session.tf_lookup = self._make_tf_lookup()
        self.publisher("~/objects", "visualization_msgs/msg/MarkerArray", qos.LATCHED)
        self.publisher("~/scene", "std_msgs/msg/String", qos.LATCHED)
        self.subscribe(self.param("odom_topic"), "nav_msgs/msg/Odometry", qos.SENSOR, self._on_odometry)
        if config.input_mode == "cloud":
            self.subscribe(self.param("cloud_topic"), "sensor_msgs/msg/PointCloud2", qos.SENSOR, self._on_cloud,
                           skip=self.session.skip_raw)
        else:
            sync_cfg = SyncConfig(3, int(self.param("sync_slop_s") * 1e9), self.param("sync_queue_size"))
            self.sync = ApproximateTimeSynchronizer(sync_cfg, self._on_rgbd)
            topics = [self.param("color_topic"), self.param("depth_topic"), self.param("camera_info_topic")]
            types = ["sensor_msgs/msg/Image", "sensor_msgs/msg/Image", "sensor_msgs/msg/CameraInfo"]
            for k, (topic, typename) in enumerate(zip(topics, types, strict=True)):
                self.subscribe(topic, typename, qos.SENSOR, self._sync_handler(k))

    def teardown(self) -> None:
        if self.session is not None:
            self.session.unload()
        self.session, self.sync, self._tf = None, None, None

    def on_deactivated(self) -> None:
        if self.sync is not None:
            self.sync.reset()

    def diagnostics_extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.session is not None:
            extra.update(scene_version=self.session.version, objects=len(self.session.proposals),
                         skipped_frames=self.session.skipped)
        if self.sync is not None:
            extra.update(sync_matched=self.sync.stats.matched, sync_dropped=self.sync.stats.dropped)
        return extra

    # --- callbacks --------------------------------------------------------------------------------
    def _on_odometry(self, msg: Any) -> None:
        assert self.session is not None
        session = self.session
        self._publish(self.timed(lambda: session.add_odometry(msg)))  # may release a frame waiting for it

    def _on_cloud(self, msg: Any) -> None:
        assert self.session is not None
        session = self.session
        self._publish(self.timed(lambda: session.add_cloud(msg)))

    def _sync_handler(self, stream: int) -> Callable[[Any], None]:
        def handle(msg: Any) -> None:
            assert self.sync is not None
            self.sync.add(stream, wire.stamp_to_ns(msg.header.stamp), msg)

        return handle

    def _on_rgbd(self, msgs: Sequence[Any]) -> None:
        assert self.session is not None
        session = self.session
        self._publish(self.timed(lambda: session.add_rgbd(*msgs)))

    def _publish(self, update: SceneUpdate | None) -> None:
        if update is None or self.session is None:
            return  # throttled by update_period_s: counted as skipped_frames
        frame = self.session.config.world_frame
        self.send("~/objects", objects_markers(update, frame))
        self.send("~/scene", wire.string_msg(json.dumps(self.session.summary(update.stamp_ns))))
        if self.on_scene is not None:
            self.on_scene(update)

    def _make_tf_lookup(self) -> Callable[[str, int], np.ndarray | None] | None:
        try:
            import tf2_ros  # only with a system ROS 2 install; the PyPI wheels do not ship it
        except ImportError:
            self.get_logger().info("tf2_ros not importable: sensor poses come from Odometry or T_world_sensor")
            return None
        from rclpy.time import Time

        from ros_nodes.pose_buffer import transform_to_matrix

        buffer = tf2_ros.Buffer()
        self._tf = tf2_ros.TransformListener(buffer, self)
        world = self.param("world_frame")

        def lookup(frame: str, stamp_ns: int) -> np.ndarray | None:
            try:
                stamped = buffer.lookup_transform(world, frame, Time(nanoseconds=stamp_ns))
            except (tf2_ros.LookupException, tf2_ros.ExtrapolationException, tf2_ros.ConnectivityException):
                return None
            return transform_to_matrix(stamped.transform)

        return lookup

