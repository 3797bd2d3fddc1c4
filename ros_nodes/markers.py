"""Boxes and labels as visualization_msgs/MarkerArray, and a box as geometry_msgs/PoseStamped.

Marker ids are derived from object ids (box = 2 * id, label = 2 * id + 1), so RViz and Foxglove keep an
object's marker when the scene updates, and a DELETEALL first clears objects that went away.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from perception import Box3D
from ros_nodes import wire

PROPOSAL_RGBA = (0.2, 0.6, 1.0, 0.35)
CHOSEN_RGBA = (0.1, 1.0, 0.2, 0.6)
ANCHOR_RGBA = (1.0, 0.6, 0.0, 0.45)
CANDIDATE_RGBA = (1.0, 1.0, 0.0, 0.4)
TEXT_RGBA = (1.0, 1.0, 1.0, 1.0)
TEXT_HEIGHT_M = 0.08


def yaw_quaternion(yaw: float) -> Any:
    """A ``geometry_msgs/msg/Quaternion`` for a rotation of ``yaw`` radians about +z."""
    return wire.make("geometry_msgs/msg/Quaternion", x=0.0, y=0.0, z=math.sin(yaw / 2), w=math.cos(yaw / 2))


def box_pose(box: Box3D) -> Any:
    """The ``geometry_msgs/msg/Pose`` of a box's centre and yaw."""
    c = [float(v) for v in box.center]
    return wire.make(
        "geometry_msgs/msg/Pose",
        position=wire.make("geometry_msgs/msg/Point", x=c[0], y=c[1], z=c[2]),
        orientation=yaw_quaternion(box.yaw),
    )


def pose_stamped(box: Box3D, stamp_ns: int, frame_id: str) -> Any:
    """``geometry_msgs/msg/PoseStamped`` at the box centre (a target pose for a planner)."""
    return wire.make("geometry_msgs/msg/PoseStamped", header=wire.header(stamp_ns, frame_id), pose=box_pose(box))


def _color(rgba: Sequence[float]) -> Any:
    r, g, b, a = (float(v) for v in rgba)
    return wire.make("std_msgs/msg/ColorRGBA", r=r, g=g, b=b, a=a)


def box_markers(
    object_id: int, box: Box3D, label: str, rgba: Sequence[float], stamp_ns: int, frame_id: str, ns: str
) -> list[Any]:
    """A CUBE and a TEXT_VIEW_FACING label above it, ids ``2 * object_id`` and ``2 * object_id + 1``."""
    head = wire.header(stamp_ns, frame_id)
    size = [max(float(v), 1e-3) for v in box.size]
    cube = wire.make(
        "visualization_msgs/msg/Marker", header=head, ns=ns, id=2 * int(object_id), type=1, action=0,
        pose=box_pose(box), scale=wire.make("geometry_msgs/msg/Vector3", x=size[0], y=size[1], z=size[2]),
        color=_color(rgba),
    )
    top = box.center + np.array([0.0, 0.0, size[2] / 2 + TEXT_HEIGHT_M])
    text_pose = wire.make(
        "geometry_msgs/msg/Pose",
        position=wire.make("geometry_msgs/msg/Point", x=float(top[0]), y=float(top[1]), z=float(top[2])),
        orientation=yaw_quaternion(0.0),
    )
    text = wire.make(
        "visualization_msgs/msg/Marker", header=head, ns=ns, id=2 * int(object_id) + 1, type=9, action=0,
        pose=text_pose, scale=wire.make("geometry_msgs/msg/Vector3", x=0.0, y=0.0, z=TEXT_HEIGHT_M),
        color=_color(TEXT_RGBA), text=label,
    )
    return [cube, text]


def delete_all(stamp_ns: int, frame_id: str, ns: str) -> Any:
    """A DELETEALL marker that clears what an earlier array drew in ``ns``."""
    return wire.make("visualization_msgs/msg/Marker", header=wire.header(stamp_ns, frame_id), ns=ns, action=3)


def marker_array(markers: list[Any]) -> Any:
    """``visualization_msgs/msg/MarkerArray`` of ``markers``."""
    return wire.make("visualization_msgs/msg/MarkerArray", markers=markers)


def objects_markers(update: Any, frame_id: str) -> Any:
    """MarkerArray of every proposal of a ``SceneUpdate``: a DELETEALL, then a box and an "object N" label each."""
    items = [delete_all(update.stamp_ns, frame_id, "objects")]
    for p in sorted(update.proposals, key=lambda q: q.object_id):
        items += box_markers(p.object_id, p.obb, f"object {p.object_id}", PROPOSAL_RGBA,
                                     update.stamp_ns, frame_id, "objects")
    return marker_array(items)


def result_markers(result: dict[str, Any], stamp_ns: int, frame_id: str) -> Any:
    """MarkerArray of a grounding result: the chosen box highlighted, candidates yellow, anchors orange."""
    items = [delete_all(stamp_ns, frame_id, "result")]
    status = result.get("status")
    if status in ("found", "ambiguous") and result.get("box") and result.get("object_id") is not None:
        label = f"{result.get('label') or 'object'} {result['object_id']} ({result.get('confidence', 0.0):.2f})"
        rgba = CHOSEN_RGBA if status == "found" else CANDIDATE_RGBA
        items += box_markers(int(result["object_id"]), Box3D.from_json(result["box"]), label, rgba,
                                     stamp_ns, frame_id, "result")
    if status == "ambiguous":
        for c in result.get("candidates") or []:
            if c.get("object_id") != result.get("object_id"):
                items += box_markers(int(c["object_id"]), Box3D.from_json(c["box"]),
                                             c.get("description") or f"candidate {c['object_id']}",
                                             CANDIDATE_RGBA, stamp_ns, frame_id, "result")
    evidence = result.get("evidence") or {}
    for a in evidence.get("anchors") or []:
        if a.get("object_id") != result.get("object_id"):
            items += box_markers(int(a["object_id"]), Box3D.from_json(a["box"]),
                                         f"anchor {a.get('label') or a['object_id']}", ANCHOR_RGBA,
                                         stamp_ns, frame_id, "result")
    return marker_array(items)
