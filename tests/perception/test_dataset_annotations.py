"""ScanRefer- and ScanQA-format JSON (their exact field layout) loads with the dataset reader's loaders."""

from __future__ import annotations

import json

import pytest

from perception.dataset import DatasetError, load_qa, load_refer

# Field layout of ScanRefer_filtered_*.json: ids are strings, plus a token list.
SCANREFER = [
    {"scene_id": "scene0000_00", "object_id": "27", "object_name": "cabinet", "ann_id": "0",
     "description": "this is a white cabinet. it is to the right of the tv.",
     "token": ["this", "is", "a", "white", "cabinet", ".", "it", "is", "to", "the", "right", "of", "the", "tv", "."]},
    {"scene_id": "scene0000_00", "object_id": "27", "object_name": "cabinet", "ann_id": "1",
     "description": "a cabinet under the tv.", "token": ["a", "cabinet", "under", "the", "tv", "."]},
]

# Field layout of ScanQA_v1.0_*.json.
SCANQA = [
    {"answers": ["brown cabinet with tv sitting in it"], "object_ids": [8], "object_names": ["cabinet"],
     "question": "What is in the right corner of room by curtains?", "question_id": "train-scene0000-0",
     "scene_id": "scene0000_00"},
    {"object_ids": [], "question": "Where is the chair?", "question_id": "test-scene0707-1",
     "scene_id": "scene0707_00"},
]


def test_scanrefer_layout(tmp_path):
    path = tmp_path / "ScanRefer_filtered_val.json"
    path.write_text(json.dumps(SCANREFER))
    recs = load_refer(path)
    assert [r.object_id for r in recs] == [27, 27] and [r.ann_id for r in recs] == [0, 1]
    assert recs[0].object_name == "cabinet" and recs[0].description.startswith("this is a white cabinet")
    assert recs[0].extra["token"][4] == "cabinet" and recs[0].view is None


def test_scanqa_layout(tmp_path):
    path = tmp_path / "ScanQA_v1.0_val.json"
    path.write_text(json.dumps(SCANQA))
    recs = load_qa(path)
    assert recs[0].answers == ["brown cabinet with tv sitting in it"] and recs[0].object_ids == [8]
    assert recs[0].extra["object_names"] == ["cabinet"] and recs[1].answers == []


def test_ground3d_records_keep_their_extra_fields(tmp_path):
    path = tmp_path / "refer.json"
    path.write_text(json.dumps([{"scene_id": "s", "object_id": -1, "object_name": "mug", "ann_id": 3,
                                 "description": "the purple mug", "view": "view000", "relation": "attribute",
                                 "view_dependent": False, "unique": "multiple"}]))
    rec = load_refer(path)[0]
    assert rec.object_id == -1 and rec.view == "view000" and rec.relation == "attribute"
    assert rec.extra == {"unique": "multiple"}


@pytest.mark.parametrize(("records", "match"), [
    ({"not": "a list"}, "list"),
    ([{"scene_id": "s", "object_id": "x1", "object_name": "m", "description": "d"}], "object_id"),
    ([{"scene_id": "s", "object_id": 1, "object_name": "m"}], "description"),
])
def test_bad_refer_files_raise(tmp_path, records, match):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(records))
    with pytest.raises(DatasetError, match=match):
        load_refer(path)


def test_bad_qa_and_broken_json_raise(tmp_path):
    path = tmp_path / "q.json"
    path.write_text(json.dumps([{"scene_id": "s", "question_id": "1", "question": "q", "answers": "yes"}]))
    with pytest.raises(DatasetError, match="answers"):
        load_qa(path)
    path.write_text("[{")
    with pytest.raises(DatasetError, match="valid JSON"):
        load_qa(path)
