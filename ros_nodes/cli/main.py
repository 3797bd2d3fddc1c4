"""``ground3d`` entry point. Subcommand modules are imported only when chosen, so ``--help`` is quick.

Each subcommand lives in ``ros_nodes/cli/<name>_cmd.py`` and defines ``HELP: str``,
``add_arguments(parser)`` and ``run(args) -> int``. Those modules import only argparse at top level.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from ros_nodes.blas_threads import default_blas_threads

SUBCOMMANDS: dict[str, str] = {
    "demo": "build a sim scene, run perception and grounding on it, answer example queries",
    "sim": "generate a dataset, a bag or a preview picture from the simulator",
    "train": "train the grounding model on a dataset",
    "eval": "evaluate a grounding checkpoint on a dataset",
    "query": "send a grounding query to a running grounding_node and print the result",
    "ask": "send a question to a running grounding_node and print the answer",
    "replay": "run perception and grounding offline over a recorded bag",
    "play": "publish a bag to the live ROS 2 graph with its original timing",
    "launch": "run all nodes composed in one process",
    "bench": "run the benchmark suite",
}


def build_parser(load: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser. Only the subcommand named ``load`` gets its full arguments."""
    parser = argparse.ArgumentParser(prog="ground3d", description="Language grounding in 3D scenes for ROS 2.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, summary in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=summary, description=summary)
        if name == load:
            _module(name).add_arguments(p)
    return parser


def _module(name: str) -> Any:
    return importlib.import_module(f"ros_nodes.cli.{name}_cmd")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen subcommand; returns the process exit code."""
    default_blas_threads()  # before a subcommand imports numpy
    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(chosen if chosen in SUBCOMMANDS else None)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return int(_module(args.command).run(args))


if __name__ == "__main__":
    sys.exit(main())
