"""Console scripts ``perception_node``, ``grounding_node`` and ``sim_node`` (``ros2 run ground3d <name>``).

Each reads ``config/ground3d.yaml`` unless ``--ros-args --params-file`` names another file, starts its node
(configured and activated when ``autostart`` is true), spins, and on SIGINT or SIGTERM frees its core and exits 0.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from typing import Any

from ros_nodes.blas_threads import default_blas_threads


def run_nodes(factories: list[Callable[[], Any]], argv: list[str] | None = None) -> int:
    """Init rclpy with ``argv`` (plus the default params file), build the nodes, spin each on its own thread
    (``NodeThreads``) until SIGINT or SIGTERM."""
    import rclpy
    from rclpy.signals import SignalHandlerOptions

    from ros_nodes.node_threads import NodeThreads
    from ros_nodes.params import ros_args_with_config

    # rclpy's own handlers would shut the context down from their thread while the nodes' spins wait on it,
    # which crashed `ground3d launch` with SIGSEGV; ours stop the spins, and the context goes down after them.
    rclpy.init(args=ros_args_with_config(list(sys.argv if argv is None else argv)),
               signal_handler_options=SignalHandlerOptions.NO)
    nodes = []
    try:
        nodes = [factory() for factory in factories]
        spinner = NodeThreads(nodes)
        for node in nodes:
            if not node.start():
                print(f"{node.get_name()}: failed to configure or activate (see the log above)", file=sys.stderr)
                return 1
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: spinner.stop_from_signal())
        spinner.spin()
    except KeyboardInterrupt:
        pass  # a SIGINT before our handlers were installed (while the nodes were built)
    finally:
        for node in nodes:
            node.teardown()
            node.destroy_node()
        rclpy.try_shutdown()
    return 0


def perception_node() -> None:
    default_blas_threads()  # before the node's modules import numpy
    from ros_nodes.perception_node import PerceptionNode

    sys.exit(run_nodes([PerceptionNode]))


def grounding_node() -> None:
    default_blas_threads()  # before the node's modules import numpy
    from ros_nodes.grounding_node import GroundingNode

    sys.exit(run_nodes([GroundingNode]))


def sim_node() -> None:
    default_blas_threads()  # before the node's modules import numpy
    from ros_nodes.sim_node import SimNode

    sys.exit(run_nodes([SimNode]))
