"""Typed records of a format-v1 dataset: objects, referring expressions (ScanRefer) and questions (ScanQA)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from perception.dataset.errors import DatasetError


def _num_list(where: str, name: str, value: Any, n: int) -> np.ndarray:
    ok = isinstance(value, list | tuple) and len(value) == n and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    if not ok:
        raise DatasetError(f"{where}: expected field {name!r} as a list of {n} numbers, got {value!r}")
    return np.asarray(value, dtype=np.float64)


def _field(where: str, data: dict[str, Any], name: str, types: type | tuple[type, ...]) -> Any:
    if name not in data:
        raise DatasetError(f"{where}: expected field {name!r}, got only {sorted(data)}")
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, types):
        tname = types.__name__ if isinstance(types, type) else " or ".join(t.__name__ for t in types)
        raise DatasetError(f"{where}: expected field {name!r} of type {tname}, got {value!r}")
    return value


def _int_like(where: str, name: str, value: Any) -> int:
    """ScanRefer writes ids as strings ("27"); ground3d writes ints. Both are accepted."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    raise DatasetError(f"{where}: expected field {name!r} as an integer or a string of digits, got {value!r}")


@dataclass
class ObjectRecord:
    """One entry of objects.json."""

    object_id: int
    """Instance id, as in scene.npz's ``instance``."""
    label: str
    """Category name."""
    color: str
    """Colour name ("" when the source has none)."""
    center: np.ndarray
    """(3,) box centre in metres, world frame."""
    size: np.ndarray
    """(3,) box extents in metres along the object's axes."""
    yaw: float
    """Rotation about +z in radians."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Other fields (e.g. ``support_id``, ``rgb``)."""

    @classmethod
    def from_json(cls, data: Any, where: str) -> ObjectRecord:
        """Parse and check one record; raises DatasetError naming ``where`` and the bad field."""
        if not isinstance(data, dict):
            raise DatasetError(f"{where}: expected an object record (a JSON object), got {data!r}")
        oid = _field(where, data, "object_id", int)
        label = _field(where, data, "label", str)
        color = data.get("color", "")
        if not isinstance(color, str):
            raise DatasetError(f"{where}: expected field 'color' of type str, got {color!r}")
        center = _num_list(where, "center", _field(where, data, "center", list), 3)
        size = _num_list(where, "size", _field(where, data, "size", list), 3)
        if (size < 0).any():
            raise DatasetError(f"{where}: expected field 'size' >= 0, got {size.tolist()}")
        yaw = data.get("yaw", 0.0)
        if not isinstance(yaw, int | float) or isinstance(yaw, bool):
            raise DatasetError(f"{where}: expected field 'yaw' as a number (radians), got {yaw!r}")
        known = {"object_id", "label", "color", "center", "size", "yaw"}
        return cls(oid, label, color, center, size, float(yaw), {k: v for k, v in data.items() if k not in known})


@dataclass
class ReferRecord:
    """One referring expression (ScanRefer field names)."""

    scene_id: str
    """Scene the sentence is about."""
    object_id: int
    """Target object id, -1 when the described object is absent."""
    object_name: str
    """Target category."""
    ann_id: int | str
    """Annotation id (int when numeric)."""
    description: str
    """The sentence."""
    view: str | dict[str, Any] | None = None
    """View name, or {"position", "look_at"}, that left/right are meant from; None when not given."""
    relation: str = ""
    """Relation kind (ground3d); "" for ScanRefer."""
    view_dependent: bool = False
    """Whether the sentence depends on the view."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Other fields (``token``, ``unique``, ...)."""

    @classmethod
    def from_json(cls, data: Any, where: str) -> ReferRecord:
        """Parse a ground3d or ScanRefer record; raises DatasetError naming the bad field."""
        if not isinstance(data, dict):
            raise DatasetError(f"{where}: expected a referring-expression record (a JSON object), got {data!r}")
        ann = data.get("ann_id", -1)
        ann_id: int | str = int(ann) if isinstance(ann, str) and ann.isdigit() else ann
        view = data.get("view")
        if view is not None and not isinstance(view, str | dict):
            raise DatasetError(f"{where}: expected field 'view' as a name or an object, got {view!r}")
        known = {"scene_id", "object_id", "object_name", "ann_id", "description", "view", "relation",
                 "view_dependent"}
        return cls(
            scene_id=_field(where, data, "scene_id", str),
            object_id=_int_like(where, "object_id", _field(where, data, "object_id", (int, str))),
            object_name=_field(where, data, "object_name", str),
            ann_id=ann_id,
            description=_field(where, data, "description", str),
            view=view,
            relation=str(data.get("relation", "")),
            view_dependent=bool(data.get("view_dependent", False)),
            extra={k: v for k, v in data.items() if k not in known},
        )


@dataclass
class QARecord:
    """One question (ScanQA field names)."""

    scene_id: str
    """Scene the question is about."""
    question_id: str
    """Question id."""
    question: str
    """The question."""
    answers: list[str]
    """Accepted answers (empty for ScanQA's unanswered test split)."""
    object_ids: list[int]
    """Evidence objects."""
    view: str | dict[str, Any] | None = None
    """View the question is asked from; None when not given."""
    type: str = ""
    """Question kind (ground3d); "" for ScanQA."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Other fields (``object_names``, ...)."""

    @classmethod
    def from_json(cls, data: Any, where: str) -> QARecord:
        """Parse a ground3d or ScanQA record; raises DatasetError naming the bad field."""
        if not isinstance(data, dict):
            raise DatasetError(f"{where}: expected a question record (a JSON object), got {data!r}")
        answers = data.get("answers", [])
        if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
            raise DatasetError(f"{where}: expected field 'answers' as a list of strings, got {answers!r}")
        ids = data.get("object_ids", [])
        if not isinstance(ids, list):
            raise DatasetError(f"{where}: expected field 'object_ids' as a list of integers, got {ids!r}")
        known = {"scene_id", "question_id", "question", "answers", "object_ids", "view", "type"}
        return cls(
            scene_id=_field(where, data, "scene_id", str),
            question_id=str(_field(where, data, "question_id", (str, int))),
            question=_field(where, data, "question", str),
            answers=list(answers),
            object_ids=[_int_like(where, "object_ids", v) for v in ids],
            view=data.get("view"),
            type=str(data.get("type", "")),
            extra={k: v for k, v in data.items() if k not in known},
        )
