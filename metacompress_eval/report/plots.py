"""PNG figures for the report (matplotlib, Agg canvas, no pyplot global state)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..fileio import atomic_write_bytes
from ..relations import EvaluationOutputs, list_relations

HEATMAP_FILE = "violation_heatmap.png"
SCATTER_FILE = "confidence_scatter.png"
CKA_FILE = "cka_heatmap.png"
SHIFT_FILE = "representation_shift.png"


def _save_atomic(fig: Figure, path: Path) -> Path:
    """Render ``fig`` as PNG and write it with :func:`~metacompress_eval.fileio.atomic_write_bytes`.

    A reader (or a crash) never sees a half-written PNG.
    """
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    return atomic_write_bytes(path, buffer.getvalue())


def heatmap(analysis: Mapping[str, Any], path: Path) -> Path:
    rels = analysis["relations"]
    relations = list_relations()
    columns = [("sources", rels["sources"])] + list(rels.get("by_transformation", {}).items())
    rates = np.full((len(relations), len(columns)), np.nan)
    labels = [["" for _ in columns] for _ in relations]
    for j, (_, block) in enumerate(columns):
        for i, rel in enumerate(relations):
            e = block.get(rel.key) or {}
            if e.get("rate") is not None:
                rates[i, j] = e["rate"]
                labels[i][j] = f"{100 * e['rate']:.1f}%\n{e['violations']}/{e['n']}"
            else:
                labels[i][j] = "n/a"

    fig = Figure(figsize=(1.6 + 1.3 * len(columns), 3.6))
    ax = fig.add_subplot()
    finite = rates[np.isfinite(rates)]
    # Scale to the largest rate (at least 10%) so small but real differences stay visible.
    vmax = max(0.1, float(finite.max()) if finite.size else 0.1)
    masked = np.ma.masked_invalid(rates)
    cmap = colormaps["Reds"].with_extremes(bad="#dddddd")
    im = ax.imshow(masked, cmap=cmap, vmin=0.0, vmax=vmax, aspect="auto")
    ax.set_xticks(range(len(columns)), [name for name, _ in columns], rotation=30, ha="right")
    ax.set_yticks(range(len(relations)), [r.abbreviation for r in relations])
    for i in range(len(relations)):
        for j in range(len(columns)):
            dark = np.isfinite(rates[i, j]) and rates[i, j] > 0.6 * vmax
            ax.text(j, i, labels[i][j], ha="center", va="center", fontsize=8,
                    color="white" if dark else "black")
    ax.set_title("Violation rate per relation (sources and each transformation)")
    fig.colorbar(im, ax=ax, label="violation rate")
    return _save_atomic(fig, path)


def _scatter(analysis: Mapping[str, Any], outputs: EvaluationOutputs, path: Path) -> Path:
    """Teacher's confidence against the student's probability of the teacher's class, per input.

    On these axes the class-aware CA band is exact (|y − x| ≤ tolerance), HCP holds in the
    upper-right square above τ, and an input where the student predicts another class lies well below
    the diagonal (below 1/2 for two classes), where the class-blind view of schema 1.x drew it
    next to the diagonal.
    """
    pt = np.asarray(outputs.teacher_probs, dtype=np.float64)
    ps = np.asarray(outputs.student_probs, dtype=np.float64)
    both = outputs.available("teacher") & outputs.available("student")
    pt, ps = pt[both], ps[both]  # only inputs that both models answered can be compared
    y_t = pt.argmax(axis=1)
    rows = np.arange(y_t.size)
    conf_t, p_s = pt[rows, y_t], ps[rows, y_t]
    agree = y_t == ps.argmax(axis=1)
    th = analysis.get("thresholds", {})
    tau = th.get("confidence_tau")
    tol = th.get("confidence_tolerance")
    lo = 1.0 / max(pt.shape[1], 1)

    fig = Figure(figsize=(5.5, 5.0))
    ax = fig.add_subplot()
    line = np.array([lo, 1.0])
    if tol is not None:
        ax.fill_between(line, line - tol, line + tol, color="0.9", zorder=0,
                        label=f"|Δp(ŷ_T)| ≤ {tol} (CA holds)")
    ax.plot(line, line, color="0.5", lw=0.8, zorder=1)
    if tau is not None:
        ax.axvline(tau, color="0.4", ls="--", lw=0.8, zorder=1)
        ax.axhline(tau, color="0.4", ls="--", lw=0.8, zorder=1, label=f"τ = {tau}")
    size = 12 if conf_t.size <= 2000 else 4
    ax.scatter(conf_t[agree], p_s[agree], s=size, alpha=0.5, color="tab:blue",
               label=f"same prediction ({int(agree.sum())})", zorder=2)
    ax.scatter(conf_t[~agree], p_s[~agree], s=size + 4, alpha=0.8, color="tab:red", marker="x",
               label=f"different prediction ({int((~agree).sum())})", zorder=3)
    ax.set_xlim(lo - 0.02, 1.01)
    ax.set_ylim(-0.02, 1.01)
    ax.set_xlabel("teacher confidence p_T(ŷ_T)")
    ax.set_ylabel("student probability of the teacher's class p_S(ŷ_T)")
    ax.set_title("Teacher vs student on the teacher's class, "
                 + ("all inputs" if both.all() else "inputs both models answered"))
    ax.legend(loc="lower right", fontsize=8)
    return _save_atomic(fig, path)


def cka_heatmap(section: Mapping[str, Any], path: Path) -> Path:
    """Linear CKA between every teacher layer (rows) and student layer (columns), one panel per pooling."""
    poolings = [p for p in section.get("poolings", []) if (section["cka"].get(p) or {}).get("matrix")]
    fig = Figure(figsize=(0.6 + 4.6 * max(len(poolings), 1), 4.2), layout="constrained")
    cmap = colormaps["viridis"].with_extremes(bad="#dddddd")
    for n, pooling in enumerate(poolings, start=1):
        block = section["cka"][pooling]
        matrix = np.array([[np.nan if v is None else v for v in row] for row in block["matrix"]], dtype=float)
        ax = fig.add_subplot(1, len(poolings), n)
        im = ax.imshow(np.ma.masked_invalid(matrix), cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto", origin="lower")
        for pair in block.get("best_pairs", []):  # framed: each student layer's best-matching teacher layer
            ax.add_patch(Rectangle((pair["student_layer"] - 0.5, pair["teacher_layer"] - 0.5), 1, 1, fill=False,
                                   edgecolor="red", linewidth=2))
        if matrix.size <= 200:
            for i in range(matrix.shape[0]):
                for j in range(matrix.shape[1]):
                    text = "n/a" if np.isnan(matrix[i, j]) else f"{matrix[i, j]:.2f}"
                    ax.text(j, i, text, ha="center", va="center", fontsize=7,
                            color="black" if np.isfinite(matrix[i, j]) and matrix[i, j] > 0.6 else "white")
        ax.set_xticks(range(matrix.shape[1]))
        ax.set_yticks(range(matrix.shape[0]))
        ax.set_xlabel("student layer (0 = embeddings)")
        ax.set_ylabel("teacher layer (0 = embeddings)")
        ax.set_title(f"linear CKA on sources ({pooling} token{'s' if pooling == 'mean' else ''})", fontsize=9)
        fig.colorbar(im, ax=ax, fraction=0.046)
    return _save_atomic(fig, path)


def shift_scatter(section: Mapping[str, Any], shifts: list[dict], path: Path) -> Path:
    """Per follow-up, the teacher's against the student's final-layer shift, relative to each model's scale."""
    settings = section.get("settings", {})
    still, moves = settings.get("still"), settings.get("moves")
    poolings = list(section.get("poolings", []))
    fig = Figure(figsize=(0.6 + 4.4 * max(len(poolings), 1), 4.4), layout="constrained")
    for n, pooling in enumerate(poolings, start=1):
        ax = fig.add_subplot(1, len(poolings), n)
        pts = [(s["teacher_relative"].get(pooling), s["student_relative"].get(pooling)) for s in shifts]
        pts = np.array([p for p in pts if p[0] is not None and p[1] is not None], dtype=float).reshape(-1, 2)
        if pts.size:
            flagged = (pts[:, 0] <= still) & (pts[:, 1] >= moves) if still is not None else np.zeros(len(pts), bool)
            ax.scatter(pts[~flagged, 0], pts[~flagged, 1], s=10, alpha=0.5, color="tab:blue",
                       label=f"follow-ups ({int((~flagged).sum())})")
            ax.scatter(pts[flagged, 0], pts[flagged, 1], s=16, alpha=0.8, color="tab:red", marker="x",
                       label=f"teacher still, student moves ({int(flagged.sum())})")
            top = float(max(1.0, np.nanmax(pts)))
            ax.plot([0, top], [0, top], color="0.6", lw=0.8)
        else:
            ax.text(0.5, 0.5, "no relative shifts\n(fewer than two distinct sources)", ha="center", va="center",
                    transform=ax.transAxes)
        if still is not None:
            ax.axvline(still, color="0.4", ls="--", lw=0.8)
            ax.axhline(moves, color="0.4", ls="--", lw=0.8)
        ax.set_xlabel("teacher shift / teacher's between-source scale")
        ax.set_ylabel("student shift / student's between-source scale")
        ax.set_title(f"final-layer shift per follow-up ({pooling})", fontsize=9)
        if pts.size:
            ax.legend(loc="upper right", fontsize=7)
    return _save_atomic(fig, path)


def write_plots(report: dict, outputs: EvaluationOutputs, out_dir, *, shifts: list[dict] | None = None) -> list[Path]:
    """Write the report figures as PNG files into ``out_dir`` (created if missing).

    * ``violation_heatmap.png`` — violation rate of each relation on sources and per
      transformation (grey: no eligible inputs).
    * ``confidence_scatter.png`` — per input, the teacher's confidence against the student's
      probability of the teacher's class, coloured by whether the two predictions agree, with the τ
      lines and the (class-aware) CA tolerance band.
    * with a ``representations`` section: ``cka_heatmap.png`` (CKA of every teacher × student layer,
      best-matching pairs framed) and, given the per-follow-up ``shifts``, ``representation_shift.png``.

    Args:
        report: the full report dict (``analysis`` key) or a bare analysis dict.
        outputs: the evaluation outputs the analysis was computed from.
        out_dir: destination folder.
        shifts: the per-follow-up rows of ``representations.jsonl``, for the shift plot.

    Returns:
        The paths written, in the order above.
    """
    analysis = report.get("analysis", report)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [
        heatmap(analysis, out / HEATMAP_FILE),
        _scatter(analysis, outputs, out / SCATTER_FILE),
    ]
    section = report.get("representations")
    if section:
        paths.append(cka_heatmap(section, out / CKA_FILE))
        if shifts is not None:
            paths.append(shift_scatter(section, shifts, out / SHIFT_FILE))
    return paths
