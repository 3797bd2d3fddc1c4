"""Console scripts ``perception_node``, ``grounding_node`` and ``sim_node`` (``ros2 run ground3d <name>``).

Each reads ``config/ground3d.yaml`` unless ``--ros-args --params-file`` names another file, starts its node
(configured and activated when ``autostart`` is true), spins, and on SIGINT frees its core and exits 0.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


def run_nodes(factories: list[Callable[[], Any]], argv: list[str] | None = None) -> int:
    """Init rclpy with ``argv`` (plus the default params file), build the nodes, spin each on its own thread
    (``NodeThreads``) until SIGINT."""
    import rclpy
    from rclpy.executors import ExternalShutdownException

    from ros_nodes.node_threads import NodeThreads
    from ros_nodes.params import ros_args_with_config

    rclpy.init(args=ros_args_with_config(list(sys.argv if argv is None else argv)))
    nodes = []
    try:
        nodes = [factory() for factory in factories]
        spinner = NodeThreads(nodes)
        for node in nodes:
            if not node.start():
                print(f"{node.get_name()}: failed to configure or activate (see the log above)", file=sys.stderr)
                return 1
        spinner.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception:
        # A SIGINT that lands in a finalizer (rclpy's Future.__del__) is swallowed there ("Exception ignored
        # in ..."), while rclpy's handler has already shut the context down: the executor's next wait then fails
        # on the dead context. That is the same clean shutdown; anything else while rclpy is up is a real error.
        if rclpy.ok():
            raise
    finally:
        for node in nodes:
            node.teardown()
            node.destroy_node()
        rclpy.try_shutdown()
    return 0


def perception_node() -> None:
    from ros_nodes.perception_node import PerceptionNode

    sys.exit(run_nodes([PerceptionNode]))


def grounding_node() -> None:
    from ros_nodes.grounding_node import GroundingNode

    sys.exit(run_nodes([GroundingNode]))


def sim_node() -> None:
    from ros_nodes.sim_node import SimNode

    sys.exit(run_nodes([SimNode]))
