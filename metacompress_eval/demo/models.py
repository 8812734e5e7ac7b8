"""The demo's teacher and student, built once per setting: one builder for ``metacompress demo`` and the Space.

A model folder carries a stamp (``metacompress-demo.json``) naming everything that shapes it — the
size, the seed, the corpus size and the whole preset of :data:`~metacompress_eval.demo.training.PRESETS`,
and for the student the teacher's stamp — so a folder is reused only when it was made by the same
settings, and a changed preset retrains. A model is trained into a temporary folder and moved into
place only when complete, so an interrupted training leaves nothing half-written behind.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

from ..fileio import atomic_write_json, sweep_dead_writers, temp_folder_beside

STAMP_FILE = "metacompress-demo.json"


def build_once(target: Path, stamp: dict, build: Callable[[Path], object]) -> Path:
    """Build a model folder at ``target`` unless one with the same ``stamp`` is already there."""
    if has_stamp(target, stamp):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # A build killed outright (SIGKILL, power loss) never reached its clean-up: drop its leftovers, by the
    # rule of every output (fileio.sweep_dead_writers: a build whose process is gone); ".NAME-<random>"
    # folders (mkdtemp's 8 characters exactly) are builds of versions that did not name the process,
    # removed as those versions did.
    sweep_dead_writers(target)
    legacy = re.compile(rf"\.{re.escape(target.name)}-[a-z0-9_]{{8}}", re.ASCII)
    for stale in target.parent.glob(f".{target.name}-*"):
        if legacy.fullmatch(stale.name) and stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
    tmp = temp_folder_beside(target)
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


def has_stamp(folder: Path, stamp: dict) -> bool:
    """Whether ``folder`` holds a finished build made with ``stamp``."""
    try:
        return json.loads((folder / STAMP_FILE).read_text()) == stamp
    except (OSError, ValueError):
        return False


def demo_corpus(size: str = "demo", seed: int = 0) -> list[dict]:
    """The C corpus the demo models of ``size`` are trained on (deterministic in ``seed``): the labelled
    splits and the unlabelled functions the student is also distilled on."""
    from .corpus import generate_corpus
    from .training import PRESETS

    return generate_corpus(PRESETS[size].n_functions, seed=seed, n_unlabelled=PRESETS[size].n_unlabelled)


def model_stamps(size: str, seed: int) -> tuple[dict, dict]:
    """The stamps of the teacher and the student built for ``size`` and ``seed``."""
    from .training import PRESETS

    preset = PRESETS[size]
    # Through JSON so the stamp compares equal to what is read back from disk (tuples become lists).
    stamp = {"size": size, "seed": seed, "corpus": preset.n_functions, "preset": json.loads(json.dumps(asdict(preset)))}
    teacher = {**stamp, "role": "teacher"}
    return teacher, {**stamp, "role": "student", "teacher": teacher}


def build_demo_models(root: str | Path, *, size: str = "demo", seed: int = 0, rows: list[dict] | None = None,
                      progress: Any = None, log: Callable[[str], None] | None = None) -> tuple[Path, Path]:
    """The demo teacher and student in ``root/teacher`` and ``root/student``, trained unless already there.

    Args:
        root: folder of the two model folders.
        size: preset name (``demo`` or ``tiny``).
        seed: seed of the corpus and of both trainings.
        rows: the corpus, when the caller has it already (default: :func:`demo_corpus`, made only
            when a model has to be trained).
        progress: the trainers' ``progress`` (see :mod:`metacompress_eval.demo.training`); a callable
            ``progress(stage, fraction)`` sees one run from 0 to 1 (teacher 0–0.6, student 0.6–1).
        log: receives a message when each model starts training.

    Returns:
        The teacher's and the student's folders.
    """
    from .training import distil_student, train_teacher

    root = Path(root)
    say = log or (lambda message: None)
    teacher_stamp, student_stamp = model_stamps(size, seed)
    teacher_dir, student_dir = root / "teacher", root / "student"
    if has_stamp(teacher_dir, teacher_stamp) and has_stamp(student_dir, student_stamp):
        return teacher_dir, student_dir
    rows = rows if rows is not None else demo_corpus(size, seed)
    labelled = [r for r in rows if r["split"] in ("train", "valid")]
    unlabelled = [r["code"] for r in rows if r["split"] in ("train", "unlabelled")]  # labels never used

    def part(lo: float, hi: float):
        # The trainers report (stage, fraction of their own run); map both onto one run.
        if not callable(progress) or all(hasattr(progress, a) for a in ("total", "n", "refresh")):
            return progress
        return lambda stage, fraction: progress(stage, lo + (hi - lo) * float(fraction))

    say("training the teacher")
    build_once(teacher_dir, teacher_stamp,
               lambda d: train_teacher(labelled, d, size=size, seed=seed, progress=part(0.0, 0.6)))
    say("distilling the student from the teacher's soft labels (no gold labels used)")
    build_once(student_dir, student_stamp,
               lambda d: distil_student(teacher_dir, unlabelled, d, size=size, seed=seed, progress=part(0.6, 1.0)))
    return teacher_dir, student_dir
