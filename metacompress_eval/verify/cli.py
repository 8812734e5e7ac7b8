"""The body of ``metacompress verify`` (the argument parser lives in :mod:`metacompress_eval.cli`)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from metacompress_eval.errors import MetaCompressError


def _read(path: str, what: str):
    from metacompress_eval.data import read_table
    from metacompress_eval.outputs import check_input_file

    check_input_file(path, f"{what} file")
    if Path(path).suffix.lower() not in (".jsonl", ".ndjson"):
        raise MetaCompressError(f"{what} must be a JSONL file: {path}")
    return read_table(path)


def collect_pairs(args):
    """Rows to check, their ``(source, follow_up)`` code pairs, and the skips (a ``LoadedData``).

    Code and follow-up are judged by :func:`metacompress_eval.data.code_problem`, with the size cap
    every command shares (``--max-code-chars``). Each row's metadata carries its execution
    ``harness`` (from the row, or from its source row with ``--source``; column
    ``--harness-column``, default ``harness``) and its ``provenance``.
    """
    from metacompress_eval.cli.options import max_code_chars
    from metacompress_eval.data import code_problem, id_problem

    limit = max_code_chars(args)
    rows, loaded = _read(args.input, "input")
    harness_column = getattr(args, "harness_column", None) or "harness"
    sources: dict[str, str] | None = None
    source_harness: dict[str, object] = {}
    if args.source:
        source_rows, source_loaded = _read(args.source, "source")
        sources = {}
        for index, row in enumerate(source_rows):
            code = row.get(args.code_column)
            if code_problem(code, limit) is None:
                sid = row.get(args.id_column)
                sources[str(sid if sid is not None else index)] = code
                if row.get(harness_column) is not None:
                    source_harness[str(sid if sid is not None else index)] = row.get(harness_column)
        if not sources:
            raise MetaCompressError(f"no source row of {args.source} has code in column {args.code_column!r}")
    meta, pairs = [], []
    for index, row in enumerate(rows):
        where = loaded.row_name(index)
        if sources is not None:
            if "code" not in row and "code1" in row:
                loaded.skip("pair rows (code1/code2) are not supported", where)
                continue
            sid = row.get("source_id")
            original = sources.get(str(sid)) if isinstance(sid, (str, int)) else None
            follow_up = row.get("code")
            if original is None:
                loaded.skip("source_id not found in --source", where)
                continue
        else:
            original, follow_up = row.get(args.code_column), row.get(args.follow_up_column)
            sid = row.get(args.id_column, index)
        problem = code_problem(original, limit)
        if problem is None:
            problem = code_problem(follow_up, limit)
            problem = problem and problem.replace("code", "follow-up", 1)
        if problem is None:
            problem = id_problem(sid) if sources is not None or args.id_column in row else None
        if problem:
            reason = problem.split(" (")[0]
            loaded.skip(reason, f"{where}: {problem}" if problem != reason else where)
            continue
        harness = row.get(harness_column)
        if harness is None and sources is not None:
            harness = source_harness.get(str(sid))
        meta.append({"row": index, "id": sid, "transformation": row.get("transformation"),
                     "harness": harness, "provenance": row.get("provenance")})
        pairs.append((original, follow_up))
    return meta, pairs, loaded


def _execution_checks(meta, pairs, results, language, not_run: Counter, progress: bool = False) -> list:
    """Run the execution check for every compiled-clean row whose input carries a harness (a progress
    bar on stderr when ``progress``: each check runs both programs, seconds per row)."""
    from tqdm.auto import tqdm

    from metacompress_eval.verify.harness import EXECUTABLE_LANGUAGES, Harness, renamed_function, run_harness

    out: list = [None] * len(pairs)
    todo = [i for i, m in enumerate(meta) if m.get("harness") is not None]
    bar = tqdm(total=len(todo), desc="execution check", unit="row", disable=not progress or not todo, leave=False)
    for index, (m, (source, follow_up), result) in enumerate(zip(meta, pairs, results)):
        if m.get("harness") is None:
            continue
        bar.update(1)
        if language not in EXECUTABLE_LANGUAGES:
            not_run[f"no execution check for {language}"] += 1
            continue
        if not result.ok:
            continue  # already failed: running it adds nothing
        try:
            harness = Harness.from_value(m["harness"])
            out[index] = run_harness(source, follow_up, language, harness, renamed_function(m.get("provenance")))
        except MetaCompressError as exc:
            not_run[str(exc)] += 1
    bar.close()
    return out


def run_verify_command(args) -> int:
    """Check every row, print failures and totals, write the results JSONL; exit status 0."""
    from metacompress_eval.code.languages import SUPPORTED_LANGUAGES
    from metacompress_eval.fileio import atomic_write_many, json_text, jsonl_text
    from metacompress_eval.outputs import check_output_file, write_failed
    from metacompress_eval.verify.compilers import VERIFIABLE_LANGUAGES, compare_many

    if args.language not in VERIFIABLE_LANGUAGES:
        raise MetaCompressError(f"unknown language {args.language!r}; supported: "
                                f"{', '.join(l for l in SUPPORTED_LANGUAGES if l in VERIFIABLE_LANGUAGES)}")
    out = Path(args.out or f"{args.input}.verify.jsonl")
    read = [args.input] + ([args.source] if args.source else [])
    check_output_file(out, "results file", inputs=read)
    summary_path = Path(f"{out}.summary.json")
    check_output_file(summary_path, "summary file", inputs=read)
    meta, pairs, loaded = collect_pairs(args)
    skipped = dict(loaded.skipped)
    if not pairs:
        hint = (f"columns {args.code_column!r} and {args.follow_up_column!r}" if not args.source
                else "'source_id' and 'code' matching the --source rows")
        raise MetaCompressError(f"no row of {Path(args.input).name} could be checked: rows need {hint}"
                                + (f" (skipped: {skipped})" if skipped else ""))
    results = compare_many(pairs, args.language, progress=not args.quiet)
    not_run: Counter = Counter()
    executions = _execution_checks(meta, pairs, results, args.language, not_run, progress=not args.quiet)
    rows_out = []
    for m, r, e in zip(meta, results, executions):
        row = {k: v for k, v in m.items() if k not in ("harness", "provenance")}
        row.update(r.as_dict())
        if e is not None:
            row["execution"] = e.as_dict()
            row["ok"] = bool(r.ok and e.ok is not False)
        rows_out.append(row)
    failed = [(m, r) for m, r in zip(meta, results) if not r.ok]
    behaved = [(m, e) for m, e in zip(meta, executions) if e is not None and e.ok is False]
    summary = {"input": str(args.input), "language": args.language, "checked": len(results),
               "failed": len(failed), "unverified": sum(1 for r in results if not r.verified), "skipped": skipped}
    if skipped:
        summary["skipped_examples"] = loaded.skipped_examples
    try:  # results and their summary replace the earlier pair together, or neither does
        atomic_write_many({out: jsonl_text(rows_out).encode("utf-8"),
                           summary_path: (json_text(summary) + "\n").encode("utf-8")})
    except OSError as exc:
        raise write_failed("results to", out, exc) from None
    if not args.quiet:
        for m, r in failed:
            label = f"row {m['row']}" + (f" (id {m['id']})" if m["id"] is not None else "")
            print(f"  {label}: new diagnostics: {'; '.join(r.new_errors[:3])}"
                  + (f" (+{len(r.new_errors) - 3} more)" if len(r.new_errors) > 3 else ""))
        for m, e in behaved:
            label = f"row {m['row']}" + (f" (id {m['id']})" if m["id"] is not None else "")
            print(f"  {label}: behaves differently when run ({e.status}): {e.detail or e.mismatches[:1]}")
    unverified = sum(1 for r in results if not r.verified)
    checkers = sorted({r.checker for r in results})
    print(f"checked {len(results)} follow-ups with {', '.join(checkers)}: {len(results) - len(failed)} ok, "
          f"{len(failed)} with new compiler diagnostics" + (f", {unverified} unverified" if unverified else ""))
    ran = [e for e in executions if e is not None]
    if ran:
        counts = Counter(e.status for e in ran)
        print(f"  ran {len(ran)} follow-ups with their harness: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    if not_run:
        print(f"  execution checks not run: {dict(not_run)}")
    notes = sorted({r.note for r in results if r.note})
    if notes:
        print(f"  notes: {'; '.join(notes)}")
    for line in loaded.skip_lines():
        print(f"  {line}")
    print(f"  results: {out}")
    return 0
