"""``metacompress transform``: follow-up inputs (with provenance) for a table of code."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

from ..errors import MetaCompressError
from .options import (add_context_option, add_max_code_chars_option, add_workers_option, languages_help, max_code_chars,
                      transform_names, transforms_help)
from .options import seed

NAME = "transform"

#: What rerunning does after an interruption (printed by the CLI): transform keeps no cache, and its
#: output and summary are replaced only when complete.
RERUN_NOTE = "no output was written — rerun the same command"


def add_parser(subparsers):
    from ..transforms import DEFAULT_TRANSFORMS

    p = subparsers.add_parser(NAME, help="write follow-up inputs for a JSONL file of code",
                              description="Applies transformations to every row and writes one row per follow-up "
                                          "with its provenance.")
    p.add_argument("input", help="input JSONL")
    p.add_argument("output", help="output JSONL")
    p.add_argument("--language", required=True, help=f"code language: {languages_help()}")
    p.add_argument("--transforms", default=",".join(DEFAULT_TRANSFORMS), help=transforms_help("names"))
    p.add_argument("--code-column", default="code")
    p.add_argument("--id-column", default="id")
    p.add_argument("--seed", type=seed, default=0, help="random seed, 0 to 2**32 - 1 (default: %(default)s)")
    p.add_argument("--chain", type=int, default=None, metavar="K",
                   help="one follow-up per input made by a chain of K transformations drawn from --transforms")
    p.add_argument("--verify", action="store_true",
                   help="compile each follow-up and its source; count follow-ups adding errors as rejected")
    add_context_option(p)
    add_max_code_chars_option(p)
    add_workers_option(p)
    p.add_argument("--quiet", action="store_true")
    return p


def chain_follow_ups(sources, language: str, names: tuple[str, ...], k: int, seed: int):
    """One follow-up per source from ``apply_chain`` (the chain API of ``metacompress_eval.transforms``)."""
    from .. import transforms
    from ..follow_ups import FollowUpInput, FollowUpSet, derive_seed

    apply_chain = getattr(transforms, "apply_chain", None)
    if apply_chain is None:
        raise MetaCompressError("--chain needs metacompress_eval.transforms.apply_chain, which this version lacks")
    if k < 1:
        raise MetaCompressError("--chain takes a positive number of transformations")
    label = f"chain(k={k})"
    result = FollowUpSet()
    for source in sources:
        outcome = apply_chain(source.inputs[0], language, list(names), derive_seed(seed, source.id, label), k)
        status = getattr(outcome, "status", "applied" if getattr(outcome, "code", None) else "not_applicable")
        if status == "applied":
            provenance = outcome.provenance() if callable(getattr(outcome, "provenance", None)) else None
            result.counts[label]["applied"] += 1
            result.items.append(FollowUpInput(source.id, label, (outcome.code,), [provenance]))
        else:
            result.counts[label][status if status == "rejected" else "not_applicable"] += 1
            result.reasons[label][getattr(outcome, "reason", None) or status] += 1
    return result


def run(args) -> int:
    from ..console import warn
    from ..data import DataSpec, load_code_sources
    from ..fileio import AtomicJsonlWriter, json_text
    from ..follow_ups import (DEFAULT_CHUNK_SOURCES, FollowUpSet, iter_follow_up_chunks, language_warning,
                              resolve_workers, verification_line, verify_follow_ups, workers_note)
    from ..outputs import check_input_file, check_output_file, write_failed
    from ..tasks import get_task

    language = get_task("classification", language=args.language).language
    names = transform_names(args.transforms, language)
    workers = resolve_workers(args.workers)
    if workers_note(args.workers):
        warn(workers_note(args.workers))
    check_input_file(args.input)
    output = check_output_file(args.output, inputs=[args.input])
    summary_path = Path(f"{args.output}.summary.json")
    check_output_file(summary_path, "summary file", inputs=[args.input])
    pairs, loaded = load_code_sources(DataSpec(args.input, max_code_chars=max_code_chars(args),
                                               context_column=args.context_column), args.code_column, args.id_column)
    sources = [source for _, source in pairs]
    warnings: list[str] = []
    if args.chain is not None:
        warnings = [w for w in [language_warning(sources, language)] if w]
        for warning in warnings:
            warn(warning)
    try:
        # Rows are written as the chunks come (memory stays flat however many follow-ups there are);
        # the follow-ups and their summary replace the earlier pair together, or neither does.
        with AtomicJsonlWriter(output) as out:
            if args.chain is not None:
                result = chain_follow_ups(sources, language, names, args.chain, args.seed)
                if args.verify:
                    verify_follow_ups(result, sources, language, progress=not args.quiet)
                for item in result.items:
                    out.write(item.as_row())
            else:
                result = FollowUpSet()
                # closing(): interrupted while writing, the workers stop now, not when the generator is collected.
                with closing(iter_follow_up_chunks(sources, language, names, seed=args.seed, verify=args.verify,
                                                   workers=workers, progress=not args.quiet,
                                                   chunk_sources=args.chunk_sources or DEFAULT_CHUNK_SOURCES)) as chunks:
                    for chunk in chunks:
                        out.write_lines(chunk.lines)  # encoded by the workers
                        result.add(chunk, keep_items=False)
                result.finish()
                # Counted while the follow-ups were made (no parse of every source before the workers start).
                warnings = [w for w in [language_warning(sources, language, result)] if w]
                for warning in warnings:
                    warn(warning)
            written = out.rows
            summary = result.summary()
            record = {"input": str(args.input), "output": str(args.output), "language": language,
                      "transforms": list(names), "chain": args.chain, "seed": args.seed, "verify": bool(args.verify),
                      "inputs": len(sources), "follow_ups": written, "skipped": dict(loaded.skipped),
                      "transformations": summary, **result.overview()}
            if loaded.skipped:
                record["skipped_examples"] = loaded.skipped_examples
            if warnings:
                record["warnings"] = warnings
            out.publish({summary_path: (json_text(record) + "\n").encode("utf-8")})
    except OSError as exc:
        raise write_failed("follow-ups to", output, exc) from None
    print(f"wrote {written} follow-ups for {len(sources)} inputs to {args.output}")
    rejected_label = "rejected (validation/compiler)" if args.verify else "rejected"
    for name, counts in summary.items():
        print(f"  {name:24s} applied {counts['applied']:6d}  not applicable {counts['not_applicable']:6d}  "
              f"{rejected_label} {counts['rejected']:6d}"
              + (f"  (lacking context {counts['skipped_for_context']})" if counts.get("skipped_for_context") else ""))
    overview = result.overview()
    if overview["verification"]:
        print("  " + verification_line(overview["verification"]))
    if overview["refused_inputs"]:
        print(f"  inputs refused whole (do not parse), by cause: {overview['refused_inputs']}")
    if overview["skipped_for_context"] and not args.context_column:
        print(f"  {overview['skipped_for_context']} follow-ups were not made for lack of context "
              "(--context-column gives each row its enclosing file)")
    for line in loaded.skip_lines():
        print(f"  {line}")
    return 0
