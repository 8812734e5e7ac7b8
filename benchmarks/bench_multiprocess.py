"""Wall time of ``metacompress evaluate`` with 1 process against 2 processes (torchrun) on the same work.

Both runs evaluate the same teacher/student pair (randomly initialised, shape ``--shape``) on the same
``--n`` C functions with the default transformations, in chunks of ``--chunk-sources`` sources (each
process makes and scores its share of the chunks), each with an empty output cache, so both do every
forward pass; the follow-ups and counts are checked to be identical, and the largest difference between
the two runs' probabilities is reported (last bits: the processes run one thread each, the single
process two). Times are whole commands (interpreter start, model loading, follow-ups, inference,
report), as a user sees them.

Usage::

    python benchmarks/bench_multiprocess.py [--shape small] [--n 96] [--batch-size 16]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _models import machine, make_model  # noqa: E402


def run(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", default="small", choices=("codebert-base", "small", "tiny"))
    ap.add_argument("--n", type=int, default=96)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--chunk-sources", type=int, default=16)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mc-bench-mp-"))
    from metacompress_eval.demo.corpus import generate_corpus

    rows = [r for r in generate_corpus(max(args.n, 240))][: args.n]
    data = work / "data.jsonl"
    data.write_text("".join(json.dumps({"id": f"f{i}", "code": r["code"], "label": int(r["label"])}) + "\n"
                            for i, r in enumerate(rows)))
    texts = [r["code"] for r in rows]
    teacher = make_model(work / "teacher", args.shape, texts)
    student = make_model(work / "student", "tiny", texts)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.pop("WORLD_SIZE", None)
    common = ["evaluate", "--teacher", str(teacher), "--student", str(student), "--data", str(data), "--quiet",
              "--batch-size", str(args.batch_size), "--chunk-sources", str(args.chunk_sources)]
    single = run([sys.executable, "-m", "metacompress_eval", *common, "--out", str(work / "r1"),
                  "--cache-dir", str(work / "c1")], env)
    torchrun = shutil.which("torchrun") or "torchrun"
    threads = max(1, (os.cpu_count() or 1) // args.processes)  # the processes share the cores, no oversubscription
    multi = run([torchrun, "--standalone", "--nproc_per_node", str(args.processes), "-m", "metacompress_eval",
                 *common, "--out", str(work / "r2"), "--cache-dir", str(work / "c2")],
                {**env, "OMP_NUM_THREADS": str(threads)})
    a = json.loads((work / "r1" / "report.json").read_text())
    b = json.loads((work / "r2" / "report.json").read_text())
    same = ((work / "r1" / "follow_ups.jsonl").read_bytes() == (work / "r2" / "follow_ups.jsonl").read_bytes()
            and a["transformations"] == b["transformations"])
    rows = [[json.loads(line) for line in (work / r / "predictions.jsonl").read_text().splitlines()] for r in ("r1", "r2")]
    difference = max(abs(p - q) for x, y in zip(*rows) for k in ("teacher_probs", "student_probs")
                     for p, q in zip(x[k], y[k]))
    n_inputs = a["data"]["n_sources"] + a["data"]["n_follow_ups"]
    result = {"machine": machine(), "shape": args.shape, "inputs": n_inputs, "batch_size": args.batch_size,
              "single_s": round(single, 1), f"{args.processes}_processes_s": round(multi, 1),
              "speedup": round(single / multi, 2), "identical_follow_ups_and_counts": same,
              "max_probability_difference": difference,
              "teacher_inference_s": {"1": a["inference"]["teacher"]["seconds"],
                                      str(args.processes): b["inference"]["teacher"]["seconds"]}}
    print(json.dumps(result, indent=2))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
