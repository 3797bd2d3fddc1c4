"""``ground3d launch``: sim_node (optional), perception_node and grounding_node composed in one process.

The perception node hands each scene update to the grounding node directly (no scene topic), and each node
spins on its own thread (``NodeThreads``), so queries are answered while perception integrates a frame.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "run all nodes composed in one process"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-sim", action="store_true", help="do not start sim_node (use a robot or `play`)")
    parser.add_argument("--params-file", type=Path, default=None,
                        help="ROS 2 params file (default: config/ground3d.yaml)")
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME:=VALUE",
                        help="parameter override for every node that declares NAME (repeatable)")


def run(args: argparse.Namespace) -> int:
    from ros_nodes.entry import run_nodes
    from ros_nodes.grounding_node import GroundingNode
    from ros_nodes.perception_node import PerceptionNode

    argv = ["ground3d-launch"]
    if args.params_file is not None:
        argv += ["--ros-args", "--params-file", str(args.params_file)]
    if args.param:
        if len(argv) == 1:
            argv.append("--ros-args")
        for p in args.param:
            argv += ["-p", p]
    holder: dict[str, GroundingNode] = {}

    def grounding() -> GroundingNode:
        holder["node"] = GroundingNode({"scene_source": "inprocess"})
        return holder["node"]

    def perception() -> PerceptionNode:
        return PerceptionNode(on_scene=lambda u: holder["node"].set_scene(u.proposals, u.version, u.T_world_sensor))

    factories: list = [grounding, perception]
    if not args.no_sim:
        from ros_nodes.sim_node import SimNode

        factories.append(SimNode)
    return run_nodes(factories, argv)
