"""Proposal evaluation: matching rules, and the CLI function on a tiny dataset written in the v1 format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from perception.geometry.evaluate import evaluate_proposals, main, score_proposals
from perception.geometry.proposals import extract_proposals, make_proposal
from perception.proposal import ObjectProposal
from tests.perception._geometry_scenes import look_at, render_view, sample_scene, tabletop_boxes


def _write_dataset(root: Path, instance_png: bool = False) -> None:
    cloud, instance = sample_scene(tabletop_boxes(), spacing=0.015)
    scene = root / "scenes" / "s0"
    (scene / "views" / "v0").mkdir(parents=True)
    assert cloud.rgb is not None
    np.savez(scene / "scene.npz", points=cloud.xyz, colors=cloud.rgb, instance=instance)
    objects = [{"object_id": b.instance, "label": "box", "color": "red", "center": list(b.center),
                "size": list(b.size), "yaw": b.yaw} for b in tabletop_boxes()]
    (scene / "objects.json").write_text(json.dumps(objects))
    T = look_at(np.array([1.6, 0.3, 1.5]), np.array([0.0, 0.0, 0.75]))
    frame, rendered = render_view(tabletop_boxes(), T, width=320, height=240)
    if instance_png:
        Image.fromarray((rendered + 1).astype(np.uint16)).save(scene / "views" / "v0" / "instance.png")
    Image.fromarray(frame.rgb).save(scene / "views" / "v0" / "rgb.png")
    Image.fromarray(np.round(frame.depth_m * 1000).astype(np.uint16)).save(scene / "views" / "v0" / "depth.png")
    camera = {"K": frame.intrinsics.K.tolist(), "width": 320, "height": 240, "T_world_cam": T.tolist()}
    (scene / "views" / "v0" / "camera.json").write_text(json.dumps(camera))
    meta = {"format": "ground3d-dataset", "version": 1, "categories": ["box"], "colors": ["red"],
            "splits": {"train": [], "val": [], "test": ["s0"]}}
    (root / "dataset.json").write_text(json.dumps(meta))


def test_score_counts_matches_once_and_ignores_barely_visible_objects() -> None:
    cloud, instance = sample_scene(tabletop_boxes(), spacing=0.015)
    proposals = extract_proposals(cloud).proposals
    scores = score_proposals(proposals, cloud.xyz, instance)
    assert scores.num_objects == 4 and scores.recall(0.5) == 1.0
    assert 0.0 < scores.precision(0.5) <= 1.0
    doubled = score_proposals(proposals + proposals, cloud.xyz, instance)
    assert doubled.recall(0.5) == 1.0 and doubled.precision(0.5) == scores.precision(0.5) / 2
    hidden = score_proposals(proposals, cloud.xyz, instance, min_points=10**6)
    assert hidden.num_objects == 0 and hidden.num_proposals < len(proposals)
    assert score_proposals([], cloud.xyz, instance).recall(0.25) == 0.0


def test_scores_per_category_add_up_to_the_totals() -> None:
    cloud, instance = sample_scene(tabletop_boxes(), spacing=0.015)
    proposals = extract_proposals(cloud).proposals
    categories = {1: "mug", 2: "box", 3: "box", 4: "bin"}
    scores = score_proposals(proposals, cloud.xyz, instance, categories=categories)
    missing_box = [p for p in proposals if (instance[p.indices] == 3).mean() < 0.5]  # drop box 3's proposal
    scores.add(score_proposals(missing_box, cloud.xyz, instance, categories=categories))
    assert scores.category_objects == {"mug": 2, "box": 4, "bin": 2}
    assert scores.category_recall(0.5) == {"bin": 1.0, "box": 0.75, "mug": 1.0}
    assert sum(scores.category_matched["0.5"].values()) == scores.matched["0.5"] == 7
    assert score_proposals(proposals, cloud.xyz, instance).category_recall(0.5) == {}


def test_misses_are_told_apart_by_the_proposal_that_overlaps_them_most() -> None:
    cloud, instance = sample_scene(tabletop_boxes(), spacing=0.015)

    def proposal(rows: np.ndarray) -> ObjectProposal:
        return make_proposal(0, cloud.xyz[rows], np.zeros((rows.size, 3), np.uint8), rows)

    rows = {i: np.flatnonzero(instance == i) for i in (1, 2, 3, 4)}
    proposals = [
        proposal(np.concatenate([rows[1], rows[3]])),  # mug and box 3 merged: one proposal, larger than either
        proposal(rows[2][cloud.xyz[rows[2], 2] > 0.85]),  # the upper half of box 2: a fragment
    ]  # and nothing near object 4
    scores = score_proposals(proposals, cloud.xyz, instance)
    assert scores.matched["0.5"] == 0
    assert scores.misses == {"larger": 2, "smaller": 1, "none": 1}
    scores.add(scores)
    assert scores.misses == {"larger": 4, "smaller": 2, "none": 2}


def test_evaluate_proposals_on_scenes_and_views(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _write_dataset(tmp_path)
    report = evaluate_proposals(str(tmp_path), "test")
    assert report.scenes.num_clouds == 1 and report.scenes.recall(0.5) == 1.0
    assert report.views.num_clouds == 1 and report.views.num_objects >= 3
    assert report.views.recall(0.25) >= 0.75
    main(["--data", str(tmp_path), "--split", "test", "--no-views", "--by-category", "--misses",
          "--view-support-margin", "0.02"])
    printed = json.loads(capsys.readouterr().out)
    assert printed["scenes"]["recall@0.5"] == 1.0 and printed["views"]["clouds"] == 0
    assert printed["scenes"]["recall@0.5 by category"] == {"box": 1.0}
    assert printed["scenes"]["misses@0.5"] == {"none": 0, "larger": 0, "smaller": 0, "offset": 0}



def test_views_take_the_rendered_instance_image_when_the_dataset_has_one(tmp_path: Path) -> None:
    _write_dataset(tmp_path / "nearest")
    _write_dataset(tmp_path / "rendered", instance_png=True)
    nearest = evaluate_proposals(str(tmp_path / "nearest"), "test", views=True)
    rendered = evaluate_proposals(str(tmp_path / "rendered"), "test", views=True)
    assert rendered.views.num_objects == nearest.views.num_objects >= 3
    assert rendered.views.recall(0.25) >= 0.75
    # Proof the image is what labels the pixels: one id painted over every pixel leaves a single object.
    png = tmp_path / "rendered" / "scenes" / "s0" / "views" / "v0" / "instance.png"
    Image.fromarray(np.full((240, 320), 2, np.uint16)).save(png)
    assert evaluate_proposals(str(tmp_path / "rendered"), "test").views.num_objects == 1
    forced = evaluate_proposals(str(tmp_path / "rendered"), "test", nearest_labels=True)
    assert forced.views.num_objects == nearest.views.num_objects


def test_chroma_step_option_reaches_both_configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import perception.geometry.evaluate as evaluate

    _write_dataset(tmp_path)
    seen = []

    def recording(root, split, config, view_config, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((config.clustering.max_chroma_step, view_config.clustering.max_chroma_step))
        return evaluate_proposals(root, split, config, view_config, **kwargs)

    monkeypatch.setattr(evaluate, "evaluate_proposals", recording)
    main(["--data", str(tmp_path), "--split", "test", "--no-views"])
    main(["--data", str(tmp_path), "--split", "test", "--no-views", "--chroma-step", "0"])
    assert seen == [(0.08, 0.08), (0.0, 0.0)]
