"""Record, and later compare, the bytes a fixed set of commands produces.

A refactoring that promises "outputs unchanged" is checked with this script: run it once before the
change (``record``), once after (``compare``). It runs, in a scratch folder:

* ``metacompress demo --size tiny`` (corpus, models, report);
* ``metacompress transform --transforms all`` (single and ``--chain 2``) on samples of the shared
  corpora (Juliet C, BigCloneBench Java), Python standard-library functions and a few JavaScript and Go
  functions written here;
* ``metacompress evaluate --transforms all`` on the Juliet and BigCloneBench samples with the tiny demo
  models, and once with ``--attacks mhm,random``;
* ``metacompress attack`` (mhm) against the demo teacher;
* ``metacompress distill --method compressor --space tiny`` (a two-generation search, one epoch).

Every output file is hashed after removing what legitimately changes between runs (timestamps,
durations, the scratch folder's path). The manifest maps ``command/file`` to a SHA-256.

    python scripts/output_fingerprint.py record  manifest.json [--work DIR]
    python scripts/output_fingerprint.py compare manifest.json [--work DIR]

``compare`` exits 1 and lists the files whose bytes differ. Needs ``../shared/data`` beside the
repository (the shared corpora); without it the commands that read them are left out of both runs.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import random
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"

# Keys whose values are clocks or durations: dropped wherever they occur in a JSON output.
_VOLATILE_KEYS = {"created", "seconds", "total_seconds", "time", "elapsed", "elapsed_s", "wall_seconds",
                  "latency_ms", "latency", "started", "finished", "duration", "duration_s", "python"}

JS_FUNCTIONS = [
    "function total(values) {\n  let sum = 0;\n  for (let i = 0; i < values.length; i++) {\n"
    "    if (values[i] > 0) {\n      sum += values[i];\n    } else {\n      sum -= 1;\n    }\n  }\n  return sum;\n}\n",
    "function pick(items, key) {\n  const out = [];\n  let index = 0;\n  while (index < items.length) {\n"
    "    const item = items[index];\n    if (item[key] !== undefined) out.push(item[key]);\n    index++;\n  }\n"
    "  return out.length > 0 ? out : null;\n}\n",
    "function clamp(x, lo, hi) {\n  var result = x;\n  if (x < lo) {\n    result = lo;\n  } else if (x > hi) {\n"
    "    result = hi;\n  }\n  return !(result == null) ? result : 0;\n}\n",
]
GO_FUNCTIONS = [
    "func Sum(values []int) int {\n\ttotal := 0\n\tfor i := 0; i < len(values); i++ {\n\t\tif values[i] > 0 {\n"
    "\t\t\ttotal += values[i]\n\t\t} else {\n\t\t\ttotal -= 1\n\t\t}\n\t}\n\treturn total\n}\n",
    "func Find(items []string, want string) int {\n\tindex := -1\n\tfor i, item := range items {\n"
    "\t\tif item == want {\n\t\t\tindex = i\n\t\t\tbreak\n\t\t}\n\t}\n\treturn index\n}\n",
    "func Clamp(x, lo, hi int) int {\n\tresult := x\n\tif x < lo {\n\t\tresult = lo\n\t} else if x > hi {\n"
    "\t\tresult = hi\n\t}\n\treturn result\n}\n",
]


def _sample_jsonl(path: Path, n: int, seed: int) -> list[dict]:
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    return random.Random(seed).sample(rows, min(n, len(rows)))


def _python_functions(n: int) -> list[dict]:
    import json as m1
    import textwrap as m2
    import argparse as m3

    rows = []
    for module in (m1, m2, m3):
        for name, fn in sorted(inspect.getmembers(module, inspect.isfunction)):
            if fn.__module__.startswith(module.__name__):
                try:
                    rows.append({"id": f"{module.__name__}.{name}", "code": textwrap.dedent(inspect.getsource(fn))})
                except (OSError, TypeError):
                    pass
    return rows[:n]


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    return path


def _run(args: list[str], cwd: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1",
           "HF_HUB_DISABLE_TELEMETRY": "1", "TOKENIZERS_PARALLELISM": "false",
           "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "METACOMPRESS_CACHE": str(cwd / "cache-default")}
    print("$ metacompress " + " ".join(args), flush=True)
    proc = subprocess.run([sys.executable, "-m", "metacompress_eval", *args], cwd=cwd, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        print(proc.stdout[-4000:])
        raise SystemExit(f"command failed with exit status {proc.returncode}: {' '.join(args)}")


_VOLATILE_KEY = re.compile(r"seconds|latency|elapsed|duration|^time$|_time$|^created$|^started$|^finished$|^python$")


def _strip(value, work: str):
    if isinstance(value, dict):
        return {k: _strip(v, work) for k, v in value.items()
                if k not in _VOLATILE_KEYS and not _VOLATILE_KEY.search(k)}
    if isinstance(value, list):
        return [_strip(v, work) for v in value]
    if isinstance(value, str):
        return value.replace(work, "<WORK>")
    return value


def _normalised_bytes(path: Path, work: str) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".json":
        try:
            return json.dumps(_strip(json.loads(data), work), sort_keys=True).encode()
        except ValueError:
            pass
    if path.suffix == ".jsonl":
        lines = []
        for line in data.decode("utf-8", "surrogateescape").splitlines():
            try:
                lines.append(json.dumps(_strip(json.loads(line), work), sort_keys=True))
            except ValueError:
                lines.append(line)
        return "\n".join(lines).encode("utf-8", "surrogateescape")
    if path.suffix == ".md":
        text = data.decode("utf-8", "replace").replace(work, "<WORK>")
        # Durations and dates printed for people ("12.3 s", "2026-11-29T..."), and measured latencies.
        text = re.sub(r"\d+(\.\d+)? ?(s|ms|seconds)\b", "<T>", text)
        text = re.sub(r"\d{4}-\d{2}-\d{2}[T ][0-9:+.Z-]+", "<DATE>", text)
        return _mask_timing_cells(text).encode()
    return data


_TIMING = re.compile(r"second|latency|created|time|\(s\)", re.I)


def _mask_timing_cells(text: str) -> str:
    """Mask numbers on lines about time, and in table columns whose header is about time."""
    lines = text.splitlines()
    out, timing_columns = [], set()

    def is_separator(line: str) -> bool:
        cells = line.split("|")[1:-1]
        return bool(cells) and all(c.strip() and set(c.strip()) <= set(":-") for c in cells)

    for i, line in enumerate(lines):
        if not line.lstrip().startswith("|"):
            timing_columns = set()
            out.append(re.sub(r"\d+(\.\d+)?", "<N>", line) if _TIMING.search(line) else line)
            continue
        cells = line.split("|")
        if i + 1 < len(lines) and is_separator(lines[i + 1]):
            timing_columns = {j for j, c in enumerate(cells) if _TIMING.search(c)}
        elif not is_separator(line):
            row_is_timing = bool(_TIMING.search(line))  # e.g. "| teacher.seconds | 0.031 |"
            cells = [re.sub(r"\d+(\.\d+)?", "<N>", c) if row_is_timing or j in timing_columns else c
                     for j, c in enumerate(cells)]
        out.append("|".join(cells))
    return "\n".join(out)


# Files whose content is a measurement of this machine (latency, file listings with sizes) or a cache.
_SKIP = re.compile(r"(^|/)(cache|\.cache|__pycache__)(/|$)|outputs\.sqlite|\.lock$|/README\.md$|summary\.txt$")


def _manifest(work: Path) -> dict[str, str]:
    out = {}
    for path in sorted(work.rglob("*")):
        rel = path.relative_to(work).as_posix()
        if not path.is_file() or _SKIP.search("/" + rel) or rel.startswith("inputs/"):
            continue
        out[rel] = hashlib.sha256(_normalised_bytes(path, str(work))).hexdigest()
    return out


def run_all(work: Path) -> dict[str, str]:
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    inputs = work / "inputs"
    have_shared = (SHARED / "juliet-c" / "functions.jsonl").is_file()
    corpora = {"python": _write_jsonl(inputs / "python.jsonl", _python_functions(60)),
               "javascript": _write_jsonl(inputs / "javascript.jsonl",
                                          [{"id": f"js{i}", "code": c} for i, c in enumerate(JS_FUNCTIONS)]),
               "go": _write_jsonl(inputs / "go.jsonl", [{"id": f"go{i}", "code": c} for i, c in enumerate(GO_FUNCTIONS)])}
    if have_shared:
        juliet = _sample_jsonl(SHARED / "juliet-c" / "functions.jsonl", 60, 7)
        corpora["c"] = _write_jsonl(inputs / "c.jsonl", [{"id": r["id"], "code": r["code"], "label": r["label"]}
                                                         for r in juliet])
        functions = [json.loads(line) for line in (SHARED / "bigclonebench" / "functions.jsonl").open()]
        corpora["java"] = _write_jsonl(inputs / "java.jsonl", random.Random(7).sample(functions, 60))
        by_id = {f["id"]: f["code"] for f in functions}
        pairs = [p for p in (json.loads(line) for line in (SHARED / "bigclonebench" / "pairs.jsonl").open())
                 if p["split"] == "test" and p["id1"] in by_id and p["id2"] in by_id]
        pairs = random.Random(7).sample(pairs, 30)
        _write_jsonl(inputs / "pairs.jsonl", [{"id": f"{p['id1']}-{p['id2']}", "code1": by_id[p["id1"]],
                                               "code2": by_id[p["id2"]], "label": p["label"]} for p in pairs])

    _run(["demo", "--size", "tiny", "--out", "demo", "--quiet"], work)
    teacher, student = str(work / "demo" / "teacher"), str(work / "demo" / "student")
    for language, path in corpora.items():
        _run(["transform", "--language", language, "--transforms", "all", "--quiet", str(path),
              f"transform/{language}.jsonl"], work)
        _run(["transform", "--language", language, "--transforms", "all", "--chain", "2", "--seed", "3", "--quiet",
              str(path), f"transform/{language}-chain2.jsonl"], work)
    if have_shared:
        common = ["--teacher", teacher, "--student", student, "--transforms", "all", "--quiet",
                  "--cache-dir", "cache"]
        _run(["evaluate", *common, "--task", "defect", "--language", "c", "--data", str(corpora["c"]),
              "--out", "evaluate-c"], work)
        _run(["evaluate", *common, "--task", "clone", "--language", "java", "--data", str(inputs / "pairs.jsonl"),
              "--out", "evaluate-java"], work)
        _run(["evaluate", "--teacher", teacher, "--student", student, "--task", "defect", "--language", "c",
              "--data", str(corpora["c"]), "--max-sources", "20", "--attacks", "mhm,random", "--attack-budget", "15",
              "--quiet", "--cache-dir", "cache", "--out", "evaluate-attacks"], work)
        _run(["attack", "--model", teacher, "--task", "defect", "--language", "c", "--data", str(corpora["c"]),
              "--method", "mhm", "--budget", "15", "--max-sources", "20", "--quiet", "--out", "attack-mhm"], work)
        _run(["distill", "--teacher", teacher, "--task", "defect", "--language", "c", "--data", str(corpora["c"]),
              "--method", "compressor", "--space", "tiny", "--population", "4", "--generations", "2",
              "--epochs", "1", "--max-length", "64", "--size-budget", "400kB", "--threads", "1", "--quiet",
              "--out", "distill-compressor"], work)
    return _manifest(work)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("record", "compare"))
    parser.add_argument("manifest")
    parser.add_argument("--work", default=None, help="scratch folder (default: a folder beside the manifest)")
    args = parser.parse_args()
    manifest_path = Path(args.manifest).resolve()
    work = Path(args.work).resolve() if args.work else manifest_path.with_suffix(".work")
    got = run_all(work)
    if args.mode == "record":
        manifest_path.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
        print(f"recorded {len(got)} files in {manifest_path}")
        return 0
    want = json.loads(manifest_path.read_text())
    changed = sorted(k for k in want if k in got and got[k] != want[k])
    missing = sorted(set(want) - set(got))
    added = sorted(set(got) - set(want))
    for title, names in (("differ", changed), ("missing now", missing), ("new", added)):
        for name in names:
            print(f"{title}: {name}")
    if changed or missing:
        print(f"{len(changed)} differ, {len(missing)} missing, {len(added)} new of {len(want)} recorded files")
        return 1
    print(f"all {len(want)} recorded files have the same bytes" + (f" ({len(added)} new files)" if added else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
