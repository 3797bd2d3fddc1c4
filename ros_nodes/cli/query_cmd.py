"""``ground3d query "text"``: ground a phrase on a running grounding_node and print the result."""

from __future__ import annotations

import argparse

from ros_nodes.cli._request_args import add_request_arguments, run_request

HELP = "send a grounding query to a running grounding_node and print the result"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_request_arguments(parser, "phrase that names one object")


def run(args: argparse.Namespace) -> int:
    return run_request(args, "ground")
