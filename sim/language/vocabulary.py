"""Words for categories and colours: synonyms, plurals and articles.

Labels and colours come from the objects themselves; the tables below only add synonyms for the ones we
know. An unknown label or colour is spoken as it is written.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

CATEGORY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "chair": ("chair",),
    "table": ("table", "desk"),
    "shelf": ("shelf", "bookshelf", "shelving unit", "bookcase"),
    "sofa": ("sofa", "couch"),
    "cabinet": ("cabinet", "cupboard"),
    "trash bin": ("trash bin", "trash can", "garbage can", "bin", "wastebasket"),
    "lamp": ("lamp", "light"),
    "mug": ("mug", "cup", "coffee mug"),
    "bottle": ("bottle",),
    "bowl": ("bowl",),
    "box": ("box", "carton"),
    "book": ("book",),
    "laptop": ("laptop", "laptop computer"),
    "monitor": ("monitor", "screen", "display"),
    "plant": ("plant", "potted plant", "houseplant"),
    "ball": ("ball",),
    "can": ("can", "tin"),
}
"""Words for each known category; the first is the canonical one."""

COLOR_SYNONYMS: dict[str, tuple[str, ...]] = {"gray": ("gray", "grey")}
"""Words for each known colour with variants; the first is the canonical one."""

KNOWN_COLORS: tuple[str, ...] = (
    "red", "green", "blue", "yellow", "orange", "purple", "pink", "brown", "black", "white", "gray", "cyan",
)
"""Colours an absent expression may name besides the ones in the scene."""

FURNITURE: frozenset[str] = frozenset({"chair", "table", "shelf", "sofa", "cabinet"})
"""Categories too big to "pick up" (an object may also say so with ``extra["is_furniture"]``)."""

_IRREGULAR = {"shelf": "shelves", "bookshelf": "bookshelves", "person": "people"}
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def category_words(label: str, other_labels: Iterable[str]) -> tuple[str, ...]:
    """Words for ``label``, without any word that is itself another category's label (so 'desk' is dropped
    in a scene vocabulary that holds a 'desk' category)."""
    others = set(other_labels) - {label}
    words = tuple(w for w in CATEGORY_SYNONYMS.get(label, (label,)) if w not in others)
    return words or (label,)


def color_words(color: str) -> tuple[str, ...]:
    """Words for ``color``; the first is the canonical one."""
    return COLOR_SYNONYMS.get(color, (color,))


def plural(noun: str) -> str:
    """English plural of a (possibly multi-word) noun: the last word is inflected."""
    head, _, last = noun.rpartition(" ")
    if last in _IRREGULAR:
        word = _IRREGULAR[last]
    elif last.endswith(("s", "x", "z", "ch", "sh")):
        word = last + "es"
    elif len(last) > 1 and last.endswith("y") and last[-2] not in "aeiou":
        word = last[:-1] + "ies"
    else:
        word = last + "s"
    return f"{head} {word}" if head else word


def article(phrase: str) -> str:
    """'a' or 'an' for ``phrase`` (by its first letter, which suits these words)."""
    return "an" if phrase[:1].lower() in "aeiou" else "a"


def ordinal_word(k: int) -> str:
    """'first', 'second', ... for k = 1, 2, ...; '11th' style beyond ten."""
    if 1 <= k <= len(_ORDINALS):
        return _ORDINALS[k - 1]
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def pick(rng: np.random.Generator, options: tuple[str, ...] | list[str]) -> tuple[int, str]:
    """A seeded choice: (index, option)."""
    i = int(rng.integers(len(options)))
    return i, options[i]
