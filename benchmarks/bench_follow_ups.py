"""Follow-ups per second against the number of worker processes, and peak memory against the number
of follow-ups.

**Workers.** For each corpus present in ``../shared/data`` (BigCloneBench Java methods, Juliet C
functions), the same ``--n`` sources are run through every transformation of the language
(:func:`metacompress_eval.follow_ups.iter_follow_up_chunks`, each chunk's rows and counts consumed
and dropped as ``metacompress transform`` does, see :func:`rate`) with 1, 2, … workers; the rows are
checked to be byte-identical to the 1-worker run. ``speed-up`` = rate / rate with 1 worker, measured in the same run, best of
``--repeats``; workers runs are interleaved so that load drifts hit every count alike.

**Memory.** ``metacompress transform --transforms all`` (streamed to its output file) and
``metacompress evaluate`` (streamed to two tiny models) on 1×, 2×, 4×, 8× ``--memory-n`` sources, each
in a fresh process; the figure is the largest resident set of any process of the command
(``getrusage(RUSAGE_CHILDREN)`` of a wrapper that runs only that command).

    python benchmarks/bench_follow_ups.py [--n 600] [--workers 1,2] [--memory-n 250] [--json bench_follow_ups.json]

Prints Markdown tables and writes the JSON.
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
from _corpora import CORPORA, run_record, sample_rows  # noqa: E402
from _models import REPO  # noqa: E402


def load_sources(path: Path, n: int, seed: int = 0):
    """``n`` distinct functions of a corpus, seeded sample, as sources."""
    from metacompress_eval.data import SourceInput

    return [SourceInput(str(r["id"]), (r["code"],)) for r in sample_rows(path, n, seed, distinct=True)]


def rate(sources, language, names, workers: int) -> tuple[float, int, str]:
    """Follow-ups per second with ``workers`` processes, their count and a digest of every row in order.

    Each chunk is consumed as ``metacompress transform`` consumes it: its rows, the bytes the output
    file gets (:attr:`FollowUpChunk.lines`), are written to a file, and its counts go into a
    :class:`FollowUpSet` for the summary; whatever the main process must do to deliver the rows is
    timed, with any number of workers. (Not timed: transform's final fsync, disk time rather than
    follow-up time; the digest of the file, read back afterwards.)
    """
    import hashlib

    from metacompress_eval.follow_ups import FollowUpSet, iter_follow_up_chunks

    count = 0
    summary = FollowUpSet()
    with tempfile.TemporaryDirectory(prefix="mc-bench-rows-") as folder:
        rows = Path(folder) / "follow_ups.jsonl"
        started = time.perf_counter()
        with open(rows, "wb") as out:
            for chunk in iter_follow_up_chunks(sources, language, names, workers=workers):
                out.write(chunk.lines)
                count += chunk.n_follow_ups
                summary.add(chunk, keep_items=False)
            summary.finish().summary()
        seconds = time.perf_counter() - started
        digest = hashlib.sha256(rows.read_bytes()).hexdigest()
    return count / seconds, count, digest


def bench_workers(args) -> list[dict]:
    from metacompress_eval.transforms import list_transformations

    counts = [int(w) for w in args.workers.split(",")]
    results = []
    for corpus, (language, path) in CORPORA.items():
        if not path.is_file():
            print(f"skipping {corpus}: {path} not found", file=sys.stderr)
            continue
        sources = load_sources(path, args.n)
        names = [t.name for t in list_transformations(language)]
        best: dict[int, float] = {}
        digests: dict[int, str] = {}
        follow_ups = 0
        for _ in range(args.repeats):
            for workers in counts:
                per_s, follow_ups, digest = rate(sources, language, names, workers)
                best[workers] = max(best.get(workers, 0.0), per_s)
                digests.setdefault(workers, digest)
                if digests[workers] != digest or digest != digests[counts[0]]:
                    raise SystemExit(f"{corpus}: rows with {workers} workers differ from {counts[0]} worker(s)")
        base = best[counts[0]]
        results.append({"corpus": corpus, "language": language, "sources": len(sources),
                        "transformations": len(names), "follow_ups": follow_ups, "identical_rows": True,
                        "per_s": {w: round(best[w], 1) for w in counts},
                        "sources_per_s": {w: round(best[w] * len(sources) / follow_ups, 1) for w in counts},
                        "speedup": {w: round(best[w] / base, 3) for w in counts}})
    return results


def _peak_rss_mb(cmd: list[str], env: dict) -> tuple[float, float]:
    """Largest resident set (MB) of any process of ``cmd``, and its wall time."""
    wrapper = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
               "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.perf_counter() - t, r.returncode)")
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], env=env, capture_output=True, text=True, check=True)
    kb, seconds, code = out.stdout.split()
    if code != "0":
        raise SystemExit(f"command failed ({code}): {' '.join(cmd)}")
    return int(kb) / 1024, float(seconds)


def bench_memory(args) -> list[dict]:
    """Peak RSS of ``transform`` and ``evaluate`` on 1×, 2×, 4×, 8× ``--memory-n`` sources."""
    language, path = CORPORA["bigclonebench"]
    if not path.is_file():
        language, path = CORPORA["juliet-c"]
    if not path.is_file():
        print("skipping memory: no shared corpus", file=sys.stderr)
        return []
    from _models import make_model

    work = Path(tempfile.mkdtemp(prefix="mc-bench-mem-"))
    try:
        largest = load_sources(path, 8 * args.memory_n, seed=1)
        texts = [s.inputs[0] for s in largest[:400]]
        teacher = make_model(work / "teacher", "tiny", texts)
        student = make_model(work / "student", "tiny", texts, seed=1)
        env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
        env.pop("WORLD_SIZE", None)
        results = []
        for factor in (1, 2, 4, 8):
            n = factor * args.memory_n
            data = work / f"data{n}.jsonl"
            data.write_text("".join(json.dumps({"id": s.id, "code": s.inputs[0]}) + "\n" for s in largest[:n]))
            out = work / f"out{n}.jsonl"
            transform_mb, transform_s = _peak_rss_mb(
                [sys.executable, "-m", "metacompress_eval", "transform", "--language", language, "--transforms", "all",
                 "--quiet", str(data), str(out)], env)
            follow_ups = json.loads((work / f"out{n}.jsonl.summary.json").read_text())["follow_ups"]
            report = work / f"report{n}"
            evaluate_mb, evaluate_s = _peak_rss_mb(
                [sys.executable, "-m", "metacompress_eval", "evaluate", "--teacher", str(teacher), "--student",
                 str(student), "--data", str(data), "--task", "defect", "--language", language, "--unlabelled",
                 "--transforms", args.memory_transforms, "--out", str(report), "--cache-dir", str(work / f"cache{n}"),
                 "--quiet"], env)
            evaluated = json.loads((report / "report.json").read_text())["data"]["n_follow_ups"]
            results.append({"sources": n, "transform_follow_ups": follow_ups, "transform_peak_rss_mb": round(transform_mb, 1),
                            "transform_seconds": round(transform_s, 1), "evaluate_follow_ups": evaluated,
                            "evaluate_peak_rss_mb": round(evaluate_mb, 1), "evaluate_seconds": round(evaluate_s, 1)})
            print(f"memory: {results[-1]}", file=sys.stderr)
        return results
    finally:  # models, data and outputs of every size: gigabytes at the large sizes
        shutil.rmtree(work, ignore_errors=True)


def to_markdown(workers: list[dict], memory: list[dict]) -> str:
    lines = []
    if workers:
        counts = list(workers[0]["per_s"])
        lines += ["| corpus | sources | follow-ups | " + " | ".join(f"{w} worker(s): follow-ups/s (speed-up)"
                                                          for w in counts) + " |",
                  "|---|---:|---:|" + "---:|" * len(counts)]
        for r in workers:
            cells = " | ".join(f"{r['per_s'][w]:.0f} ({r['speedup'][w]:.2f}×)" for w in counts)
            lines.append(f"| {r['corpus']} ({r['language']}, {r['transformations']} transformations) | "
                         f"{r['sources']} | {r['follow_ups']} | {cells} |")
    if memory:
        lines += ["", "| sources | `transform --transforms all`: follow-ups | peak RSS (MB) | `evaluate`: follow-ups "
                      "| peak RSS (MB) |", "|---:|---:|---:|---:|---:|"]
        for r in memory:
            lines.append(f"| {r['sources']} | {r['transform_follow_ups']} | {r['transform_peak_rss_mb']:.0f} | "
                         f"{r['evaluate_follow_ups']} | {r['evaluate_peak_rss_mb']:.0f} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=600, help="sources per corpus for the worker curve (default: %(default)s)")
    ap.add_argument("--workers", default=",".join(str(w) for w in range(1, max(2, os.cpu_count() or 1) + 1)),
                    help="worker counts, comma separated, the first one the reference (default: 1..max(2, CPUs))")
    ap.add_argument("--repeats", type=int, default=2, help="best of N (default: %(default)s)")
    ap.add_argument("--memory-n", type=int, default=250,
                    help="sources of the smallest memory run; runs use 1, 2, 4, 8 times as many (default: %(default)s)")
    ap.add_argument("--memory-transforms", default="rename_variables,dead_code,if_else_swap,reindent,blank_lines",
                    help="transformations of the evaluate memory runs (default: %(default)s)")
    ap.add_argument("--skip-workers", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--json", default="bench_follow_ups.json")
    args = ap.parse_args()

    workers = [] if args.skip_workers else bench_workers(args)
    memory = [] if args.skip_memory else bench_memory(args)
    report = {**run_record(), "workers": workers, "memory": memory}
    Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    print(to_markdown(workers, memory))
    print(f"\nJSON: {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
