"""The README's "Evaluating published students" commands, run as written, and the figures they report.

Runs both commands (the AVATAR student on the 2,000 unlabelled pairs against the teacher's stored
logits, and alone on the 4,000 test pairs with an MHM attack) in a scratch folder with a fresh output
cache, then prints a JSON report of what BENCHMARKS.md records: agreement with the teacher, mean
|ΔP(clone)|, accuracy, flip rates per transformation with CIs and the correct→wrong breakdown, the
attack's figures, and each command's wall time.

Usage::

    python benchmarks/bench_published_student.py [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _models import REPO, SHARED, machine  # noqa: E402

STUDENT = SHARED / "published-students" / "graphcodebert-clone-avatar"


def commands(student: Path, out: Path) -> dict[str, list[str]]:
    """The README's two commands (``$P`` = ``student``), writing under ``out``."""
    common = ["evaluate", "--task", "clone", "--max-code-chars", "100000"]
    return {
        "unlabelled": [*common, "--unlabelled", "--student", str(student), "--teacher-outputs",
                       str(student / "unlabelled_pairs.jsonl"), "--teacher-option", "id_columns=row", "--data",
                       str(student / "unlabelled_pairs.jsonl"), "--out", str(out / "avatar-unlabelled")],
        "test": [*common, "--student", str(student), "--data", str(student / "test_pairs.jsonl"), "--attacks", "mhm",
                 "--attack-max-sources", "200", "--attack-budget", "30", "--out", str(out / "avatar-test")],
    }


def _rate(entry: dict) -> dict:
    keep = ("violations", "flips", "correct", "n", "rate", "accuracy", "ci95")
    return {k: entry[k] for k in keep if k in entry}


def figures(unlabelled: dict, test: dict) -> dict:
    """What BENCHMARKS.md shows, read from the two report.json files."""
    ua, ta = unlabelled["analysis"], test["analysis"]
    pa = ua["relations"]["sources"]["prediction_agreement"]
    flips = ta["flips"]["student"]
    attack = test["attacks"]["by_attack"]["mhm"]["student"]
    return {
        "unlabelled": {
            "sources": ua["counts"]["sources"],
            "agreement": 1 - pa["rate"], "pa_violated": _rate(pa),
            "mean_abs_delta_p_clone": ua["fidelity"]["sources"]["mean_abs_prob_difference"],
            "student_flips": _rate(ua["flips"]["student"]["overall"]),
            "coverage": {k: ua["coverage"][k] for k in ("teacher", "both", "of")},
        },
        "test": {
            "sources": ta["counts"]["sources"],
            "accuracy": _rate(ta["performance"]["sources"]["student"]["accuracy"]),
            "f1": ta["performance"]["sources"]["student"]["f1"]["value"],
            "flips": {name: {**_rate(e), "breakdown": e["breakdown"]}
                      for name, e in {"all follow-ups": flips["overall"], **flips["by_transformation"]}.items()},
            "attack_mhm": {k: attack[k] for k in ("n", "clean_accuracy", "adversarial_accuracy", "success",
                                                  "avg_queries", "avg_edits")},
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=None, help="scratch folder (default: a fresh temporary folder)")
    args = ap.parse_args()
    if not (STUDENT / "model.bin").is_file():
        sys.exit(f"the published student is not at {STUDENT} (../shared/data)")
    out = Path(args.out or tempfile.mkdtemp(prefix="mc-bench-published-"))
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(REPO), "METACOMPRESS_CACHE": str(out / "cache")}
    seconds = {}
    for name, argv in commands(STUDENT, out).items():
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "metacompress_eval", *argv, "--quiet"], check=True, env=env)
        seconds[name] = round(time.perf_counter() - t0, 1)
    reports = {name: json.loads((out / f"avatar-{name}" / "report.json").read_text()) for name in seconds}
    print(json.dumps({"date": datetime.date.today().isoformat(), "machine": machine(), "seconds": seconds,
                      "load_average": os.getloadavg(), **figures(reports["unlabelled"], reports["test"])}, indent=2))


if __name__ == "__main__":
    main()
