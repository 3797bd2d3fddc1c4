"""``ground3d bench``: the benchmark suite of issue 8 (each case against a peer measured in the same run)."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "run the benchmark suite"
RESULTS_DIR = Path("bench/results")
"""Where a full run records its results (the README's table)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    parser.add_argument("--quick", action="store_true", help="tiny inputs and few repeats (smoke test)")
    parser.add_argument("--only", nargs="+", metavar="NAME", default=None,
                        help="run only these cases (see --list); sim_dataset_full must be named here to run")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="where bench.md, bench.json and bench.png go (default bench/results; a --quick run "
                             "writes files only when this is given, so a smoke run never replaces the record)")
    parser.add_argument("--no-write", action="store_true", help="print only; write no files")
    parser.add_argument("--merge", action="store_true",
                        help="keep the other cases of OUT_DIR/bench.json; the cases run now replace theirs")
    parser.add_argument("--threads", type=int, default=0, help="torch threads in every case (0: torch's default)")


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from bench.suite import run_suite

    if args.list:
        from bench.runner import CASES, EXTRA_CASES

        for case in (*CASES, *EXTRA_CASES):
            extra = " (only with --only)" if case in EXTRA_CASES else ""
            print(f"{case.name:18s} {case.title}{extra}")
        return 0
    out_dir = args.out_dir or (None if args.quick else RESULTS_DIR)
    try:
        outcome = run_suite(quick=args.quick, only=args.only, threads=args.threads,
                            out_dir=None if args.no_write else out_dir, progress=not args.json,
                            command="ground3d bench " + " ".join(sys.argv[2:]), merge=args.merge)
    except ValueError as err:
        print(f"ground3d bench: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(outcome.document))
    else:
        print(outcome.table)
        for path in outcome.written:
            print(f"wrote {path}")
    return 0 if outcome.all_ran else 1
