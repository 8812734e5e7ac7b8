"""Throughput, applicability and compiler-check pass rate of every registered transformation.

For each corpus present in ``../shared/data`` (BigCloneBench Java methods, Juliet C functions), a
seeded sample of functions is timed:

* a bare tree-sitter parse (``Parser.parse`` of the bytes, no wrapping) — the reference rate;
* ``metacompress_eval.code.languages.parse`` (with wrapping attempts);
* ``Transformation.apply`` of every registered transformation for the language (which includes
  its own parse, analysis, edits and the validity re-parse).

Each transformation's rate is reported as functions/second and as a ratio to the bare-parse rate,
on one core (the process pins itself to one CPU). Rates are process CPU time (``time.process_time``),
best of ``--repeats``; each transformation is timed alternating with a bare parse of the same
functions, and its ratio is to that paired bare parse (``paired_bare_parse_per_s`` in the JSON),
so a change of load during the run reaches both sides of a ratio alike. Applicability is the
share of functions the transformation changed. The compiler-check pass rate is the share of
follow-ups (from the first ``--compile-n`` functions) that add no compiler error
(:func:`metacompress_eval.verify.compare_many`).

    python benchmarks/bench_transforms.py [--n 500] [--compile-n 200] [--json bench_transforms.json]

Prints a Markdown table and writes the JSON. Corpora that are absent are skipped.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpora import CORPORA, pin_one_core, run_record, sample_rows  # noqa: E402


def _pass_seconds(fn, items) -> float:
    """CPU seconds of this process for one pass of ``fn`` over ``items``."""
    started = time.process_time()
    for i, item in enumerate(items):
        fn(i, item)
    return time.process_time() - started


def _best_rates(contenders: list, items_of: list, repeats: int) -> list[float]:
    """Best-of-``repeats`` rate (items per CPU second) of each contender, measured interleaved:
    each repeat times every contender once, in turn, so that a change of load or clock between
    repeats reaches all of them alike (rates measured a minute apart are not comparable on a
    shared machine)."""
    best = [float("inf")] * len(contenders)
    for _ in range(repeats):
        for k, (fn, items) in enumerate(zip(contenders, items_of)):
            best[k] = min(best[k], _pass_seconds(fn, items))
    return [len(items) / b if b > 0 else float("inf") for b, items in zip(best, items_of)]


def bench_corpus(name: str, language: str, rows: list[dict], compile_n: int, repeats: int) -> dict:
    from metacompress_eval.code.languages import _parser, parse
    from metacompress_eval.follow_ups import derive_seed
    from metacompress_eval.transforms import list_transformations
    from metacompress_eval.verify import checker_name, compare_many

    codes = [r["code"] for r in rows]
    datas = [c.encode("utf-8") for c in codes]
    parser = _parser(language)

    def bare_parse(i, d):
        parser.parse(d)

    bare, wrapped = _best_rates([bare_parse, lambda i, c: parse(c, language)], [datas, codes], repeats)
    out = {"corpus": name, "language": language, "functions": len(codes), "bare_parse_per_s": round(bare, 1),
           "languages_parse_per_s": round(wrapped, 1), "checker": checker_name(language),
           "timer": "process CPU time, best of --repeats, each transformation interleaved with a bare parse",
           "transformations": {}}
    for transform in list_transformations(language):
        outcomes: list = [None] * len(codes)

        # Seeds are derived before timing: only ``apply`` is timed, not the harness.
        seeds = [derive_seed(0, row.get("id", i), transform.name) for i, row in enumerate(rows)]

        def run(i, code, transform=transform, outcomes=outcomes, seeds=seeds):
            outcomes[i] = transform.apply(code, language, seeds[i])

        # The ratio is to a bare parse timed in the same repeats, alternating with the transformation.
        paired_bare, rate = _best_rates([bare_parse, run], [datas, codes], repeats)
        statuses = [o.status for o in outcomes]
        pairs = [(codes[i], o.code) for i, o in enumerate(outcomes[:compile_n]) if o.status == "applied"]
        started = time.perf_counter()
        checks = compare_many(pairs, language) if pairs else []
        check_s = time.perf_counter() - started
        passed = sum(1 for r in checks if r.ok)
        out["transformations"][transform.name] = {
            "per_s": round(rate, 1), "ratio_to_bare_parse": round(rate / paired_bare, 3),
            "paired_bare_parse_per_s": round(paired_bare, 1),
            "applied": statuses.count("applied") / len(codes),
            "not_applicable": statuses.count("not_applicable") / len(codes),
            "rejected": statuses.count("rejected") / len(codes),
            "compile_checked": len(checks), "compile_passed": passed,
            "compile_pass_rate": (passed / len(checks)) if checks else None,
            "compile_check_s": round(check_s, 2),
            "compile_failures": [r.new_errors[:2] for r in checks if not r.ok][:5],
        }
    return out


def to_markdown(results: list[dict]) -> str:
    lines = ["| corpus | transformation | functions/s | ratio to bare parse | applicable | rejected (validation) "
             "| compiler check passed |", "|---|---|---:|---:|---:|---:|---:|"]
    for res in results:
        lines.append(f"| {res['corpus']} ({res['functions']} fns) | *bare tree-sitter parse* | "
                     f"{res['bare_parse_per_s']:.0f} | 1.00 | | | |")
        lines.append(f"| | *`languages.parse` (wrappings)* | {res['languages_parse_per_s']:.0f} | "
                     f"{res['languages_parse_per_s'] / res['bare_parse_per_s']:.2f} | | | |")
        for tname, t in res["transformations"].items():
            rate = "n/a" if t["compile_pass_rate"] is None else \
                f"{100 * t['compile_pass_rate']:.1f}% ({t['compile_passed']}/{t['compile_checked']})"
            lines.append(f"| | `{tname}` | {t['per_s']:.0f} | {t['ratio_to_bare_parse']:.2f} | "
                         f"{100 * t['applied']:.1f}% | {100 * t['rejected']:.1f}% | {rate} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=500, help="functions per corpus (default: %(default)s)")
    ap.add_argument("--compile-n", type=int, default=200,
                    help="functions per corpus whose follow-ups are compiler-checked (default: %(default)s)")
    ap.add_argument("--repeats", type=int, default=2, help="best of N timing runs (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default="bench_transforms.json", help="JSON output (default: %(default)s)")
    args = ap.parse_args()

    pinned = pin_one_core()
    results = []
    for name, (language, path) in CORPORA.items():
        if not path.is_file():
            print(f"skipping {name}: {path} not found", file=sys.stderr)
            continue
        rows = sample_rows(path, args.n, args.seed)
        print(f"{name}: {len(rows)} functions ({language})", file=sys.stderr)
        results.append(bench_corpus(name, language, rows, args.compile_n, args.repeats))
    report = {**run_record(affinity=pinned), "results": results}
    Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    print(to_markdown(results))
    print(f"\nJSON: {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
