"""``metacompress demo``: the whole idea end to end, offline, in a few minutes on a laptop.

1. write a labelled corpus of C functions with and without memory-safety defects;
2. train a small teacher on the labelled training split;
3. distil a smaller student from the teacher's soft labels on unlabelled code (the training split
   without its labels, plus more generated functions);
4. evaluate the pair on the test split with the standard pipeline (the same code path as
   ``metacompress evaluate``), attacks included, and write ``report/claims.json``: whether the
   effects the demo is meant to show are there (:mod:`metacompress_eval.demo.claims`).

Steps 2 and 3 are :func:`~metacompress_eval.demo.models.build_demo_models`, which the Space uses for
its demo models too: a rerun with the same settings reuses the models, a changed preset retrains them.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..console import logger
from ..errors import MetaCompressError
from ..fileio import atomic_write_json, atomic_write_jsonl
from ..pipeline import EvaluationConfig, EvaluationResult, run_evaluation
from .models import build_demo_models, demo_corpus


# The demo checks its follow-ups with the compiler, as `evaluate` does by default (docs/verification.md):
# its claims are about follow-ups that keep the meaning of the code, and a follow-up that adds a compiler
# error would be a flip the models were right to make. The demo corpus compiles cleanly, so the check
# drops only a transformation's real mistakes; what it costs the demo is in BENCHMARKS.md.
VERIFY_FOLLOW_UPS = True


def run_demo(out_dir: str | Path = "metacompress-demo", *, size: str = "demo", seed: int = 0,
             progress: bool = True, threads: int | str | None = None) -> EvaluationResult:
    """Run the embedded demo and return the evaluation result (report in ``out_dir/report``).

    ``threads``: torch CPU threads (a number, ``"auto"`` or ``"cpus"``, see :mod:`metacompress_eval.threads`);
    ``None`` leaves torch's setting alone. The results do not depend on it.
    """
    from .training import PRESETS

    if threads is not None:
        from ..threads import configure_threads

        configure_threads(threads)
    from ..outputs import lock_output, output_path

    preset = PRESETS[size]
    out = output_path(out_dir, "demo folder")
    if out.exists() and not out.is_dir():
        raise MetaCompressError(f"demo folder {out} is an existing file, not a folder; choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    lock_output(out, "demo folder")
    started = time.perf_counter()
    say = logger(progress)
    rows = demo_corpus(size, seed)
    atomic_write_jsonl(out / "data" / "corpus.jsonl", rows)
    test_rows = [r for r in rows if r["split"] == "test"]
    atomic_write_jsonl(out / "data" / "test.jsonl", test_rows)
    labelled = [r for r in rows if r["split"] != "unlabelled"]
    say(f"corpus: {len(labelled)} labelled C functions ({sum(r['label'] for r in labelled)} with a memory-safety "
        f"defect), {len(rows) - len(labelled)} more for distillation → {out / 'data'}")
    teacher, student = build_demo_models(out, size=size, seed=seed, rows=rows, progress=progress, log=say)
    say("evaluating the student against the teacher")
    config = EvaluationConfig(teacher=str(teacher), student=str(student), data=str(out / "data" / "test.jsonl"),
                              task="defect", language="c", out_dir=str(out / "report"),
                              cache_dir=str(out / "cache"), seed=seed, progress=progress,
                              attacks=preset.attacks, attack_budget=preset.attack_budget,
                              attack_max_sources=preset.attack_sources, verify=VERIFY_FOLLOW_UPS)
    result = run_evaluation(config, log=say)
    claims = write_claims(out / "report")
    say(f"demo finished in {time.perf_counter() - started:.0f} s; the effects it is meant to show "
        f"{'all hold' if claims['all_hold'] else 'do NOT all hold'} (report/claims.json)")
    return result


def write_claims(report_dir: Path) -> dict:
    """Write ``claims.json`` (:mod:`metacompress_eval.demo.claims`) into a demo's report folder and return it."""
    from .claims import claims_of_report_folder

    claims = claims_of_report_folder(report_dir)
    atomic_write_json(report_dir / "claims.json", claims)
    return claims
