"""Cost of evaluating a second student against the same teacher.

Runs ``run_evaluation`` twice on the same data and cache: teacher + student A, then teacher +
student B. The second run must perform no teacher forward pass (its outputs come from the cache),
so its time is the student's share only. Printed as JSON.

Usage::

    python benchmarks/bench_second_student.py [--n 200] [--teacher-shape small]
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _models import SHARED, load_functions, machine, make_model  # noqa: E402


def _data(n: int, work: Path) -> tuple[Path, str, str]:
    juliet = SHARED / "juliet-c" / "functions.jsonl"
    rows = []
    if juliet.is_file():
        with open(juliet) as fh:
            for line in fh:
                r = json.loads(line)
                if r.get("split") == "test":
                    rows.append({"id": r["id"], "code": r["code"], "label": r["label"]})
                if len(rows) >= n:
                    break
        source, language = "Juliet C test functions (shared data)", "c"
    else:
        from metacompress_eval.demo.corpus import generate_corpus

        rows = [{"id": r["id"], "code": r["code"], "label": r["label"]} for r in generate_corpus(max(n, 240))][:n]
        source, language = "demo corpus C functions", "c"
    path = work / "data.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path, f"{len(rows)} {source}", language


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--teacher-shape", default="small")
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args()

    from metacompress_eval.pipeline import EvaluationConfig, run_evaluation

    work = Path(tempfile.mkdtemp(prefix="mc-second-"))
    data, described, language = _data(args.n, work)
    texts = [json.loads(line)["code"] for line in data.read_text().splitlines()]
    teacher = make_model(work / "teacher", args.teacher_shape, texts)
    students = [make_model(work / f"student{i}", "tiny", texts, vocab=2000, seed=i) for i in (1, 2)]
    runs = []
    for i, student in enumerate(students, start=1):
        config = EvaluationConfig(teacher=str(teacher), student=str(student), data=str(data), language=language,
                                  out_dir=str(work / f"report{i}"), cache_dir=str(work / "cache"),
                                  batch_size=args.batch_size, progress=False)
        t0 = time.perf_counter()
        report = run_evaluation(config).report
        runs.append({"seconds": round(time.perf_counter() - t0, 2),
                     "teacher": report["inference"]["teacher"], "student": report["inference"]["student"]})
    print(json.dumps({
        "date": datetime.date.today().isoformat(), "machine": machine(), "data": described,
        "teacher_shape": args.teacher_shape, "student_shape": "tiny",
        "first_run": runs[0], "second_student_run": runs[1],
        "second_run_teacher_forward_passes": runs[1]["teacher"]["forward_passes"],
        "second_run_student_forward_passes": runs[1]["student"]["forward_passes"],
        "second_over_first_time": round(runs[1]["seconds"] / runs[0]["seconds"], 3),
    }, indent=2))


if __name__ == "__main__":
    main()
