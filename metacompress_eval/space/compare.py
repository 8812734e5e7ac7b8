"""The *Compare reports* tab: report.json files (uploads, zips or a server folder) ranked as a leaderboard."""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..errors import MetaCompressError
from ..report.plots import CKA_FILE, HEATMAP_FILE, SCATTER_FILE
from ..report.read import parse_report, validate_report
from .settings import SpaceSettings, log

#: The plots of a report folder shown next to its leaderboard row.
PLOT_FILES = (HEATMAP_FILE, SCATTER_FILE, CKA_FILE)


@dataclass
class LoadedReport:
    """One report.json with where it came from and the plots found next to it."""

    name: str
    source: str
    report: dict
    plots: list[Path] = field(default_factory=list)


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")[:80] or "file"


ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


def _looks_like_zip(path: Path) -> bool:
    """A zip by its first bytes (a truncated zip has lost the directory ``is_zipfile`` looks for)."""
    with open(path, "rb") as fh:
        return fh.read(4) in ZIP_MAGIC or zipfile.is_zipfile(path)


def _reports_from_zip(path: Path, settings: SpaceSettings, dest: Path) -> list[LoadedReport]:
    """Reports (and their plots) inside a zip, read member by member with size caps (no extractall).

    Member names are never used as paths; sizes are enforced on the bytes actually inflated, not on
    what the archive claims; a plot must be a PNG.
    """
    from .limits import copy_capped

    found = []
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if len(infos) > 500:
                raise MetaCompressError(f"{path.name}: too many files in the zip ({len(infos)})")
            for info in infos:
                if Path(info.filename).name != "report.json":
                    continue
                where = f"{path.name}:{info.filename}"
                if info.file_size > settings.max_upload_bytes * 4:
                    raise MetaCompressError(f"{where}: report.json is too large")
                with zf.open(info) as member:
                    raw = member.read(settings.max_upload_bytes * 4 + 1)
                if len(raw) > settings.max_upload_bytes * 4:
                    raise MetaCompressError(f"{where}: report.json is too large")
                report = parse_report(raw, where)
                folder = str(Path(info.filename).parent)
                plots = []
                for plot in PLOT_FILES:
                    member_name = plot if folder == "." else f"{folder}/{plot}"
                    try:
                        pinfo = zf.getinfo(member_name)
                    except KeyError:
                        continue
                    if pinfo.file_size > settings.max_plot_bytes:
                        continue  # a plot is a nicety: an oversized one is left out, not unpacked
                    target = dest / f"{_safe_name(where)}-{plot}"
                    try:
                        with zf.open(pinfo) as member:
                            copy_capped(member, target, settings.max_plot_bytes, f"{path.name}:{member_name}")
                    except MetaCompressError:
                        continue
                    with open(target, "rb") as fh:
                        if fh.read(8) != b"\x89PNG\r\n\x1a\n":
                            target.unlink()
                            continue
                    plots.append(target)
                found.append(LoadedReport(where, where, report, plots))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
        raise MetaCompressError(f"{path.name}: not a valid zip file (damaged or truncated: {exc})") from None
    if not found:
        raise MetaCompressError(f"{path.name}: the zip holds no report.json")
    return found


def load_reports(files: Sequence[str | os.PathLike] | None, folder: str | None,
                 settings: SpaceSettings) -> tuple[list[LoadedReport], list[str]]:
    """Read report.json files from uploads (``.json`` or ``.zip``) and/or a results folder.

    Returns the reports and one message per file that could not be used. Raises when nothing
    usable was given at all.
    """
    from .limits import request_folder

    reports: list[LoadedReport] = []
    problems: list[str] = []
    dest = request_folder(settings, "plots-")  # old request folders are removed first (bounded storage)
    files = list(files or [])
    if len(files) > settings.max_compare_files:
        raise MetaCompressError(f"{len(files)} files uploaded; compare at most {settings.max_compare_files} at a time")
    for item in files:
        # Paths and strings as given; older gradio hands over temp-file wrappers whose .name is the path.
        path = Path(item if isinstance(item, (str, os.PathLike)) else getattr(item, "name", str(item)))
        label = path.name
        try:
            if path.stat().st_size > settings.max_upload_bytes * 4:
                raise MetaCompressError(f"{label}: file too large")
            if _looks_like_zip(path):
                reports += _reports_from_zip(path, settings, dest)
            else:
                report = parse_report(path.read_bytes(), label)
                reports.append(LoadedReport(label, str(path), report, []))
        except MetaCompressError as exc:
            problems.append(str(exc))
        except OSError as exc:
            problems.append(f"{label}: cannot be read ({exc.strerror or type(exc).__name__})")
    folder = (folder or "").strip()
    if folder:
        if not settings.allow_local_paths:
            raise MetaCompressError("results folders on the server are disabled here; upload report.json files")
        root = Path(folder).expanduser()
        if not root.is_dir():
            raise MetaCompressError(f"results folder {folder!r} does not exist or is not a folder")
        # Bounded walk: a results folder holds report folders, not a whole file system.
        candidates = sorted(p for depth in ("report.json", "*/report.json", "*/*/report.json", "*/*/*/report.json")
                            for p in root.glob(depth))[:50]
        if not candidates:
            problems.append(f"no report.json found in {folder} (searched 3 levels deep)")
        for path in candidates:
            rel = str(path.parent.relative_to(root)) if path.parent != root else root.name
            try:
                report = parse_report(path.read_bytes(), rel)
            except MetaCompressError as exc:
                problems.append(str(exc))
                continue
            plots = [path.parent / p for p in PLOT_FILES if (path.parent / p).is_file()]
            reports.append(LoadedReport(rel, str(path), report, plots))
    if not reports:
        if problems:
            raise MetaCompressError("no usable report: " + "; ".join(problems))
        raise MetaCompressError("upload one or more report.json files (or report zips), or give a results folder")
    # Reports uploaded without their plots still get the violation heatmap, redrawn from the analysis.
    from ..report.plots import heatmap

    for i, rep in enumerate(reports):
        if not rep.plots:
            try:
                rep.plots = [heatmap(rep.report["analysis"], dest / f"{i}-{_safe_name(rep.name)}-heatmap.png")]
            except Exception as exc:  # noqa: BLE001 - a plot is a nicety: never fail the comparison over it
                log.warning("cannot draw a heatmap for %s: %s", rep.name, type(exc).__name__)
    return reports, problems


def _dig(data: Any, *keys: str) -> Any:
    """``data[k1][k2]...``, or ``None`` as soon as a level is missing or not an object (uploads are untrusted)."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _short_model(name: Any) -> str:
    text = str(name or "?")
    if os.sep in text and Path(text).is_absolute():
        return "…/" + "/".join(Path(text).parts[-2:])
    return text


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _rate_text(entry: Any, numerator: str = "violations") -> str:
    # Uploaded reports are untrusted: anything that is not a well-formed rate entry reads "n/a".
    if not isinstance(entry, dict) or not _number(entry.get("rate")):
        return "n/a"
    ci = entry.get("ci95")
    ok_ci = isinstance(ci, list) and len(ci) == 2 and all(_number(v) for v in ci)
    ci_text = f" [{100 * ci[0]:.1f}–{100 * ci[1]:.1f}]" if ok_ci else ""
    return f"{100 * entry['rate']:.1f}%{ci_text} ({entry.get(numerator, '?')}/{entry.get('n', '?')})"


def leaderboard_columns() -> list[str]:
    """The leaderboard's column headers: one column per registered relation (its abbreviation)."""
    from ..relations import list_relations

    return ["rank", "student", "teacher", "report", "task", "inputs", "mean violation rate",
            *[r.abbreviation for r in list_relations()], "student flip rate", "teacher flip rate",
            "top-1 agreement", "mean KL (bits)"]


def leaderboard_rows(reports: Sequence[LoadedReport], scope: str = "overall") -> list[list[Any]]:
    """One row per report, best student first (lowest mean violation rate over the registered relations).

    Each relation cell reads ``rate [95% CI] (violations/n)``, in percent.
    """
    from ..relations import relation_keys

    keys = relation_keys()
    if scope not in ("overall", "sources", "follow_ups"):
        raise MetaCompressError(f"unknown scope {scope!r}")
    rows = []
    for rep in reports:
        report = rep.report
        rel = _dig(report, "analysis", "relations", scope) or {}
        rates = [rel[r]["rate"] for r in keys if _number(_dig(rel, r, "rate"))]
        mean = sum(rates) / len(rates) if rates else None
        fidelity = _dig(report, "analysis", "fidelity", scope) or {}
        kl = _dig(fidelity, "kl_bits", "mean")
        rows.append([mean, _short_model(_dig(report, "models", "student", "name_or_path")),
                     _short_model(_dig(report, "models", "teacher", "name_or_path")), rep.name,
                     _dig(report, "task", "name") or "?", _dig(report, "analysis", "counts", "inputs"),
                     *[_rate_text(_dig(rel, r)) for r in keys],
                     _rate_text(_dig(report, "analysis", "flips", "student", "overall"), "flips"),
                     _rate_text(_dig(report, "analysis", "flips", "teacher", "overall"), "flips"),
                     _rate_text(_dig(fidelity, "top1_agreement"), "agreements"),
                     f"{kl:.4f}" if _number(kl) else "n/a"])
    # Uploads of several files called report.json must stay distinguishable in the table.
    seen: dict[str, int] = {}
    for row in rows:
        seen[row[3]] = seen.get(row[3], 0) + 1
        if seen[row[3]] > 1:
            row[3] = f"{row[3]} ({seen[row[3]]})"
    rows.sort(key=lambda r: (r[0] is None, r[0] if r[0] is not None else 0.0, r[3]))
    return [[rank, *row[1:5], row[5], "n/a" if row[0] is None else f"{100 * row[0]:.1f}%", *row[6:]]
            for rank, row in enumerate(rows, start=1)]


def leaderboard_frame(rows: list[list[Any]]):
    """The leaderboard as a pandas DataFrame (what ``gr.Dataframe`` displays)."""
    import pandas as pd

    return pd.DataFrame(rows, columns=leaderboard_columns())


def add_tab(app) -> None:
    """The tab's components and its ``compare`` API event (``app`` is the :class:`~.app.AppContext`)."""
    import gradio as gr

    from ..relations import list_relations

    settings = app.settings

    @app.guard
    def do_compare(files, folder, scope):
        reports, problems = load_reports(files, folder, settings)
        table = leaderboard_rows(reports, scope or "overall")
        names = [r.abbreviation for r in list_relations()]
        over = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
        status = f"**{len(reports)} report(s)**, ranked by mean violation rate over {over} ({scope})."
        old = [r.name for r in reports if str(r.report.get("schema_version", "")).startswith("1.")]
        if old and len(old) < len(reports):
            status += (f"\n\nNot directly comparable: {', '.join(old)} use report schema 1.x, whose per-input CA "
                       "was class-blind and which has no HCC, top-1 agreement or KL; rerun them to compare.")
        if problems:
            status += "\n\nSkipped: " + "; ".join(problems)
        gallery = [(str(p), f"{rep.name}: {p.name}") for rep in reports for p in rep.plots]
        return status, leaderboard_frame(table), gallery

    with gr.Tab("Compare reports", id="compare"):
        with gr.Row():
            files_box = gr.File(file_count="multiple", file_types=[".json", ".zip"],
                                label="report.json files or report zips", type="filepath")
            with gr.Column():
                folder_box = gr.Textbox(label="…or a results folder on the server",
                                        placeholder="path containing */report.json",
                                        interactive=settings.allow_local_paths)
                scope_box = gr.Dropdown(["overall", "follow_ups", "sources"], value="overall",
                                        label="Scope of the rates")
                compare_btn = gr.Button("Compare", variant="primary")
        status_box = gr.Markdown()
        board = gr.Dataframe(headers=leaderboard_columns(), interactive=False, wrap=True, label="Leaderboard")
        plots = gr.Gallery(label="Report plots", columns=2, height="auto")

    outputs = [status_box, board, plots]
    compare_btn.click(lambda: ("*Loading reports…*", None, []), None, outputs, queue=False, api_name=False).then(
        do_compare, [files_box, folder_box, scope_box], outputs, api_name="compare")
