"""What compiler verification of follow-ups adds to an ``evaluate`` run.

Runs the same evaluation twice per corpus — follow-ups unverified, then verified (gcc for the Juliet
C functions, javac for the BigCloneBench Java methods) — each with an empty model-output cache, the
same randomly initialised models (teacher ``--teacher-shape``, student ``tiny``) and the given
transformations, interleaved ``--repeats`` times, and reports the best wall time of each and the
added fraction ``(verified - unverified) / unverified``. Issue 12 makes verification the default
when that fraction is under 20%. Printed as JSON.

Usage::

    python benchmarks/bench_verify_cost.py [--n 200] [--teacher-shape small] [--transforms all]
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _models import SHARED, machine, make_model  # noqa: E402

CORPORA = {
    "c": (SHARED / "juliet-c" / "functions.jsonl", "Juliet C test functions (shared data)"),
    "java": (SHARED / "bigclonebench" / "functions.jsonl", "BigCloneBench Java methods (shared data)"),
}


def _data(language: str, n: int, work: Path) -> tuple[Path, str] | None:
    path, described = CORPORA[language]
    if not path.is_file():
        return None
    rows, seen = [], set()
    with open(path) as fh:
        for line in fh:
            r = json.loads(line)
            if r["code"] in seen or len(r["code"]) > 4000:
                continue
            seen.add(r["code"])
            rows.append({"id": str(r["id"]), "code": r["code"], "label": int(r.get("label", len(rows) % 2))})
            if len(rows) >= n:
                break
    out = work / f"{language}.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return out, f"{len(rows)} {described}"


def _run(config_kwargs: dict, verify: bool, cache: Path) -> tuple[float, int]:
    from metacompress_eval.pipeline import EvaluationConfig, run_evaluation
    from metacompress_eval.verify import clear_cache

    shutil.rmtree(cache, ignore_errors=True)
    clear_cache()  # the compiler-result cache of this process must not carry over between runs
    config = EvaluationConfig(**config_kwargs, cache_dir=str(cache), verify=verify, progress=False)
    start = time.perf_counter()
    report = run_evaluation(config).report
    return time.perf_counter() - start, report["data"]["n_follow_ups"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--teacher-shape", default="small")
    ap.add_argument("--transforms", default="all")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--languages", default="c,java")
    args = ap.parse_args()

    from metacompress_eval.transforms import list_transformations

    work = Path(tempfile.mkdtemp(prefix="mc-verify-cost-"))
    results = {}
    for language in args.languages.split(","):
        found = _data(language, args.n, work)
        if found is None:
            continue
        data, described = found
        texts = [json.loads(line)["code"] for line in data.read_text().splitlines()]
        teacher = make_model(work / f"teacher-{language}", args.teacher_shape, texts)
        student = make_model(work / f"student-{language}", "tiny", texts, vocab=2000, seed=1)
        names = tuple(t.name for t in list_transformations(language)) if args.transforms == "all" else tuple(
            args.transforms.split(","))
        kwargs = dict(teacher=str(teacher), student=str(student), data=str(data), language=language,
                      out_dir=str(work / f"report-{language}"), transforms=names)
        times = {False: [], True: []}
        follow_ups = {}
        for _ in range(args.repeats):
            for verify in (False, True):
                seconds, count = _run(kwargs, verify, work / "cache")
                times[verify].append(seconds)
                follow_ups[verify] = count
        plain, verified = min(times[False]), min(times[True])
        results[language] = {
            "data": described, "transformations": len(names),
            "follow_ups_unverified": follow_ups[False], "follow_ups_verified": follow_ups[True],
            "seconds_unverified": round(plain, 2), "seconds_verified": round(verified, 2),
            "added_fraction": round((verified - plain) / plain, 3),
        }
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"date": datetime.date.today().isoformat(), "machine": machine(),
                      "teacher_shape": args.teacher_shape, "student_shape": "tiny", "repeats": args.repeats,
                      "results": results}, indent=2))


if __name__ == "__main__":
    main()
