"""``metacompress demo``: train a small teacher and student on an embedded C corpus and evaluate them."""

from __future__ import annotations

from ..threads import add_threads_argument
from .options import seed

NAME = "demo"

#: What rerunning does after an interruption (printed by the CLI).
RERUN_NOTE = "finished model outputs are cached — rerun the same command to resume"


def add_parser(subparsers):
    p = subparsers.add_parser(NAME, help="train a small teacher and student on an embedded C corpus and evaluate them",
                              description="Runs offline with no arguments: writes a labelled corpus of C functions "
                                          "(with and without memory-safety defects), trains a teacher, distils a "
                                          "student from its soft labels and evaluates the pair.")
    p.add_argument("--out", default="metacompress-demo", help="output folder (default: %(default)s)")
    # The names of demo.training.PRESETS, spelt out: importing that module here would load torch for every command.
    p.add_argument("--size", choices=("demo", "tiny"), default="demo",
                   help="corpus and model size; 'tiny' takes seconds (default: %(default)s)")
    p.add_argument("--seed", type=seed, default=0, help="random seed, 0 to 2**32 - 1 (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    add_threads_argument(p)
    return p


def run(args) -> int:
    from ..demo.run import run_demo
    from ..report.summary import print_summary

    result = run_demo(out_dir=args.out, size=args.size, seed=args.seed, progress=not args.quiet)
    print_summary(result.report, result.out_dir)
    return 0
