"""Turn a referring program into words through a small grammar of templates and synonyms.

Every choice is drawn from the caller's seeded ``rng``, so the same scene and seed give the same sentences.
Each realisation also returns a template id (which frame, form, connector and preposition were chosen) so
that tests and statistics can count how varied the phrasing is.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from sim.language.program import Program
from sim.language.vocabulary import (
    CATEGORY_SYNONYMS,
    article,
    category_words,
    color_words,
    ordinal_word,
    pick,
)

PREPOSITIONS: dict[str, tuple[str, ...]] = {
    "left_of": ("to the left of", "left of", "on the left of", "on the left side of"),
    "right_of": ("to the right of", "right of", "on the right of", "on the right side of"),
    "in_front_of": ("in front of", "on the near side of", "on this side of"),
    "behind": ("behind", "in back of", "on the far side of", "beyond"),
    "on": ("on", "upon"),
    "under": ("under", "underneath", "beneath"),
    "above": ("above", "over", "up above"),
    "below": ("below", "down below", "somewhere below"),
    "next_to": ("next to", "beside", "by", "alongside", "adjacent to"),
    "near": ("near", "close to", "near to", "not far from", "in the vicinity of"),
    "far_from": ("far from", "far away from", "a long way from", "distant from"),
}
"""Words for each pair relation; the first is the canonical one (used in answers)."""

_CONNECTORS: tuple[str, ...] = ("", "that is ", "which is ", "that's ", "located ")
_ON_CONNECTORS: tuple[str, ...] = ("sitting ", "resting ", "standing ", "placed ", "that sits ")
_BETWEEN = ("between {a} and {b}", "in between {a} and {b}", "in the middle between {a} and {b}")
_ANCHORED = {
    "closest_to": ("{h} closest to {a}", "{h} nearest to {a}", "{h} nearest {a}", "{h} that is closest to {a}",
                   "closest {h} to {a}"),
    "farthest_from": ("{h} farthest from {a}", "{h} furthest from {a}", "{h} that is farthest away from {a}",
                      "{h} most distant from {a}", "{h} furthest away from {a}"),
}
_RANKED = {
    "leftmost": ("leftmost {h}", "{h} on the far left", "{h} furthest to the left", "{h} that is most to the left"),
    "rightmost": ("rightmost {h}", "{h} on the far right", "{h} furthest to the right",
                  "{h} that is most to the right"),
    "nearest_to_viewer": ("{h} closest to me", "nearest {h}", "{h} nearest to me", "{h} closest to the camera",
                          "closest {h}", "{h} nearest to the robot"),
    "tallest": ("tallest {h}", "{h} that is the tallest", "{h} that stands tallest"),
    "largest": ("largest {h}", "biggest {h}", "{h} that is the largest", "{h} that is biggest"),
    "smallest": ("smallest {h}", "tiniest {h}", "{h} that is the smallest", "littlest {h}"),
    "ordinal": ("{o} {h} from the {s}", "{o} {h} counting from the {s}", "{h} that is {o} from the {s}",
                "{o} {h} from {s} to {t}"),
}
_NEGATION = ("{n} that is not {c}", "{n} which is not {c}", "{n} that isn't {c}", "non-{c} {n}",
             "{n} that is any colour but {c}")
_VIEW_SUFFIX = (" from where I stand", " from my point of view", " as seen from here", " from this viewpoint")
_FRAMES = (
    "the {np}", "find the {np}", "the {np}, please", "look at the {np}", "point to the {np}", "I mean the {np}",
    "select the {np}", "go to the {np}", "can you find the {np}?", "show me the {np}", "it's the {np}",
    "please locate the {np}", "locate the {np}", "the one I want is the {np}", "focus on the {np}",
)
_HANDHELD_FRAMES = ("pick up the {np}", "grab the {np}", "bring me the {np}", "hand me the {np}")
_TWO_SENTENCE = ("there is a {h}. it is {r}.", "this is a {h}. it is {r}.", "a {h} {r}.", "it's a {h} {r}.")


class Phraser:
    """Realises programs as text for one scene (synonyms are filtered against the scene's labels)."""

    def __init__(self, labels: Iterable[str]) -> None:
        self.labels = set(labels) | set(CATEGORY_SYNONYMS)

    def noun(self, category: str, rng: np.random.Generator) -> str:
        """A word for ``category``."""
        return pick(rng, category_words(category, self.labels))[1]

    def color(self, color: str, rng: np.random.Generator) -> str:
        """A word for ``color``."""
        return pick(rng, color_words(color))[1]

    def head(self, program: Program, rng: np.random.Generator) -> tuple[str, str]:
        """The noun with its colour or negated colour: ("red mug", template id)."""
        noun = self.noun(program.category, rng)
        if program.not_color is not None:
            i, form = pick(rng, _NEGATION)
            return form.format(n=noun, c=self.color(program.not_color, rng)), f"neg{i}"
        if program.color is not None:
            return f"{self.color(program.color, rng)} {noun}", "col"
        return noun, "cat"

    def relation_phrase(self, program: Program, rng: np.random.Generator) -> tuple[str, str]:
        """The preposition with its anchor, for pair and between relations: ("left of the laptop", id)."""
        r = program.relation
        if r == "between":
            i, form = pick(rng, _BETWEEN)
            a = self.anchor(program.anchors[0], rng)
            b = self.anchor(program.anchors[1], rng)
            return form.format(a=a, b=b), f"btw{i}"
        i, prep = pick(rng, PREPOSITIONS[r])
        return f"{prep} {self.anchor(program.anchors[0], rng)}", f"p{i}"

    def anchor(self, program: Program, rng: np.random.Generator) -> str:
        """An anchor's noun phrase with its article: "the table next to the sofa"."""
        return "the " + self.noun_phrase(program, rng)[0]

    def noun_phrase(self, program: Program, rng: np.random.Generator) -> tuple[str, str]:
        """The whole noun phrase without its article: ("red mug to the left of the laptop", template id)."""
        head, hid = self.head(program, rng)
        r = program.relation
        if r == "attribute":
            return head, f"attr:{hid}"
        if r in PREPOSITIONS or r == "between":
            connectors = _CONNECTORS + (_ON_CONNECTORS if r == "on" else ())
            ci, conn = pick(rng, connectors)
            phrase, pid = self.relation_phrase(program, rng)
            return f"{head} {conn}{phrase}", f"{r}:{hid}:c{ci}:{pid}"
        if r in _ANCHORED:
            i, form = pick(rng, _ANCHORED[r])
            return form.format(h=head, a=self.anchor(program.anchors[0], rng)), f"{r}:{hid}:f{i}"
        i, form = pick(rng, _RANKED[r])
        text = form.format(h=head, o=ordinal_word(program.k), s=program.side,
                           t="right" if program.side == "left" else "left")
        return text, f"{r}:{hid}:f{i}"

    def refer(self, program: Program, rng: np.random.Generator, handheld: bool) -> tuple[str, str]:
        """A full referring expression for ``program``: (text, template id).

        ``handheld`` allows frames like "pick up the ..." (for objects small enough to pick up).
        """
        single_pair = program.relation in PREPOSITIONS and program.kind == program.relation
        style = rng.random()
        if single_pair and style < 0.2:
            i, form = pick(rng, _TWO_SENTENCE)
            head, hid = self.head(program, rng)
            phrase, pid = self.relation_phrase(program, rng)
            text, tid = form.format(h=head, r=phrase), f"two{i}:{program.relation}:{hid}:{pid}"
            if article(head) == "an":
                text = text.replace(f"a {head}", f"an {head}", 1)
            return _finish(text, rng, allow_period=False), tid
        np_text, np_id = self.noun_phrase(program, rng)
        if program.view_dependent and rng.random() < 0.2:
            si, suffix = pick(rng, _VIEW_SUFFIX)
            np_text, np_id = np_text + suffix, f"{np_id}:v{si}"
        frames = _FRAMES + (_HANDHELD_FRAMES if handheld else ())
        fi, frame = pick(rng, frames)
        return _finish(frame.format(np=np_text), rng, allow_period=not frame.endswith("?")), f"fr{fi}/{np_id}"


def _finish(text: str, rng: np.random.Generator, allow_period: bool) -> str:
    """Vary the surface: capitalise the first letter half the time, end statements with a period sometimes."""
    if rng.random() < 0.5:
        text = text[:1].upper() + text[1:]
    if allow_period and not text.endswith(".") and rng.random() < 0.3:
        text += "."
    return text

