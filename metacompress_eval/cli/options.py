"""Options shared by several commands, and reading them back into the library's settings.

Choices and help texts come from the registries (tasks, languages, transformations, relation
thresholds), so a new entry in a registry shows up in every command that offers it.
"""

from __future__ import annotations

import argparse

from ..errors import MetaCompressError


def csv(text: str) -> tuple[str, ...]:
    """``"a, b,,c"`` → ``("a", "b", "c")``: the type of comma-separated options."""
    return tuple(p.strip() for p in text.split(",") if p.strip())


MAX_SEED = 2**32 - 1


def seed(text: str) -> int:
    """The ``--seed`` argument type: an integer from 0 to 2**32 - 1.

    Checked when the command line is read, because numpy's and torch's generators reject other values
    only deep inside a run (after training, in the demo's case)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected an integer from 0 to {MAX_SEED}, got {text!r}")
    return value


def languages_help() -> str:
    """``c, java, python, ...``: the languages the transformations support."""
    from ..code.languages import SUPPORTED_LANGUAGES

    return ", ".join(SUPPORTED_LANGUAGES)


def transforms_help(what: str = "comma-separated transformation names") -> str:
    """Help text of a ``--transforms`` option listing the registered transformations."""
    from ..transforms import list_transformations

    return f"{what}, or 'all'; known: {', '.join(t.name for t in list_transformations())} (default: %(default)s)"


def transform_names(text: str, language_name: str | None) -> tuple[str, ...]:
    """``--transforms`` read back: the named transformations, or every one supporting the language for 'all'."""
    from ..transforms import list_transformations

    if text.strip().lower() == "all":
        return tuple(t.name for t in list_transformations(language_name))
    return csv(text)


def add_task_options(parser: argparse.ArgumentParser, *, label_help: str = "default: %(default)s") -> None:
    """``--task``, ``--language``, ``--code-column``, ``--label-column``, ``--id-column``."""
    from ..tasks import task_names

    parser.add_argument("--task", choices=task_names(), default="defect", help="default: %(default)s")
    # Checked by the library, not by argparse: an unknown language is a one-line error like any other.
    parser.add_argument("--language", default="",
                        help=f"code language: {languages_help()} (default: the task's: defect→c, clone→java, "
                             "classification→none)")
    parser.add_argument("--code-column", dest="code_columns", type=csv, default=None,
                        help="code column(s), comma separated (defaults: defect 'code', clone 'code1,code2', "
                             "classification 'text')")
    parser.add_argument("--label-column", default="label", help=label_help)
    parser.add_argument("--id-column", default="id", help="default: %(default)s (row number when absent)")


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """The options of :func:`data_spec_from_args` (``--data`` and what selects its rows)."""
    parser.add_argument("--data", required=True,
                        help="JSONL, JSON, CSV, TSV or parquet file, a save_to_disk folder, or a Hub dataset id")
    parser.add_argument("--split", default=None, help="split of a save_to_disk folder or Hub dataset")
    parser.add_argument("--where", action="append", default=None, metavar="COLUMN=VALUE",
                        help="keep only rows whose COLUMN equals VALUE (repeatable), e.g. --where split=test")
    parser.add_argument("--pair-ids", type=csv, default=None,
                        help="for clone pairs given by function ids: the two id columns, e.g. id1,id2 "
                             "(needs --functions)")
    parser.add_argument("--functions", default=None, help="table of functions {id, code} referenced by --pair-ids")
    parser.add_argument("--max-sources", type=int, default=None, help="use only the first N usable rows")
    add_max_code_chars_option(parser)
    add_context_option(parser)


def add_context_option(parser: argparse.ArgumentParser) -> None:
    """``--context-column``: the enclosing file of each row's code (text, or a path to the file)."""
    parser.add_argument("--context-column", default=None, metavar="COLUMN",
                        help="column holding the file or translation unit each row's code was cut from (its text, "
                             "or the path of a file relative to the data): macros, globals and sibling functions "
                             "are then resolved exactly instead of conservatively (docs/transformations.md)")



def add_max_code_chars_option(parser: argparse.ArgumentParser) -> None:
    """``--max-code-chars``: the size cap every command shares (longer code is a counted skip)."""
    from ..data import DEFAULT_MAX_CODE_CHARS

    parser.add_argument("--max-code-chars", type=int, default=None,
                        help=f"skip code inputs longer than this, counted in the output (default "
                             f"{DEFAULT_MAX_CODE_CHARS:,}; the same cap for every command)")


def max_code_chars(args) -> int:
    """``--max-code-chars`` read back (the shared default when not given); at least 1."""
    from ..data import DEFAULT_MAX_CODE_CHARS

    value = getattr(args, "max_code_chars", None)
    if value is not None and value < 1:
        raise MetaCompressError("--max-code-chars must be at least 1")
    return value or DEFAULT_MAX_CODE_CHARS


def data_spec_from_args(args):
    """The :class:`~metacompress_eval.data.DataSpec` of the options of :func:`add_data_options`."""
    from ..data import DataSpec, parse_where

    if args.pair_ids is not None and len(args.pair_ids) != 2:
        raise MetaCompressError("--pair-ids takes exactly two column names, e.g. id1,id2")
    return DataSpec(args.data, split=args.split, where=parse_where(args.where),
                    pair_ids=tuple(args.pair_ids) if args.pair_ids else None, functions=args.functions,
                    max_code_chars=max_code_chars(args), max_sources=args.max_sources,
                    context_column=getattr(args, "context_column", None))


def add_threshold_options(parser: argparse.ArgumentParser) -> None:
    """One option per registered threshold (``--jsd-max`` ...), read back by :func:`thresholds_from_args`."""
    from ..relations import list_thresholds

    group = parser.add_argument_group("relation thresholds (see docs/relations.md)")
    for t in list_thresholds():
        group.add_argument(f"--{t.name.replace('_', '-')}", dest=f"th_{t.name}", type=t.kind, default=t.default,
                           help=f"{t.help} (default: {t.default})")


def thresholds_from_args(args):
    """The :class:`~metacompress_eval.relations.Thresholds` of the options of :func:`add_threshold_options`."""
    from ..relations import Thresholds, list_thresholds

    return Thresholds(**{t.name: getattr(args, f"th_{t.name}") for t in list_thresholds()})


def add_adapter_options(parser: argparse.ArgumentParser, role: str | None = None) -> None:
    """``--ROLE-adapter NAME`` and repeatable ``--ROLE-option KEY=VALUE`` (no ``ROLE-`` for one-model commands).

    Read back by :func:`model_spec_from_args`; the adapters and their options are in docs/adapters.md.
    """
    from ..models import adapter_names

    prefix = f"{role}-" if role else ""
    who = f"the {role}" if role else "the model"
    parser.add_argument(f"--{prefix}adapter", default=None, metavar="NAME",
                        help=f"how to load {who}: {', '.join(adapter_names())}, or python:MODULE:FACTORY with "
                             "--trust-remote-code (default: detected from the folder or the state dict's keys)")
    parser.add_argument(f"--{prefix}option", action="append", default=None, metavar="KEY=VALUE",
                        help=f"an option of {who}'s adapter (repeatable), e.g. attention=relative_key_query; "
                             "see docs/adapters.md")


def model_spec_from_args(args, name: str, role: str | None = None):
    """The :class:`~metacompress_eval.model_outputs.ModelSpec` of model ``name`` and the options of
    :func:`add_adapter_options` (plus ``--ROLE-tokenizer``, ``--ROLE-max-length``, ``--trust-remote-code``)."""
    from ..model_outputs import ModelSpec
    from ..models import parse_option_pairs

    prefix = f"{role}_" if role else ""
    flag = f"--{role}-option" if role else "--option"
    return ModelSpec(name, getattr(args, f"{prefix}tokenizer"), getattr(args, f"{prefix}max_length"),
                     args.trust_remote_code, getattr(args, f"{prefix}adapter"),
                     parse_option_pairs(getattr(args, f"{prefix}option"), flag))


def add_workers_option(parser: argparse.ArgumentParser, chunks: bool = True) -> None:
    """``--workers``: processes that make follow-ups (the output is the same for any number); with
    ``chunks``, also ``--chunk-sources``."""
    parser.add_argument("--workers", type=int, default=0,
                        help="worker processes making follow-ups; 0 = one per usable CPU (default; under torchrun/accelerate "
                             "launch, the usable CPUs shared among the processes on this machine), and at most that "
                             "many; an explicit number is per process; the follow-ups, their order and every count "
                             "are the same for any number")
    if not chunks:
        return
    parser.add_argument("--chunk-sources", type=int, default=None,
                        help="sources per chunk (at least 1) of follow-ups (handed to the workers in smaller parts unless verifying; "
                             "for evaluate, streamed to the models and shared out to the processes of a "
                             "multi-process launch; default 64)")


def add_inference_options(parser: argparse.ArgumentParser) -> None:
    """``--batch-size``, ``--batch-tokens``, ``--device``, ``--dtype``: how models are run."""
    from ..models.base import DTYPES

    parser.add_argument("--batch-size", type=int, default=32,
                        help="with --batch-tokens unset, each forward pass holds up to the tokens of this many "
                             "inputs of the model's full length (default: %(default)s)")
    parser.add_argument("--batch-tokens", type=int, default=None,
                        help="at most this many padded tokens per forward pass (inputs are sorted by length; short "
                             "ones fill larger batches, and batches end where padding would cost more than "
                             "a pass); default: batch size x the model's max length")
    parser.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:1, mps (default: %(default)s)")
    parser.add_argument("--dtype", choices=DTYPES, default="float32",
                        help="precision the models run in (default: %(default)s; bfloat16/float16 for GPUs); "
                             "recorded in the report, and outputs of each precision are cached apart")
