"""The main job (`make demo`) end to end: a sim scene perceived from five RGB-D frames, the example requests
answered, the results checked against the sim's ground truth, and the picture written."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from ros_nodes.demo import DemoConfig, run_demo, seen_objects
from ros_nodes.table import results_table


def test_demo_answers_its_requests_against_ground_truth(tmp_path: Path) -> None:
    report = run_demo(DemoConfig(out_dir=tmp_path))
    by_id = {r["request_id"]: (r, match) for r, match in zip(report.results, report.gt_match, strict=True)}
    assert set(by_id) == {"unique", "relation", "ambiguous", "absent", "count", "exists", "color"}
    names = {o["object_id"]: f"{o['color']} {o['label']}" for o in report.ground_truth}
    # The two seen, uniquely described objects are found, and their boxes lie on the right sim objects.
    for request_id in ("unique", "relation"):
        result, match = by_id[request_id]
        assert result["status"] == "found" and result["evidence"], result
        assert match is not None and names[match].split()[-1] in result["text"], (result["text"], names.get(match))
    # Nothing of the absent category exists in the scene, and the answer says so.
    absent, _ = by_id["absent"]
    assert absent["status"] == "not_found" and absent["box"] is None
    assert {r["status"] for r in report.results if r["kind"] == "answer"} == {"answered"}
    table = results_table(report.results)
    assert all(r["text"] in table for r in report.results if "text" in r)
    assert report.picture is not None and report.picture.parent == tmp_path
    with Image.open(report.picture) as picture:
        assert picture.width > 800 and picture.height > 300


def test_seen_objects_counts_fused_points_in_each_ground_truth_box() -> None:
    import numpy as np

    from perception import PointCloud

    objects = [
        {"object_id": 0, "center": [0.0, 0.0, 0.5], "size": [1.0, 1.0, 1.0]},
        {"object_id": 1, "center": [5.0, 0.0, 0.5], "size": [1.0, 1.0, 1.0], "yaw": 0.3},
    ]
    xyz = np.random.default_rng(0).uniform(-0.4, 0.4, (60, 3)).astype(np.float32) + np.float32([0, 0, 0.5])
    cloud = PointCloud(xyz=xyz, rgb=np.zeros((60, 3), np.uint8), frame_id="map")
    assert seen_objects(objects, cloud) == {0}
    assert seen_objects(objects, cloud, min_points=61) == set()
