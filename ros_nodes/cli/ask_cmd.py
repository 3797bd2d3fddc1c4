"""``ground3d ask "question"``: ask a running grounding_node about the scene and print the answer."""

from __future__ import annotations

import argparse

from ros_nodes.cli._request_args import add_request_arguments, run_request

HELP = "send a question to a running grounding_node and print the answer"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_request_arguments(parser, "question about the scene")


def run(args: argparse.Namespace) -> int:
    return run_request(args, "ask")
