"""Statistics of a dataset's language, and a check that its records still resolve as labelled.

    python -m sim.language.report DATASET [--png kinds.png]

Reads ``refer.json``, ``qa.json`` and each scene's ``objects.json`` and view poses (``camera.json``'s
"position" and "look_at"), prints the shares of statuses, relation kinds and question types, how many
distinct templates and sentences there are, and re-resolves every referring program against the boxes.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.language.errors import LanguageError
from sim.language.facts import SceneFacts
from sim.language.program import Program, resolve
from sim.scene_object import SceneObject, ViewPose


@dataclass
class LanguageReport:
    """What ``summarise`` finds in a dataset."""

    expressions: int = 0
    """Number of refer.json records."""
    questions: int = 0
    """Number of qa.json records."""
    status: Counter[str] = field(default_factory=Counter)
    """Expressions per status (unique / ambiguous / absent)."""
    kinds: Counter[str] = field(default_factory=Counter)
    """Expressions per relation kind."""
    view_dependent: int = 0
    """Expressions whose truth depends on the view."""
    multiple: int = 0
    """Expressions whose category has several objects in the scene."""
    templates: int = 0
    """Distinct phrasing templates used."""
    distinct_descriptions: int = 0
    """Distinct descriptions (lower case, without a final period)."""
    question_types: Counter[str] = field(default_factory=Counter)
    """Questions per type."""
    yes_share: float = 0.0
    """Share of existence questions answered "yes"."""
    checked: int = 0
    """Expressions re-resolved against the scene's boxes."""
    mismatched: list[str] = field(default_factory=list)
    """ann ids (scene/ann) whose program no longer resolves as labelled."""

    def lines(self) -> list[str]:
        """The report as text lines."""
        n = max(self.expressions, 1)
        out = [f"expressions {self.expressions}, questions {self.questions}"]
        out.append("status: " + ", ".join(f"{k} {v} ({v / n:.1%})" for k, v in sorted(self.status.items())))
        out.append(f"view-dependent {self.view_dependent / n:.1%}, category has distractors {self.multiple / n:.1%}")
        out.append(f"distinct templates {self.templates}, distinct descriptions {self.distinct_descriptions / n:.1%}")
        out.append("kinds: " + ", ".join(f"{k} {v}" for k, v in self.kinds.most_common()))
        out.append("question types: " + ", ".join(f"{k} {v}" for k, v in self.question_types.most_common())
                   + f"; existence answered yes {self.yes_share:.1%}")
        out.append(f"re-resolved {self.checked}, mismatched {len(self.mismatched)}")
        return out


def _views(folder: Path) -> dict[str, ViewPose]:
    views: dict[str, ViewPose] = {}
    for cam in sorted(folder.glob("views/*/camera.json")):
        data = json.loads(cam.read_text())
        if "position" in data and "look_at" in data:
            views[cam.parent.name] = ViewPose(np.asarray(data["position"], float), np.asarray(data["look_at"], float))
    return views


def _pose(view: Any, views: dict[str, ViewPose]) -> tuple[str, dict[str, ViewPose]]:
    """The view name to resolve with, and the views to build the scene's facts from."""
    if isinstance(view, dict):
        return "record", {"record": ViewPose(np.asarray(view["position"], float), np.asarray(view["look_at"], float))}
    return str(view), views


def summarise(root: Path | str) -> LanguageReport:
    """Read the dataset at ``root`` and report on its language."""
    root = Path(root)
    refer: list[dict[str, Any]] = json.loads((root / "refer.json").read_text())
    qa: list[dict[str, Any]] = json.loads((root / "qa.json").read_text())
    rep = LanguageReport(expressions=len(refer), questions=len(qa))
    rep.status = Counter(r.get("status", "unique") for r in refer)
    rep.kinds = Counter(r["relation"] for r in refer)
    rep.view_dependent = sum(bool(r["view_dependent"]) for r in refer)
    rep.multiple = sum(r.get("unique") == "multiple" for r in refer)
    rep.templates = len({r["template"] for r in refer if "template" in r})
    rep.distinct_descriptions = len({r["description"].lower().rstrip(".") for r in refer})
    rep.question_types = Counter(q["type"] for q in qa)
    yes = [q["answers"][0] == "yes" for q in qa if q["type"] == "existence"]
    rep.yes_share = float(np.mean(yes)) if yes else 0.0
    facts_cache: dict[tuple[str, str], SceneFacts] = {}
    for r in refer:
        if "program" not in r:
            continue
        folder = root / "scenes" / r["scene_id"]
        name, views = _pose(r["view"], _views(folder))
        key = (r["scene_id"], name if name == "record" else "")
        if key not in facts_cache or name == "record":
            objects = [SceneObject.from_json(o) for o in json.loads((folder / "objects.json").read_text())]
            facts_cache[key] = SceneFacts(objects, views)
        res = resolve(Program.from_json(r["program"]), facts_cache[key], name)
        expected = (r["object_id"],) if r["status"] == "unique" else tuple(r.get("candidate_ids", ()))
        rep.checked += 1
        if res.status != r["status"] or sorted(res.matched) != sorted(expected):
            rep.mismatched.append(f"{r['scene_id']}/{r['ann_id']}")
    return rep


def plot_kinds(rep: LanguageReport, path: Path | str) -> None:
    """A bar chart of expressions per relation kind (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = rep.kinds.most_common()
    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.bar([k for k, _ in kinds], [v for _, v in kinds], color="#4477aa")
    ax.set_ylabel("expressions")
    ax.set_title(f"{rep.expressions} referring expressions by relation kind")
    plt.setp(ax.get_xticklabels(), rotation=60, ha="right", rotation_mode="anchor")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.language.report", description=__doc__.splitlines()[0])
    parser.add_argument("dataset", help="a format-v1 dataset folder")
    parser.add_argument("--png", help="also write a bar chart of relation kinds here")
    args = parser.parse_args(argv)
    try:
        rep = summarise(args.dataset)
    except (OSError, KeyError, LanguageError, json.JSONDecodeError) as err:
        print(f"error: could not read the language of {args.dataset}: {err}")
        return 2
    print("\n".join(rep.lines()))
    if args.png:
        plot_kinds(rep, args.png)
    return 1 if rep.mismatched else 0


if __name__ == "__main__":
    raise SystemExit(main())
