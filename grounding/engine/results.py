"""Result types of the SceneQueryEngine. Their ``to_json()`` shapes are what the ROS nodes publish.

Schema version 1 (see ``RESULT_SCHEMA_VERSION``); a field is only ever added, never renamed or removed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from perception import Box3D

RESULT_SCHEMA_VERSION = 1
"""Version of the JSON shapes below; bumped only when a field changes meaning."""

GroundingStatus = Literal["found", "not_found", "ambiguous", "error"]
AnswerStatus = Literal["answered", "not_found", "error"]


@dataclass
class Candidate:
    """One object that the phrase may refer to."""

    object_id: int
    """Proposal id."""
    score: float
    """Calibrated probability that this object is the target, in [0, 1]."""
    box: Box3D
    """Its box, world frame, metres."""
    label: str | None = None
    """Category word when known, else None."""
    description: str | None = None
    """How the clarifying question names it (ambiguous results only), else None."""

    def to_json(self) -> dict[str, Any]:
        return {
            "object_id": int(self.object_id),
            "label": self.label,
            "score": float(self.score),
            "box": self.box.to_json(),
            "description": self.description,
        }


@dataclass
class Anchor:
    """An object, other than the target, that the phrase used (e.g. "the laptop" in "left of the laptop")."""

    object_id: int
    """Proposal id."""
    weight: float
    """Share of the words' attention on this object, in [0, 1]."""
    box: Box3D
    """Its box, world frame, metres."""
    label: str | None = None
    """Category word when known, else None."""

    def to_json(self) -> dict[str, Any]:
        return {
            "object_id": int(self.object_id),
            "label": self.label,
            "weight": float(self.weight),
            "box": self.box.to_json(),
        }


@dataclass
class Evidence:
    """Why the engine answered as it did."""

    chosen: Candidate | None
    """The best object with its box and calibrated score, or None when the scene had no object."""
    runner_ups: list[Candidate]
    """The next best objects, best first."""
    anchors: list[Anchor]
    """Objects the phrase leaned on, strongest first."""
    none_score: float
    """Calibrated probability of "none of these objects"."""
    confidence: float
    """Calibrated confidence of the returned status (see GroundingResult.confidence)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "chosen": None if self.chosen is None else self.chosen.to_json(),
            "runner_ups": [c.to_json() for c in self.runner_ups],
            "anchors": [a.to_json() for a in self.anchors],
            "none_score": float(self.none_score),
            "confidence": float(self.confidence),
        }


@dataclass
class GroundingResult:
    """The answer to ``ground(text)``: which object the phrase refers to, or why none is given."""

    request_id: str
    """Caller's id of the request (echoed), or a generated one."""
    text: str
    """The query as it was understood (after validation and normalisation)."""
    status: GroundingStatus
    """"found", "not_found", "ambiguous" or "error"."""
    object_id: int | None = None
    """The chosen object for "found"; the best candidate for "ambiguous"; None otherwise."""
    box: Box3D | None = None
    """Box of ``object_id``, world frame, metres."""
    label: str | None = None
    """Category word of ``object_id`` when known."""
    confidence: float = 0.0
    """Calibrated probability: that ``object_id`` is the target ("found", "ambiguous"), or that no object
    of the scene is ("not_found"); 0 for "error"."""
    candidates: list[Candidate] = field(default_factory=list)
    """Runner-up objects, best first (for "ambiguous": the objects that fit almost equally)."""
    clarifying_question: str | None = None
    """For "ambiguous": a question that tells the candidates apart; else None."""
    evidence: Evidence | None = None
    """The evidence behind the answer; None only for "error"."""
    error: str | None = None
    """For "error": what went wrong; else None."""
    scene_version: int = 0
    """Version of the scene the query was answered on."""
    latency_ms: float = 0.0
    """Wall time of the query in milliseconds."""

    def to_json(self) -> dict[str, Any]:
        """The published JSON object (schema version ``RESULT_SCHEMA_VERSION``)."""
        return {
            "schema": RESULT_SCHEMA_VERSION,
            "kind": "grounding",
            "request_id": self.request_id,
            "text": self.text,
            "status": self.status,
            "object_id": None if self.object_id is None else int(self.object_id),
            "label": self.label,
            "box": None if self.box is None else self.box.to_json(),
            "confidence": float(self.confidence),
            "candidates": [c.to_json() for c in self.candidates],
            "clarifying_question": self.clarifying_question,
            "evidence": None if self.evidence is None else self.evidence.to_json(),
            "error": self.error,
            "scene_version": int(self.scene_version),
            "latency_ms": float(self.latency_ms),
        }

    def to_json_str(self) -> str:
        """``to_json()`` as one line of JSON text (what a std_msgs/String carries)."""
        return json.dumps(self.to_json(), ensure_ascii=False)

    @classmethod
    def from_error(cls, request_id: str, text: str, error: BaseException, scene_version: int = 0) -> GroundingResult:
        """The "error" result a node publishes when ``ground`` raised ``error``."""
        return cls(
            request_id=request_id,
            text=text,
            status="error",
            error=f"{type(error).__name__}: {error}",
            scene_version=scene_version,
        )


@dataclass
class AnswerResult:
    """The answer to ``ask(question)``."""

    request_id: str
    """Caller's id of the request (echoed), or a generated one."""
    question: str
    """The question as it was understood."""
    status: AnswerStatus
    """"answered", "not_found" (confidence below the threshold) or "error"."""
    answer: str | None = None
    """The best answer word(s), or None."""
    confidence: float = 0.0
    """Probability of ``answer`` under the answer head, in [0, 1]."""
    top_answers: list[tuple[str, float]] = field(default_factory=list)
    """The best answers with their probabilities, best first."""
    evidence_object_ids: list[int] = field(default_factory=list)
    """Objects the answer rests on, strongest first."""
    evidence_boxes: list[Box3D] = field(default_factory=list)
    """Boxes of ``evidence_object_ids``, in the same order."""
    error: str | None = None
    """For "error": what went wrong; else None."""
    scene_version: int = 0
    """Version of the scene the question was answered on."""
    latency_ms: float = 0.0
    """Wall time of the query in milliseconds."""

    def to_json(self) -> dict[str, Any]:
        """The published JSON object (schema version ``RESULT_SCHEMA_VERSION``)."""
        return {
            "schema": RESULT_SCHEMA_VERSION,
            "kind": "answer",
            "request_id": self.request_id,
            "question": self.question,
            "status": self.status,
            "answer": self.answer,
            "confidence": float(self.confidence),
            "top_answers": [{"answer": a, "score": float(s)} for a, s in self.top_answers],
            "evidence_object_ids": [int(i) for i in self.evidence_object_ids],
            "evidence_boxes": [b.to_json() for b in self.evidence_boxes],
            "error": self.error,
            "scene_version": int(self.scene_version),
            "latency_ms": float(self.latency_ms),
        }

    def to_json_str(self) -> str:
        """``to_json()`` as one line of JSON text."""
        return json.dumps(self.to_json(), ensure_ascii=False)

    @classmethod
    def from_error(cls, request_id: str, question: str, error: BaseException, scene_version: int = 0) -> AnswerResult:
        """The "error" result a node publishes when ``ask`` raised ``error``."""
        return cls(
            request_id=request_id,
            question=question,
            status="error",
            error=f"{type(error).__name__}: {error}",
            scene_version=scene_version,
        )
