"""IncrementalExtractor: a growing map is cut again only where it changed, and agrees with a whole-map cut."""

from __future__ import annotations

import numpy as np
import pytest

from perception import PointCloud
from perception.geometry import footprint, incremental
from perception.geometry.errors import GeometryConfigError
from perception.geometry.incremental import IncrementalConfig, IncrementalExtractor
from perception.geometry.proposals import GeometryResult, extract_proposals
from perception.proposal import ObjectProposal
from tests.perception._geometry_scenes import SynthBox, sample_scene, tabletop_boxes

NEW_BOX = SynthBox(5, (-1.6, -1.5, 0.15), (0.3, 0.25, 0.3), (40, 180, 200), 0.3)
"""A box that appears on the floor far from the table (the objects are sampled last, so the rest of the scene
samples the same with or without it)."""


def _map(objects: list[SynthBox]) -> PointCloud:
    return sample_scene(objects, spacing=0.012)[0]


def _assert_same_proposals(got: list[ObjectProposal], want: list[ObjectProposal]) -> None:
    assert len(got) == len(want)
    for w in want:
        assert max(w.aabb.iou(g.aabb) for g in got) > 0.95


def _assert_rows_of(result: GeometryResult, cloud: PointCloud) -> None:
    for p in result.proposals:
        np.testing.assert_array_equal(cloud.xyz[p.indices], p.points)
        np.testing.assert_array_equal(cloud.rgb[p.indices], p.colors)
    assert result.cloud.point_to_voxel.shape == (len(cloud),)
    assert result.point_label.shape == (len(result.cloud),)


def test_an_object_that_appears_is_cut_from_its_region_and_the_rest_is_kept() -> None:
    before, after = _map(tabletop_boxes()), _map([*tabletop_boxes(), NEW_BOX])
    extractor = IncrementalExtractor()
    first = extractor.extract(before)
    result = extractor.extract(after)
    assert (extractor.num_full, extractor.num_regional) == (1, 1)
    assert 0.0 < extractor.region_fraction < 0.2
    _assert_same_proposals(result.proposals, extract_proposals(after).proposals)
    assert len(result.proposals) == len(first.proposals) + 1
    assert any(np.linalg.norm(p.aabb.center[:2] - NEW_BOX.center[:2]) < 0.03 for p in result.proposals)
    _assert_rows_of(result, after)
    assert result.planes is first.planes  # scene context comes from the whole-map calls


def test_a_new_proposal_is_boxed_with_the_yaw_its_cut_searched(monkeypatch: pytest.MonkeyPatch) -> None:
    # The cut's own proposals searched each new outline's rectangle; the result's boxes reuse those yaws, so
    # every rectangle searched during the call was searched inside the cut.
    extractor = IncrementalExtractor()
    extractor.extract(_map(tabletop_boxes()))
    searched: list[str] = []
    search, cut = footprint.min_area_rectangle, incremental.extract_proposals

    def counted(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        searched.append("outside")
        return search(points)

    def cut_counted(*args: object, **kwargs: object) -> GeometryResult:
        start = len(searched)
        result = cut(*args, **kwargs)  # type: ignore[arg-type]
        searched[start:] = ["cut"] * (len(searched) - start)
        return result

    monkeypatch.setattr(footprint, "min_area_rectangle", counted)
    monkeypatch.setattr(incremental, "extract_proposals", cut_counted)
    after = _map([*tabletop_boxes(), NEW_BOX])
    result = extractor.extract(after)
    assert extractor.num_regional == 1
    assert "cut" in searched and "outside" not in searched
    monkeypatch.undo()
    new_box = next(p for p in result.proposals if np.linalg.norm(p.aabb.center[:2] - NEW_BOX.center[:2]) < 0.03)
    searched_box = next(p for p in extract_proposals(after).proposals
                        if np.linalg.norm(p.aabb.center[:2] - NEW_BOX.center[:2]) < 0.03)
    assert new_box.obb.yaw == pytest.approx(searched_box.obb.yaw, abs=1e-9)


def test_a_proposal_in_the_margin_of_a_change_is_kept_whole() -> None:
    # A box appears 35 cm from the yellow floor box: the floor box lies in the region's margin, unchanged.
    neighbour = SynthBox(5, (1.95, 0.62, 0.1), (0.2, 0.2, 0.2), (40, 180, 200))
    before, after = _map(tabletop_boxes()), _map([*tabletop_boxes(), neighbour])
    extractor = IncrementalExtractor()
    first = extractor.extract(before)
    result = extractor.extract(after)
    assert extractor.num_regional == 1

    def yellow(proposals: list[ObjectProposal]) -> ObjectProposal:
        return next(p for p in proposals if np.linalg.norm(p.aabb.center[:2] - (1.30, 0.60)) < 0.05)

    np.testing.assert_array_equal(yellow(result.proposals).points, yellow(first.proposals).points)
    _assert_same_proposals(result.proposals, extract_proposals(after).proposals)


def test_an_unchanged_map_cuts_nothing_and_keeps_every_proposal(monkeypatch: pytest.MonkeyPatch) -> None:
    cloud = _map(tabletop_boxes())
    extractor = IncrementalExtractor()
    first = extractor.extract(cloud)
    searched: list[int] = []
    search = footprint.min_area_rectangle

    def counted(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        searched.append(len(points))
        return search(points)

    monkeypatch.setattr(footprint, "min_area_rectangle", counted)
    again = extractor.extract(cloud.select(np.random.default_rng(0).permutation(len(cloud))))  # rows reordered
    assert extractor.num_regional == 1 and extractor.region_fraction == 0.0
    _assert_same_proposals(again.proposals, first.proposals)
    assert searched == []  # kept proposals keep their yaw rather than searching it again
    for new, old in zip(again.proposals, first.proposals, strict=True):
        assert new.obb.yaw == old.obb.yaw
        np.testing.assert_allclose(new.obb.size, old.obb.size, atol=1e-6)


def test_a_region_that_is_most_of_the_map_and_every_n_th_call_extract_the_whole_map() -> None:
    small, full = _map(tabletop_boxes()[:1]), _map(tabletop_boxes())
    extractor = IncrementalExtractor(config=IncrementalConfig(full_every=3, max_region_fraction=0.05))
    extractor.extract(small)
    extractor.extract(full)  # three boxes appear around the table: more than 5 % of the map to cut again
    assert (extractor.num_full, extractor.num_regional) == (2, 0)
    extractor.extract(full)
    assert (extractor.num_full, extractor.num_regional) == (2, 1)
    extractor.extract(full)  # the third call
    assert (extractor.num_full, extractor.num_regional) == (3, 1)


def test_disabled_extracts_the_whole_map_every_time() -> None:
    cloud = _map(tabletop_boxes())
    extractor = IncrementalExtractor(config=IncrementalConfig(enabled=False))
    for _ in range(2):
        extractor.extract(cloud)
    assert (extractor.num_full, extractor.num_regional) == (2, 0)


@pytest.mark.parametrize(
    "kwargs",
    [{"cell_size": 0.0}, {"margin_cells": 0}, {"full_every": 0}, {"max_region_fraction": 0.0}, {"max_growths": -1},
     {"border_share": 0.5}],
)
def test_bad_config_raises(kwargs: dict[str, float]) -> None:
    with pytest.raises(GeometryConfigError):
        IncrementalConfig(**kwargs)  # type: ignore[arg-type]
