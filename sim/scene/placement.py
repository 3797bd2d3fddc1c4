"""Physically sensible placement: furniture on the floor, small objects on tops, boards or the floor.

Every candidate pose is checked against all placed objects with oriented boxes (``boxes_overlap``), so
nothing interpenetrates; small objects get the base height of the surface they stand on, so nothing floats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scene.geometry import boxes_overlap, footprint
from sim.scene.primitives import ObjectModel, Surface
from sim.scene_object import SceneObject

_TRIES = 40


@dataclass(frozen=True)
class Room:
    """A rectangular room centred on the world origin, floor at z = 0."""

    width: float
    """Extent along world x in metres."""
    depth: float
    """Extent along world y in metres."""
    walls: bool
    """Whether the room has four walls."""
    wall_height: float = 2.5
    """Wall height in metres."""

    def contains(self, corners_xy: np.ndarray, margin: float) -> bool:
        """True when all (K, 2) points lie inside the floor shrunk by ``margin``."""
        hx, hy = self.width / 2 - margin, self.depth / 2 - margin
        return bool((np.abs(corners_xy[:, 0]) <= hx).all() and (np.abs(corners_xy[:, 1]) <= hy).all())


@dataclass
class Placed:
    """A placed object: its facts and its local geometry."""

    obj: SceneObject
    """Facts written to objects.json (world box, label, colour, support)."""
    model: ObjectModel
    """Geometry in the object's local frame."""

    @property
    def base_z(self) -> float:
        return float(self.obj.center[2] - self.obj.size[2] / 2)


def make_object(
    object_id: int, model: ObjectModel, color: str, rgb: tuple[int, int, int], xy: np.ndarray, base_z: float,
    yaw: float, support_id: int, furniture: bool,
) -> SceneObject:
    """The ``SceneObject`` of ``model`` standing at ``xy`` on height ``base_z``, turned by ``yaw``."""
    center = np.array([xy[0], xy[1], base_z + model.size[2] / 2.0])
    return SceneObject(
        object_id=object_id, label=model.label, color=color, center=center, size=model.size.copy(),
        yaw=float(np.arctan2(np.sin(yaw), np.cos(yaw))), support_id=support_id, rgb=rgb,
        extra={"is_furniture": furniture},
    )


class Placer:
    """Keeps the placed objects of one scene and finds free poses for new ones."""

    def __init__(self, room: Room, rng: np.random.Generator) -> None:
        self.room = room
        self.rng = rng
        self.placed: list[Placed] = []

    def _free(self, obj: SceneObject, ignore: int, margin: float) -> bool:
        return not any(p.obj.object_id != ignore and boxes_overlap(obj, p.obj, margin) for p in self.placed)

    def _accept(self, obj: SceneObject, model: ObjectModel, ignore: int, margin: float) -> bool:
        corners = footprint(obj.center[:2], obj.size[:2] / 2, obj.yaw)
        if not self.room.contains(corners, 0.02) or not self._free(obj, ignore, margin):
            return False
        self.placed.append(Placed(obj, model))
        return True

    def on_floor(
        self, object_id: int, model: ObjectModel, color: str, rgb: tuple[int, int, int], furniture: bool,
        against_wall: bool = False, margin: float = 0.1,
    ) -> SceneObject | None:
        """Place ``model`` on the floor (backed against a wall when asked); None when no free pose was found."""
        hx, hy = model.size[0] / 2, model.size[1] / 2
        for _ in range(_TRIES):
            if against_wall:
                side = int(self.rng.integers(4))
                # The model's back (+y local) faces the wall: yaw for north, west, south, east walls.
                yaw = (0.0, np.pi / 2, np.pi, -np.pi / 2)[side]
                along = self.rng.uniform(-0.5, 0.5)
                if side in (0, 2):
                    x = along * max(self.room.width - 2 * hx - 0.1, 0.0)
                    y = (1 if side == 0 else -1) * (self.room.depth / 2 - hy - 0.03)
                else:
                    y = along * max(self.room.depth - 2 * hx - 0.1, 0.0)
                    x = (-1 if side == 1 else 1) * (self.room.width / 2 - hy - 0.03)
                xy = np.array([x, y])
            else:
                yaw = float(self.rng.uniform(-np.pi, np.pi))
                xy = self.rng.uniform(-0.5, 0.5, 2) * np.array([self.room.width, self.room.depth])
            obj = make_object(object_id, model, color, rgb, xy, 0.0, yaw, -1, furniture)
            if self._accept(obj, model, -2, margin):
                return obj
        return None

    def facing(
        self, object_id: int, model: ObjectModel, color: str, rgb: tuple[int, int, int], target: SceneObject,
    ) -> SceneObject | None:
        """Place a chair at one side of ``target`` (a table), its front (-y local) towards it."""
        sides = self.rng.permutation(4)
        for side in sides:
            n_local = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])[side]
            half_t = target.size[0] / 2 if side < 2 else target.size[1] / 2
            slide_room = (target.size[1] if side < 2 else target.size[0]) / 2 - model.size[0] / 2
            slide = self.rng.uniform(-1, 1) * max(slide_room, 0.0)
            tangent = np.array([-n_local[1], n_local[0]])
            local = n_local * (half_t + model.size[1] / 2 + self.rng.uniform(0.03, 0.15)) + tangent * slide
            c, s = np.cos(target.yaw), np.sin(target.yaw)
            n_world = np.array([c * n_local[0] - s * n_local[1], s * n_local[0] + c * n_local[1]])
            xy = target.center[:2] + np.array([c * local[0] - s * local[1], s * local[0] + c * local[1]])
            yaw = float(np.arctan2(n_world[1], n_world[0]) - np.pi / 2 + self.rng.uniform(-0.15, 0.15))
            obj = make_object(object_id, model, color, rgb, xy, 0.0, yaw, -1, True)
            if self._accept(obj, model, -2, 0.02):
                return obj
        return None

    def on_surface(
        self, object_id: int, model: ObjectModel, color: str, rgb: tuple[int, int, int], support: Placed,
        surface: Surface,
    ) -> SceneObject | None:
        """Place ``model`` standing on ``surface`` of ``support``; None when it does not fit or no pose is free."""
        if model.size[2] > surface.clearance:
            return None
        for _ in range(_TRIES // 2):
            rel = int(self.rng.integers(4)) * np.pi / 2 + self.rng.uniform(-0.35, 0.35)
            c, s = abs(np.cos(rel)), abs(np.sin(rel))
            hx = c * model.size[0] / 2 + s * model.size[1] / 2  # half extents of the footprint's local AABB
            hy = s * model.size[0] / 2 + c * model.size[1] / 2
            room_x, room_y = surface.half_xy[0] - hx, surface.half_xy[1] - hy
            if room_x < 0 or room_y < 0:
                continue
            u = surface.center_xy[0] + self.rng.uniform(-room_x, room_x)
            v = surface.center_xy[1] + self.rng.uniform(-room_y, room_y)
            sy = support.obj.yaw
            cs, sn = np.cos(sy), np.sin(sy)
            xy = support.obj.center[:2] + np.array([cs * u - sn * v, sn * u + cs * v])
            obj = make_object(object_id, model, color, rgb, xy, support.base_z + surface.z, sy + rel,
                              support.obj.object_id, False)
            if self._accept(obj, model, support.obj.object_id, 0.01):
                return obj
        return None
