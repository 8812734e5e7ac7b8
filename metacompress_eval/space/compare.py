"""The *Compare reports* tab: report.json files (uploads, zips or a server folder) ranked as a leaderboard.

Reports are named by their student and their data (``tiny-student on test.jsonl``), and ranked only
against reports on the same data: the leaderboard has one table per data group (same task, data,
sources, transformations, seed and number of follow-ups), with ranks restarting in each, since violation rates over
different inputs say nothing about which student is better. Every figure a report folder holds is
shown whole, the known ones first (new figures appear without changes here).
"""

from __future__ import annotations

import html
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..errors import MetaCompressError
from ..markup import markdown_literal
from ..public_names import data_name, model_name
from ..report.plots import CKA_FILE, HEATMAP_FILE, SCATTER_FILE, SHIFT_FILE
from ..report.read import parse_report, pools_attacks, read_report_file, validate_report
from .settings import SpaceSettings, log

#: The figures shown first when a report folder has them (in this order); any other PNG of the
#: folder (figures added later, by new relations or analyses) follows, by name.
PLOT_FILES = (HEATMAP_FILE, SCATTER_FILE, CKA_FILE, SHIFT_FILE)
#: At most this many figures per report.
MAX_PLOTS = 8


def plot_order(names: Sequence[str]) -> list[str]:
    """Figure file names of one report folder in display order: the known figures, then the others."""
    pngs = [n for n in names if n.lower().endswith(".png")]
    known = [n for n in PLOT_FILES if n in pngs]
    return (known + sorted(n for n in pngs if n not in known))[:MAX_PLOTS]




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


def _reports_from_zip(path: Path, settings: SpaceSettings, dest: Path,
                      limit: int) -> tuple[list[LoadedReport], list[str], int]:
    """Reports (and their plots) inside a zip, read member by member with size caps (no extractall),
    at most ``limit`` of them; returns them, one problem per report.json that could not be used (the
    zip's other reports are still read) and how many more the zip holds.

    Member names are never used as paths; sizes are enforced on the bytes actually inflated, not on
    what the archive claims; a plot must be a PNG. Raises only when the zip as a whole is unusable
    (damaged, too many files, no report.json at all).
    """
    from .limits import copy_capped

    found = []
    problems = []
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if len(infos) > 500:
                raise MetaCompressError(f"{path.name}: too many files in the zip ({len(infos)})")
            wanted = [i for i in infos if Path(i.filename).name == "report.json"]
            for info in wanted[:limit]:
                where = f"{path.name}:{info.filename}"
                try:
                    if info.file_size > settings.max_upload_bytes * 4:
                        raise MetaCompressError(f"{where}: report.json is too large")
                    with zf.open(info) as member:
                        raw = member.read(settings.max_upload_bytes * 4 + 1)
                    if len(raw) > settings.max_upload_bytes * 4:
                        raise MetaCompressError(f"{where}: report.json is too large")
                    report = parse_report(raw, where)
                except MetaCompressError as exc:  # this report only: the zip's others are still read
                    problems.append(str(exc))
                    continue
                except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as exc:  # a damaged member
                    problems.append(f"{where}: cannot be unpacked ({type(exc).__name__})")
                    continue
                folder = str(Path(info.filename).parent)
                prefix = "" if folder == "." else f"{folder}/"
                beside = [i.filename[len(prefix):] for i in infos
                          if i.filename.startswith(prefix) and "/" not in i.filename[len(prefix):]]
                plots = []
                # One fresh folder per report: figures keep their own (sanitised) names, nothing collides.
                folder_out = Path(tempfile.mkdtemp(prefix="zip-", dir=dest))
                for plot in plot_order(beside):
                    member_name = prefix + plot
                    pinfo = zf.getinfo(member_name)
                    if pinfo.file_size > settings.max_plot_bytes:
                        continue  # a plot is a nicety: an oversized one is left out, not unpacked
                    target = folder_out / _safe_name(plot)
                    try:
                        with zf.open(pinfo) as member:
                            copy_capped(member, target, settings.max_plot_bytes, f"{path.name}:{member_name}")
                    except (MetaCompressError, zipfile.BadZipFile, EOFError, OSError, NotImplementedError):
                        continue  # an oversized or damaged figure is left out; the report still counts
                    with open(target, "rb") as fh:
                        if fh.read(8) != b"\x89PNG\r\n\x1a\n":
                            target.unlink()
                            continue
                    plots.append(target)
                found.append(LoadedReport(where, where, report, plots))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
        raise MetaCompressError(f"{path.name}: not a valid zip file (damaged or truncated: {exc})") from None
    if not wanted:
        raise MetaCompressError(f"{path.name}: the zip holds no report.json")
    return found, problems, max(0, len(wanted) - limit)


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
                # One Compare shows at most max_compare_files reports, however they are packed: a zip of
                # hundreds of reports would hold the worker for minutes (a heatmap drawn for each).
                found, bad, more = _reports_from_zip(path, settings, dest,
                                                     settings.max_compare_files - len(reports))
                reports += found
                problems += bad
                if more:
                    problems.append(f"{label}: {more} more report(s) left out; compare at most "
                                    f"{settings.max_compare_files} at a time")
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
        # Only folders under the results root (default: where the app was started): even on your own
        # machine, a box that reads any folder ("/") would compare whatever reports the disk holds.
        allowed = settings.results_root
        root = (allowed / Path(folder).expanduser()).resolve()
        if root != allowed and allowed not in root.parents:
            raise MetaCompressError(f"results folder {folder!r} is outside {allowed}, the folder this app reads "
                                    "results from (start it there, or set --results-root)")
        if not root.is_dir():
            raise MetaCompressError(f"results folder {folder!r} does not exist or is not a folder")
        # Bounded walk: a results folder holds report folders, not a whole file system.
        candidates = sorted(p for depth in ("report.json", "*/report.json", "*/*/report.json", "*/*/*/report.json")
                            for p in root.glob(depth))[:50]
        if not candidates:
            problems.append(f"no report.json found in {folder} (searched 3 levels deep)")
        for path in candidates:
            if allowed not in path.resolve().parents:  # a symbolic link out of the results root
                problems.append(f"{path.relative_to(root)}: links outside {allowed}, skipped")
                continue
            rel = str(path.parent.relative_to(root)) if path.parent != root else root.name
            try:
                report = read_report_file(path, rel)
            except MetaCompressError as exc:
                problems.append(str(exc))
                continue
            plots = [path.parent / p for p in plot_order([f.name for f in path.parent.iterdir() if f.is_file()])]
            reports.append(LoadedReport(rel, str(path), report, plots))
    if len(reports) > settings.max_compare_files:
        problems.append(f"{len(reports) - settings.max_compare_files} report(s) after the first "
                        f"{settings.max_compare_files} left out; compare at most {settings.max_compare_files} at a time")
        reports = reports[:settings.max_compare_files]
    if not reports:
        if problems:
            raise MetaCompressError("no usable report: " + "; ".join(problems))
        raise MetaCompressError("upload one or more report.json files (or report zips), or give a results folder")
    # Reports uploaded without their plots still get the violation heatmap, redrawn from the analysis.
    from ..report.plots import heatmap

    for i, rep in enumerate(reports):
        if not rep.plots:
            try:
                rep.plots = [heatmap(rep.report["analysis"], Path(tempfile.mkdtemp(dir=dest)) / HEATMAP_FILE)]
            except Exception as exc:  # noqa: BLE001 - a plot is a nicety: never fail the comparison over it
                log.warning("cannot draw a heatmap for %s: %s", rep.name, type(exc).__name__)
    return reports, problems


# --------------------------------------------------------------------------------------------
# Naming and grouping: a report is named by its student and its data, and ranked only against
# reports on the same data (same task, data, sources and follow-up settings).
# --------------------------------------------------------------------------------------------


def _dig(data: Any, *keys: str) -> Any:
    """``data[k1][k2]...``, or ``None`` as soon as a level is missing or not an object (uploads are untrusted)."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _plain(value: Any) -> Any:
    """A value fit for a grouping key and a heading: scalars as they are, anything else as text."""
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def report_model(report: dict, role: str) -> str:
    """The report's ``role`` model by public name (Hub id, demo name or folder name)."""
    name = _dig(report, "models", role, "name")
    return str(name) if name else model_name(str(_dig(report, "models", role, "name_or_path") or "?"))


def report_data_name(report: dict) -> str:
    """The report's data by public name (Hub id or file name, with split and filters)."""
    data = report.get("data")
    try:
        return data_name(data) if isinstance(data, dict) else "?"
    except (TypeError, ValueError, AttributeError):  # fields of the wrong type in an untrusted upload
        return "?"


def data_key(report: dict) -> tuple:
    """What two reports must share to be ranked together: task, data, sources, transformations, seed and
    the number of follow-ups they made (which also differs when verification or limits did)."""
    transforms = _dig(report, "settings", "transforms")
    return (_plain(_dig(report, "task", "name")), _plain(_dig(report, "task", "language")), report_data_name(report),
            _plain(_dig(report, "data", "n_sources")),
            tuple(sorted(str(t) for t in transforms)) if isinstance(transforms, list) else (),
            _plain(_dig(report, "settings", "seed")), _plain(_dig(report, "data", "n_follow_ups")))


def data_title(report: dict, limit: int | None = None) -> str:
    """The heading of a group of comparable reports (the data's name shortened to ``limit`` characters)."""
    task, language, data, n_sources, transforms, seed, n_follow_ups = data_key(report)
    data = data if limit is None else short_name(data, limit)
    made = "" if n_follow_ups is None else f"{n_follow_ups} "
    sources = f"{_count(n_sources)} sources"  # an upload without n_sources reads "? sources", never "None"
    return " · ".join([str(data), f"task {task}" + (f" ({language})" if language else ""), sources,
                       f"{made}follow-ups: " + (", ".join(transforms) or "none"),
                       f"seed {'?' if seed is None else seed}"])


def display_names(reports: Sequence[LoadedReport]) -> list[str]:
    """``<student> on <data>`` per report; where two would read the same, where each came from is added."""
    base = [f"{report_model(r.report, 'student')} on {report_data_name(r.report)}" for r in reports]
    names = [b if base.count(b) == 1 else f"{b} ({r.name})" for b, r in zip(base, reports)]
    seen: dict[str, int] = {}
    out = []
    for name in names:  # the same file given twice
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return out


@dataclass(frozen=True)
class Cell:
    """One leaderboard cell: the value, its 95% CI and its count (``k/n``), as text."""

    main: str
    ci: str = ""
    count: str = ""

    @property
    def text(self) -> str:
        return self.main + (f" [{self.ci}]" if self.ci else "") + (f" ({self.count})" if self.count else "")


def _pair(ci: Any) -> bool:
    return isinstance(ci, list) and len(ci) == 2 and all(_is_number(v) for v in ci)


def _count(value: Any) -> str:
    """A count as shown: a whole number of at most 12 digits, else "?" (an upload can hold anything, and a
    4,000-digit number or a long string would stretch its column across thousands of pixels)."""
    if _is_number(value) and value == value and 0 <= value < 1e12 and float(value).is_integer():
        return str(int(value))
    return "?"


def _is_share(value: Any) -> bool:
    return _is_number(value) and 0 <= value <= 1


def _rate(entry: Any, numerator: str = "violations") -> Cell:
    # Uploaded reports are untrusted: anything that is not a well-formed rate entry (a rate in [0, 1])
    # reads "n/a", a CI outside [0, 1] is left out, counts that are not counts read "?".
    if not isinstance(entry, dict) or not _is_share(entry.get("rate")):
        return Cell("n/a")
    ci = entry.get("ci95")
    return Cell(f"{100 * entry['rate']:.1f}%",
                f"{100 * ci[0]:.1f}–{100 * ci[1]:.1f}" if _pair(ci) and all(map(_is_share, ci)) else "",
                f"{_count(entry.get(numerator))}/{_count(entry.get('n'))}")


def _decimal(value: float) -> str:
    # Four decimals, or four significant digits for a value too large (or not finite) to write that way.
    if abs(value) < 1e6:
        return f"{value:.4f}"
    try:
        return f"{value:.4g}"
    except OverflowError:  # an integer beyond any float
        return "?"


def _number(value: Any, ci: Any = None) -> Cell:
    if not _is_number(value):
        return Cell("n/a")
    return Cell(_decimal(value), f"{_decimal(ci[0])}–{_decimal(ci[1])}" if _pair(ci) else "")


@dataclass
class BoardRow:
    """One report on the leaderboard: its data group, its rank there, its names and its cells."""

    group: int
    rank: int
    mean: float | None
    name: str
    report: LoadedReport
    cells: dict[str, Cell]
    tied: bool = False
    duplicate_of: str | None = None


def content_key(report: dict) -> str:
    """The report's content, canonically written: two uploads with the same key are the same report."""
    return json.dumps(report, sort_keys=True, ensure_ascii=True, default=str)


def board_columns() -> list[tuple[str, str, str, str]]:
    """The metric columns as (key, header, label, description): a short header for the table, a label
    for the narrow layout, a description on hover. One column per registered relation."""
    from ..relations import list_relations

    return [("inputs", "inputs", "inputs", "sources and follow-ups evaluated"),
            ("mean", "mean", "mean violation rate", "mean violation rate over the relations: the ranking (lower is "
                                                    "better)"),
            *[(r.key, r.abbreviation, f"{r.abbreviation} ({r.title})",
               f"{r.title}: violation rate [95% CI] · violations/n") for r in list_relations()],
            ("student_flips", "S flips", "student flip rate", "student flip rate on follow-ups [95% CI] · flips/n"),
            ("teacher_flips", "T flips", "teacher flip rate", "teacher flip rate on follow-ups [95% CI] · flips/n"),
            ("top1", "top-1", "top-1 agreement", "top-1 agreement with the teacher [95% CI] · agreements/n (higher "
                                                 "is better)"),
            ("kl", "KL", "mean KL (bits)", "mean KL(teacher ‖ student) in bits [95% CI] (lower is better)"),
            ("dp", "|ΔP|", "mean |ΔP|", "mean |ΔP| = ½·Σ_c |p_T(c) − p_S(c)| (lower is better)")]


def board_rows(reports: Sequence[LoadedReport], scope: str = "overall") -> list[BoardRow]:
    """The reports grouped by :func:`data_key` and ranked within their group by mean violation rate over the
    registered relations, lowest first (ties by name). Groups are ordered by their title (data name first),
    so the page reads the same whatever order the files were uploaded in."""
    from ..relations import relation_keys

    if scope not in ("overall", "sources", "follow_ups"):
        raise MetaCompressError(f"unknown scope {scope!r}")
    keys = relation_keys()
    keys_of = {data_key(r.report): r.report for r in reports}
    groups = {key: i for i, key in enumerate(sorted(keys_of, key=lambda k: (data_title(keys_of[k]), repr(k))), 1)}
    rows = []
    for rep, name in zip(reports, display_names(reports)):
        a = rep.report
        rel = _dig(a, "analysis", "relations", scope) or {}
        rates = [rel[k]["rate"] for k in keys if _is_number(_dig(rel, k, "rate"))]
        mean = sum(rates) / len(rates) if rates else None
        fidelity = _dig(a, "analysis", "fidelity", scope) or {}
        inputs = _dig(a, "analysis", "counts", "inputs")
        cells = {"inputs": Cell(_count(inputs)),
                 "mean": Cell("n/a" if mean is None else f"{100 * mean:.1f}%"),
                 **{k: _rate(_dig(rel, k)) for k in keys},
                 "student_flips": _rate(_dig(a, "analysis", "flips", "student", "overall"), "flips"),
                 "teacher_flips": _rate(_dig(a, "analysis", "flips", "teacher", "overall"), "flips"),
                 "top1": _rate(_dig(fidelity, "top1_agreement"), "agreements"),
                 "kl": _number(_dig(fidelity, "kl_bits", "mean"), _dig(fidelity, "kl_bits", "ci95")),
                 "dp": _number(_dig(fidelity, "mean_abs_prob_difference"))}
        rows.append(BoardRow(groups[data_key(rep.report)], 0, mean, name, rep, cells))
    rows.sort(key=lambda r: (r.group, r.mean is None, r.mean if r.mean is not None else 0.0, r.name))
    # Standard competition ranking: equal means share a rank (1, 1, 3), and say so; the means are compared
    # as shown (to 0.1%), since an order the page cannot show would read as arbitrary.
    for row in rows:
        peers = [r for r in rows if r.group == row.group]
        same = [r for r in peers if r.cells["mean"].main == row.cells["mean"].main]
        row.rank = 1 + peers.index(same[0])
        row.tied = len(same) > 1
    first_with: dict[str, str] = {}
    for row in rows:  # the same content uploaded twice (or the same report under two names)
        key = content_key(row.report.report)
        if key in first_with:
            row.duplicate_of = first_with[key]
        else:
            first_with[key] = row.name
    return rows


def leaderboard_columns() -> list[str]:
    """The columns of the table the ``compare`` API returns (``rank`` restarts in every data group):
    names, then the metrics (relations by abbreviation, the others by their label)."""
    from ..relations import relation_keys

    keys = set(relation_keys())
    return ["rank", "student", "teacher", "data", "report", "task",
            *[header if key in keys else label for key, header, label, _ in board_columns()]]


def leaderboard_rows(reports: Sequence[LoadedReport], scope: str = "overall") -> list[list[Any]]:
    """:func:`board_rows` as plain rows of :func:`leaderboard_columns` (cells ``rate [CI] (k/n)``)."""
    return [[row.rank, report_model(row.report.report, "student"), report_model(row.report.report, "teacher"),
             report_data_name(row.report.report), row.name, _plain(_dig(row.report.report, "task", "name")),
             *[row.cells[key].text for key, _, _, _ in board_columns()]]
            for row in board_rows(reports, scope)]


def leaderboard_frame(rows: list[list[Any]]):
    """The leaderboard as a pandas DataFrame (what the API's ``gr.Dataframe`` carries)."""
    import pandas as pd

    return pd.DataFrame(rows, columns=leaderboard_columns())


def leaderboard_html(reports: Sequence[LoadedReport], scope: str = "overall") -> str:
    """The leaderboard for people: one table per data group, each column headed by a short name (its
    description on hover), every rate with its CI and count on a second line. Below 1000 px of width
    the rows turn into cards with one labelled line per column (CSS in :mod:`.app`)."""
    rows = board_rows(reports, scope)
    columns = board_columns()
    out = ['<div class="mc-board" id="mc-board">']
    for group in sorted({r.group for r in rows}):
        members = [r for r in rows if r.group == group]
        head = "".join(f'<th data-col="{_esc(key)}" title="{_esc(desc)}">{_esc(header)}</th>'
                       for key, header, _, desc in columns)
        title = data_title(members[0].report.report)
        out += [f'<section class="mc-group" data-group="{group}">',
                f'<h4 class="mc-group-title" title="{_esc(title)}">'
                f'{_esc(short_name(data_title(members[0].report.report, 64), 400))}</h4>',
                '<div class="mc-wrap"><table class="mc-table mc-lb">',
                f'<thead><tr><th data-col="rank" title="rank within this data">#</th>'
                f'<th data-col="student" title="student, its teacher and where the report came from">student</th>'
                f"{head}</tr></thead><tbody>"]
        for row in members:
            teacher = report_model(row.report.report, "teacher")
            student = report_model(row.report.report, "student")
            sub = f"teacher: {teacher} · {row.report.name}" + (
                f" · same content as {row.duplicate_of}" if row.duplicate_of else "")
            flags = (('<span class="mc-sub mc-tie">tie</span>' if row.tied else "")
                     + ('<span class="mc-sub mc-dup" title="same content as '
                        f'{_esc(row.duplicate_of)}">duplicate</span>' if row.duplicate_of else ""))
            cells = "".join(
                f'<td data-col="{_esc(key)}" data-label="{_esc(label)}" title="{_esc(desc)}"><div class="mc-val">'
                f'<span class="mc-main">{_esc(row.cells[key].main)}</span>'
                + (f'<span class="mc-sub">{_esc(" · ".join(x for x in (row.cells[key].ci, row.cells[key].count) if x))}'
                   "</span>" if row.cells[key].ci or row.cells[key].count else "") + "</div></td>"
                for key, _, label, desc in columns)
            out.append(f'<tr data-rank="{row.rank}" data-report="{_esc(row.name)}">'
                       f'<td data-col="rank" data-label="rank" class="mc-rank"><div class="mc-val">'
                       f'<span class="mc-main">{row.rank}</span>{flags}</div></td>'
                       f'<td data-col="student" data-label="student"><div class="mc-val mc-name">'
                       f'<span class="mc-main" title="{_esc(student)}">{breakable(short_name(student))}</span>'
                       f'<span class="mc-sub" title="{_esc(sub)}">teacher: {breakable(short_name(teacher, 32))} · '
                       f'{breakable(short_name(row.report.name, 32))}</span></div></td>'
                       f"{cells}</tr>")
        out.append("</tbody></table></div></section>")
    out.append("</div>")
    return "".join(out)


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def breakable(text: Any) -> str:
    """``text`` escaped, with a line-break opportunity (``<wbr>``) after each separator (``/ _ - . :``) and
    none elsewhere (the CSS forbids breaking inside words): ``demo_report.json`` wraps as
    ``demo_`` / ``report.json``, never ``demo_report.jso`` / ``n``."""
    return re.sub(r"([/_\-.:])", r"\1<wbr>", _esc(text))


def figure_title(path: Path) -> str:
    """``violation_heatmap.png`` → ``violation heatmap`` (gallery captions; figures keep their names)."""
    return Path(path).stem.replace("_", " ")


def gallery_items(reports: Sequence[LoadedReport], scope: str = "overall") -> list[tuple[str, str]]:
    """(image path, caption) per figure of every report, captioned with the report's display name (shortened).

    In the leaderboard's order (data group, then rank), each report's figures in :func:`plot_order`:
    the same page whatever order the files were uploaded in.
    """
    return [(str(p), f"{short_name(row.name, 80)}: {figure_title(p)}") for row in board_rows(reports, scope)
            for p in row.report.plots]


def short_name(text: Any, limit: int = 48) -> str:
    """``text`` on one line, at most ``limit`` characters: a longer one keeps its start and end around "…"
    (the full text goes into a hover title beside it). A name from an upload can be any length."""
    flat = " ".join(str(text).split())
    if len(flat) <= limit:
        return flat
    tail = max(8, limit // 3)
    return flat[:limit - tail - 1] + "…" + flat[-tail:]


def not_comparable_reason(report: dict) -> str | None:
    """Why ``report``'s figures mean something else than a current report's (the end of "Not directly
    comparable: <names> ..."), or ``None``: schema 1.x, or pooled figures that include the adversarial
    examples (a report written before they were pooled apart, :func:`~metacompress_eval.report.read.pools_attacks`)."""
    if str(report.get("schema_version", "")).startswith("1."):
        return ("use report schema 1.x, whose per-input CA was class-blind and which has no HCC, top-1 agreement "
                "or KL")
    if pools_attacks(report.get("analysis")):
        return ("pool their adversarial examples (attack follow-ups) into every figure, having been written before "
                "they were pooled apart")
    return None


def status_text(reports: Sequence[LoadedReport], scope: str, problems: Sequence[str] = ()) -> str:
    """The line above the leaderboard: how many reports, how they are ranked, what was skipped."""
    from ..relations import list_relations

    names = [r.abbreviation for r in list_relations()]
    over = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
    groups = len({data_key(r.report) for r in reports})
    status = f"**{len(reports)} report(s)**, ranked by mean violation rate over {over} ({scope})"
    status += (f", within each of their {groups} data sets: reports on different data are not ranked against "
               "each other." if groups > 1 else ".")
    rows = board_rows(reports, scope)
    if any(r.tied for r in rows):
        status += " Equal means share a rank (marked *tie*)."
    duplicates = [r for r in rows if r.duplicate_of]
    if duplicates:
        status += ("\n\nSame content uploaded more than once: " + "; ".join(
            f"{markdown_literal(short_name(r.name))} = {markdown_literal(short_name(r.duplicate_of))}"
            for r in duplicates) + " (marked *duplicate*).")
    names = display_names(reports)
    for why in dict.fromkeys(w for rep in reports if (w := not_comparable_reason(rep.report))):
        odd = [name for rep, name in zip(reports, names) if not_comparable_reason(rep.report) == why]
        if len(odd) < len(reports):  # reports that all share the reason are comparable among themselves
            status += (f"\n\nNot directly comparable: {', '.join(markdown_literal(short_name(n)) for n in odd)} "
                       f"{why}; rerun them to compare.")
    if problems:  # one line per file (or zip member) that could not be used, with why
        status += f"\n\nSkipped {len(problems)} file(s):\n" + "\n".join(
            f"- {markdown_literal(short_name(p, 300))}" for p in problems)
    return status


def add_tab(app) -> None:
    """The tab's components and its ``compare`` API event (``app`` is the :class:`~.app.AppContext`).

    The event returns the status, the leaderboard as HTML (what people read), the same as a table
    (for API clients; hidden in the page) and the figures.
    """
    import gradio as gr

    from .app import failure_status

    settings = app.settings

    @app.guard
    def do_compare(files, folder, scope):
        scope = scope or "overall"
        reports, problems = load_reports(files, folder, settings)
        return (status_text(reports, scope, problems), leaderboard_html(reports, scope),
                leaderboard_frame(leaderboard_rows(reports, scope)), gallery_items(reports, scope))

    with gr.Tab("Compare reports", id="compare"):
        with gr.Row():
            files_box = gr.File(file_count="multiple", file_types=[".json", ".zip"],
                                label="report.json files or report zips", type="filepath", elem_id="mc-compare-files")
            with gr.Column():
                folder_box = gr.Textbox(label="…or a results folder on the server",
                                        placeholder="path containing */report.json",
                                        interactive=settings.allow_local_paths)
                scope_box = gr.Dropdown(["overall", "follow_ups", "sources"], value="overall",
                                        label="Scope of the rates")
                compare_btn = gr.Button("Compare", variant="primary", elem_id="mc-compare")
        status_box = gr.Markdown(elem_id="mc-compare-status")
        board_box = gr.HTML(elem_id="mc-board-html")
        board = gr.Dataframe(headers=leaderboard_columns(), interactive=False, visible=False, label="Leaderboard")
        plots = gr.Gallery(label="Report figures", columns=2, height="auto", object_fit="contain",
                           elem_id="mc-compare-plots", elem_classes=["mc-figures"])

    outputs = [status_box, board_box, board, plots]
    compare_btn.click(lambda: ("*Loading reports…*", "", None, []), None, outputs, queue=False, api_name=False).then(
        do_compare, [files_box, folder_box, scope_box], outputs, api_name="compare").failure(
        lambda: failure_status("Compare"), None, status_box, api_name=False, queue=False)
