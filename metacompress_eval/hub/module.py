"""The ``metacompress`` evaluate comparison: where it lives, how to load it, how to publish it.

The module's sources are package data in ``evaluate_module/metacompress/`` (the layout evaluate and
its Spaces use: ``metacompress.py``, ``README.md`` with Space YAML, ``app.py``, ``requirements.txt``).

* :func:`load` — ``evaluate.load`` on the shipped folder (works offline, no cache lookup involved).
* ``evaluate.load("metacompress")`` — works offline from any directory once the script is in
  evaluate's modules cache; :func:`install` puts it there (see :mod:`._startup` for the mechanism).
* :func:`write_space_folder` — a Space-ready copy; pushed to a Space ``<user>/metacompress`` it makes
  ``evaluate.load("<user>/metacompress")`` work.
* :func:`read_predictions` — turn a report folder's ``predictions.jsonl`` into ``compute`` arguments.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from ..errors import MetaCompressError
from . import _startup

MODULE_NAME = _startup.MODULE_NAME
SOURCE_DIR = _startup.SOURCE_DIR
#: The files of the module folder, in the evaluate-module (Space) layout.
MODULE_FILES = ("metacompress.py", "README.md", "app.py", "requirements.txt")


def install(cache: str | Path | None = None) -> Path:
    """Register the module in evaluate's modules cache (default ``$HF_MODULES_CACHE``); return the script path."""
    return _startup.install(cache)


def write_space_folder(out_dir: str | Path) -> list[Path]:
    """Copy the module folder to ``out_dir`` (created), ready to upload as a Gradio Space.

    Returns the written files. Existing files of the same names are replaced; others are kept.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in MODULE_FILES:
        src = SOURCE_DIR / name
        if not src.is_file():  # pragma: no cover - broken installation
            raise MetaCompressError(f"the installed package lacks {src}")
        shutil.copyfile(src, out / name)
        written.append(out / name)
    return written


def load(**kwargs: Any):
    """``evaluate.load`` of the shipped module folder (no Hub or cache lookup)."""
    import evaluate

    return evaluate.load(str(SOURCE_DIR), module_type="comparison", **kwargs)


def read_predictions(report_dir: str | Path) -> dict[str, Any]:
    """``compute`` keyword arguments from a report folder (``predictions.jsonl`` + ``report.json``).

    The thresholds, seed, ``worst_k`` and label names are taken from ``report.json``'s ``analysis``,
    so ``module.compute(**read_predictions(dir))`` reproduces that analysis.
    """
    folder = Path(report_dir)
    pred_path, report_path = folder / "predictions.jsonl", folder / "report.json"
    for path in (pred_path, report_path):
        if not path.is_file():
            raise MetaCompressError(f"not a report folder: {path} is missing")
    rows = [json.loads(line) for line in pred_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows.sort(key=lambda r: r["index"])
    analysis = json.loads(report_path.read_text(encoding="utf-8"))["analysis"]
    args: dict[str, Any] = {
        "teacher_probs": [r["teacher_probs"] for r in rows],
        "student_probs": [r["student_probs"] for r in rows],
        "source_ids": [str(r["source_id"]) for r in rows],
        "transformations": [r["transformation"] or "" for r in rows],
    }
    if analysis.get("labelled"):
        args["references"] = [int(r["label"]) for r in rows]
    args.update(analysis["thresholds"])
    args.update(label_names=list(analysis["label_names"]), seed=analysis["seed"], worst_k=analysis["worst_k"])
    return args


def compute_kwargs(thresholds=None, **extra: Any) -> dict[str, Any]:
    """Threshold keyword arguments for ``compute`` from a :class:`~metacompress_eval.relations.Thresholds`."""
    from ..relations import Thresholds

    return {**(thresholds or Thresholds()).as_dict(), **extra}
