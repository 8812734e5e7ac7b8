"""``metacompress demo``: the whole idea end to end, offline, in a few minutes on a laptop.

1. write a labelled corpus of C functions with and without memory-safety defects;
2. train a small teacher on the labelled training split;
3. distil a smaller student from the teacher's soft labels on the (unlabelled) training code;
4. evaluate the pair on the test split with the standard pipeline (the same code path as
   ``metacompress evaluate``).

Steps 2 and 3 are :func:`~metacompress_eval.demo.models.build_demo_models`, which the Space uses for
its demo models too: a rerun with the same settings reuses the models, a changed preset retrains them.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..console import logger
from ..fileio import atomic_write_jsonl
from ..pipeline import EvaluationConfig, EvaluationResult, run_evaluation
from .models import build_demo_models, demo_corpus


def run_demo(out_dir: str | Path = "metacompress-demo", *, size: str = "demo", seed: int = 0,
             progress: bool = True) -> EvaluationResult:
    """Run the embedded demo and return the evaluation result (report in ``out_dir/report``)."""
    out = Path(out_dir)
    started = time.perf_counter()
    say = logger(progress)
    rows = demo_corpus(size, seed)
    atomic_write_jsonl(out / "data" / "corpus.jsonl", rows)
    test_rows = [r for r in rows if r["split"] == "test"]
    atomic_write_jsonl(out / "data" / "test.jsonl", test_rows)
    say(f"corpus: {len(rows)} C functions ({sum(r['label'] for r in rows)} with a memory-safety defect) "
        f"→ {out / 'data'}")
    teacher, student = build_demo_models(out, size=size, seed=seed, rows=rows, progress=progress, log=say)
    say("evaluating the student against the teacher")
    config = EvaluationConfig(teacher=str(teacher), student=str(student), data=str(out / "data" / "test.jsonl"),
                              task="defect", language="c", out_dir=str(out / "report"),
                              cache_dir=str(out / "cache"), seed=seed, progress=progress)
    result = run_evaluation(config, log=say)
    say(f"demo finished in {time.perf_counter() - started:.0f} s")
    return result
