"""A written mcap bag opens in a reader other than rosbags: Foxglove's ``mcap_ros2`` decodes every message
from the schemas stored in the file (what Foxglove and ROS 2's mcap storage plugin rely on), and the
rosbag2 ``metadata.yaml`` says what ``ros2 bag info`` would print. rosbag2_py itself has no wheel here."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import yaml
from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory

from sim.bag import TOPICS, BagConfig, write_bag
from sim.scene import SceneConfig
from sim.sensors import LidarConfig, RGBDCameraConfig


def test_mcap_bag_decodes_with_foxglove_mcap_ros2_and_metadata_agrees(tmp_path: Path) -> None:
    cfg = BagConfig(seconds=0.5, rate_hz=8.0, storage="mcap", seed=3,
                    scene=SceneConfig(min_objects=6, max_objects=10, points_per_scene=1000),
                    camera=RGBDCameraConfig(width=64, height=48),
                    lidar=LidarConfig(rings=8, horizontal_resolution_deg=4.0))
    info = write_bag(tmp_path / "bag", cfg)
    files = sorted((tmp_path / "bag").glob("*.mcap"))
    assert len(files) == 1
    counts: Counter[str] = Counter()
    first: dict[str, object] = {}
    with files[0].open("rb") as stream:
        reader = make_reader(stream, decoder_factories=[DecoderFactory()])
        for schema, channel, _, msg in reader.iter_decoded_messages():
            assert schema is not None and schema.encoding == "ros2msg" and channel.message_encoding == "cdr"
            assert TOPICS[channel.topic] == schema.name  # e.g. sensor_msgs/msg/Image
            counts[channel.topic] += 1
            first.setdefault(channel.topic, msg)
    assert dict(counts) == info.counts

    image = first["/camera/depth/image_raw"]
    assert (image.height, image.width, image.encoding) == (48, 64, "16UC1")  # type: ignore[attr-defined]
    depth = np.frombuffer(bytes(image.data), dtype=np.uint16)  # type: ignore[attr-defined]
    assert depth.size == 48 * 64 and depth.max() > 0
    cloud = first["/lidar/points"]
    assert [f.name for f in cloud.fields][:3] == ["x", "y", "z"]  # type: ignore[attr-defined]
    assert len(cloud.data) == cloud.row_step * cloud.height  # type: ignore[attr-defined]

    meta = yaml.safe_load((tmp_path / "bag" / "metadata.yaml").read_text())["rosbag2_bagfile_information"]
    assert meta["storage_identifier"] == "mcap" and meta["relative_file_paths"] == [files[0].name]
    listed = {t["topic_metadata"]["name"]: (t["topic_metadata"]["type"], t["message_count"])
              for t in meta["topics_with_message_count"]}
    assert listed == {topic: (TOPICS[topic], n) for topic, n in info.counts.items()}
    assert meta["message_count"] == sum(info.counts.values())
