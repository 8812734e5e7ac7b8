"""The ``metacompress`` command line.

Subcommands: ``demo`` (the embedded end-to-end example), ``evaluate`` (a teacher/student pair on
your data) and ``transform`` (follow-up inputs only). User errors end with a one-line message and
exit status 2; an interrupted run exits with 130 and resumes from the cache when rerun.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from . import __version__
from .errors import MetaCompressError


def _csv(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",") if p.strip())


def _transform_names(text: str, language: str | None) -> tuple[str, ...]:
    from .transforms import list_transformations

    if text.strip().lower() == "all":
        return tuple(t.name for t in list_transformations(language))
    return _csv(text)


def _add_threshold_options(parser: argparse.ArgumentParser) -> None:
    from .relations import Thresholds

    group = parser.add_argument_group("relation thresholds (see docs/relations.md)")
    for f in dataclasses.fields(Thresholds):
        kind = int if isinstance(f.default, int) and not isinstance(f.default, bool) else float
        group.add_argument(f"--{f.name.replace('_', '-')}", dest=f"th_{f.name}", type=kind, default=f.default,
                           help=f"default: {f.default}")


def _thresholds(args):
    from .relations import Thresholds

    values = {f.name: getattr(args, f"th_{f.name}") for f in dataclasses.fields(Thresholds)}
    try:
        return Thresholds(**values)
    except (TypeError, ValueError) as exc:
        raise MetaCompressError(f"invalid threshold: {exc}") from None


def build_parser() -> argparse.ArgumentParser:
    from .tasks import task_names
    from .transforms import DEFAULT_TRANSFORMS

    parser = argparse.ArgumentParser(
        prog="metacompress",
        description="Metamorphic testing of distilled code models: does the student behave like its teacher?")
    parser.add_argument("--version", action="version", version=f"metacompress-eval {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="train a small teacher and student on an embedded C corpus and evaluate them",
                          description="Runs offline with no arguments: writes a labelled corpus of C functions "
                                      "(with and without memory-safety defects), trains a teacher, distils a "
                                      "student from its soft labels and evaluates the pair.")
    demo.add_argument("--out", default="metacompress-demo", help="output folder (default: %(default)s)")
    demo.add_argument("--size", choices=("demo", "tiny"), default="demo",
                      help="corpus and model size; 'tiny' takes seconds (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--quiet", action="store_true", help="no progress output")

    ev = sub.add_parser("evaluate", help="evaluate a teacher/student pair on your data",
                        description="Runs teacher and student on source inputs and follow-up inputs, checks the "
                                    "metamorphic relations and writes report.json, report.md and plots.")
    ev.add_argument("--teacher", required=True, help="teacher model: local folder or Hub id")
    ev.add_argument("--student", required=True, help="student model: local folder or Hub id")
    ev.add_argument("--data", required=True,
                    help="JSONL, JSON, CSV, TSV or parquet file, a save_to_disk folder, or a Hub dataset id")
    ev.add_argument("--task", choices=task_names(), default="defect", help="default: %(default)s")
    ev.add_argument("--language", default="", help="code language: c, java, python (default: the task's: "
                                                   "defect→c, clone→java, classification→none)")
    ev.add_argument("--code-column", dest="code_columns", type=_csv, default=None,
                    help="code column(s), comma separated (defaults: defect 'code', clone 'code1,code2', "
                         "classification 'text')")
    ev.add_argument("--label-column", default="label", help="default: %(default)s")
    ev.add_argument("--unlabelled", action="store_true", help="the data has no labels (no accuracy/F1/ECE)")
    ev.add_argument("--id-column", default="id", help="default: %(default)s (row number when absent)")
    ev.add_argument("--split", default=None, help="split of a save_to_disk folder or Hub dataset")
    ev.add_argument("--pair-ids", type=_csv, default=None,
                    help="for clone pairs given by function ids: the two id columns, e.g. id1,id2 (needs --functions)")
    ev.add_argument("--functions", default=None, help="table of functions {id, code} referenced by --pair-ids")
    ev.add_argument("--transforms", default=",".join(DEFAULT_TRANSFORMS),
                    help="comma-separated transformation names, or 'all' (default: %(default)s)")
    ev.add_argument("--seed", type=int, default=0)
    ev.add_argument("--max-sources", type=int, default=None, help="evaluate only the first N usable rows")
    ev.add_argument("--max-code-chars", type=int, default=None, help="skip longer code inputs (default 50000)")
    ev.add_argument("--batch-size", type=int, default=32)
    ev.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:1, mps (default: %(default)s)")
    ev.add_argument("--teacher-tokenizer", default=None)
    ev.add_argument("--student-tokenizer", default=None)
    ev.add_argument("--teacher-max-length", type=int, default=None)
    ev.add_argument("--student-max-length", type=int, default=None)
    ev.add_argument("--label-map", default=None,
                    help="student→teacher label correspondence when names differ, e.g. 'neg=0,pos=1'")
    ev.add_argument("--trust-remote-code", action="store_true", help="allow custom modelling code (off by default)")
    ev.add_argument("--cache-dir", default=None,
                    help="model-output cache (default: $METACOMPRESS_CACHE or ~/.cache/metacompress)")
    ev.add_argument("--out", default="metacompress-report", help="report folder (default: %(default)s)")
    ev.add_argument("--worst-k", type=int, default=10, help="discrepancies shown in report.md")
    ev.add_argument("--quiet", action="store_true", help="no progress output")
    _add_threshold_options(ev)

    tr = sub.add_parser("transform", help="write follow-up inputs for a JSONL file of code",
                        description="Applies transformations to every row and writes one row per follow-up "
                                    "with its provenance.")
    tr.add_argument("input", help="input JSONL")
    tr.add_argument("output", help="output JSONL")
    tr.add_argument("--language", required=True)
    tr.add_argument("--transforms", default=",".join(DEFAULT_TRANSFORMS), help="names or 'all'")
    tr.add_argument("--code-column", default="code")
    tr.add_argument("--id-column", default="id")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--quiet", action="store_true")
    return parser


def cmd_evaluate(args) -> int:
    from .data import DEFAULT_MAX_CODE_CHARS
    from .pipeline import EvaluationConfig, run_evaluation
    from .report.summary import print_summary
    from .tasks import get_task

    if args.pair_ids is not None and len(args.pair_ids) != 2:
        raise MetaCompressError("--pair-ids takes exactly two column names, e.g. id1,id2")
    task = get_task(args.task, language=args.language or "")
    config = EvaluationConfig(
        teacher=args.teacher, student=args.student, data=args.data, task=args.task, out_dir=args.out,
        code_columns=args.code_columns, label_column=None if args.unlabelled else args.label_column,
        id_column=args.id_column, language=args.language or "", split=args.split,
        pair_ids=tuple(args.pair_ids) if args.pair_ids else None, functions=args.functions,
        transforms=_transform_names(args.transforms, task.language), seed=args.seed,
        max_sources=args.max_sources, max_code_chars=args.max_code_chars or DEFAULT_MAX_CODE_CHARS,
        batch_size=args.batch_size, device=args.device, teacher_tokenizer=args.teacher_tokenizer,
        student_tokenizer=args.student_tokenizer, teacher_max_length=args.teacher_max_length,
        student_max_length=args.student_max_length, label_map=args.label_map,
        trust_remote_code=args.trust_remote_code, cache_dir=args.cache_dir, thresholds=_thresholds(args),
        worst_k=args.worst_k, progress=not args.quiet)
    result = run_evaluation(config)
    print_summary(result.report, result.out_dir)
    return 0


def cmd_demo(args) -> int:
    from .demo.run import run_demo
    from .report.summary import print_summary

    result = run_demo(out_dir=args.out, size=args.size, seed=args.seed, progress=not args.quiet)
    print_summary(result.report, result.out_dir)
    return 0


def cmd_transform(args) -> int:
    from .data import SourceExample, read_table
    from .fileio import atomic_write_jsonl
    from .followups import build_follow_ups
    from .tasks import get_task

    if not Path(args.input).is_file():
        raise MetaCompressError(f"input file not found: {args.input}")
    rows, loaded = read_table(args.input)
    sources = []
    for index, row in enumerate(rows):
        code = row.get(args.code_column)
        if not isinstance(code, str) or not code.strip():
            loaded.skip("missing or empty code", f"row {index}")
            continue
        sid = row.get(args.id_column)
        sources.append(SourceExample(str(sid if sid is not None else index), (code,)))
    language = get_task("classification", language=args.language).language
    names = _transform_names(args.transforms, language)
    result = build_follow_ups(sources, language, names, seed=args.seed, progress=not args.quiet)
    atomic_write_jsonl(args.output, (f.as_row() for f in result.items))
    print(f"wrote {len(result.items)} follow-ups for {len(sources)} inputs to {args.output}")
    for name, counts in result.summary().items():
        print(f"  {name:24s} applied {counts['applied']:6d}  not applicable {counts['not_applicable']:6d}  "
              f"rejected {counts['rejected']:6d}")
    if loaded.skipped:
        print(f"  skipped rows: {dict(loaded.skipped)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``metacompress`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"demo": cmd_demo, "evaluate": cmd_evaluate, "transform": cmd_transform}
    try:
        return handlers[args.command](args)
    except MetaCompressError as exc:
        print(f"metacompress: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("metacompress: interrupted; finished model outputs are cached — rerun the same command to resume",
              file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
