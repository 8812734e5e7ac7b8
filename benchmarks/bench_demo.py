#!/usr/bin/env python
"""Wall time and peak memory of ``metacompress demo`` from scratch, alone and beside CPU-bound competitors.

    python benchmarks/bench_demo.py [--work DIR] [--competitors 0,1,2] [--record]

For each competitor count the demo runs in a fresh output folder (no trained models, no cached model
outputs) under ``/usr/bin/time -v``; a competitor is a Python busy loop started a second before the
demo and stopped after it. The default ``--threads auto`` of the demo is what is measured: it sees the
competitors and takes the CPUs left (see ``metacompress_eval/threads.py``). Printed as JSON and written
to ``WORK/bench_demo.json``; ``--record`` also records the competitor-free run's figures and these
timings in ``benchmarks/demo_figures.json`` and rewrites the generated blocks of README.md and
BENCHMARKS.md (``scripts/demo_figures.py``). Targets: at most 5 minutes and 2 GB on 2 cores, also with
one competitor. After the competitor-free run, the compiler check of its follow-ups (on by default in
the demo, as in ``evaluate``) is timed on its own, beside building the same follow-ups unchecked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPETITOR = [sys.executable, "-c", "while True: pass"]
NAMES = {0: "alone", 1: "one_competitor", 2: "two_competitors"}


def gnu_time_value(stderr: str, label: str) -> str:
    """The value of one ``/usr/bin/time -v`` line (``label`` is the line's start), as text."""
    # The value follows the line's last ": " ("Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.03").
    match = re.search(rf"^\s*{re.escape(label)}.*: (\S+)\s*$", stderr, re.M)
    if not match:
        raise RuntimeError(f"/usr/bin/time output lacks {label!r}")
    return match.group(1).strip()


def clock_seconds(clock: str) -> float:
    """Seconds of an ``[h:]m:ss.ss`` clock reading."""
    parts = [float(p) for p in clock.split(":")]
    return sum(p * 60 ** i for i, p in enumerate(reversed(parts)))


def run_once(out: Path, competitors: int) -> dict:
    """One demo run from scratch in ``out`` with ``competitors`` busy loops beside it."""
    if out.exists():
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    env["PYTHONPATH"] = str(ROOT)
    busy = [subprocess.Popen(COMPETITOR) for _ in range(competitors)]
    try:
        time.sleep(1.0)
        load = os.getloadavg()[0]
        cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "metacompress_eval", "demo", "--out", str(out), "--quiet"]
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    finally:
        for p in busy:
            p.terminate()
        for p in busy:
            p.wait()
    if proc.returncode != 0:
        raise RuntimeError(f"demo failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    threads = sorted({e.get("threads") for e in json.loads((out / "teacher" / "training_log.json").read_text())["epochs"]}
                     - {None})
    return {"competitors": competitors, "wall_seconds": clock_seconds(gnu_time_value(proc.stderr, "Elapsed (wall clock) time")),
            "max_rss_kb": int(gnu_time_value(proc.stderr, "Maximum resident set size")),
            # CPU time of the demo and its children (gcc): on a busy machine the wall time mostly says how
            # busy it was, while this says how much work the demo is (about its wall time on one idle core).
            "cpu_seconds": round(float(gnu_time_value(proc.stderr, "User time")) + float(gnu_time_value(proc.stderr, "System time")), 1),
            "cpu_percent": gnu_time_value(proc.stderr, "Percent of CPU this job got"),
            "threads": "–".join(str(t) for t in threads) if threads else "?", "load_at_start": round(load, 2)}


def verification_cost(out: Path) -> dict:
    """Seconds the compiler check of the follow-ups takes in a finished demo run ``out``, side by side
    with building the same follow-ups unchecked (in a fresh process, so gcc's per-process cache is cold)."""
    code = f"""
import json, time
from metacompress_eval.data import SourceInput
from metacompress_eval.follow_ups import build_follow_ups, verify_follow_ups
from metacompress_eval.transforms.registry import DEFAULT_TRANSFORMS
rows = [json.loads(line) for line in open({str(out / "data" / "test.jsonl")!r})]
sources = [SourceInput(r["id"], (r["code"],), int(r["label"])) for r in rows]
t0 = time.perf_counter()
follow = build_follow_ups(sources, "c", DEFAULT_TRANSFORMS, seed=0)
t1 = time.perf_counter()
n = len(follow.items)
verify_follow_ups(follow, sources, "c")
t2 = time.perf_counter()
print(json.dumps({{"build_seconds": round(t1 - t0, 2), "verify_seconds": round(t2 - t1, 2), "follow_ups": n,
                  "kept": len(follow.items)}}))
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--competitors", default="0,1,2", help="competitor counts to run (default: %(default)s)")
    parser.add_argument("--record", action="store_true",
                        help="record the competitor-free run in benchmarks/demo_figures.json and re-render the docs")
    parser.add_argument("--note", default="", help="a sentence for BENCHMARKS.md (e.g. how busy the machine was)")
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.competitors.split(",")]
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-demo-"))
    sys.path.insert(0, str(ROOT / "scripts"))
    from demo_figures import machine, record, render

    runs = {}
    for k in counts:
        runs[NAMES.get(k, f"{k}_competitors")] = run_once(work / f"demo-{k}", k)
        print(json.dumps({NAMES.get(k, k): runs[NAMES.get(k, f"{k}_competitors")]}), flush=True)
    verification = None
    if 0 in counts:
        verification = verification_cost(work / "demo-0")
        verification["fraction_of_demo"] = round(verification["verify_seconds"] / runs["alone"]["wall_seconds"], 4)
        print(json.dumps({"verification": verification}), flush=True)
    timings = {"command": "/usr/bin/time -v python -m metacompress_eval demo --out DIR --quiet (fresh DIR)",
               "competitor": " ".join(["python"] + COMPETITOR[1:]), "machine": machine(),
               "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "runs": runs,
               "verification": verification,
               "note": args.note}
    (work / "bench_demo.json").write_text(json.dumps(timings, indent=2))
    print(json.dumps(timings, indent=2))
    if args.record:
        if 0 not in counts:
            raise SystemExit("--record needs the competitor-free run (0 in --competitors)")
        record(work / "demo-0" / "report", "metacompress demo", timings)
        return render(check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
