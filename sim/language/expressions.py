"""Referring expressions (refer.json records, ScanRefer-style) generated from a scene's ground truth."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sim.language.candidates import CandidateIndex
from sim.language.config import LanguageConfig
from sim.language.errors import LanguageError
from sim.language.facts import SceneFacts
from sim.language.phrasing import Phraser
from sim.language.program import Program, resolve
from sim.language.vocabulary import CATEGORY_SYNONYMS, FURNITURE, KNOWN_COLORS
from sim.scene_object import SceneObject, ViewPose

_ABSENT_TAIL_RELATIONS = ("next_to", "near", "left_of", "right_of", "in_front_of", "behind")


def generate_expressions(
    objects: Sequence[SceneObject],
    views: Mapping[str, ViewPose],
    scene_id: str,
    rng: np.random.Generator,
    config: LanguageConfig | None = None,
) -> list[dict[str, Any]]:
    """refer.json records for one scene: unique expressions per object, plus a few ambiguous and absent ones.

    Each record holds the ScanRefer fields ("scene_id", "object_id" (-1 unless unique), "object_name",
    "ann_id", "description", "view", "relation", "view_dependent", "unique" ("multiple" when another
    object shares the category)) and "status" ("unique" | "ambiguous" | "absent"), "anchor_ids",
    "candidate_ids" (all objects it matches), "program" (the logical form, see ``Program.to_json``) and
    "template" (which phrasing was drawn). "view" is a key of ``views`` (or, when ``views`` is empty, the
    pose dict of a made-up view). Deterministic given ``rng``'s state.
    """
    config = config or LanguageConfig()
    facts = SceneFacts(objects, views, config.relations)
    return _ExpressionWriter(facts, scene_id, rng, config).run()


class _ExpressionWriter:
    def __init__(self, facts: SceneFacts, scene_id: str, rng: np.random.Generator, config: LanguageConfig):
        self.facts, self.scene_id, self.rng, self.config = facts, scene_id, rng, config
        self.index = CandidateIndex(facts)
        self.phraser = Phraser(facts.labels)
        self.records: list[dict[str, Any]] = []

    def run(self) -> list[dict[str, Any]]:
        plans = []
        for t in range(len(self.facts)):
            view = self._view()
            plans.append((t, view, self.index.for_view(view).kinds(t)))
        # Kinds that few objects allow are drawn more often, so rare relations are not drowned out.
        feasible = Counter(k for _, _, kinds in plans for k in kinds)
        for t, view, kinds in plans:
            self._unique_for(t, view, kinds, feasible)
        n_unique = len(self.records)
        total = n_unique / max(1e-9, 1.0 - self.config.absent_fraction - self.config.ambiguous_fraction)
        for _ in range(_stochastic_round(total * self.config.ambiguous_fraction, self.rng)):
            self._ambiguous()
        for _ in range(_stochastic_round(total * self.config.absent_fraction, self.rng)):
            self._absent()
        return self.records

    def _view(self) -> str:
        names = self.facts.view_names
        return names[int(self.rng.integers(len(names)))]

    def _unique_for(self, t: int, view: str, kinds: list[str], feasible: Counter[str]) -> None:
        if not kinds:
            return
        weights = np.array([1.0 / feasible[k] for k in kinds])
        n = min(self.config.expressions_per_object, len(kinds))
        candidates = self.index.for_view(view)
        for i in self.rng.choice(len(kinds), size=n, replace=False, p=weights / weights.sum()):
            program = candidates.draw(t, kinds[int(i)], self.rng)
            assert program is not None  # every listed kind has a program
            self._emit(program, view, "unique")

    def _ambiguous(self) -> None:
        view = self._view()
        options = self.index.for_view(view).ambiguous
        if not options:
            return
        # Half from relations when any exist, so ambiguity is not only "the chair" among chairs.
        relational = [p for p in options if p.relation != "attribute"]
        pool = relational if relational and self.rng.random() < 0.5 else options
        self._emit(pool[int(self.rng.integers(len(pool)))], view, "ambiguous")

    def _absent(self) -> None:
        facts, rng = self.facts, self.rng
        present = sorted(set(facts.labels))
        colors = sorted(set(KNOWN_COLORS) | set(facts.colors))
        missing_categories = sorted(set(CATEGORY_SYNONYMS) - set(present))
        if present and (rng.random() < 0.6 or not missing_categories):
            label = present[int(rng.integers(len(present)))]
            unused = [c for c in colors if c not in set(facts.colors[facts.labels == label])]
            if not unused:
                return
            program = Program(label, color=unused[int(rng.integers(len(unused)))])
        elif missing_categories:
            label = missing_categories[int(rng.integers(len(missing_categories)))]
            color = colors[int(rng.integers(len(colors)))] if rng.random() < 0.5 else None
            program = Program(label, color=color)
        else:
            return
        if self.index.attribute_names and rng.random() < 0.3:
            named = sorted(self.index.attribute_names)
            anchor = self.index.attribute_names[named[int(rng.integers(len(named)))]][0]
            relation = _ABSENT_TAIL_RELATIONS[int(rng.integers(len(_ABSENT_TAIL_RELATIONS)))]
            program = Program(program.category, relation, program.color, anchors=(anchor,))
        self._emit(program, self._view(), "absent")

    def _emit(self, program: Program, view: str, status: str) -> None:
        facts = self.facts
        res = resolve(program, facts, view)
        if res.status != status:
            raise LanguageError(
                f"internal: program {program.to_json()} was enumerated as {status} but resolves as {res.status} "
                f"(matched {res.matched}, borderline {res.borderline})"
            )
        target = res.matched[0] if status == "unique" else -1
        handheld = program.category not in FURNITURE and not (
            status == "unique" and facts.objects[facts.index[target]].extra.get("is_furniture", False)
        )
        text, template = self.phraser.refer(program, self.rng, handheld)
        self.records.append({
            "scene_id": self.scene_id,
            "object_id": int(target),
            "object_name": program.category,
            "ann_id": str(len(self.records)),
            "description": text,
            "view": facts.view_field(view),
            "relation": program.kind,
            "view_dependent": program.view_dependent,
            "unique": "multiple" if facts.count(program.category) >= 2 else "unique",
            "status": status,
            "anchor_ids": list(res.anchor_ids),
            "candidate_ids": list(res.matched),
            "program": program.to_json(),
            "template": template,
        })


def _stochastic_round(x: float, rng: np.random.Generator) -> int:
    """floor(x) plus one with probability frac(x), so the expected count is x."""
    base = int(np.floor(x))
    return base + int(rng.random() < x - base)

