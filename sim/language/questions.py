"""Questions with answers (qa.json records, ScanQA-style) generated from a scene's ground truth.

Five types: counting ("how many red boxes are there" -> "2"), existence ("is there a lamp" -> "yes"),
attribute ("what colour is the mug on the shelf" -> "red"), relation ("what is left of the laptop" ->
"mug") and location ("where is the ball" -> "under the table"). Answers are short canonical strings:
digits, "yes"/"no", colour names, category labels, or a canonical preposition and landmark. Every fact
behind an answer is clearly true or clearly false by ``relations``; nothing borderline is asked about.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from sim.language.candidates import CandidateIndex
from sim.language.config import LanguageConfig
from sim.language.facts import SceneFacts
from sim.language.phrasing import PREPOSITIONS, Phraser
from sim.language.program import Program, resolve
from sim.language.relations import PAIR_KINDS, VIEW_DEPENDENT_KINDS, is_false, is_true
from sim.language.vocabulary import CATEGORY_SYNONYMS, KNOWN_COLORS, article, color_words, plural
from sim.scene_object import SceneObject, ViewPose

QUESTION_TYPES: tuple[str, ...] = ("counting", "existence", "attribute", "relation", "location")
"""Values of a qa record's "type"."""

LOCATION_ORDER: tuple[str, ...] = (
    "on", "under", "next_to", "above", "below", "left_of", "right_of", "in_front_of", "behind", "near",
)
"""Relations a location answer may use, most telling first."""

_COUNT = ("how many {p} are there?", "how many {p} are in the room?", "how many {p} are in the scene?",
          "count the {p}.", "what is the number of {p}?", "what number of {p} is there?")
_COUNT_REL = ("how many {p} are {r}?", "count the {p} {r}.", "how many {p} are there {r}?",
              "what is the number of {p} {r}?")
_EXIST = ("is there {a} {h}?", "is there {a} {h} in the room?", "does the room have {a} {h}?",
          "can you find {a} {h}?", "are there any {p}?", "is there any {h} here?")
_EXIST_REL = ("is there {a} {h} {r}?", "are there any {p} {r}?", "can you find {a} {h} {r}?",
              "is there any {h} {r}?", "does the room have {a} {h} {r}?")
_COLOR = ("what colour is the {np}?", "what color is the {np}?", "which colour is the {np}?",
          "what is the colour of the {np}?", "tell me the color of the {np}.", "what colour does the {np} have?")
_RELATION = ("what is {r}?", "what object is {r}?", "which object is {r}?", "what can be found {r}?",
             "what's {r}?", "name the object {r}.")
_WHERE = ("where is the {np}?", "where can I find the {np}?", "where's the {np}?", "where is the {np} located?",
          "where is the {np} placed?", "tell me where the {np} is.")


def generate_questions(
    objects: Sequence[SceneObject],
    views: Mapping[str, ViewPose],
    scene_id: str,
    rng: np.random.Generator,
    config: LanguageConfig | None = None,
) -> list[dict[str, Any]]:
    """qa.json records for one scene.

    Each record holds "scene_id", "question_id" (``SCENE-qK``), "question", "answers" (the canonical answer
    first, then other accepted ones), "object_ids" (the evidence: the objects the answer is about, then
    anchors), "view" (a key of ``views``, or a pose dict when ``views`` is empty), "type" (QUESTION_TYPES),
    plus "relation", "view_dependent" and "program" (the logical form asked about, when there is one).
    Deterministic given ``rng``'s state.
    """
    config = config or LanguageConfig()
    facts = SceneFacts(objects, views, config.relations)
    return _QuestionWriter(facts, scene_id, rng).run(
        max(config.min_questions, round(config.questions_per_object * len(facts)))
    )


class _QuestionWriter:
    def __init__(self, facts: SceneFacts, scene_id: str, rng: np.random.Generator) -> None:
        self.facts, self.scene_id, self.rng = facts, scene_id, rng
        self.index = CandidateIndex(facts)
        self.phraser = Phraser(facts.labels)
        self.records: list[dict[str, Any]] = []
        self.asked: set[str] = set()
        self.existence_answers: Counter[str] = Counter()
        self._relation_cache: dict[str, list[tuple[str, int, np.ndarray]]] = {}
        self.makers: dict[str, Callable[[str], dict[str, Any] | None]] = {
            "counting": self._counting, "existence": self._existence, "attribute": self._attribute,
            "relation": self._relation, "location": self._location,
        }

    def run(self, n: int) -> list[dict[str, Any]]:
        if len(self.facts) == 0:
            return []
        tries = 0
        while len(self.records) < n and tries < 10 * n:
            tries += 1
            qtype = QUESTION_TYPES[int(self.rng.integers(len(QUESTION_TYPES)))]
            names = self.facts.view_names
            view = names[int(self.rng.integers(len(names)))]
            record = self.makers[qtype](view)
            if record is None:
                continue
            # The same question in other words is still the same question.
            meaning = json.dumps([qtype, record.get("program"), record["answers"]], sort_keys=True)
            if record["question"] in self.asked or meaning in self.asked:
                continue
            self.asked.update((record["question"], meaning))
            if qtype == "existence":
                self.existence_answers[record["answers"][0]] += 1
            record = {
                "scene_id": self.scene_id,
                "question_id": f"{self.scene_id}-q{len(self.records)}",
                "question": _capitalise(record["question"], self.rng),
                "answers": record["answers"],
                "object_ids": record["object_ids"],
                "view": self.facts.view_field(view),
                "type": qtype,
                "relation": record["relation"],
                "view_dependent": record["relation"] in VIEW_DEPENDENT_KINDS or record.get("vd", False),
                "program": record.get("program"),
            }
            self.records.append(record)
        return self.records

    # Helpers ---------------------------------------------------------------------------------------------

    def _choice(self, options: Sequence[Any]) -> Any:
        return options[int(self.rng.integers(len(options)))]

    def _group(self, allow_lacking: bool = True) -> Program:
        """A present category, with one of its colours 40% of the time, or (20%) a colour it lacks."""
        facts = self.facts
        label = self._choice(sorted(set(facts.labels)))
        roll = self.rng.random()
        if roll < 0.4:
            return Program(label)
        have = sorted(set(facts.colors[facts.labels == label]))
        lacking = sorted(set(KNOWN_COLORS) - set(have))
        if roll < 0.8 or not allow_lacking or not lacking:
            return Program(label, color=self._choice(have))
        return Program(label, color=self._choice(lacking))

    def _missing(self) -> Program | None:
        """A category (and colour) the scene lacks."""
        facts = self.facts
        missing = sorted(set(CATEGORY_SYNONYMS) - set(facts.labels))
        if not missing:
            return None
        color = self._choice(sorted(set(KNOWN_COLORS) | set(facts.colors))) if self.rng.random() < 0.5 else None
        return Program(self._choice(missing), color=color)

    def _with_relation(self, base: Program) -> Program | None:
        """``base`` related by a random pair relation to a random object that has a unique name."""
        if not self.index.attribute_names:
            return None
        a = self._choice(sorted(self.index.attribute_names))
        anchor = self._choice(self.index.attribute_names[a])
        relation = self._choice(PAIR_KINDS)
        return Program(base.category, relation, base.color, anchors=(anchor,))

    def _true_relation(self, view: str) -> Program | None:
        """A program "CATEGORY REL ANCHOR" that a random object satisfies (its colour named half the time)."""
        facts, named = self.facts, sorted(self.index.attribute_names)
        t = int(self.rng.integers(len(facts)))
        relation = self._choice(PAIR_KINDS)
        scores = facts.relations.pair(relation, view if relation in VIEW_DEPENDENT_KINDS else None)[t]
        anchors = [a for a in named if is_true(scores[a])]
        if not anchors:
            return None
        color = str(facts.colors[t]) if self.rng.random() < 0.5 else None
        anchor = self.index.attribute_names[self._choice(anchors)][0]
        return Program(str(facts.labels[t]), relation, color, anchors=(anchor,))

    def _heads(self, program: Program) -> tuple[str, str]:
        """Singular and plural heads ("red mug", "red mugs")."""
        noun = self.phraser.noun(program.category, self.rng)
        color = f"{self.phraser.color(program.color, self.rng)} " if program.color else ""
        return color + noun, color + plural(noun)

    # Question types --------------------------------------------------------------------------------------

    def _counting(self, view: str) -> dict[str, Any] | None:
        # With a relation, start from a fact that holds, so that "how many X are REL Y" is rarely a
        # pointless 0; without one, counts of 0 come from colours a category lacks.
        program = (self._true_relation(view) if self.rng.random() < 0.4 else None) \
            or self._group(allow_lacking=bool(self.rng.random() < 0.5))
        res = resolve(program, self.facts, view)
        if res.status == "borderline":
            return None
        _, heads = self._heads(program)
        if program.relation == "attribute":
            question = self._choice(_COUNT).format(p=heads)
        else:
            phrase, _ = self.phraser.relation_phrase(program, self.rng)
            question = self._choice(_COUNT_REL).format(p=heads, r=phrase)
        return {"question": question, "answers": [str(len(res.matched))],
                "object_ids": list(res.matched) + list(res.anchor_ids), "relation": program.relation,
                "vd": program.view_dependent, "program": program.to_json()}

    def _existence(self, view: str) -> dict[str, Any] | None:
        """Half the questions are meant to be answered "yes": draw until the answer comes out as meant."""
        # Repeated questions are dropped, and "yes" questions repeat more often (fewer things exist than
        # not), so the answer aimed at follows the running balance rather than a coin.
        want_yes = self.existence_answers["yes"] <= self.existence_answers["no"]
        for _ in range(8):
            program: Program | None = None
            if want_yes and self.rng.random() < 0.4:
                program = self._true_relation(view)
            elif not want_yes and self.rng.random() < 0.4:
                program = self._missing()
            if program is None:
                program = self._group(allow_lacking=not want_yes)
                if not want_yes and self.rng.random() < 0.4:
                    program = self._with_relation(program) or program
            res = resolve(program, self.facts, view)
            if res.status != "borderline" and bool(res.matched) == want_yes:
                break
        else:
            return None
        head, heads = self._heads(program)
        if program.relation == "attribute":
            question = self._choice(_EXIST).format(a=article(head), h=head, p=heads)
        else:
            phrase, _ = self.phraser.relation_phrase(program, self.rng)
            question = self._choice(_EXIST_REL).format(a=article(head), h=head, p=heads, r=phrase)
        return {"question": question, "answers": ["yes" if res.matched else "no"],
                "object_ids": list(res.matched) + list(res.anchor_ids), "relation": program.relation,
                "vd": program.view_dependent, "program": program.to_json()}

    def _attribute(self, view: str) -> dict[str, Any] | None:
        cands = self.index.for_view(view)
        targets = sorted(cands.unique)
        if not targets:
            return None
        t = self._choice(targets)
        # The colour is the answer, so the target's own description must not name it.
        kinds = cands.kinds(t)
        if not kinds:
            return None
        program = cands.draw(t, self._choice(kinds), self.rng, colorless=True)
        if program is None:
            return None
        res = resolve(program, self.facts, view)
        if res.status != "unique":
            return None
        np_text, _ = self.phraser.noun_phrase(program, self.rng)
        color = str(self.facts.colors[t])
        return {"question": self._choice(_COLOR).format(np=np_text), "answers": list(color_words(color)),
                "object_ids": [int(self.facts.ids[t]), *res.anchor_ids], "relation": program.kind,
                "vd": program.view_dependent, "program": program.to_json()}

    def _relation_options(self, view: str) -> list[tuple[str, int, np.ndarray]]:
        """(relation, anchor index, hit indices) where every other object is clearly in the relation or
        clearly not, at least one is, and all that are share one category."""
        if view not in self._relation_cache:
            facts, options = self.facts, []
            for relation in PAIR_KINDS[:9]:  # not near / far from: too many objects are near something
                scores = facts.relations.pair(relation, view if relation in VIEW_DEPENDENT_KINDS else None)
                border = ~is_true(scores) & ~is_false(scores)
                for a in sorted(self.index.attribute_names):
                    hits = np.flatnonzero(is_true(scores[:, a]))
                    if not border[:, a].any() and len(hits) and len(set(facts.labels[hits])) == 1:
                        options.append((relation, a, hits))
            self._relation_cache[view] = options
        return self._relation_cache[view]

    def _relation(self, view: str) -> dict[str, Any] | None:
        facts = self.facts
        options = self._relation_options(view)
        if not options:
            return None
        relation, a, hits = options[int(self.rng.integers(len(options)))]
        anchor = self._choice(self.index.attribute_names[a])
        label = str(facts.labels[hits[0]])
        answers = [label] + ([f"{facts.colors[hits[0]]} {label}"] if len(hits) == 1 else [])
        prep = self._choice(PREPOSITIONS[relation])
        phrase = f"{prep} {self.phraser.anchor(anchor, self.rng)}"
        return {"question": self._choice(_RELATION).format(r=phrase), "answers": answers,
                "object_ids": [int(facts.ids[h]) for h in hits] + [int(facts.ids[a])], "relation": relation,
                "program": {"relation": relation, "anchors": [anchor.to_json()]}}

    def _location(self, view: str) -> dict[str, Any] | None:
        facts = self.facts
        named = sorted(self.index.attribute_names)
        if len(named) < 2:
            return None
        t = self._choice(named)
        target = self._choice(self.index.attribute_names[t])
        # One landmark per relation (the closest one), most telling relations first, at most three.
        gap = facts.relations.box_gap
        answers: list[tuple[str, str, int]] = []
        for relation in LOCATION_ORDER:
            scores = facts.relations.pair(relation, view if relation in VIEW_DEPENDENT_KINDS else None)[t]
            hits = [a for a in named if a != t and is_true(scores[a])]
            if hits and len(answers) < 3:
                a = min(hits, key=lambda h: (gap[t, h], h))
                landmark = self.index.attribute_names[a][0]
                words = " ".join(w for w in (landmark.color, landmark.category) if w)
                answers.append((f"{PREPOSITIONS[relation][0]} the {words}", relation, a))
        if not answers:
            return None
        np_text, _ = self.phraser.noun_phrase(target, self.rng)
        _, first_relation, first_anchor = answers[0]
        return {"question": self._choice(_WHERE).format(np=np_text),
                "answers": [text for text, _, _ in answers],
                "object_ids": [int(facts.ids[t]), int(facts.ids[first_anchor])], "relation": first_relation,
                "vd": any(r in VIEW_DEPENDENT_KINDS for _, r, _ in answers),
                "program": {**target.to_json(), "location": first_relation}}



def _capitalise(text: str, rng: np.random.Generator) -> str:
    return text[:1].upper() + text[1:] if rng.random() < 0.5 else text
