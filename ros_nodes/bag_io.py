"""Reading and writing bags with rosbags (no ROS install): rosbag2 (mcap, sqlite3) and ROS 1 bags.

Every failure to open or read a bag becomes one ``BagError`` that says what was expected and what came,
and output paths are confined to the folder the user chose.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rosbags.highlevel import AnyReader
from rosbags.rosbag2 import StoragePlugin, Writer

from ros_nodes import wire
from ros_nodes.errors import BagError

FORMATS = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}


@dataclass
class BagMessage:
    """One message of a bag, decoded."""

    topic: str
    """Topic name."""
    typename: str
    """ROS 2 style type name, e.g. ``sensor_msgs/msg/PointCloud2``."""
    log_ns: int
    """Time the message was recorded, in nanoseconds."""
    msg: Any
    """The message (a rosbags typestore object; duck-typed like an rclpy message)."""
    raw: bytes
    """Serialized bytes as stored (CDR for rosbag2, ROS 1 serialization for .bag files)."""


class BagReader:
    """Open a bag for reading; use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise BagError(f"bag: expected an existing rosbag2 folder, .mcap/.db3 or ROS 1 .bag, got missing {path}")
        self._reader: AnyReader | None = None

    def __enter__(self) -> BagReader:
        try:
            self._reader = AnyReader([self.path], default_typestore=wire.TYPESTORE)
            self._reader.open()
        except Exception as err:  # rosbags raises many types for bad files; callers need one
            raise BagError(
                f"bag {self.path}: expected a readable rosbag2 (with metadata.yaml) or ROS 1 bag, "
                f"got {type(err).__name__}: {err}"
            ) from err
        return self

    def __exit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    @property
    def reader(self) -> AnyReader:
        if self._reader is None:
            raise BagError(f"bag {self.path}: expected an open reader, got a closed one")
        return self._reader

    @property
    def is_ros1(self) -> bool:
        """True for a ROS 1 .bag file."""
        return not self.reader.is2

    @property
    def topics(self) -> dict[str, str]:
        """Topic name -> type name."""
        return {c.topic: c.msgtype for c in self.reader.connections}

    @property
    def duration_ns(self) -> int:
        """Span between the first and the last message."""
        # rosbags reports end_time one nanosecond past the last message.
        return int(self.reader.end_time - 1 - self.reader.start_time) if self.reader.message_count else 0

    @property
    def message_count(self) -> int:
        return int(self.reader.message_count)

    def count(self, topics: Sequence[str]) -> int:
        """Messages on ``topics``."""
        return sum(int(c.msgcount) for c in self.reader.connections if c.topic in topics)

    def messages(self, topics: Sequence[str] | None = None, decode: bool = True) -> Iterator[BagMessage]:
        """Messages in recording-time order, optionally only of ``topics``; a corrupt record raises BagError."""
        conns = [c for c in self.reader.connections if topics is None or c.topic in topics]
        if not conns:
            return  # rosbags reads every connection when given none
        try:
            for conn, log_ns, raw in self.reader.messages(connections=conns):
                msg = self.reader.deserialize(raw, conn.msgtype) if decode else None
                yield BagMessage(conn.topic, conn.msgtype, int(log_ns), msg, bytes(raw))
        except BagError:
            raise
        except Exception as err:
            raise BagError(f"bag {self.path}: expected intact messages, got {type(err).__name__}: {err}") from err


def decode(reader: BagReader, item: BagMessage) -> Any:
    """``item``'s message decoded (for items read with ``decode=False``)."""
    try:
        return reader.reader.deserialize(item.raw, item.typename)
    except Exception as err:
        raise BagError(f"bag message on {item.topic}: expected a valid {item.typename}, got {err}") from err


def safe_output_path(out_dir: Path, name: str) -> Path:
    """``out_dir / name`` resolved, refusing any path outside ``out_dir`` (``..``, absolute, via links)."""
    base = Path(out_dir).resolve()
    candidate = (base / name).resolve()
    if not candidate.is_relative_to(base) or candidate == base:
        raise BagError(f"output: expected a path inside {base}, got {name!r}")
    return candidate


@contextmanager
def bag_writer(path: Path, storage: str = "mcap") -> Iterator[BagWriter]:
    """A rosbag2 writer at ``path`` (which must not exist yet)."""
    if storage not in FORMATS:
        raise BagError(f"output format: expected one of {sorted(FORMATS)}, got {storage!r}")
    if path.exists():
        raise BagError(f"output bag: expected a path that does not exist yet, got existing {path}")
    writer = Writer(path, version=9, storage_plugin=FORMATS[storage])
    writer.open()
    try:
        yield BagWriter(writer)
    finally:
        writer.close()


class BagWriter:
    """Adds typestore messages to a rosbag2, making a connection per topic on first use."""

    def __init__(self, writer: Writer) -> None:
        self._writer = writer
        self._conns: dict[str, Any] = {}

    def write(self, topic: str, stamp_ns: int, msg: Any) -> None:
        """Append ``msg`` on ``topic`` recorded at ``stamp_ns``."""
        conn = self._conns.get(topic)
        if conn is None:
            conn = self._writer.add_connection(topic, msg.__msgtype__, typestore=wire.TYPESTORE)
            self._conns[topic] = conn
        self._writer.write(conn, int(stamp_ns), wire.encode(msg))
