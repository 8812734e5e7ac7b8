"""``metacompress demo``: the whole idea end to end, offline, in a few minutes on a laptop.

1. write a labelled corpus of C functions with and without memory-safety defects;
2. train a small teacher on the labelled training split;
3. distil a smaller student from the teacher's soft labels on the (unlabelled) training code;
4. evaluate the pair on the test split with the standard pipeline (the same code path as
   ``metacompress evaluate``).

Trained models are written to a temporary folder and moved into place only when complete, together
with a stamp of the settings that made them, so a rerun with the same settings reuses them and an
interrupted training leaves nothing half-written behind.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
import tempfile
import time
from pathlib import Path
from typing import Callable

from ..fileio import atomic_write_json, atomic_write_jsonl
from ..pipeline import EvaluationConfig, EvaluationResult, _log, run_evaluation

STAMP_FILE = "metacompress-demo.json"


def build_once(target: Path, stamp: dict, build: Callable[[Path], object]) -> Path:
    """Build a model folder at ``target`` unless one with the same ``stamp`` is already there."""
    stamp_file = target / STAMP_FILE
    if stamp_file.is_file():
        try:
            if json.loads(stamp_file.read_text()) == stamp:
                return target
        except (OSError, ValueError):
            pass
    target.parent.mkdir(parents=True, exist_ok=True)
    # A build killed outright (SIGKILL, power loss) never reached its clean-up: drop its leftovers.
    for stale in target.parent.glob(f".{target.name}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        build(tmp)
        atomic_write_json(tmp / STAMP_FILE, stamp)
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def run_demo(out_dir: str | Path = "metacompress-demo", *, size: str = "demo", seed: int = 0,
             progress: bool = True) -> EvaluationResult:
    """Run the embedded demo and return the evaluation result (report in ``out_dir/report``)."""
    from .corpus import generate_corpus
    from .training import PRESETS, distil_student, train_teacher

    out = Path(out_dir)
    started = time.perf_counter()
    say = lambda m: _log(progress, m)  # noqa: E731
    rows = generate_corpus(PRESETS[size].n_functions, seed=seed)
    atomic_write_jsonl(out / "data" / "corpus.jsonl", rows)
    test_rows = [r for r in rows if r["split"] == "test"]
    atomic_write_jsonl(out / "data" / "test.jsonl", test_rows)
    train_rows = [r for r in rows if r["split"] in ("train", "valid")]
    say(f"corpus: {len(rows)} C functions ({sum(r['label'] for r in rows)} with a memory-safety defect) "
        f"→ {out / 'data'}")

    # The stamp names everything that shapes the models, so a changed preset retrains them.
    stamp = {"size": size, "seed": seed, "corpus": len(rows), "preset": json.loads(json.dumps(asdict(PRESETS[size])))}
    say("training the teacher")
    teacher = build_once(out / "teacher", {**stamp, "role": "teacher"},
                          lambda d: train_teacher(train_rows, d, size=size, seed=seed, progress=progress))
    say("distilling the student from the teacher's soft labels (no gold labels used)")
    unlabelled = [r["code"] for r in rows if r["split"] == "train"]
    student = build_once(out / "student", {**stamp, "role": "student",
                                             "teacher": json.loads((teacher / STAMP_FILE).read_text())},
                          lambda d: distil_student(teacher, unlabelled, d, size=size, seed=seed, progress=progress))
    say("evaluating the student against the teacher")
    config = EvaluationConfig(teacher=str(teacher), student=str(student), data=str(out / "data" / "test.jsonl"),
                              task="defect", language="c", out_dir=str(out / "report"),
                              cache_dir=str(out / "cache"), seed=seed, progress=progress)
    result = run_evaluation(config, log=say)
    say(f"demo finished in {time.perf_counter() - started:.0f} s")
    return result
