"""The language report reads a dataset folder, and catches records that no longer match the boxes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sim.language import generate_expressions, generate_questions
from sim.language.report import main, plot_kinds, summarise
from tests.sim.test_language_scenes import office_scene


def _write(root: Path, move_ball: bool = False) -> None:
    objects, views = office_scene()
    rng = np.random.default_rng(3)
    refer = generate_expressions(objects, views, "office", rng)
    qa = generate_questions(objects, views, "office", rng)
    if move_ball:  # the ball leaves from under the table after the language was written
        objects[13].center = np.array([3.0, -2.0, 0.11])
    folder = root / "scenes" / "office"
    folder.mkdir(parents=True)
    (folder / "objects.json").write_text(json.dumps([o.to_json() for o in objects]))
    for name, pose in views.items():
        (folder / "views" / name).mkdir(parents=True)
        (folder / "views" / name / "camera.json").write_text(json.dumps({"K": [[1, 0, 0]] * 3, **pose.to_json()}))
    (root / "refer.json").write_text(json.dumps(refer))
    (root / "qa.json").write_text(json.dumps(qa))


def test_report_counts_and_rechecks_a_written_dataset(tmp_path: Path) -> None:
    _write(tmp_path)
    rep = summarise(tmp_path)
    refer = json.loads((tmp_path / "refer.json").read_text())
    assert rep.expressions == len(refer) and rep.checked == len(refer)
    assert rep.mismatched == []
    assert sum(rep.status.values()) == len(refer) and sum(rep.kinds.values()) == len(refer)
    assert main([str(tmp_path), "--png", str(tmp_path / "kinds.png")]) == 0
    assert (tmp_path / "kinds.png").read_bytes()[:4] == b"\x89PNG"
    plot_kinds(rep, tmp_path / "again.png")


def test_report_flags_records_the_boxes_no_longer_support(tmp_path: Path) -> None:
    _write(tmp_path, move_ball=True)
    refer = json.loads((tmp_path / "refer.json").read_text())
    about_ball = [r for r in refer if r["object_id"] == 13 and r["relation"] != "attribute"]
    assert about_ball
    rep = summarise(tmp_path)
    assert rep.mismatched
    assert main([str(tmp_path)]) == 1


def test_report_on_a_missing_folder_says_so(tmp_path: Path, capsys) -> None:
    assert main([str(tmp_path / "nothing")]) == 2
    assert "could not read" in capsys.readouterr().out
