"""ros2 launch ground3d ground3d.launch.py [use_sim:=false] [params_file:=...]: the nodes as three processes."""

from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

from launch import LaunchDescription


def generate_launch_description() -> LaunchDescription:
    params_file = LaunchConfiguration("params_file")
    use_sim = LaunchConfiguration("use_sim")
    default_params = PathJoinSubstitution([FindPackageShare("ground3d"), "config", "ground3d.yaml"])
    return LaunchDescription([
        DeclareLaunchArgument("params_file", default_value=default_params,
                              description="ROS 2 params file with a section per node"),
        DeclareLaunchArgument("use_sim", default_value="true",
                              description="also start sim_node, which publishes a simulated robot's sensors"),
        Node(package="ground3d", executable="sim_node", name="sim_node", output="screen",
             parameters=[params_file], condition=IfCondition(use_sim)),
        Node(package="ground3d", executable="perception_node", name="perception_node", output="screen",
             parameters=[params_file]),
        Node(package="ground3d", executable="grounding_node", name="grounding_node", output="screen",
             parameters=[params_file]),
    ])
