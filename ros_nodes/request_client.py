"""Send one query or question to a running grounding_node and wait for the result with the same id."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from ros_nodes import wire
from ros_nodes.errors import RosNodesError
from ros_nodes.query_request import parse_result


class NoAnswerError(RosNodesError):
    """No grounding_node answered within the timeout."""


def send_request(
    kind: str, text: str, node: str = "/grounding_node", view: dict[str, list[float]] | None = None,
    timeout_s: float = 10.0, request_id: str | None = None,
) -> dict[str, Any]:
    """Publish ``{"id", "text", "view"}`` on ``NODE/query`` (or ``NODE/ask``) and return the matching result.

    Raises ``NoAnswerError`` naming the topic when nothing subscribes or no matching result comes in time.
    """
    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    from ros_nodes import qos
    from ros_nodes.node_base import rclpy_class

    in_topic = f"{node}/{'query' if kind == 'ground' else 'ask'}"
    out_topic = f"{node}/{'result' if kind == 'ground' else 'answer'}"
    request_id = request_id or uuid.uuid4().hex[:12]
    payload: dict[str, Any] = {"id": request_id, "text": text}
    if view is not None:
        payload["view"] = view
    string_cls = rclpy_class("std_msgs/msg/String")
    context = rclpy.Context()
    rclpy.init(context=context)
    got: list[dict[str, Any]] = []
    try:
        client = rclpy.create_node(f"ground3d_client_{request_id}", context=context)
        executor = SingleThreadedExecutor(context=context)
        executor.add_node(client)

        def on_result(raw: bytes) -> None:
            try:
                data = parse_result(wire.decode(raw, "std_msgs/msg/String").data)
            except RosNodesError:
                return
            if data.get("request_id") == request_id:
                got.append(data)

        client.create_subscription(string_cls, out_topic, on_result, qos.RELIABLE, raw=True)
        pub = client.create_publisher(string_cls, in_topic, qos.RELIABLE)
        deadline = time.monotonic() + timeout_s
        while pub.get_subscription_count() == 0 or client.count_publishers(out_topic) == 0:
            if time.monotonic() > deadline:
                raise NoAnswerError(
                    f"no grounding node is listening on {in_topic} (waited {timeout_s:.1f} s); start one with "
                    "`ground3d launch` or `ros2 run ground3d grounding_node`, on the same ROS_DOMAIN_ID"
                )
            executor.spin_once(timeout_sec=0.05)
        time.sleep(0.2)  # let the result subscription match before the request goes out
        pub.publish(wire.encode(wire.string_msg(json.dumps(payload, ensure_ascii=False))))
        while not got:
            if time.monotonic() > deadline:
                raise NoAnswerError(f"no result with id {request_id} on {out_topic} within {timeout_s:.1f} s")
            executor.spin_once(timeout_sec=0.05)
        return got[0]
    finally:
        rclpy.shutdown(context=context)
