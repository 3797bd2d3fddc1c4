"""Clarifying questions for ambiguous queries, phrased from the scene facts of the candidates.

"Do you mean the red mug on the table or the red mug on the shelf?" Each candidate is named by its
colour and label, then by the fewest further facts that tell the candidates apart, tried in the order
people use them: what it stands on, where it is seen from the view, its size, and its nearest neighbour.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from grounding.engine.facts import ObjectFacts
from grounding.engine.view import to_view_frame
from grounding.model.view import QueryView

SIDE_GAP_M = 0.10
"""Smallest separation in metres, across or along the view, for "left"/"right" or "nearer"/"further"."""

SIZE_RATIO = 1.4
"""Smallest volume ratio for "big"/"small" to be a fair description."""

MAX_CANDIDATES_ASKED = 4
"""At most this many candidates are named in one question; more would not be answerable by voice."""


@dataclass
class ClarifyingQuestion:
    """A question and the phrase that names each candidate in it."""

    question: str
    """The whole question, e.g. "Do you mean the red mug on the table or the red mug on the shelf?"."""
    descriptions: dict[int, str]
    """object_id -> the noun phrase naming it in the question, e.g. "the red mug on the table"."""


Attribute = Callable[[Sequence[ObjectFacts], Mapping[int, ObjectFacts], QueryView], list["str | None"]]


def clarifying_question(
    candidate_ids: Sequence[int],
    facts: Mapping[int, ObjectFacts],
    view: QueryView | None = None,
) -> ClarifyingQuestion:
    """Ask which of ``candidate_ids`` (best first, >= 2) the speaker meant.

    ``facts`` holds every object of the scene (neighbours and supports are named from it);
    ``view`` is the speaker's view; without one, "left" and "right" are meant from the model's default
    view of the scene (``QueryView.default_for``), the same convention the model was trained with.
    """
    if len(candidate_ids) < 2:
        raise ValueError(f"clarifying_question: expected at least 2 candidates, got {len(candidate_ids)}")
    cands = [facts[i] for i in list(candidate_ids)[:MAX_CANDIDATES_ASKED]]
    if view is None:
        view = QueryView.default_for(np.stack([f.box.center for f in facts.values()]))
    base = [[c.color or "", c.label or "one"] for c in cands]
    extra: list[list[str]] = [[] for _ in cands]
    size_words: list[str | None] = [None] * len(cands)
    remaining: list[tuple[str, Attribute]] = [
        ("support", _support_phrases),
        ("side", _side_phrases),
        ("size", _size_words),
        ("near", _near_phrases),
    ]

    def phrases() -> list[str]:
        return [" ".join(w for w in ["the", size_words[k] or "", *base[k], *extra[k]] if w) for k in range(len(cands))]

    while len(set(phrases())) < len(cands) and remaining:
        # The attribute that splits the candidates into the most groups; ties keep the listed order.
        scored = []
        for rank, (name, attr) in enumerate(remaining):
            values = attr(cands, facts, view)
            # A fact missing for some candidate names them less well than one every candidate has.
            groups = len(set(values)) - (0.5 if None in values else 0.0)
            scored.append((groups, -rank, name, values))
        groups, _, name, values = max(scored)
        remaining = [(n, a) for n, a in remaining if n != name]
        if groups <= 1:
            continue
        for k, v in enumerate(values):
            if v is None:
                continue
            if name == "size":
                size_words[k] = v
            else:
                extra[k].append(v)
    names = phrases()
    if len(set(names)) < len(names):
        # Nothing in the facts tells them apart: point at where each one is.
        names = [f"{n} at {_where(c)}" for n, c in zip(names, cands, strict=True)]
    head = ", ".join(names[:-1])
    return ClarifyingQuestion(
        question=f"Do you mean {head} or {names[-1]}?",
        descriptions={c.object_id: n for c, n in zip(cands, names, strict=True)},
    )


def _support_phrases(
    cands: Sequence[ObjectFacts], facts: Mapping[int, ObjectFacts], view: QueryView
) -> list[str | None]:
    out: list[str | None] = []
    for c in cands:
        if c.support_id is None:
            out.append(None)
        elif c.support_id == -1:
            out.append("on the floor")
        else:
            s = facts.get(c.support_id)
            if s is None:
                out.append(None)
            elif s.label:
                out.append(f"on the {s.label}")
            else:
                out.append(f"on the {s.color} object" if s.color else "on another object")
    return out


def _side_phrases(cands: Sequence[ObjectFacts], facts: Mapping[int, ObjectFacts], view: QueryView) -> list[str | None]:
    local = to_view_frame(np.stack([c.box.center for c in cands]), view)  # (K, 3): right, forward, up
    out: list[str | None] = [None] * len(cands)
    x, z = local[:, 0], local[:, 1]
    if x.max() - x.min() >= SIDE_GAP_M:
        order = np.argsort(x)
        out[order[0]] = "on the left"
        out[order[-1]] = "on the right"
        if len(cands) == 3 and np.diff(x[order]).min() >= SIDE_GAP_M:
            out[order[1]] = "in the middle"
        return out
    if z.max() - z.min() >= SIDE_GAP_M:
        order = np.argsort(z)
        out[order[0]] = "nearer to you"
        out[order[-1]] = "further away"
    return out


def _size_words(cands: Sequence[ObjectFacts], facts: Mapping[int, ObjectFacts], view: QueryView) -> list[str | None]:
    vol = np.array([max(c.box.volume, 1e-9) for c in cands])
    out: list[str | None] = [None] * len(cands)
    order = np.argsort(vol)
    small, big = order[0], order[-1]
    if vol[big] / vol[small] < SIZE_RATIO:
        return out
    two = len(cands) == 2
    out[big] = "big" if two else "biggest"
    out[small] = "small" if two else "smallest"
    return out


def _near_phrases(cands: Sequence[ObjectFacts], facts: Mapping[int, ObjectFacts], view: QueryView) -> list[str | None]:
    excluded = {c.object_id for c in cands} | {c.support_id for c in cands}
    others = [f for f in facts.values() if f.object_id not in excluded and f.label]
    out: list[str | None] = []
    for c in cands:
        if not others:
            out.append(None)
            continue
        d = [np.linalg.norm(o.box.center - c.box.center) for o in others]
        o = others[int(np.argmin(d))]
        out.append(f"next to the {o.color + ' ' if o.color else ''}{o.label}")
    return out


def _where(c: ObjectFacts) -> str:
    x, y, z = (float(v) for v in c.box.center)
    # Centimetres: candidates that no fact tells apart are often only a few centimetres apart.
    return f"x {x:.2f} m, y {y:.2f} m, z {z:.2f} m"
