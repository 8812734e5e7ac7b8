"""The ``metacompress`` command line: one module per command, each with ``add_parser(subparsers)`` and ``run(args)``.

Commands: ``demo`` (the embedded end-to-end example), ``evaluate`` (a teacher/student pair on your
data), ``attack`` (adversarial examples against one model), ``distill`` (make a student: Compressor,
AVATAR, MORPH or fidelity recipe), ``import`` (a published checkpoint → a self-describing folder), ``transform`` (follow-up inputs only), ``verify`` (compiler check
of follow-ups), ``space`` (the web app), and the Hugging Face commands ``evaluate-module``,
``dataset`` and ``card``. Options shared by several commands live in :mod:`.options`.

To add a command: write ``cli/<command>.py`` with ``NAME``, ``add_parser`` and ``run``, and list it in
:data:`COMMANDS`. User errors (:class:`~metacompress_eval.errors.MetaCompressError`) end with a
one-line message and exit status 2; an interrupted run exits with 130 and resumes from the cache
when rerun.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..errors import MetaCompressError
from . import (attack, card, dataset, demo, distill, evaluate, evaluate_module, import_model, space, transform,
               verify)
from .options import thresholds_from_args

#: The commands, in the order ``metacompress --help`` lists them.
COMMANDS = (demo, evaluate, attack, distill, import_model, transform, verify, space, evaluate_module, dataset, card)

__all__ = ["COMMANDS", "build_parser", "main", "thresholds_from_args"]


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command; each command's parser carries its ``run`` as ``args.run``."""
    parser = argparse.ArgumentParser(
        prog="metacompress",
        description="Metamorphic testing of distilled code models: does the student behave like its teacher?")
    parser.add_argument("--version", action="version", version=f"metacompress-eval {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub).set_defaults(run=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``metacompress`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except MetaCompressError as exc:
        print(f"metacompress: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("metacompress: interrupted; finished model outputs are cached — rerun the same command to resume",
              file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
