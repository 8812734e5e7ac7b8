"""The body of ``metacompress verify`` (the argument parser lives in :mod:`metacompress_eval.cli`)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from metacompress_eval.errors import MetaCompressError


def _read(path: str, what: str):
    from metacompress_eval.data import read_table

    if not Path(path).is_file():
        raise MetaCompressError(f"{what} file not found: {path}")
    if Path(path).suffix.lower() not in (".jsonl", ".ndjson"):
        raise MetaCompressError(f"{what} must be a JSONL file: {path}")
    return read_table(path)


def collect_pairs(args) -> tuple[list[dict], list[tuple[str, str]], Counter]:
    """Rows to check, their ``(source, follow_up)`` code pairs, and skip reasons."""
    rows, loaded = _read(args.input, "input")
    skipped: Counter = Counter(loaded.skipped)
    sources: dict[str, str] | None = None
    if args.source:
        source_rows, source_loaded = _read(args.source, "source")
        sources = {}
        for index, row in enumerate(source_rows):
            code = row.get(args.code_column)
            if isinstance(code, str) and code.strip():
                sid = row.get(args.id_column)
                sources[str(sid if sid is not None else index)] = code
        if not sources:
            raise MetaCompressError(f"no source row of {args.source} has code in column {args.code_column!r}")
    meta, pairs = [], []
    for index, row in enumerate(rows):
        if sources is not None:
            if "code" not in row and "code1" in row:
                skipped["pair rows (code1/code2) are not supported"] += 1
                continue
            sid = row.get("source_id")
            original = sources.get(str(sid)) if sid is not None else None
            follow_up = row.get("code")
            if original is None:
                skipped["source_id not found in --source"] += 1
                continue
        else:
            original, follow_up = row.get(args.code_column), row.get(args.follow_up_column)
            sid = row.get(args.id_column, index)
        if not isinstance(original, str) or not original.strip():
            skipped["missing or empty code"] += 1
            continue
        if not isinstance(follow_up, str) or not follow_up.strip():
            skipped["missing or empty follow-up"] += 1
            continue
        meta.append({"row": index, "id": sid, "transformation": row.get("transformation")})
        pairs.append((original, follow_up))
    return meta, pairs, skipped


def run_verify_command(args) -> int:
    """Check every row, print failures and totals, write the results JSONL; exit status 0."""
    from metacompress_eval.code.languages import SUPPORTED_LANGUAGES
    from metacompress_eval.fileio import atomic_write_jsonl
    from metacompress_eval.verify.compilers import VERIFIABLE_LANGUAGES, compare_many

    if args.language not in VERIFIABLE_LANGUAGES:
        raise MetaCompressError(f"unknown language {args.language!r}; supported: "
                                f"{', '.join(l for l in SUPPORTED_LANGUAGES if l in VERIFIABLE_LANGUAGES)}")
    meta, pairs, skipped = collect_pairs(args)
    if not pairs:
        hint = (f"columns {args.code_column!r} and {args.follow_up_column!r}" if not args.source
                else "'source_id' and 'code' matching the --source rows")
        raise MetaCompressError(f"no row of {args.input} could be checked: rows need {hint}"
                                + (f" (skipped: {dict(skipped)})" if skipped else ""))
    results = compare_many(pairs, args.language)
    out = args.out or f"{args.input}.verify.jsonl"
    atomic_write_jsonl(out, ({**m, **r.as_dict()} for m, r in zip(meta, results)))
    failed = [(m, r) for m, r in zip(meta, results) if not r.ok]
    if not args.quiet:
        for m, r in failed:
            label = f"row {m['row']}" + (f" (id {m['id']})" if m["id"] is not None else "")
            print(f"  {label}: new diagnostics: {'; '.join(r.new_errors[:3])}"
                  + (f" (+{len(r.new_errors) - 3} more)" if len(r.new_errors) > 3 else ""))
    unverified = sum(1 for r in results if not r.verified)
    checkers = sorted({r.checker for r in results})
    print(f"checked {len(results)} follow-ups with {', '.join(checkers)}: {len(results) - len(failed)} ok, "
          f"{len(failed)} with new compiler diagnostics" + (f", {unverified} unverified" if unverified else ""))
    notes = sorted({r.note for r in results if r.note})
    if notes:
        print(f"  notes: {'; '.join(notes)}")
    if skipped:
        print(f"  skipped rows: {dict(skipped)}")
    print(f"  results: {out}")
    return 0
