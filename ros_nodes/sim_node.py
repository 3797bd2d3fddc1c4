"""sim_node: publishes a simulated robot's camera, LiDAR, odometry and ground truth (``SimStream``).

Frames advance by ``frame_period_s`` of sensor time every ``frame_period_s / rate`` seconds of wall time,
so ``rate: 4.0`` plays the walk four times faster than real time. Sensor streams use sensor-data QoS; the
ground truth (std_msgs/String JSON, as in objects.json) is latched.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ros_nodes import qos
from ros_nodes.node_base import ManagedNode
from ros_nodes.params import ParamSpec
from ros_nodes.sim_stream import TOPICS, SimStream, SimStreamConfig


class SimNode(ManagedNode):
    """Lifecycle node: the scene is built in on_configure and dropped in on_cleanup."""

    PARAMS: ClassVar[list[ParamSpec]] = [
        ParamSpec("scene_seed", 7, "seed of the generated scene", 0, 2**31 - 1),
        ParamSpec("num_objects", 12, "most objects in the scene, furniture included", 5, 40),
        ParamSpec("num_frames", 40, "camera poses along one walk", 1, 100000),
        ParamSpec("rate", 1.0, "speed factor against real time", 0.01, 100.0),
        ParamSpec("frame_period_s", 0.5, "sensor time between frames", 0.01, 10.0),
        ParamSpec("width", 320, "camera image width", 16, 4096),
        ParamSpec("height", 240, "camera image height", 16, 4096),
        ParamSpec("lidar", True, "also publish the LiDAR scan"),
        ParamSpec("loop", True, "start the walk again after its last frame"),
        ParamSpec("world_frame", "map", "frame of odometry and ground truth"),
    ]

    def __init__(self, parameter_overrides: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__("sim_node", parameter_overrides, **kwargs)
        self.stream: SimStream | None = None
        self.index = 0

    def setup(self) -> None:
        config = SimStreamConfig(
            scene_seed=self.param("scene_seed"), num_objects=self.param("num_objects"),
            num_frames=self.param("num_frames"), frame_period_s=self.param("frame_period_s"),
            width=self.param("width"), height=self.param("height"), lidar=self.param("lidar"),
            world_frame=self.param("world_frame"),
        )
        self.stream = SimStream(config, start_ns=self.now_ns())
        self.index = 0
        for key, topic in TOPICS.items():
            if key == "ground_truth":
                self.publisher(topic, "std_msgs/msg/String", qos.LATCHED)
            elif key == "odom":
                self.publisher(topic, "nav_msgs/msg/Odometry", qos.SENSOR)
            elif key in ("depth_points", "lidar_points"):
                self.publisher(topic, "sensor_msgs/msg/PointCloud2", qos.SENSOR)
            elif key == "camera_info":
                self.publisher(topic, "sensor_msgs/msg/CameraInfo", qos.SENSOR)
            else:
                self.publisher(topic, "sensor_msgs/msg/Image", qos.SENSOR)
        self._timers.append(self.create_timer(config.frame_period_s / self.param("rate"), self._tick))

    def on_activate(self, state: Any) -> Any:
        out = super().on_activate(state)
        if self.stream is not None:
            self.send(TOPICS["ground_truth"], self.stream.ground_truth_msg())
        return out

    def teardown(self) -> None:
        self.stream = None

    def diagnostics_extra(self) -> dict[str, Any]:
        return {"frame": self.index}

    def _tick(self) -> None:
        if not self.active or self.stream is None:
            return
        if self.index >= self.stream.config.num_frames and not self.param("loop"):
            return
        stream, index = self.stream, self.index
        msgs = self.timed(lambda: stream.messages(index))
        for topic, msg in msgs:
            self.send(topic, msg)
        self.index += 1
