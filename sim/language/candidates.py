"""Enumerate every referring program that picks out exactly one object (or several, or none) in a scene.

Uniqueness is decided from the relation score matrices all at once: for relation r and anchor a, the
number of members of each group (a category, or a category and colour) that are clearly true and the number
that are borderline. A program is unique when exactly one member is clearly true and none is borderline.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from sim.language.facts import SceneFacts
from sim.language.program import Program
from sim.language.relations import (
    ANCHORED_RANK_KINDS,
    ORDINAL_KIND,
    PAIR_KINDS,
    RANK_KINDS,
    VIEW_DEPENDENT_KINDS,
    is_false,
    is_true,
    rank_scores,
)


@dataclass
class ViewCandidates:
    """Programs for one view: unique ones per target object index, and ambiguous ones.

    Multi-hop programs are many (every unique pair fact times every relational name of its anchor), so
    they are kept as their parts and built only when drawn (``kinds`` and ``draw``).
    """

    unique: dict[int, list[Program]] = field(default_factory=lambda: defaultdict(list))
    """Target index -> single-hop programs that pick out exactly that object."""
    ambiguous: list[Program] = field(default_factory=list)
    """Programs that clearly match two or more objects and nothing borderline."""
    hops: dict[int, list[tuple[str, str | None, str, str, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    """Target index -> first hops (category, colour, relation, anchor category, anchor index): unique once
    the anchor is identified (the anchor category is kept for inspection)."""
    relational_names: dict[int, list[tuple[Program, int]]] = field(default_factory=lambda: defaultdict(list))
    """Object index -> (unique single-hop pair program naming it, its anchor's index)."""

    def kinds(self, t: int) -> list[str]:
        """The record kinds (``Program.kind``) that have a unique program for target ``t``, sorted."""
        out = {program.kind for program in self.unique.get(t, [])}
        if self._usable_hops(t):
            out.add("multi_hop")
        return sorted(out)

    def draw(self, t: int, kind: str, rng: np.random.Generator, colorless: bool = False) -> Program | None:
        """A random program of ``kind`` for target ``t``, or None when there is none.

        ``colorless`` keeps only programs that do not name the target's colour (for colour questions).
        """
        if kind != "multi_hop":
            options = [p for p in self.unique.get(t, []) if p.kind == kind
                       and not (colorless and (p.color is not None or p.not_color is not None))]
            return options[int(rng.integers(len(options)))] if options else None
        hops = [h for h in self._usable_hops(t) if not (colorless and h[1] is not None)]
        if not hops:
            return None
        hop = hops[int(rng.integers(len(hops)))]
        names = [p for p, second in self.relational_names[hop[4]] if second != t]
        label, color, relation, _, _ = hop
        return Program(label, relation, color, anchors=(names[int(rng.integers(len(names)))],))

    def _usable_hops(self, t: int) -> list[tuple[str, str | None, str, str, int]]:
        """First hops whose anchor has a relational name that does not go through the target itself."""
        return [h for h in self.hops.get(t, []) if any(s != t for _, s in self.relational_names.get(h[4], []))]


class CandidateIndex:
    """All candidate programs of one scene, per view (computed on first use)."""

    def __init__(self, facts: SceneFacts) -> None:
        self.facts = facts
        self.groups: list[tuple[str, str | None]] = []
        for label in sorted(set(facts.labels)):
            self.groups.append((label, None))
            for color in sorted(set(facts.colors[facts.labels == label])):
                self.groups.append((label, color))
        n = len(facts)
        self.group_mask = np.zeros((len(self.groups), n), dtype=bool)  # (G, N)
        for g, (label, color) in enumerate(self.groups):
            self.group_mask[g, facts.members(label, color)] = True
        self.attribute_names: dict[int, list[Program]] = defaultdict(list)
        for g, (label, color) in enumerate(self.groups):
            if self.group_mask[g].sum() == 1:
                self.attribute_names[int(np.flatnonzero(self.group_mask[g])[0])].append(Program(label, color=color))
        self._views: dict[str, ViewCandidates] = {}
        self._static: ViewCandidates | None = None

    def program(self, group: int, relation: str = "attribute", anchors: tuple[Program, ...] = (),
                k: int = 1, side: str = "left") -> Program:
        """The program of ``group`` with a relation."""
        label, color = self.groups[group]
        return Program(label, relation=relation, color=color, anchors=anchors, k=k, side=side)

    def for_view(self, view: str) -> ViewCandidates:
        """The candidates as spoken from ``view``: the view-independent ones plus this view's own."""
        if view not in self._views:
            if self._static is None:
                self._static = self._enumerate(None)
            own, static = self._enumerate(view), self._static
            merged = ViewCandidates(ambiguous=static.ambiguous + own.ambiguous)
            for name in ("unique", "hops", "relational_names"):
                target = getattr(merged, name)
                for part in (static, own):
                    for key, values in getattr(part, name).items():
                        target[key].extend(values)
            self._views[view] = merged
        return self._views[view]

    def _enumerate(self, view: str | None) -> ViewCandidates:
        """View-independent candidates when ``view`` is None, else only the ones that depend on ``view``."""
        out = ViewCandidates()
        facts, gm = self.facts, self.group_mask
        if view is None:
            sizes = gm.sum(1)
            for g in np.flatnonzero(sizes == 1):
                out.unique[int(np.flatnonzero(gm[g])[0])].append(self.program(int(g)))
            for g in np.flatnonzero(sizes >= 2):
                out.ambiguous.append(self.program(int(g)))
            self._negations(out)
            self._between(out)
        for r in PAIR_KINDS:
            if (r in VIEW_DEPENDENT_KINDS) != (view is not None):
                continue
            scores = facts.relations.pair(r, view)
            true = is_true(scores).astype(np.int64)
            border = (~is_true(scores) & ~is_false(scores)).astype(np.int64)
            n_true, n_border = gm.astype(np.int64) @ true, gm.astype(np.int64) @ border  # (G, N anchors)
            g_idx, a_idx = np.nonzero((n_true == 1) & (n_border == 0))
            targets = (gm[g_idx] & (true[:, a_idx].T == 1)).argmax(1)
            for gi, ai, ti in zip(g_idx.tolist(), a_idx.tolist(), targets.tolist(), strict=True):
                label, color = self.groups[gi]
                # The first hop of a multi-hop program; its anchor's name is filled in when drawn.
                out.hops[ti].append((label, color, r, str(facts.labels[ai]), ai))
                for name in self.attribute_names.get(ai, []):
                    prog = self.program(gi, r, (name,))
                    out.unique[ti].append(prog)
                    out.relational_names[ti].append((prog, ai))
            for g_amb, a_amb in zip(*np.nonzero((n_true >= 2) & (n_border == 0)), strict=True):
                for name in self.attribute_names.get(int(a_amb), [])[:1]:
                    out.ambiguous.append(self.program(int(g_amb), r, (name,)))
        self._rankings(out, view)
        return out

    def _negations(self, out: ViewCandidates) -> None:
        facts = self.facts
        for label in sorted(set(facts.labels)):
            members = facts.members(label)
            if len(members) < 2:
                continue
            for color in sorted(set(facts.colors[members])):
                rest = facts.members(label, not_color=color)
                if len(rest) == 1:
                    out.unique[int(rest[0])].append(Program(label, not_color=color))

    def _between(self, out: ViewCandidates) -> None:
        named = sorted(self.attribute_names)
        if len(named) < 2:
            return
        scores = self.facts.relations.between()  # (N, N, N)
        idx = np.array(named)
        sub = scores[:, idx][:, :, idx]  # (N, A, A)
        true = is_true(sub).astype(np.int64)
        border = (~is_true(sub) & ~is_false(sub)).astype(np.int64)
        gm = self.group_mask.astype(np.int64)
        n_true = np.einsum("gn,nab->gab", gm, true)
        n_border = np.einsum("gn,nab->gab", gm, border)
        for g, i, j in zip(*np.nonzero((n_true == 1) & (n_border == 0)), strict=True):
            if i >= j:
                continue  # between is symmetric in its anchors
            t = int(np.flatnonzero(self.group_mask[g] & (true[:, i, j] == 1))[0])
            a, b = self.attribute_names[int(idx[i])][0], self.attribute_names[int(idx[j])][0]
            out.unique[t].append(self.program(int(g), "between", (a, b)))

    def _rankings(self, out: ViewCandidates, view: str | None) -> None:
        rel = self.facts.relations
        named = np.array(sorted(self.attribute_names), dtype=np.int64)
        for g in range(len(self.groups)):
            members = np.flatnonzero(self.group_mask[g])
            if len(members) < 2:
                continue
            for kind in RANK_KINDS:
                if (kind in VIEW_DEPENDENT_KINDS) == (view is not None):
                    lo, hi = rel.rank_bounds(kind, members, view)
                    self._add_if_unique(out, members, rank_scores(lo, hi, 1), self.program(g, kind))
            if view is None:
                if len(named):
                    self._anchored(out, g, members, named)
                continue
            # Ordinals count at least three objects in view ("the second of two" is leftmost/rightmost).
            if (rel.front(view)[members] >= 1).sum() < 3:
                continue
            for side in ("left", "right"):
                lo, hi = rel.rank_bounds(ORDINAL_KIND, members, view, side)
                for k in range(2, len(members) + 1):
                    scores = rank_scores(lo, hi, k)
                    self._add_if_unique(out, members, scores, self.program(g, ORDINAL_KIND, k=k, side=side))

    def _anchored(self, out: ViewCandidates, g: int, members: np.ndarray, named: np.ndarray) -> None:
        """closest_to / farthest_from every named anchor, among the group's members other than the anchor."""
        n_rest = len(members) - np.isin(named, members).astype(int)
        for kind in ANCHORED_RANK_KINDS:
            lo, hi = self.facts.relations.anchored_bounds(kind, members, named)  # (A, M)
            true = (lo == 1) & (hi == 1)
            clear = true | (lo > 1)
            valid = members[None, :] != named[:, None]
            ok = (true.sum(1) == 1) & (clear | ~valid).all(1) & (n_rest >= 2)
            for ai in np.flatnonzero(ok):
                t = int(members[np.argmax(true[ai])])
                anchor = self.attribute_names[int(named[ai])][0]
                out.unique[t].append(self.program(g, kind, (anchor,)))

    @staticmethod
    def _add_if_unique(out: ViewCandidates, members: np.ndarray, scores: np.ndarray, program: Program) -> None:
        if is_true(scores).sum() == 1 and (is_true(scores) | is_false(scores)).all():
            out.unique[int(members[is_true(scores)][0])].append(program)
