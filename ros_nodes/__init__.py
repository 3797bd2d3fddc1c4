"""ros_nodes: rclpy lifecycle nodes, bag replay and play, and the ``ground3d`` CLI. Adapters only."""
