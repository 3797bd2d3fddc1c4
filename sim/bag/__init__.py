"""rosbag2 recording of a robot driving through a sim scene, written with rosbags (no ROS install needed)."""

from sim.bag.writer import TOPICS, BagConfig, BagInfo, lidar_pose, write_bag

__all__ = ["TOPICS", "BagConfig", "BagInfo", "lidar_pose", "write_bag"]
