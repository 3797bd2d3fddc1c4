"""A referring program: the logical form behind an expression, and its resolution against a scene.

A program names a category, optionally a colour (or a colour it does *not* have), and one relation
(see ``relations``) with its anchors, each anchor itself a program. Resolving it returns the objects that
clearly satisfy it and the ones that are borderline; a record is only written when nothing is borderline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.language.errors import LanguageError
from sim.language.facts import SceneFacts
from sim.language.relations import (
    ANCHORED_RANK_KINDS,
    ORDINAL_KIND,
    PAIR_KINDS,
    RANK_KINDS,
    TERNARY_KINDS,
    VIEW_DEPENDENT_KINDS,
    is_false,
    is_true,
)

ALL_RELATIONS: tuple[str, ...] = ("attribute", *PAIR_KINDS, *TERNARY_KINDS, *ANCHORED_RANK_KINDS, *RANK_KINDS,
                                  ORDINAL_KIND)
"""Every value of ``Program.relation``."""


def _anchor_count(relation: str) -> int:
    if relation in PAIR_KINDS or relation in ANCHORED_RANK_KINDS:
        return 1
    return 2 if relation in TERNARY_KINDS else 0


@dataclass(frozen=True)
class Program:
    """The logical form of one referring expression."""

    category: str
    """Object label the expression names."""
    relation: str = "attribute"
    """One of ALL_RELATIONS."""
    color: str | None = None
    """Colour the object has, if the expression names one."""
    not_color: str | None = None
    """Colour the object does not have (negation), if any."""
    anchors: tuple[Program, ...] = ()
    """Programs of the anchor objects: one for pair relations and closest/farthest, two for between."""
    k: int = 1
    """Ordinals: 1-based rank."""
    side: str = "left"
    """Ordinals: counted from "left" or "right"."""

    def __post_init__(self) -> None:
        if self.relation not in ALL_RELATIONS:
            raise LanguageError(f"Program.relation: expected one of {ALL_RELATIONS}, got {self.relation!r}")
        if len(self.anchors) != _anchor_count(self.relation):
            raise LanguageError(
                f"Program.anchors: relation {self.relation!r} expected {_anchor_count(self.relation)} anchors, "
                f"got {len(self.anchors)}"
            )
        if self.side not in ("left", "right"):
            raise LanguageError(f"Program.side: expected 'left' or 'right', got {self.side!r}")
        if self.k < 1:
            raise LanguageError(f"Program.k: expected >= 1, got {self.k}")

    @property
    def kind(self) -> str:
        """The record's relation label: multi_hop, negation or the relation itself."""
        if any(a.relation != "attribute" or a.not_color is not None for a in self.anchors):
            return "multi_hop"
        if self.not_color is not None:
            return "negation"
        return self.relation

    @property
    def view_dependent(self) -> bool:
        """Whether the truth depends on the view (here or in an anchor)."""
        return self.relation in VIEW_DEPENDENT_KINDS or any(a.view_dependent for a in self.anchors)

    def to_json(self) -> dict[str, Any]:
        """A plain dict (written to records as ``program``); ``from_json`` inverts it."""
        out: dict[str, Any] = {"category": self.category, "relation": self.relation}
        if self.color is not None:
            out["color"] = self.color
        if self.not_color is not None:
            out["not_color"] = self.not_color
        if self.anchors:
            out["anchors"] = [a.to_json() for a in self.anchors]
        if self.relation == ORDINAL_KIND:
            out["k"], out["side"] = self.k, self.side
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Program:
        return cls(
            category=str(data["category"]),
            relation=str(data.get("relation", "attribute")),
            color=data.get("color"),
            not_color=data.get("not_color"),
            anchors=tuple(cls.from_json(a) for a in data.get("anchors", [])),
            k=int(data.get("k", 1)),
            side=str(data.get("side", "left")),
        )


@dataclass(frozen=True)
class Resolution:
    """What a program picks out in a scene."""

    matched: tuple[int, ...]
    """object_ids that clearly satisfy it."""
    borderline: tuple[int, ...]
    """object_ids whose truth is within a margin (or whose anchors are not unique)."""
    anchor_ids: tuple[int, ...]
    """object_ids of the anchors, direct anchors first, then theirs."""
    anchors_unique: bool = True
    """False when an anchor does not resolve to exactly one object (then nothing can be claimed)."""

    @property
    def status(self) -> str:
        """"unique", "ambiguous", "absent", or "borderline" (not fit to write)."""
        if self.borderline or not self.anchors_unique:
            return "borderline"
        return {0: "absent", 1: "unique"}.get(len(self.matched), "ambiguous")


def resolve(program: Program, facts: SceneFacts, view: str | None) -> Resolution:
    """Resolve ``program`` in ``facts`` as spoken from view ``view`` (needed only when view-dependent)."""
    members = facts.members(program.category, program.color, program.not_color)
    anchor_idx: list[int] = []
    nested: list[int] = []
    for anchor in program.anchors:
        sub = resolve(anchor, facts, view)
        if sub.status != "unique":
            return Resolution((), tuple(int(facts.ids[m]) for m in members), (), anchors_unique=False)
        anchor_idx.append(facts.index[sub.matched[0]])
        nested.extend(sub.anchor_ids)
    members = np.array([m for m in members if m not in anchor_idx], dtype=np.int64)
    scores = _scores(program, facts, view, members, anchor_idx)
    matched = tuple(int(facts.ids[m]) for m in members[is_true(scores)])
    borderline = tuple(int(facts.ids[m]) for m in members[~is_true(scores) & ~is_false(scores)])
    anchor_ids = tuple(int(facts.ids[a]) for a in anchor_idx) + tuple(nested)
    return Resolution(matched, borderline, anchor_ids)


def _scores(
    program: Program, facts: SceneFacts, view: str | None, members: np.ndarray, anchors: list[int]
) -> np.ndarray:
    rel = facts.relations
    r = program.relation
    if r == "attribute":
        return np.full(len(members), np.inf)
    if r in PAIR_KINDS:
        return rel.pair(r, view)[members, anchors[0]]
    if r in TERNARY_KINDS:
        return rel.between()[members, anchors[0], anchors[1]]
    if r in ANCHORED_RANK_KINDS:
        return rel.rank(r, members, view, anchor=anchors[0])
    return rel.rank(r, members, view, k=program.k, side=program.side)
