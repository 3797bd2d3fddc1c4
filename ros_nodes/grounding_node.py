"""grounding_node: ``~/query`` and ``~/ask`` -> ``GroundingSession`` -> ``~/result``, ``~/answer``,
``~/target_pose`` and ``~/markers``.

The scene arrives from perception_node: in-process (``scene_source: inprocess``, ``ground3d launch`` calls
``set_scene``), or as the JSON summary on ``scene_topic`` when the nodes are separate processes.
Every request gets a result: a malformed one gets status ``error`` with the reason.
"""

from __future__ import annotations

import json
import threading
from typing import Any, ClassVar

import numpy as np

from perception import Box3D, ObjectProposal
from ros_nodes import markers, qos, wire
from ros_nodes.markers import result_markers
from ros_nodes.node_base import ManagedNode
from ros_nodes.params import ParamSpec
from ros_nodes.query_request import dumps, error_result, parse_request
from ros_nodes.scene_session import GroundingSession, GroundingSessionConfig

SCENE_SOURCES = ("topic", "inprocess")


class GroundingNode(ManagedNode):
    """Lifecycle node: the engine loads in on_configure and is freed in on_cleanup."""

    PARAMS: ClassVar[list[ParamSpec]] = [
        ParamSpec("scene_source", "topic", "topic: scene summaries on scene_topic; inprocess: set by a composed "
                  "perception node", choices=SCENE_SOURCES),
        ParamSpec("scene_topic", "/perception_node/scene", "std_msgs/String scene summaries (scene_source topic)"),
        ParamSpec("checkpoint", "", "grounding checkpoint directory; empty for the shipped one"),
        ParamSpec("world_frame", "map", "frame of the target pose and the markers"),
    ]

    def __init__(self, parameter_overrides: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__("grounding_node", parameter_overrides, **kwargs)
        self.session: GroundingSession | None = None
        self._lock = threading.Lock()  # scene updates and queries may run on different executor threads
        self._count = 0

    def setup(self) -> None:
        self.session = GroundingSession(GroundingSessionConfig(checkpoint=self.param("checkpoint")))
        self.session.load()
        self.publisher("~/result", "std_msgs/msg/String", qos.RELIABLE)
        self.publisher("~/answer", "std_msgs/msg/String", qos.RELIABLE)
        self.publisher("~/target_pose", "geometry_msgs/msg/PoseStamped", qos.RELIABLE)
        self.publisher("~/markers", "visualization_msgs/msg/MarkerArray", qos.LATCHED)
        self.subscribe("~/query", "std_msgs/msg/String", qos.RELIABLE, lambda m: self._on_request(m, "ground"))
        self.subscribe("~/ask", "std_msgs/msg/String", qos.RELIABLE, lambda m: self._on_request(m, "ask"))
        if self.param("scene_source") == "topic":
            self.subscribe(self.param("scene_topic"), "std_msgs/msg/String", qos.LATCHED, self._on_scene)

    def teardown(self) -> None:
        if self.session is not None:
            self.session.unload()
        self.session = None

    def diagnostics_extra(self) -> dict[str, Any]:
        if self.session is None:
            return {}
        return {"scene_version": self.session.scene_version, "objects": self.session.num_objects}

    # --- scene ------------------------------------------------------------------------------------
    def set_scene(self, proposals: list[ObjectProposal], version: int, T_world_cam: np.ndarray | None) -> None:
        """In-process hand-off from a composed perception node."""
        if self.session is None or not self.active:
            return
        with self._lock:
            self.session.set_proposals(proposals, version, T_world_cam)

    def _on_scene(self, msg: Any) -> None:
        if self.session is None:
            return
        try:
            summary = json.loads(msg.data)
        except json.JSONDecodeError as err:
            raise ValueError(f"scene: expected JSON, got {err.msg}") from err
        with self._lock:
            self.session.set_summary(summary)

    # --- requests ---------------------------------------------------------------------------------
    def _on_request(self, msg: Any, kind: str) -> None:
        self._count += 1
        fallback = f"{self.get_name()}-{self._count}"
        try:
            request = parse_request(str(msg.data), kind, fallback)
        except ValueError as err:
            self.health.error(f"{kind}: {err}")
            self.get_logger().warning(self.health.last_error)
            self._reply(error_result(getattr(err, "request_id", None) or fallback, kind, str(err)), kind)
            return
        assert self.session is not None
        session = self.session
        with self._lock:
            result = self.timed(lambda: session.handle(request))
        if result["status"] == "error":
            self.health.error(f"{kind} {request.request_id}: {result.get('error')}")
            self.get_logger().warning(self.health.last_error)
        self._reply(result, kind)

    def _reply(self, result: dict[str, Any], kind: str) -> None:
        stamp, frame = self.now_ns(), self.param("world_frame")
        self.send("~/result" if kind == "ground" else "~/answer", wire.string_msg(dumps(result)))
        if kind == "ground":
            self.send("~/markers", result_markers(result, stamp, frame))
            if result.get("status") == "found" and result.get("box"):
                self.send("~/target_pose", markers.pose_stamped(Box3D.from_json(result["box"]), stamp, frame))

