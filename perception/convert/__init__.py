"""ROS sensor messages <-> arrays, duck-typed: rclpy messages, rosbags messages and the ``*Data`` classes
here all work, because only field names are read. Neither rclpy nor rosbags is imported.
"""

from perception.convert.camera_info import camera_info_to_intrinsics, intrinsics_to_camera_info
from perception.convert.depth import depth_to_cloud, rgbd_frame_to_cloud, rgbd_messages_to_frame
from perception.convert.errors import (
    CameraInfoError,
    DataSizeError,
    EncodingError,
    MissingFieldError,
    PointFieldError,
)
from perception.convert.image import ENCODINGS, array_to_image, image_to_array, image_to_depth_m, image_to_rgb
from perception.convert.msg_data import (
    CameraInfoData,
    HeaderData,
    ImageData,
    PointCloud2Data,
    PointFieldData,
    RegionOfInterestData,
    TimeData,
    build_message,
    make_header,
    message_buffer,
    ns_to_time,
    stamp_to_ns,
)
from perception.convert.pointcloud2 import CloudView, pointcloud2_to_cloud, pointcloud2_to_xyz, view_pointcloud2
from perception.convert.pointcloud2_write import cloud_to_pointcloud2

__all__ = [
    "ENCODINGS",
    "CameraInfoData",
    "CameraInfoError",
    "CloudView",
    "DataSizeError",
    "EncodingError",
    "HeaderData",
    "ImageData",
    "MissingFieldError",
    "PointCloud2Data",
    "PointFieldData",
    "PointFieldError",
    "RegionOfInterestData",
    "TimeData",
    "array_to_image",
    "build_message",
    "camera_info_to_intrinsics",
    "cloud_to_pointcloud2",
    "depth_to_cloud",
    "image_to_array",
    "image_to_depth_m",
    "image_to_rgb",
    "intrinsics_to_camera_info",
    "make_header",
    "message_buffer",
    "ns_to_time",
    "pointcloud2_to_cloud",
    "pointcloud2_to_xyz",
    "rgbd_frame_to_cloud",
    "rgbd_messages_to_frame",
    "stamp_to_ns",
    "view_pointcloud2",
]
