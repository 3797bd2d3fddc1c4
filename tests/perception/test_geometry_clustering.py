"""``cluster_points``: density clusters, cut at colour edges when asked, with one object's nested parts of
another colour kept together."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from perception.geometry import clustering
from perception.geometry.clustering import ClusterConfig, cluster_points, group_bounds, group_rows, stable_order

SPLIT = ClusterConfig()  # the default: colour split on
PLAIN = ClusterConfig(max_chroma_step=0.0)
RED, BLUE, GREEN, BROWN = (200, 30, 30), (30, 40, 200), (46, 110, 40), (150, 90, 50)


def _block(lo: tuple[float, float, float], hi: tuple[float, float, float], rgb: tuple[int, int, int],
           rng: np.random.Generator, num: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """``num`` points uniform in the box [lo, hi] (m) and their colours, with 3 units of sensor noise."""
    points = rng.uniform(lo, hi, (num, 3)).astype(np.float32)
    colors = np.clip(np.asarray(rgb) + rng.normal(0.0, 3.0, (num, 3)), 0, 255).astype(np.uint8)
    return points, colors


def _cloud(*blocks: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return np.vstack([b[0] for b in blocks]), np.vstack([b[1] for b in blocks])


def _sizes(labels: np.ndarray) -> list[int]:
    return sorted(np.bincount(labels[labels >= 0]).tolist())


def test_touching_objects_of_different_colours_come_apart_only_with_the_colour_step() -> None:
    rng = np.random.default_rng(0)
    points, colors = _cloud(_block((0, 0, 0), (0.08, 0.08, 0.2), RED, rng),
                            _block((0.09, 0, 0), (0.3, 0.2, 0.02), BLUE, rng))  # a bottle 1 cm from a laptop
    assert _sizes(cluster_points(points, PLAIN, colors)) == [1200]
    assert _sizes(cluster_points(points, PLAIN)) == [1200]  # no colours given
    labels = cluster_points(points, SPLIT, colors)  # the default step
    assert _sizes(labels) == [600, 600]
    assert len(set(labels[:600])) == 1 and len(set(labels[600:])) == 1


def test_shading_and_dark_points_do_not_cut_an_object() -> None:
    rng = np.random.default_rng(1)
    lit = _block((0, 0, 0.1), (0.2, 0.2, 0.12), RED, rng)
    shaded = _block((0, 0, 0), (0.2, 0.2, 0.1), tuple(int(c * 0.4) for c in RED), rng)  # the same red in shadow
    screen = _block((0.2, 0, 0), (0.21, 0.2, 0.12), (18, 20, 24), rng)  # near black: its hue is noise
    points, colors = _cloud(lit, shaded, screen)
    assert _sizes(cluster_points(points, SPLIT, colors)) == [1800]


def test_nested_parts_of_another_colour_stay_one_object() -> None:
    rng = np.random.default_rng(2)
    pot = _block((-0.06, -0.06, 0), (0.06, 0.06, 0.12), BROWN, rng)
    foliage = _block((-0.12, -0.12, 0.12), (0.12, 0.12, 0.3), GREEN, rng, num=1500)
    pages = _block((-0.08, -0.1, 0.004), (0.08, 0.1, 0.026), (235, 230, 215), rng)
    covers = _cloud(_block((-0.08, -0.1, 0), (0.08, 0.1, 0.003), RED, rng),
                    _block((-0.08, -0.1, 0.027), (0.08, 0.1, 0.03), RED, rng))
    points, colors = _cloud(pot, foliage)
    assert _sizes(cluster_points(points, SPLIT, colors)) == [2100]
    points, colors = _cloud(pages, covers)
    assert _sizes(cluster_points(points, SPLIT, colors)) == [1800]


def test_objects_of_one_colour_keep_their_density_clusters() -> None:
    rng = np.random.default_rng(3)
    points, colors = _cloud(_block((0, 0, 0), (0.1, 0.1, 0.1), RED, rng),
                            _block((0.5, 0, 0), (0.6, 0.1, 0.1), RED, rng))
    plain = cluster_points(points, PLAIN, colors)
    assert _sizes(plain) == [600, 600]
    np.testing.assert_array_equal(cluster_points(points, SPLIT, colors), plain)


def test_an_object_inside_a_larger_one_of_another_colour_stays_apart() -> None:
    """A bottle standing in a shelf's bay lies inside the shelf's horizontal box, but the shelf's centre is not
    inside the bottle's: only parts that each hold the other's centre are one object."""
    rng = np.random.default_rng(4)
    shelf = _cloud(_block((0, 0, 0), (0.6, 0.03, 0.5), BROWN, rng),  # back
                   _block((0, 0, 0), (0.03, 0.3, 0.5), BROWN, rng),  # sides
                   _block((0.57, 0, 0), (0.6, 0.3, 0.5), BROWN, rng))
    bottle = _block((0.1, 0.035, 0.0), (0.16, 0.095, 0.25), BLUE, rng)  # touching the back
    points, colors = _cloud(shelf, bottle)
    assert _sizes(cluster_points(points, PLAIN, colors)) == [2400]
    assert _sizes(cluster_points(points, SPLIT, colors)) == [600, 1800]


def test_pieces_of_one_colour_cut_apart_by_a_blended_band_join_again() -> None:
    """Voxels on an edge average two colours; a band of them can cut an object into pieces of its own colour,
    and those pieces are one object again."""
    rng = np.random.default_rng(5)
    left = _block((0, 0, 0), (0.1, 0.1, 0.1), RED, rng)
    band = _block((0.1, 0, 0), (0.15, 0.1, 0.1), (115, 35, 115), rng, num=300)  # red averaged with blue
    right = _block((0.15, 0, 0), (0.3, 0.1, 0.1), RED, rng)
    points, colors = _cloud(left, band, right)
    labels = cluster_points(points, SPLIT, colors)
    assert len(set(labels[:600]) | set(labels[900:])) == 1
    assert _sizes(labels) == [300, 1200]


def test_pieces_of_one_colour_far_apart_in_one_density_cluster_stay_apart() -> None:
    """A density cluster can run a long way (a can on a shelf, the shelf, the floor noise at its foot); two of
    its parts with similar colours at its two ends are two things, not one cut by a band."""
    rng = np.random.default_rng(6)
    can = _block((0, 0, 1.0), (0.07, 0.07, 1.12), RED, rng)
    shelf = _block((0, 0, 0), (0.3, 0.07, 1.0), BLUE, rng, num=6000)  # links the two ends by density
    foot = _block((0.3, 0, 0.0), (0.6, 0.07, 0.03), RED, rng, num=400)  # something red at the other end
    points, colors = _cloud(can, shelf, foot)
    assert _sizes(cluster_points(points, PLAIN, colors)) == [7000]
    labels = cluster_points(points, SPLIT, colors)
    assert len(set(labels[:600])) == 1 and not set(labels[:600]) & set(labels[6600:])
    assert _sizes(labels) == [400, 600, 6000]


def test_a_dark_band_is_no_bridge_between_two_colours() -> None:
    """A shadowed edge (too dark for its hue to count) between a red and a green object links to both by
    density; it joins one of them, and the two colours stay apart."""
    rng = np.random.default_rng(7)
    red = _block((0, 0, 0), (0.1, 0.1, 0.1), RED, rng)
    shadow = _block((0.1, 0, 0), (0.13, 0.1, 0.1), (20, 22, 18), rng, num=200)
    green = _block((0.13, 0, 0), (0.3, 0.1, 0.1), GREEN, rng)
    points, colors = _cloud(red, shadow, green)
    labels = cluster_points(points, SPLIT, colors)
    assert len(set(labels[:600])) == 1 and len(set(labels[800:])) == 1
    assert set(labels[:600]) != set(labels[800:])
    assert set(labels[600:800]) <= set(labels[:600]) | set(labels[800:])  # the shadow joined one side


def test_a_book_in_the_middle_of_a_shelf_bay_holds_the_shelf_s_centre_but_is_no_part_of_it() -> None:
    rng = np.random.default_rng(8)
    shelf = _cloud(_block((0, 0, 0), (0.4, 0.03, 1.0), GREEN, rng, num=1500),  # back
                   _block((0, 0, 0), (0.03, 0.3, 1.0), GREEN, rng, num=1500),  # sides
                   _block((0.37, 0, 0), (0.4, 0.3, 1.0), GREEN, rng, num=1500),
                   _block((0.03, 0.03, 0.38), (0.37, 0.3, 0.4), GREEN, rng, num=1500))  # a board
    book = _block((0.1, 0.035, 0.4), (0.3, 0.28, 0.44), RED, rng)  # as deep as the board, in its middle
    points, colors = _cloud(shelf, book)
    assert _sizes(cluster_points(points, PLAIN, colors)) == [6600]
    assert _sizes(cluster_points(points, SPLIT, colors)) == [600, 6000]


def test_group_bounds_equal_per_group_min_and_max_and_leave_empty_groups_infinite() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(size=(200, 3)).astype(np.float32)
    group = rng.integers(0, 6, size=200)
    group[group == 4] = 5  # group 4 has no row
    lo, hi = group_bounds(values, group, 7)
    for g in range(7):
        rows = values[group == g]
        if rows.size:
            np.testing.assert_array_equal(lo[g], rows.min(axis=0))
            np.testing.assert_array_equal(hi[g], rows.max(axis=0))
        else:
            assert np.isinf(lo[g]).all() and np.isinf(hi[g]).all() and (lo[g] > hi[g]).all()


def test_group_rows_equal_each_group_s_mask_and_keep_empty_groups() -> None:
    group = np.random.default_rng(4).integers(0, 6, size=200)
    group[group == 4] = 5  # group 4 has no row
    rows = group_rows(group, 7)
    assert len(rows) == 7
    for g in range(7):
        np.testing.assert_array_equal(rows[g], np.flatnonzero(group == g))
    assert group_rows(np.empty(0, dtype=np.int64), 0) == []


@pytest.mark.parametrize("min_points", [1, 3, 6, 12])
def test_dbscan_gives_open3ds_clusters_border_points_and_noise(min_points: int) -> None:
    # Dense blobs, a sparse haze between them (border points and noise at min_points > 1) and a thin line of
    # points between two blobs (core, joining them, at low min_points; border points or noise at high ones).
    # The contest for a border point between two clusters has a test of its own, below.
    import open3d as o3d

    rng = np.random.default_rng(min_points)
    blobs = [rng.normal(centre, 0.03, (300, 3)) for centre in ((0, 0, 0), (0.4, 0, 0), (0, 0.5, 0.2))]
    haze = rng.uniform(-0.2, 0.6, (400, 3))
    bridge = np.stack([np.linspace(0.08, 0.32, 9), np.zeros(9), np.zeros(9)], axis=1)
    points = rng.permutation(np.vstack([*blobs, haze, bridge])).astype(np.float32)
    eps = 0.045
    legacy = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(points.astype(np.float64)))
    theirs = np.asarray(legacy.cluster_dbscan(eps, min_points), dtype=np.int64)
    ours = clustering.dbscan(*clustering.neighbour_pairs(points, eps), points.shape[0], min_points)
    rank = np.unique(ours, return_inverse=True)[1]  # noise first, then the clusters in their order
    np.testing.assert_array_equal(rank, np.unique(theirs, return_inverse=True)[1])
    assert (theirs < 0).any() == (min_points > 1)


@pytest.mark.parametrize("b_first", [False, True])
def test_a_border_point_between_two_clusters_joins_the_one_open3d_reaches_first(b_first: bool) -> None:
    # Two lines of points 1 cm apart (every point core at min_points 4) and one point 4 cm from the end of
    # each: within reach of both, with two neighbours it is a border point of both clusters.
    import open3d as o3d

    line_a = np.stack([np.linspace(-0.3, 0.0, 31), np.zeros(31), np.zeros(31)], axis=1)
    line_b = line_a + np.array([0.38, 0.0, 0.0])
    lines = (line_b, line_a) if b_first else (line_a, line_b)
    points = np.vstack([[[0.04, 0.0, 0.0]], *lines]).astype(np.float32)  # the border point is row 0
    legacy = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(points.astype(np.float64)))
    theirs = np.asarray(legacy.cluster_dbscan(0.045, 4), dtype=np.int64)
    ours = clustering.dbscan(*clustering.neighbour_pairs(points, 0.045), points.shape[0], 4)
    np.testing.assert_array_equal(np.unique(ours, return_inverse=True)[1], np.unique(theirs, return_inverse=True)[1])
    assert ours[0] == ours[1]  # the cluster whose lowest row comes first


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(st.integers(1, 60).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=120))))
def test_the_union_find_gives_scipys_connected_components_numbered_alike(
    graph: tuple[int, list[tuple[int, int]]],
) -> None:
    num, edges = graph
    i = np.array([e[0] for e in edges], dtype=np.int32)
    j = np.array([e[1] for e in edges], dtype=np.int32)
    reference = connected_components(csr_matrix((np.ones(i.size), (i, j)), shape=(num, num)), directed=False)[1]
    np.testing.assert_array_equal(clustering._components(i, j, num), reference)


@pytest.mark.parametrize("shuffled", [False, True])
def test_the_union_find_joins_a_long_chain_given_in_any_order(shuffled: bool) -> None:
    # A surface's neighbour graph is long and thin: its roots must collapse through many hooks (in node
    # order, each node first hooks under the one before it: a 5000-deep tree).
    rng = np.random.default_rng(8)
    order = rng.permutation(5000) if shuffled else np.arange(5000)
    i, j = order[:-1].astype(np.int32), order[1:].astype(np.int32)
    flip = rng.random(i.size) < 0.5
    i[flip], j[flip] = j[flip], i[flip].copy()
    labels = clustering._components(i, j, 5001)  # node 5000 has no edge
    assert labels[:5000].tolist() == [0] * 5000 and labels[5000] == 1


@settings(max_examples=80, deadline=None, database=None, derandomize=True)
@given(labels=st.lists(st.integers(-1, 40), max_size=400))
def test_stable_order_is_numpys_stable_argsort(labels: list[int]) -> None:
    group = np.asarray(labels, dtype=np.int64)
    np.testing.assert_array_equal(stable_order(group), np.argsort(group, kind="stable"))
    np.testing.assert_array_equal(stable_order(group.astype(np.int32)), np.argsort(group, kind="stable"))
