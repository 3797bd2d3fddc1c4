"""Bag reading and writing: round trip, truncated / corrupt / metadata-less bags, output path confinement."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ros_nodes import wire
from ros_nodes.bag_io import BagReader, bag_writer, safe_output_path
from ros_nodes.errors import BagError


def write_bag(path: Path, storage: str = "mcap", n: int = 5) -> None:
    with bag_writer(path, storage) as bag:
        for i in range(n):
            bag.write("/chatter", 1_000 + i, wire.string_msg(f"m{i}"))


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_round_trip(tmp_path: Path, storage: str) -> None:
    write_bag(tmp_path / "b", storage)
    with BagReader(tmp_path / "b") as bag:
        assert bag.topics == {"/chatter": "std_msgs/msg/String"}
        assert bag.message_count == 5 and bag.duration_ns == 4
        assert [m.msg.data for m in bag.messages()] == [f"m{i}" for i in range(5)]
        assert list(bag.messages(["/other"])) == []


def test_missing_metadata_is_a_clear_error(tmp_path: Path) -> None:
    write_bag(tmp_path / "b")
    (tmp_path / "b" / "metadata.yaml").unlink()
    with pytest.raises(BagError, match=r"metadata\.yaml"), BagReader(tmp_path / "b"):
        pass


def test_truncated_bag_is_a_clear_error(tmp_path: Path) -> None:
    write_bag(tmp_path / "b", n=50)
    data = next((tmp_path / "b").glob("*.mcap"))
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    with pytest.raises(BagError, match="bag"), BagReader(tmp_path / "b") as bag:
        list(bag.messages())


def test_corrupt_and_missing_bags(tmp_path: Path) -> None:
    write_bag(tmp_path / "b")
    data = next((tmp_path / "b").glob("*.mcap"))
    data.write_bytes(b"\x89MCAP0\r\n" + bytes(range(256)) * 4)
    with pytest.raises(BagError), BagReader(tmp_path / "b") as bag:
        list(bag.messages())
    with pytest.raises(BagError, match="missing"):
        BagReader(tmp_path / "nope")
    (tmp_path / "x.bag").write_bytes(b"#ROSBAG V2.0\n" + b"\x00" * 64)
    with pytest.raises(BagError), BagReader(tmp_path / "x.bag") as bag:
        list(bag.messages())


def test_writer_refuses_existing_output_and_unknown_format(tmp_path: Path) -> None:
    write_bag(tmp_path / "b")
    with pytest.raises(BagError, match="exist"), bag_writer(tmp_path / "b"):
        pass
    shutil.rmtree(tmp_path / "b")
    with pytest.raises(BagError, match="format"), bag_writer(tmp_path / "b", "zip"):
        pass


@pytest.mark.parametrize("name", ["../evil", "/etc/passwd", "a/../../b", "."])
def test_output_paths_cannot_escape(tmp_path: Path, name: str) -> None:
    with pytest.raises(BagError, match="inside"):
        safe_output_path(tmp_path, name)


def test_output_path_through_a_symlink_cannot_escape(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "link").symlink_to(tmp_path)
    with pytest.raises(BagError, match="inside"):
        safe_output_path(tmp_path / "out", "link/x")
    assert safe_output_path(tmp_path / "out", "sub/result") == (tmp_path / "out" / "sub" / "result").resolve()
