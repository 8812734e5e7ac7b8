"""Benchmark of the distillation recipes on Juliet C: one teacher, four students, one table.

Trains a demo-size teacher (``metacompress_eval.demo.training.train_teacher``, ``demo`` preset:
RoBERTa 2 layers × 128 hidden, 2,000-token BPE, with renaming/dead-code/if-swap augmentation) on a
seeded sample of the Juliet train split, distils one student per recipe under the same size budget
from the *unlabelled* train sample, and evaluates every pair with ``run_evaluation`` on a seeded
sample of the test split (labels kept for accuracy/F1; default follow-ups rename_variables,
dead_code, if_else_swap). Writes a JSON file and prints the Markdown table of BENCHMARKS.md.

Sizes are scaled for 2 shared CPU cores and ~15 minutes (see ``--help`` for the knobs):

    python benchmarks/bench_distill.py --out /tmp/bench-distill --json benchmarks/bench_distill.json

``--corpus bigclonebench`` runs the same benchmark on BigCloneBench clone pairs (Java, task ``clone``),
with the pair selection of ``bench_attacks.py``: pairs whose two methods are both shorter than 700
characters; the teacher is trained on ``a</s></s>b`` texts (the tokenizer's text pair), the students
are distilled from the unlabelled train pairs and every model is evaluated on the test pairs, all read
through ``pair_ids=("id1", "id2")`` and the shared ``functions.jsonl``:

    python benchmarks/bench_distill.py --corpus bigclonebench --max-length 256 \
        --out /tmp/bench-distill-bcb --json benchmarks/bench_distill_bcb.json

(``--max-length 256``, the teacher's length: a pair is two methods, and 128 tokens would cut 73% of
the sampled test pairs against 8% at 256.)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
JULIET = REPO.parent / "shared" / "data" / "juliet-c" / "functions.jsonl"
BCB = REPO.parent / "shared" / "data" / "bigclonebench"


def _sample(rows, split, n, seed):
    part = [r for r in rows if r["split"] == split]
    random.Random(seed).shuffle(part)
    return part[:n]


def _write_jsonl(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    return path


def _ci(entry) -> str:
    if entry is None or entry.get("rate") is None:
        return "–"
    lo, hi = entry["ci95"] if entry.get("ci95") else (None, None)
    base = f"{100 * entry['rate']:.1f}"
    return base + (f" [{100 * lo:.1f}, {100 * hi:.1f}]" if lo is not None else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", choices=("juliet", "bigclonebench"), default="juliet",
                    help="juliet: Juliet C functions (defect); bigclonebench: clone pairs, both methods < 700 chars")
    ap.add_argument("--out", default=None, help="work folder (default /tmp/bench-distill, or -bcb)")
    ap.add_argument("--json", default=None)
    ap.add_argument("--train", type=int, default=1200, help="train functions (teacher labels; students unlabelled)")
    ap.add_argument("--valid", type=int, default=300)
    ap.add_argument("--test", type=int, default=300)
    ap.add_argument("--teacher-epochs", type=int, default=3)
    ap.add_argument("--budget", default="400kB")
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--probes", type=int, default=4)
    ap.add_argument("--probe-steps", type=int, default=30)
    ap.add_argument("--population", type=int, default=30)
    ap.add_argument("--generations", type=int, default=15)
    ap.add_argument("--methods", default="compressor,avatar,morph,fidelity")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from metacompress_eval.demo.training import train_teacher
    from metacompress_eval.distill.recipes import DistillSettings, distil
    from metacompress_eval.pipeline import EvaluationConfig, run_evaluation

    bcb = args.corpus == "bigclonebench"
    if args.out is None:
        args.out = "/tmp/bench-distill-bcb" if bcb else "/tmp/bench-distill"
    corpus = vars(args).pop("corpus")  # the Juliet JSON keeps its original "args"
    out = Path(args.out)
    task_kwargs = {}
    data_info = None
    if not bcb:
        rows = [json.loads(line) for line in open(JULIET)]
        train = _sample(rows, "train", args.train, args.seed)
        valid = _sample(rows, "valid", args.valid, args.seed)
        test = _sample(rows, "test", args.test, args.seed)
        unlabelled = _write_jsonl(out / "unlabelled.jsonl", [{"id": r["id"], "code": r["code"]} for r in train])
        test_file = _write_jsonl(out / "test.jsonl",
                                 [{"id": r["id"], "code": r["code"], "label": r["label"]} for r in test])
        teacher_rows = train + valid
    else:
        # Pair selection and teacher input of bench_attacks.py (bcb_rows: both methods < 700 chars).
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from bench_attacks import bcb_rows

        rows = bcb_rows()
        train = _sample(rows, "train", args.train, args.seed)
        valid = _sample(rows, "valid", args.valid, args.seed)
        test = _sample(rows, "test", args.test, args.seed)

        def ids(r):
            return dict(zip(("id1", "id2"), r["id"].split("-", 1)))

        unlabelled = _write_jsonl(out / "unlabelled.jsonl", [ids(r) for r in train])
        test_file = _write_jsonl(out / "test.jsonl", [{**ids(r), "label": r["label"]} for r in test])
        teacher_rows = [{"code": f"{r['code1']}</s></s>{r['code2']}", "label": r["label"], "split": r["split"]}
                        for r in train + valid]
        task_kwargs = {"task": "clone", "language": "java", "pair_ids": ("id1", "id2"),
                       "functions": str(BCB / "functions.jsonl")}
        data_info = {"corpus": corpus, "max_chars": 700, "eligible_pairs": len(rows),
                     "train_pairs": len(train), "train_clones": sum(r["label"] for r in train),
                     "valid_pairs": len(valid), "valid_clones": sum(r["label"] for r in valid),
                     "test_pairs": len(test), "test_clones": sum(r["label"] for r in test)}
    timings = {}
    started = time.perf_counter()
    teacher = out / "teacher"
    if not (teacher / "model.safetensors").exists():
        train_teacher(teacher_rows, teacher, size="demo", seed=args.seed, epochs=args.teacher_epochs, progress=False)
    timings["teacher_training_s"] = round(time.perf_counter() - started, 1)
    print(f"teacher ready in {timings['teacher_training_s']} s", file=sys.stderr)

    results = {}
    teacher_row = None
    for method in args.methods.split(","):
        t0 = time.perf_counter()
        student = out / f"student-{method}"
        r = distil(DistillSettings(
            teacher=str(teacher), data=str(unlabelled), out_dir=str(student), method=method,
            size_budget=args.budget, max_length=args.max_length, population=args.population,
            generations=args.generations, probes=args.probes, probe_steps=args.probe_steps, epochs=args.epochs,
            seed=args.seed, progress=False, **task_kwargs))
        t1 = time.perf_counter()
        report = run_evaluation(EvaluationConfig(teacher=str(teacher), student=str(student), data=str(test_file),
                                                 out_dir=str(out / f"report-{method}"), cache_dir=str(out / "cache"),
                                                 progress=False, seed=args.seed, **task_kwargs)).report
        a = report["analysis"]
        perf = a["performance"]["sources"]
        results[method] = {
            "size_mb": r.size_bytes / 1e6, "budget_mb": r.budget_bytes / 1e6, "parameters": r.parameters,
            "gflops": r.flops / 1e9, "latency_ms": r.latency["median_ms"], "architecture": r.config.as_dict(),
            "accuracy": perf["student"]["accuracy"], "f1": perf["student"]["f1"],
            "relations_overall": a["relations"]["overall"], "relations_follow_ups": a["relations"]["follow_ups"],
            "student_flips": a["flips"]["student"]["overall"], "teacher_flips": a["flips"]["teacher"]["overall"],
            "flip_difference": a["flips"]["difference"]["overall"],
            "distill_s": round(t1 - t0, 1), "evaluate_s": round(time.perf_counter() - t1, 1),
            "n_sources": a["counts"]["sources"], "n_follow_ups": a["counts"]["follow_ups"],
        }
        if teacher_row is None:
            from transformers import AutoModelForSequenceClassification

            tm = AutoModelForSequenceClassification.from_pretrained(str(teacher))
            n = sum(p.numel() for p in tm.parameters())
            teacher_row = {"size_mb": 4 * n / 1e6, "parameters": n, "accuracy": perf["teacher"]["accuracy"],
                           "f1": perf["teacher"]["f1"], "teacher_flips": a["flips"]["teacher"]["overall"]}
        print(f"{method}: distil {results[method]['distill_s']} s, evaluate {results[method]['evaluate_s']} s",
              file=sys.stderr)
    timings["total_s"] = round(time.perf_counter() - started, 1)

    rel = ("prediction_agreement", "probability_distribution_similarity", "high_confidence_preservation",
           "calibration_alignment")
    lines = ["| model | size (MB) | GFLOPs | latency (ms/input) | accuracy % | F1 % | PA % | PDS % | HCP % | CA % "
             "| flips % (student) | flips (count) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    if teacher_row:
        tf = teacher_row["teacher_flips"]
        lines.append(f"| teacher | {teacher_row['size_mb']:.2f} | | | {100 * teacher_row['accuracy']['accuracy']:.1f} | "
                     f"{100 * teacher_row['f1']['value']:.1f} | | | | | {_ci(tf)} | {tf['flips']} / {tf['n']} |")
    for m, x in results.items():
        sf = x["student_flips"]
        ro = x["relations_overall"]
        lines.append(f"| {m} | {x['size_mb']:.3f} | {x['gflops']:.4f} | {x['latency_ms']:.2f} | "
                     f"{100 * x['accuracy']['accuracy']:.1f} | {100 * (x['f1']['value'] or 0):.1f} | "
                     + " | ".join(_ci(ro[k]) for k in rel) + f" | {_ci(sf)} | {sf['flips']} / {sf['n']} |")
    table = "\n".join(lines)
    print(table)
    if args.json:
        payload = {"args": vars(args), "timings": timings, "teacher": teacher_row, "students": results, "table": table}
        if data_info is not None:
            payload = {"args": {"corpus": corpus, **vars(args)}, "data": data_info, **{k: v for k, v in payload.items()
                                                                                          if k != "args"}}
        Path(args.json).write_text(json.dumps(payload, indent=2, default=str))


if __name__ == "__main__":
    main()
