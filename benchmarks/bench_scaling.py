"""Time and peak memory of ``metacompress transform --transforms all`` against input size and nesting depth.

For every language, one generated function per point (``tests/robustness/code_shapes.py``):

* size: one function of 1 KB, 4 KB, 16 KB, 64 KB, 256 KB and 1 MB of ordinary statements;
* depth: one function whose statements nest 10, 50, 250, 1,000 and 5,000 levels deep (Python:
  up to 400, a little below where tree-sitter-python stops producing clean trees).

Each point runs in a fresh process that imports the package and runs the command once on a
one-line function (imports and caches paid once per process), then times the real command
(``metacompress_eval.cli.main(["transform", ...])`` with ``--max-code-chars`` above the input, since
the default cap would skip the larger inputs) and reads the process's peak resident memory before
and after (``ru_maxrss``): *peak MB* is the growth over the warmed-up process. The *per KB* column
divides time by input size, so near-linear growth shows as a flat column.

    python benchmarks/bench_scaling.py [--languages c,java] [--max-size N] [--max-depth N]
                                       [--json benchmarks/bench_scaling.json] [--write BENCHMARKS.md]
    python benchmarks/bench_scaling.py --render --write BENCHMARKS.md   # re-render the stored JSON

Prints the Markdown tables, writes the JSON and, with ``--write``, replaces the generated
scaling block of BENCHMARKS.md. Run it on a quiet machine (``flock /work/.bench.lock``).
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
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared benchmark helpers

from _corpora import cpu_model  # noqa: E402

SIZES = [1_000, 4_000, 16_000, 64_000, 256_000, 1_000_000]
DEPTHS = [10, 50, 250, 1_000, 5_000]
PYTHON_DEPTHS = [10, 50, 100, 200, 400]
LANGUAGES = ("c", "java", "python", "javascript", "go")

# Runs in the child: import, run the command once on a one-line function (imports and caches that
# every run pays once), then measure the real run: its time, and its peak resident memory above the
# level reached by the warm-up.
_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from metacompress_eval.cli import main
warm, argv = json.loads(sys.argv[2]), json.loads(sys.argv[3])
if main(warm) != 0:
    raise SystemExit("warm-up run failed")
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
code = main(argv)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"exit": code, "seconds": seconds, "peak_mb": (peak - base) / 1024, "baseline_mb": base / 1024}))
"""

_WARM_UP = {"c": "int g(int a) { return a + 1; }\n", "java": "int g(int a) { return a + 1; }\n",
            "javascript": "function g(a) { return a + 1; }\n", "go": "func g(a int) int { return a + 1 }\n",
            "python": "def g(a):\n    return a + 1\n"}


def _argv(language: str, data: Path, out: Path, size: int) -> list[str]:
    return ["transform", "--language", language, "--transforms", "all", "--quiet",
            "--max-code-chars", str(size + 1), str(data), str(out)]


def run_point(language: str, code: str, work: Path) -> dict:
    data, out = work / "in.jsonl", work / "out.jsonl"
    warm_data, warm_out = work / "warm.jsonl", work / "warm-out.jsonl"
    data.write_text(json.dumps({"id": "f", "code": code}) + "\n", encoding="utf-8")
    warm_data.write_text(json.dumps({"id": "w", "code": _WARM_UP[language]}) + "\n", encoding="utf-8")
    for stale in (out, warm_out):
        stale.unlink(missing_ok=True)
    argv = _argv(language, data, out, len(code))
    warm = _argv(language, warm_data, warm_out, len(_WARM_UP[language]))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(REPO), json.dumps(warm), json.dumps(argv)],
                          capture_output=True, text=True, env=env, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"{language}: transform failed:\n{proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    summary = json.loads(Path(f"{out}.summary.json").read_text())
    result["follow_ups"] = summary["follow_ups"]
    result["bytes"] = len(code.encode())
    return result


_BEGIN = "<!-- BEGIN GENERATED scaling (benchmarks/bench_scaling.py; do not edit) -->"
_END = "<!-- END GENERATED scaling -->"


def main(argv: list[str] | None = None) -> int:
    from tests.robustness.code_shapes import long_function, nested_blocks

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--languages", default=",".join(LANGUAGES))
    parser.add_argument("--max-size", type=int, default=SIZES[-1])
    parser.add_argument("--max-depth", type=int, default=DEPTHS[-1])
    parser.add_argument("--json", default=str(REPO / "benchmarks" / "bench_scaling.json"))
    parser.add_argument("--write", metavar="MARKDOWN",
                        help="replace the generated scaling block of this file (BENCHMARKS.md) with the tables")
    parser.add_argument("--render", action="store_true",
                        help="do not measure: render the tables of the --json file (with --write, into the file)")
    args = parser.parse_args(argv)
    if args.render:
        results = json.loads(Path(args.json).read_text())
    else:
        results = measure(args, long_function, nested_blocks)
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    text = markdown(results)
    print()
    print(text)
    if args.write:
        write_block(Path(args.write), text)
    return 0


def measure(args, long_function, nested_blocks) -> dict:
    """Run every point of ``args`` and return the results (as written to ``--json``)."""
    cores = os.sched_getaffinity(0) if hasattr(os, "sched_setaffinity") else None
    if cores:
        os.sched_setaffinity(0, {sorted(cores)[0]})  # children inherit one core
    try:
        return _measure(args, long_function, nested_blocks)
    finally:
        if cores:
            os.sched_setaffinity(0, cores)


def _measure(args, long_function, nested_blocks) -> dict:
    started = _dt.datetime.now(_dt.timezone.utc)
    command = "python benchmarks/bench_scaling.py" + "".join(
        f" --{name.replace('_', '-')} {value}" for name, value in
        (("languages", args.languages), ("max_size", args.max_size), ("max_depth", args.max_depth))
        if value != {"languages": ",".join(LANGUAGES), "max_size": SIZES[-1], "max_depth": DEPTHS[-1]}[name])
    results = {"machine": {"platform": platform.platform(), "python": platform.python_version(),
                           "cpus": os.cpu_count(), "cpu": cpu_model(),
                           "load": os.getloadavg()[0] if hasattr(os, "getloadavg") else None},
               "date": started.strftime("%Y-%m-%d %H:%M UTC"), "command": command, "size": {}, "depth": {}}
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
    results["machine"]["load_end"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    results["minutes"] = round((_dt.datetime.now(_dt.timezone.utc) - started).total_seconds() / 60, 1)
    return results


def markdown(results: dict) -> str:
    """The generated block of BENCHMARKS.md for one result file: how it was measured, then one
    table per kind of growth. *growth* is the time ratio to the previous row of the same language
    divided by the ratio of input sizes: about 1 for linear work, 2 for ``n log n`` at most, 4 for
    quadratic work on the ×4 size steps."""
    m = results["machine"]
    lines = [f"Command: `{results['command']}` (one core; each point a fresh process, warmed up on a one-line "
             f"function). Machine: {m.get('cpus')} CPUs, {m.get('cpu') or 'CPU model unknown'}, "
             f"Python {m.get('python')}. Date: {results['date']}; 1-minute load {_load(m.get('load'))} at the start, "
             f"{_load(m.get('load_end'))} at the end; {results.get('minutes', '?')} minutes in all.", ""]
    for kind, title in (("size", "function size (long function of ordinary statements)"),
                        ("depth", "nesting depth (statements nested in if/while/for/blocks)")):
        lines += [f"By {title}:", "",
                  "| language | input | bytes | time (s) | ms per KB | growth | peak memory (MB) | follow-ups |",
                  "|---|---|---:|---:|---:|---:|---:|---:|"]
        for language, points in results[kind].items():
            previous = None
            for p in points:
                label = f"{p['bytes'] / 1000:,.0f} KB function" if kind == "size" else f"depth {p['depth']:,}"
                growth = ""
                if previous is not None and previous["seconds"] > 0:
                    growth = f"{(p['seconds'] / previous['seconds']) / (p['bytes'] / previous['bytes']):.2f}"
                lines.append(f"| {language} | {label} | {p['bytes']:,} | {p['seconds']:.3f} | "
                             f"{1000 * p['seconds'] / (p['bytes'] / 1000):.2f} | {growth} | {max(p['peak_mb'], 0):.1f} | "
                             f"{p['follow_ups']} |")
                previous = p
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _load(value) -> str:
    return "?" if value is None else f"{value:.2f}"


def write_block(path: Path, text: str) -> None:
    """Replace the text between the scaling markers of ``path`` (atomically)."""
    content = path.read_text(encoding="utf-8")
    if _BEGIN not in content or _END not in content:
        raise SystemExit(f"{path}: no generated scaling block ({_BEGIN} ... {_END})")
    head, rest = content.split(_BEGIN, 1)
    _, tail = rest.split(_END, 1)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(f"{head}{_BEGIN}\n{text}{_END}{tail}", encoding="utf-8")
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
