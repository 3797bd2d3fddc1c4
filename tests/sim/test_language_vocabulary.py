"""Words: plurals, articles, ordinals, and synonyms that never name another category of the scene."""

from __future__ import annotations

import numpy as np

from sim.language import Program
from sim.language.phrasing import Phraser
from sim.language.vocabulary import article, category_words, color_words, ordinal_word, plural


def test_plurals_articles_ordinals() -> None:
    assert [plural(w) for w in ("box", "shelf", "couch", "trash can", "bookshelf", "toy", "body", "mug")] == [
        "boxes", "shelves", "couches", "trash cans", "bookshelves", "toys", "bodies", "mugs"]
    assert article("orange mug") == "an" and article("red mug") == "a"
    assert [ordinal_word(k) for k in (1, 2, 3, 11, 12, 22)] == ["first", "second", "third", "11th", "12th", "22nd"]


def test_synonyms_skip_words_that_are_other_labels() -> None:
    assert "desk" in category_words("table", {"chair"})
    assert "desk" not in category_words("table", {"desk", "chair"})
    assert category_words("robot arm", set()) == ("robot arm",)  # unknown labels are spoken as written
    assert color_words("gray") == ("gray", "grey") and color_words("teal") == ("teal",)


def test_phraser_draws_every_synonym_and_is_seeded() -> None:
    phraser = Phraser(["mug", "sofa"])
    rng = np.random.default_rng(0)
    words = {phraser.noun("mug", rng) for _ in range(60)}
    assert words == {"mug", "cup", "coffee mug"}
    p = Program("mug", "on", color="red", anchors=(Program("table"),))
    a = [Phraser(["mug"]).refer(p, np.random.default_rng(4), handheld=True) for _ in range(2)]
    assert a[0] == a[1]
