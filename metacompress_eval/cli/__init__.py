"""The ``metacompress`` command line: one module per command, each with ``add_parser(subparsers)`` and ``run(args)``.

Commands: ``demo`` (the embedded end-to-end example), ``evaluate`` (a teacher/student pair on your
data), ``attack`` (adversarial examples against one model), ``distill`` (make a student: Compressor,
AVATAR, MORPH or fidelity recipe), ``import`` (a published checkpoint → a self-describing folder), ``transform`` (follow-up inputs only), ``verify`` (compiler check
of follow-ups), ``space`` (the web app), and the Hugging Face commands ``evaluate-module``,
``dataset`` and ``card``. Options shared by several commands live in :mod:`.options`.

To add a command: write ``cli/<command>.py`` with ``NAME``, ``add_parser`` and ``run`` (and, optionally,
``RERUN_NOTE``: what rerunning it after an interruption does), and list it in :data:`COMMANDS`. User
errors (:class:`~metacompress_eval.errors.MetaCompressError`) end with a one-line message and exit
status 2; an interrupted run exits with 130 and says what a rerun does (``evaluate`` resumes from its
cache); a follow-up worker process that died is one line with exit status 2. Nothing ends in a
traceback: an input too deep or too large for the interpreter, or an operating-system error nobody anticipated, is one line with exit status 2, and a bug is one line
``internal error`` with exit status 1 (``METACOMPRESS_DEBUG=1`` shows the traceback and the
libraries' own log messages). Every message passes through
:func:`~metacompress_eval.hub_client.scrub`, so no error path prints a Hub token.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .. import __version__
from ..errors import MetaCompressError, WorkerDied
from ..verify.lifetime import Terminated, terminate_as_interrupt
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
        command.add_parser(sub).set_defaults(run=command.run, rerun_note=getattr(command, "RERUN_NOTE", None))
    return parser


_LIBRARY_LOGGERS = {"TRANSFORMERS_VERBOSITY": "transformers", "DATASETS_VERBOSITY": "datasets",
                    "HF_HUB_VERBOSITY": "huggingface_hub"}


def _quiet_libraries() -> None:
    """Keep the libraries' warnings (retry chatter, loading notes) off stderr, unless asked for.

    The tool reports what matters in its own one-line messages; a user who sets a library's
    verbosity variable, or ``METACOMPRESS_DEBUG=1``, gets the library's messages as usual.
    """
    if os.environ.get("METACOMPRESS_DEBUG"):
        return
    for variable, name in _LIBRARY_LOGGERS.items():
        if variable not in os.environ:
            # "critical", not "error": a library logs an error just before raising it (datasets: "Failed to
            # read schema ..."), and the tool then says the same in its one line.
            os.environ[variable] = "critical"  # read by each library when it is first imported
            if name in sys.modules:  # already imported (the tool used as a library): set it directly
                logging.getLogger(name).setLevel(logging.CRITICAL)


def _error(message: str, status: int) -> int:
    from ..hub_client import scrub

    print(f"metacompress: {' '.join(scrub(message).split())}", file=sys.stderr, flush=True)
    return status


# The arguments naming where a command writes, as its help spells them.
OUTPUT_ARGUMENTS = {"out": "--out", "output": "OUTPUT", "dst": "DST", "card": "--card"}


def _check_output_names(args) -> None:
    """Refuse an empty output name for every command at once: ``Path("")`` is the current folder, which a
    command would fill or replace (and ``verify --out ""`` would silently take its default)."""
    for attr, name in OUTPUT_ARGUMENTS.items():
        value = getattr(args, attr, None)
        if isinstance(value, str) and not value.strip():
            raise MetaCompressError(f"{name} is empty; name a file or folder (\"./NAME\" for one in the current folder)")


# Integer arguments with a least value, as their help spells them: checked before any work (the
# library's own check would come after the data is read, and name its parameter, not the option). The
# attack settings among them (attacks.suite.SETTING_MINIMUMS) would otherwise misread: an
# --attack-max-sources of 0 attacked every source, -3 all but the last three.
COUNT_ARGUMENTS = {"chunk_sources": ("--chunk-sources", 1), "batch_size": ("--batch-size", 1),
                   "attack_budget": ("--attack-budget", 1), "attack_max_sources": ("--attack-max-sources", 1),
                   "budget": ("--budget", 1), "side": ("--side", 0)}


def _check_counts(args) -> None:
    for attr, (name, least) in COUNT_ARGUMENTS.items():
        value = getattr(args, attr, None)
        if value is not None and value < least:
            raise MetaCompressError(f"{name} must be at least {least}, not {value}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``metacompress`` console script."""
    try:  # start-up imports libraries for seconds (scipy, torch): Ctrl-C then is one line too, not a traceback
        args = build_parser().parse_args(argv)
        _quiet_libraries()
    except KeyboardInterrupt:
        print("metacompress: interrupted while starting; nothing was written", file=sys.stderr)
        return 130
    try:
        _check_output_names(args)
        _check_counts(args)
        if getattr(args, "threads", None) is not None:  # demo, evaluate, attack, distill
            from ..threads import configure_threads

            configure_threads(args.threads)
        # SIGTERM (timeout, a job scheduler, kill) stops every command as Ctrl-C does (Terminated is a
        # KeyboardInterrupt): evaluate commits the outputs it computed, temp files are removed; without
        # it Python dies at once, silently, running no cleanup at all.
        with terminate_as_interrupt():
            return args.run(args)
    except WorkerDied as exc:  # a runtime failure, not the user's: say what to do, as for an interruption
        return _error(f"error: {exc}; {getattr(args, 'rerun_note', None) or 'rerun the same command'}", 2)
    except MetaCompressError as exc:
        return _error(f"error: {exc}", 2)
    except Terminated:
        note = getattr(args, "rerun_note", None)
        print(f"metacompress: terminated{'; ' + note if note else ''}", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        # What a rerun does depends on the command (RERUN_NOTE): evaluate resumes from its cache,
        # transform has none and starts again.
        note = getattr(args, "rerun_note", None)
        print(f"metacompress: interrupted{'; ' + note if note else ''}", file=sys.stderr)
        return 130
    except RecursionError:
        return _error("error: an input is nested too deeply to process (RecursionError); please report it "
                      "(METACOMPRESS_DEBUG=1 shows where)", 2)
    except MemoryError:
        return _error("error: out of memory; lower --max-code-chars, --batch-size or --max-sources", 2)
    except OSError as exc:
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        return _error(f"error: {exc.strerror or exc}{where}", 2)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, never a traceback
        if os.environ.get("METACOMPRESS_DEBUG"):
            raise
        first = (str(exc).splitlines() or [""])[0][:300]
        return _error(f"internal error ({type(exc).__name__}: {first}); this is a bug - rerun with "
                      "METACOMPRESS_DEBUG=1 to see the traceback, and please report it", 1)
    finally:
        if "metacompress_eval.outputs" in sys.modules:  # a command that wrote: its output locks end with it
            sys.modules["metacompress_eval.outputs"].release_output_locks()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
