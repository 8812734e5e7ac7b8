"""Adversarial-attack benchmark: success rate, queries and time per search method.

Two steps (models are trained once and reused):

```bash
python benchmarks/bench_attacks.py train --out bench-attacks            # demo-size teacher + student per corpus
python benchmarks/bench_attacks.py run --out bench-attacks --n 100 --budget 60 \
    --methods random,mhm,alert --json benchmarks/bench_attacks.json
```

Corpora (shared data, see ``../shared/data``):

* ``juliet`` — ``juliet-c/functions.jsonl`` (C, task ``defect``); the teacher is trained with
  :func:`metacompress_eval.demo.training.train_teacher` (``demo`` preset) on a seeded sample of the
  train split and the student distilled from it with :func:`distil_student` (no gold labels).
* ``bcb`` — ``bigclonebench/pairs.jsonl`` + ``functions.jsonl`` (Java, task ``clone``), restricted to
  pairs whose two methods are both shorter than 700 characters (so a pair fits the demo models'
  context). The demo recipe takes one text, so a pair is given to it as ``a </s></s> b`` — exactly
  what the RoBERTa tokenizer builds for a text pair, which is how ``InferenceEngine`` feeds pairs.

``run`` attacks each model on the first ``--n`` test inputs with every method (pair task: the second
method of the pair is attacked) and reports, per method and model, the measures of
:mod:`metacompress_eval.attacks.measures` plus the student-vs-teacher drop ratio and transfer.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def juliet_rows() -> list[dict]:
    return _read(SHARED / "juliet-c" / "functions.jsonl")


def bcb_rows(max_chars: int = 700) -> list[dict]:
    """Pairs with both methods shorter than ``max_chars``: ``{id, code1, code2, label, split}``."""
    functions = {r["id"]: r["code"] for r in _read(SHARED / "bigclonebench" / "functions.jsonl")}
    rows = []
    for p in _read(SHARED / "bigclonebench" / "pairs.jsonl"):
        a, b = functions.get(p["id1"]), functions.get(p["id2"])
        if a is None or b is None or len(a) >= max_chars or len(b) >= max_chars:
            continue
        rows.append({"id": f"{p['id1']}-{p['id2']}", "code1": a, "code2": b, "label": int(p["label"]),
                     "split": p["split"]})
    return rows


def _sample(rows, split, n, seed):
    pool = [r for r in rows if r["split"] == split]
    random.Random(seed).shuffle(pool)
    return pool[:n]


def train(args) -> None:
    import torch

    from metacompress_eval.demo.training import distil_student, train_teacher

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    for corpus in args.corpora.split(","):
        folder = out / corpus
        if (folder / "student" / "config.json").is_file():
            print(f"{corpus}: models exist in {folder}")
            continue
        if corpus == "juliet":
            rows = juliet_rows()
            train_rows = _sample(rows, "train", args.n_train, 0) + _sample(rows, "valid", args.n_valid, 0)
        else:
            rows = bcb_rows()
            train_rows = [{"code": f"{r['code1']}</s></s>{r['code2']}", "label": r["label"], "split": r["split"]}
                          for r in _sample(rows, "train", args.n_train, 0) + _sample(rows, "valid", args.n_valid, 0)]
        started = time.perf_counter()
        teacher = train_teacher(train_rows, folder / "teacher", size="demo", seed=0, epochs=args.epochs,
                                progress=False)
        texts = [r["code"] for r in train_rows if r["split"] == "train"]
        distil_student(teacher, texts, folder / "student", size="demo", seed=0, progress=False)
        log = json.loads((folder / "teacher" / "training_log.json").read_text())
        print(f"{corpus}: trained in {time.perf_counter() - started:.0f} s; teacher valid acc "
              f"{log['valid_accuracy']:.3f}")


def run(args) -> None:
    import torch

    from metacompress_eval.attacks import AttackSettings, run_attack_suite
    from metacompress_eval.data import SourceInput
    from metacompress_eval.inference import OutputCache
    from metacompress_eval.models import load_model

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    results = {"settings": vars(args), "machine": f"{os.cpu_count()} CPU cores, torch {torch.__version__}",
               "corpora": {}}
    for corpus in args.corpora.split(","):
        folder = out / corpus
        if corpus == "juliet":
            test = _sample(juliet_rows(), "test", args.n, 1)
            sources = [SourceInput(r["id"], (r["code"],), int(r["label"])) for r in test]
            language = "c"
        else:
            test = _sample(bcb_rows(), "test", args.n, 1)
            sources = [SourceInput(r["id"], (r["code1"], r["code2"]), int(r["label"])) for r in test]
            language = "java"
        teacher = load_model(str(folder / "teacher"), role="teacher")
        student = load_model(str(folder / "student"), role="student")
        train_corpus = [r.get("code") or r.get("code2") for r in
                        (_sample(juliet_rows(), "train", 500, 0) if corpus == "juliet" else
                         _sample(bcb_rows(), "train", 500, 0))]
        settings = AttackSettings(methods=tuple(args.methods.split(",")), budget=args.budget, seed=args.seed,
                                  corpus=train_corpus)
        cache = OutputCache(out / f"cache-{corpus}-{time.time_ns()}.sqlite")  # fresh: times include inference
        started = time.perf_counter()
        suite = run_attack_suite(sources, language, teacher, student, settings, cache=cache, progress=False)
        cache.close()
        section = suite.section
        section["wall_seconds"] = round(time.perf_counter() - started, 1)
        results["corpora"][corpus] = section
        print(f"== {corpus} ({len(sources)} inputs, budget {args.budget})")
        for method, entry in section["by_attack"].items():
            for role in ("teacher", "student"):
                m = entry[role]
                print(f"  {method:7s} {role:8s} clean acc {m['clean_accuracy']:.3f}  adv acc {m['adversarial_accuracy']:.3f}"
                      f"  success {m['success_rate'] if m['success_rate'] is not None else float('nan'):.3f}"
                      f" ({m['success']['k']}/{m['success']['n']})  queries {m['avg_queries'] or 0:.1f}"
                      f"  edits {m['avg_edits'] or 0:.1f}  time {m['seconds']:.1f}s")
            d = entry["drop_ratio"]
            print(f"  {method:7s} drop ratio {d['value']}  ci95 {d['ci95']}  transfer t→s "
                  f"{entry['transfer']['teacher_to_student']['rate']}  s→t {entry['transfer']['student_to_teacher']['rate']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train")
    tr.add_argument("--out", default="bench-attacks")
    tr.add_argument("--corpora", default="juliet,bcb")
    tr.add_argument("--n-train", type=int, default=1500)
    tr.add_argument("--n-valid", type=int, default=300)
    tr.add_argument("--epochs", type=int, default=None)
    tr.add_argument("--threads", type=int, default=1)
    rn = sub.add_parser("run")
    rn.add_argument("--out", default="bench-attacks")
    rn.add_argument("--corpora", default="juliet,bcb")
    rn.add_argument("--n", type=int, default=100)
    rn.add_argument("--budget", type=int, default=60)
    rn.add_argument("--methods", default="random,mhm,alert")
    rn.add_argument("--seed", type=int, default=0)
    rn.add_argument("--threads", type=int, default=1)
    rn.add_argument("--json", default=None)
    args = parser.parse_args()
    {"train": train, "run": run}[args.command](args)


if __name__ == "__main__":
    main()
