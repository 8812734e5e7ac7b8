"""Writing adversarial examples: JSONL with provenance, parquet and a ``save_to_disk`` dataset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from metacompress_eval.fileio import atomic_write_jsonl

from .base import AttackResult


def write_adversarial(results: Sequence[AttackResult], out_dir: str | Path, *, dataset: bool = True) -> list[Path]:
    """Write ``adversarial.jsonl`` (successful results, full provenance), ``results.jsonl`` (every
    outcome, adversarial code only for successes) and, with ``dataset``, ``adversarial.parquet`` and
    the ``dataset/`` folder (``datasets.Dataset.save_to_disk``; ``provenance`` as a JSON string so the
    schema stays flat)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = [r.as_row() for r in results if r.successful]
    files = [atomic_write_jsonl(out / "adversarial.jsonl", rows),
             atomic_write_jsonl(out / "results.jsonl", ({**r.as_row(), **({} if r.successful else {"code": None})}
                                                         if len(r.inputs) == 1 else r.as_row() for r in results))]
    if dataset:
        import datasets

        flat = [{**{k: v for k, v in row.items() if k not in ("provenance", "original_probs", "adversarial_probs")},
                 "original_probs": [float(p) for p in row["original_probs"]],
                 "adversarial_probs": [float(p) for p in row["adversarial_probs"] or []],
                 "provenance": json.dumps(row["provenance"])} for row in rows]
        ds = datasets.Dataset.from_list(flat) if flat else datasets.Dataset.from_dict(
            {"id": [], "source_id": [], "method": [], "code": [], "provenance": []})
        ds.to_parquet(str(out / "adversarial.parquet"))
        ds.save_to_disk(str(out / "dataset"))
        files += [out / "adversarial.parquet", out / "dataset"]
    return files
