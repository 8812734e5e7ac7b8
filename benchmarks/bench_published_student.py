"""The README's "Evaluating published students" commands, run as written, and the figures they report.

Runs both commands (the AVATAR student on the 2,000 unlabelled pairs against the teacher's stored
logits, and alone on the 4,000 test pairs with an MHM attack) in a scratch folder with a fresh output
cache, then prints a JSON report of what BENCHMARKS.md records: agreement with the teacher, mean
|ΔP(clone)|, accuracy, flip rates per transformation with CIs and the correct→wrong breakdown, the
attack's figures, each command's wall time and the load average before and after. ``--save FILE`` also
writes that report to FILE; ``--render FILE`` prints a saved report as the Markdown that BENCHMARKS.md
holds, so the recorded figures are this script's output, not typed.

Usage::

    python benchmarks/bench_published_student.py [--out DIR] [--save FILE]
    python benchmarks/bench_published_student.py --render FILE
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
from _models import (REPO, add_report_options, emit_report, machine, measured_line, rendered,  # noqa: E402
                     require_published_student)


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
    def verification(report: dict) -> dict:
        counts = report["transformations"].values()
        return {"verified": report["follow_ups"]["verified"], "applied": sum(c["applied"] for c in counts),
                "rejected": sum(c["rejected"] for c in counts)}

    return {
        "follow_ups": {"unlabelled": verification(unlabelled), "test": verification(test)},
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
            # Pooled apart since the adversarial examples left the pooled scopes: "overall" is the
            # transformations' follow-ups, "attacks" the adversarial examples.
            "flips": {name: {**_rate(e), "breakdown": e["breakdown"]}
                      for name, e in {"all transformation follow-ups": flips["overall"],
                                      **({"all attack follow-ups": flips["attacks"]} if "attacks" in flips else {}),
                                      **flips["by_transformation"]}.items()},
            "attack_mhm": {"budget": test["attacks"]["settings"]["budget"],
                           **{k: attack[k] for k in ("n", "clean_accuracy", "adversarial_accuracy", "success",
                                                     "avg_queries", "avg_edits")}},
        },
    }


def _pct(rate: float) -> str:
    return f"{100 * rate:.2f} %"


def _ci(entry: dict) -> str:
    lo, hi = entry["ci95"]
    return f"[{100 * lo:.1f}, {100 * hi:.1f}]"


def markdown(report: dict) -> str:
    """The BENCHMARKS.md tables for a report this script printed."""
    u, t = report["unlabelled"], report["test"]
    pa, acc = u["pa_violated"], t["accuracy"]
    lines = [
        f"{measured_line(report)} Wall time: "
        + ", ".join(f"{name} {s} s" for name, s in report["seconds"].items()) + ".",
        "",
        "| figure | measured | published range (FACTS.md) |",
        "|---|---|---|",
        f"| agreement with the teacher, {u['sources']} unlabelled pairs | {_pct(u['agreement'])} "
        f"({pa['n'] - pa['violations']}/{pa['n']}) | 85.75–86.10 % |",
        f"| PA violated on sources [95% CI] | {_pct(pa['rate'])} {_ci(pa)} | 13.90–14.25 % |",
        f"| mean \\|ΔP(clone)\\| | {u['mean_abs_delta_p_clone']:.4f} | 0.145–0.149 |",
        f"| student accuracy, {t['sources']} test pairs [95% CI] | {_pct(acc['accuracy'])} {_ci(acc)} "
        f"({acc['correct']}/{acc['n']}) | 88.4–88.6 % |",
        f"| student F1 (clone), test pairs | {t['f1']:.4f} | |",
        f"| student flips on the unlabelled pairs' follow-ups [95% CI] | {_pct(u['student_flips']['rate'])} "
        f"{_ci(u['student_flips'])} ({u['student_flips']['flips']}/{u['student_flips']['n']}) | |",
        "",
        f"Flip rates on the {t['sources']} test pairs (MORPH's robustness metric: the prediction changes between "
        "a pair and its follow-up), with the breakdown of each flip and non-flip:",
        "",
        "| transformation | flip rate [95% CI] | flips / follow-ups | correct→wrong | wrong→correct | "
        "correct→correct | wrong→same wrong |",
        "|---|---|---|---|---|---|---|",
    ]
    attacked = any(name.startswith("attack:") for name in t["flips"])
    for name, e in t["flips"].items():
        b = e["breakdown"]
        if name.startswith("attack:") or name == "all attack follow-ups":  # kept only when they flipped
            name = f"{name} (the attack's adversarial examples: flips by construction)"
        elif name == "all follow-ups" and attacked:  # saved by a version that pooled them in
            name = "all follow-ups (with the adversarial examples)"
        lines.append(f"| {name} | {_pct(e['rate'])} {_ci(e)} | {e['flips']}/{e['n']} | {b['correct_to_wrong']} | "
                     f"{b['wrong_to_correct']} | {b['correct_to_correct']} | {b['wrong_to_same_wrong']} |")
    checked = {name: v for name, v in report.get("follow_ups", {}).items() if v["verified"]}
    if checked:
        lines += ["", "Follow-ups verified (evaluate's default): " + "; ".join(
            f"{name} {v['applied']} kept, {v['rejected']} rejected" for name, v in checked.items()) + "."]
    a = t["attack_mhm"]
    edits = "n/a" if a["avg_edits"] is None else f"{a['avg_edits']:.2f}"
    lines += [
        "",
        f"MHM attack (`--attack-budget {a['budget']}` queries) on the first {a['n']} test pairs: of the "
        f"{a['success']['n']} the student classified correctly, {a['success']['k']} were turned "
        f"({_pct(a['success']['rate'])} {_ci(a['success'])}); accuracy {_pct(a['clean_accuracy'])} clean → "
        f"{_pct(a['adversarial_accuracy'])} under attack; {a['avg_queries']:.1f} queries per attacked pair, "
        f"{edits} renamings per successful attack.",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=None, help="scratch folder (default: a fresh temporary folder)")
    add_report_options(ap)
    args = ap.parse_args()
    if rendered(args, markdown):
        return
    student = require_published_student()
    out = Path(args.out or tempfile.mkdtemp(prefix="mc-bench-published-"))
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(REPO), "METACOMPRESS_CACHE": str(out / "cache")}
    seconds, load_start = {}, os.getloadavg()
    for name, argv in commands(student, out).items():
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "metacompress_eval", *argv, "--quiet"], env=env,
                              capture_output=True, text=True)
        if proc.returncode:
            sys.exit(f"{name} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        seconds[name] = round(time.perf_counter() - t0, 1)
    reports = {name: json.loads((out / f"avatar-{name}" / "report.json").read_text()) for name in seconds}
    report = {"date": datetime.date.today().isoformat(), "machine": machine(), "seconds": seconds,
              "load_average": {"start": load_start, "end": os.getloadavg()},
              "commands": {name: " ".join(argv) for name, argv in commands(Path("$P"), Path(".")).items()},
              **figures(reports["unlabelled"], reports["test"])}
    emit_report(report, args.save)


if __name__ == "__main__":
    main()
