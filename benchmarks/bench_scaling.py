"""Time and peak memory of ``metacompress transform --transforms all`` against input size and nesting depth.

For every language, one generated function per point (``tests/robustness/code_shapes.py``):

* size: one function of 1 KB, 4 KB, 16 KB, 64 KB, 256 KB and 1 MB of ordinary statements;
* depth: one function whose statements nest 10, 50, 250, 1,000 and 5,000 levels deep (Python:
  up to 400, a little below where tree-sitter-python stops producing clean trees).

Each point runs in a fresh process that imports the package, then times the real command
(``metacompress_eval.cli.main(["transform", ...])`` with ``--max-code-chars`` above the input, since
the default cap would skip the larger inputs) and reads the process's peak resident memory before
and after (``ru_maxrss``): *peak MB* is the growth over the imported-package baseline. The
*per KB* column divides time by input size, so near-linear growth shows as a flat column.

    python benchmarks/bench_scaling.py [--languages c,java] [--json benchmarks/bench_scaling.json]

Prints Markdown tables and writes the JSON. Run it on a quiet machine (``flock /work/.bench.lock``).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SIZES = [1_000, 4_000, 16_000, 64_000, 256_000, 1_000_000]
DEPTHS = [10, 50, 250, 1_000, 5_000]
PYTHON_DEPTHS = [10, 50, 100, 200, 400]
LANGUAGES = ("c", "java", "python", "javascript", "go")

# Runs in the child: import, measure the baseline, run the command, report time and peak memory.
_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from metacompress_eval.cli import main
from metacompress_eval.transforms import list_transformations
list_transformations()  # registry loaded before the baseline
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
argv = json.loads(sys.argv[2])
started = time.perf_counter()
code = main(argv)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"exit": code, "seconds": seconds, "peak_mb": (peak - base) / 1024, "baseline_mb": base / 1024}))
"""


def run_point(language: str, code: str, work: Path) -> dict:
    data, out = work / "in.jsonl", work / "out.jsonl"
    data.write_text(json.dumps({"id": "f", "code": code}) + "\n", encoding="utf-8")
    argv = ["transform", "--language", language, "--transforms", "all", "--quiet",
            "--max-code-chars", str(len(code) + 1), str(data), str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(REPO), json.dumps(argv)], capture_output=True,
                          text=True, env=env, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"{language}: transform failed:\n{proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    summary = json.loads(Path(f"{out}.summary.json").read_text())
    result["follow_ups"] = summary["follow_ups"]
    result["bytes"] = len(code.encode())
    return result


def main(argv: list[str] | None = None) -> int:
    from tests.robustness.code_shapes import long_function, nested_blocks

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--languages", default=",".join(LANGUAGES))
    parser.add_argument("--max-size", type=int, default=SIZES[-1])
    parser.add_argument("--max-depth", type=int, default=DEPTHS[-1])
    parser.add_argument("--json", default=str(REPO / "benchmarks" / "bench_scaling.json"))
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # children inherit one core
    results = {"machine": {"platform": platform.platform(), "python": platform.python_version(),
                           "cpus": os.cpu_count(), "load": os.getloadavg()[0] if hasattr(os, "getloadavg") else None},
               "date": _dt.date.today().isoformat(), "command": "python benchmarks/bench_scaling.py", "size": {},
               "depth": {}}
    with tempfile.TemporaryDirectory(prefix="mc-scaling-") as tmp:
        work = Path(tmp)
        for language in args.languages.split(","):
            results["size"][language] = []
            for size in [s for s in SIZES if s <= args.max_size]:
                point = run_point(language, long_function(language, size), work)
                results["size"][language].append(point)
                print(f"{language:10s} size {point['bytes']:>9,d} B  {point['seconds']:8.3f} s  "
                      f"{point['peak_mb']:8.1f} MB  {point['follow_ups']} follow-ups", flush=True)
            results["depth"][language] = []
            depths = PYTHON_DEPTHS if language == "python" else DEPTHS
            for depth in [d for d in depths if d <= args.max_depth]:
                point = {"depth": depth, **run_point(language, nested_blocks(language, depth), work)}
                results["depth"][language].append(point)
                print(f"{language:10s} depth {depth:>6,d} ({point['bytes']:,} B)  {point['seconds']:8.3f} s  "
                      f"{point['peak_mb']:8.1f} MB  {point['follow_ups']} follow-ups", flush=True)
    Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    print()
    print(markdown(results))
    return 0


def markdown(results: dict) -> str:
    """The Markdown tables of BENCHMARKS.md for one result file."""
    lines = ["| language | input | bytes | time (s) | ms per KB | peak memory (MB) | follow-ups |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for kind in ("size", "depth"):
        for language, points in results[kind].items():
            for p in points:
                label = f"{p['bytes'] / 1000:,.0f} KB function" if kind == "size" else f"depth {p['depth']:,}"
                lines.append(f"| {language} | {label} | {p['bytes']:,} | {p['seconds']:.3f} | "
                             f"{1000 * p['seconds'] / (p['bytes'] / 1000):.2f} | {max(p['peak_mb'], 0):.1f} | "
                             f"{p['follow_ups']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
