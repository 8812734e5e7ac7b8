"""The Gradio Space: probe a snippet, compare reports, run a small evaluation.

The module has two layers:

* gradio-free logic (:class:`SpaceSettings`, :class:`ModelStore`, :func:`probe_snippet`,
  :func:`load_reports`, :func:`leaderboard_rows`, :func:`run_small_evaluation`), which raises
  :class:`~metacompress_eval.errors.MetaCompressError` for anything the user did wrong;
* :func:`build_app`, which wires that logic into a ``gr.Blocks`` page and turns every error into a
  message in the page (``gr.Error``), never a traceback.

It is meant to be safe to host publicly: submitted code is only parsed, transformed and fed to the
models (never compiled or executed), inputs are size-capped, a Run is capped in rows and wall time,
and the only network traffic the server makes is a Hub download when the user names a Hub model.
Local folders (models, results) can be switched off for a public host with
``METACOMPRESS_SPACE_ALLOW_LOCAL=0``.
"""

from __future__ import annotations

import difflib
import functools
import html
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from .errors import MetaCompressError

log = logging.getLogger(__name__)

#: Pseudo model names that stand for the demo's teacher and student (built on first use). A colon
#: cannot occur in a Hub id, so these never shadow a real model.
DEMO_TEACHER = "demo:teacher"
DEMO_STUDENT = "demo:student"

TASKS = ("defect", "clone", "classification")
PLOT_FILES = ("violation_heatmap.png", "confidence_scatter.png")
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$")

Progress = Callable[[float, str], None]


def _no_progress(fraction: float, message: str) -> None:
    """Default progress sink: log only."""
    log.info("%3.0f%% %s", 100 * fraction, message)


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


# --------------------------------------------------------------------------------------------
# Settings and models
# --------------------------------------------------------------------------------------------


@dataclass
class SpaceSettings:
    """Limits and defaults of one app instance.

    Attributes:
        default_teacher / default_student: what the model boxes hold when the page opens.
        models_dir: where the demo models are built (once) and kept.
        demo_size: the demo preset used for ``demo:`` models (``demo`` or ``tiny``).
        seed: seed of the demo models and the default seed of follow-ups.
        allow_local_paths: whether users may name server folders (models, results). Turn it off
            on a public host so that visitors cannot probe the server's file system.
        max_snippet_chars: longest snippet accepted by Probe (and longest row in Run).
        max_run_rows: most source rows one Run evaluates.
        max_run_seconds: wall-time budget of one Run (checked between pipeline stages).
        max_upload_bytes: largest data file / report file accepted.
        output_cache_dir: model-output cache used by Run (``None``: the CLI's default cache).
        work_dir: where Run reports and extracted plots are written (a fresh temp folder if
            ``None``).
        examples: extra snippets offered in the Example menu (``name → (language, task, code)``).
    """

    default_teacher: str = DEMO_TEACHER
    default_student: str = DEMO_STUDENT
    models_dir: Path | None = None
    demo_size: str = "demo"
    seed: int = 0
    allow_local_paths: bool = True
    max_snippet_chars: int = 20_000
    max_run_rows: int = 40
    max_run_seconds: float = 600.0
    max_upload_bytes: int = 5_000_000
    output_cache_dir: str | None = None
    work_dir: Path | None = None
    examples: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.models_dir is None:
            from .inference import default_cache_dir

            self.models_dir = default_cache_dir() / "space-models"
        self.models_dir = Path(self.models_dir).expanduser()
        if self.work_dir is None:
            self.work_dir = Path(tempfile.mkdtemp(prefix="metacompress-space-"))
        self.work_dir = Path(self.work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        if self.demo_size not in ("demo", "tiny"):
            raise MetaCompressError(f"demo size must be 'demo' or 'tiny', not {self.demo_size!r}")

    @classmethod
    def from_env(cls, **overrides: Any) -> "SpaceSettings":
        """Settings from ``METACOMPRESS_SPACE_*`` environment variables, then ``overrides``."""
        env = os.environ
        values: dict[str, Any] = {
            "default_teacher": env.get("METACOMPRESS_SPACE_TEACHER") or DEMO_TEACHER,
            "default_student": env.get("METACOMPRESS_SPACE_STUDENT") or DEMO_STUDENT,
            "models_dir": env.get("METACOMPRESS_SPACE_MODELS") or None,
            "demo_size": env.get("METACOMPRESS_SPACE_DEMO_SIZE") or "demo",
            "allow_local_paths": _env_flag("METACOMPRESS_SPACE_ALLOW_LOCAL", True),
        }
        if env.get("METACOMPRESS_SPACE_MAX_ROWS"):
            values["max_run_rows"] = int(env["METACOMPRESS_SPACE_MAX_ROWS"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def demo_model_dirs(settings: SpaceSettings) -> tuple[Path, Path]:
    """Where the demo teacher and student live for these settings."""
    root = settings.models_dir / f"{settings.demo_size}-seed{settings.seed}"
    return root / "teacher", root / "student"


def build_demo_models(settings: SpaceSettings, progress: Progress = _no_progress) -> tuple[Path, Path]:
    """The demo teacher and student for these settings, built on first use by the demo's own builder.

    :func:`metacompress_eval.demo.models.build_demo_models` is what ``metacompress demo`` runs: the
    same corpus, presets and stamps (a changed preset retrains), reused when the stamps match, never
    left half-written.
    """
    from .demo.models import build_demo_models as build

    teacher_dir, student_dir = demo_model_dirs(settings)
    announced = []

    def trainer_progress(stage: str, fraction: float) -> None:
        if not announced:
            announced.append(True)
            progress(0.0, f"building the demo models (first use only, a few minutes) in {settings.models_dir}")
        progress(float(fraction), f"demo models: {stage}")

    build(teacher_dir.parent, size=settings.demo_size, seed=settings.seed, progress=trainer_progress)
    if announced:
        progress(1.0, "demo models ready")
    return teacher_dir, student_dir


class ModelStore:
    """Resolves model names (demo, local folder, Hub id) and keeps a few loaded models in memory.

    Loading a checkpoint costs far more than probing one snippet, so the last ``capacity`` models
    stay loaded. A lock serialises loads: two requests for one model must not both load it.
    """

    def __init__(self, settings: SpaceSettings, capacity: int = 4):
        self.settings = settings
        self.capacity = capacity
        self._models: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.RLock()

    def resolve(self, name: str | None, role: str, progress: Progress = _no_progress) -> str:
        """A folder or Hub id that ``load_model`` accepts, building the demo models if needed."""
        name = (name or "").strip()
        if not name:
            raise MetaCompressError(f"choose a {role} model: {DEMO_TEACHER}/{DEMO_STUDENT}, a local folder "
                                    "or a Hub model id")
        if name.startswith("demo:"):
            which = name.split(":", 1)[1]
            if which not in ("teacher", "student"):
                raise MetaCompressError(f"unknown demo model {name!r}; use {DEMO_TEACHER} or {DEMO_STUDENT}")
            with self._lock:
                teacher, student = build_demo_models(self.settings, progress)
            return str(teacher if which == "teacher" else student)
        looks_local = name.startswith(("/", ".", "~")) or "\\" in name or Path(name).expanduser().exists()
        if looks_local:
            if not self.settings.allow_local_paths:
                raise MetaCompressError(f"{role}: local folders are disabled on this server; "
                                        "give a Hub model id or a demo model")
            return str(Path(name).expanduser())
        if not _HUB_ID.match(name) or ".." in name:
            raise MetaCompressError(f"{role} {name!r} is neither a demo model, a local folder nor a Hub model id "
                                    "(owner/name)")
        return name

    def load(self, name: str | None, role: str, progress: Progress = _no_progress):
        """The loaded model for ``name`` (see :func:`metacompress_eval.models.load_model`)."""
        from .model_outputs import ModelSpec

        target = self.resolve(name, role, progress)
        config = Path(target) / "config.json"
        # A rebuilt local folder must not be served from memory: key on config.json's mtime.
        stamp = config.stat().st_mtime_ns if config.is_file() else None
        key = (target, stamp)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            progress(0.0, f"loading {role} {name}")
            # trust_remote_code stays off: a Hub checkpoint must never run its own code here.
            model = ModelSpec(target, trust_remote_code=False).load(role, "cpu")
            model.name = name.strip()
            self._models[key] = model
            while len(self._models) > self.capacity:
                self._models.popitem(last=False)
            return model

    def pair(self, teacher: str | None, student: str | None, progress: Progress = _no_progress):
        """Teacher and student, loaded and with aligned label spaces."""
        from .models import align_label_spaces

        t = self.load(teacher, "teacher", progress)
        s = self.load(student, "student", progress)
        align_label_spaces(t, s)
        return t, s


# --------------------------------------------------------------------------------------------
# Probe
# --------------------------------------------------------------------------------------------


def check_snippet(code: str | None, language: str, max_chars: int, what: str = "snippet") -> str:
    """Validate one snippet: non-empty, within the size limit, parseable as ``language``."""
    from .code.languages import SUPPORTED_LANGUAGES, parse

    if language not in SUPPORTED_LANGUAGES:
        raise MetaCompressError(f"unknown language {language!r}; supported: {', '.join(SUPPORTED_LANGUAGES)}")
    if code is None or not code.strip():
        raise MetaCompressError(f"the {what} is empty: paste a function or pick an example")
    if len(code) > max_chars:
        raise MetaCompressError(f"the {what} has {len(code):,} characters; the limit here is {max_chars:,}")
    if "\x00" in code:
        raise MetaCompressError(f"the {what} contains NUL characters; paste source code as text")
    errors = parse(code, language).error_count()
    if errors:
        raise MetaCompressError(f"the {what} does not parse as {language} ({errors} syntax error(s)); "
                                "follow-ups can only be derived from code that parses")
    return code


def unified_diff(before: str, after: str, name: str) -> str:
    """A unified diff of one follow-up against its source (2 lines of context)."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), "source", name, lineterm="", n=2)
    return "\n".join(lines)


def probe_snippet(store: ModelStore, code: str, language: str, task: str = "defect", teacher: str | None = None,
                  student: str | None = None, *, code2: str | None = None, seed: int = 0,
                  thresholds=None, transforms: Sequence[str] | None = None,
                  progress: Progress = _no_progress) -> dict:
    """Derive every applicable follow-up of a snippet, run both models, check each relation per input.

    Returns a JSON-serialisable dict: ``label_names``, ``inputs`` (the source first, then one entry
    per follow-up: ``transformation``, ``code``, ``diff``, ``teacher``/``student`` probabilities and
    prediction, ``verdicts`` per relation with ``violated`` (``None`` where a relation does not
    apply) and its measured value, ``flips`` for follow-ups), ``skipped`` (transformations that
    did not apply, with the reason) and ``summary`` (violation counts per relation).
    """
    from .data import SourceInput
    from .follow_ups import build_follow_ups
    from .model_outputs import EvaluationRows, run_models
    from .relations import Thresholds, list_relations, per_input_checks
    from .transforms import list_transformations

    settings = store.settings
    if task not in TASKS:
        raise MetaCompressError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    th = thresholds or Thresholds()
    sources = (check_snippet(code, language, settings.max_snippet_chars, "snippet"),)
    if task == "clone":
        sources += (check_snippet(code2, language, settings.max_snippet_chars, "second function"),)
    names = list(transforms) if transforms else [t.name for t in list_transformations(language)]
    progress(0.05, "deriving follow-ups")
    # The same path as `metacompress evaluate`: follow-ups -> model outputs -> per-input relation checks.
    source = SourceInput("snippet", sources)
    follow = build_follow_ups([source], language, names, seed=int(seed))
    t_model, s_model = store.pair(teacher, student, progress)
    rows = EvaluationRows([source], list(follow.items))
    inputs = rows.inputs
    progress(0.6, "running teacher and student")
    # No output cache: one snippet is cheap, and submitted code should not linger on disk.
    predictions = run_models({"teacher": t_model, "student": s_model}, inputs, None, batch_size=16)
    label_names = list(t_model.label_names)
    outputs = rows.outputs({role: p.probs for role, p in predictions.items()}, label_names, labelled=False)
    pi = per_input_checks(outputs, th)

    def model_view(p, y, conf) -> dict:
        return {"probs": [round(float(v), 6) for v in p], "prediction": int(y),
                "prediction_name": label_names[int(y)], "confidence": round(float(conf), 6)}

    relations = list_relations()
    rows = []
    for i, item in enumerate([None] + follow.items):
        # "violated" is None where a relation does not apply (e.g. HCP where the teacher is not confident).
        verdicts = {r.key: {"violated": pi.verdict(r.key, i),
                            "value": round(float(pi.measures[r.key][i]), 6) if r.key in pi.measures else None}
                    for r in relations}
        entry = {
            "transformation": None if item is None else item.transformation,
            "code": list(inputs[i]),
            "diff": None if item is None else [unified_diff(a, b, item.transformation)
                                               for a, b in zip(sources, item.inputs) if a != b],
            "provenance": None if item is None else item.provenance,
            "teacher": model_view(pi.teacher_probs[i], pi.y_t[i], pi.conf_t[i]),
            "student": model_view(pi.student_probs[i], pi.y_s[i], pi.conf_s[i]),
            "verdicts": verdicts,
            "flips": None if item is None else {"teacher": bool(pi.y_t[i] != pi.y_t[0]),
                                                "student": bool(pi.y_s[i] != pi.y_s[0])},
        }
        entry["violations"] = [r.key for r in relations if verdicts[r.key]["violated"]]
        rows.append(entry)
    skipped = []
    for name, counts in follow.summary().items():
        if not counts["applied"]:
            reason = next(iter(counts["reasons"]), "not applicable")
            skipped.append({"transformation": name,
                            "status": "rejected" if counts["rejected"] else "not_applicable",
                            "reason": reason})
    summary = {rel.key: {"violations": sum(1 for r in rows if r["verdicts"][rel.key]["violated"]),
                         "checked": sum(1 for r in rows if r["verdicts"][rel.key]["violated"] is not None)}
               for rel in relations}
    progress(1.0, "done")
    return {"language": language, "task": task, "label_names": label_names,
            "teacher": t_model.name, "student": s_model.name, "seed": int(seed),
            "thresholds": {t.name: getattr(th, t.name) for r in relations for t in r.thresholds},
            "inputs": rows, "skipped": skipped, "summary": summary,
            "n_follow_ups": len(follow.items), "n_violating_inputs": sum(1 for r in rows if r["violations"])}


# --------------------------------------------------------------------------------------------
# HTML rendering (all user text is escaped: the page must not run anything a visitor pasted)
# --------------------------------------------------------------------------------------------


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _prob_cell(view: dict, label_names: Sequence[str]) -> str:
    parts = []
    for name, p in zip(label_names, view["probs"]):
        strong = " mc-top" if name == label_names[view["prediction"]] else ""
        parts.append(f'<div class="mc-prob{strong}"><span class="mc-pname">{_esc(name)}</span>'
                     f'<span class="mc-bar"><span style="width:{100 * p:.1f}%"></span></span>'
                     f'<span class="mc-pval">{p:.3f}</span></div>')
    return "".join(parts)


def _verdict_cell(rel, verdict: dict) -> str:
    value = verdict.get("value")
    key = rel.key
    detail = f'<span class="mc-val">{_esc(rel.measure_label)} {value:.3f}</span>' if value is not None else ""
    if verdict["violated"] is None:
        return (f'<td class="mc-na" data-relation="{key}" data-verdict="n/a" title="{_esc(rel.not_applicable)}">'
                "— n/a</td>")
    if verdict["violated"]:
        return f'<td class="mc-viol" data-relation="{key}" data-verdict="violated">✗ violated{detail}</td>'
    return f'<td class="mc-ok" data-relation="{key}" data-verdict="holds">✓ holds{detail}</td>'


def render_verdicts(result: dict) -> str:
    """The verdict table: one row per input, both models' probabilities, each relation's verdict."""
    from .relations import list_relations

    names = result["label_names"]
    # The relations the result holds verdicts for (all registered ones when it was made here).
    relations = [r for r in list_relations() if r.key in result["summary"]]
    head = "".join(f'<th title="{_esc(r.title)}">{_esc(r.abbreviation)}</th>' for r in relations)
    out = ['<div class="mc-wrap"><table class="mc-table" id="mc-verdicts">',
           f"<thead><tr><th>input</th><th>teacher</th><th>student</th>{head}<th>flips vs source</th></tr></thead><tbody>"]
    for entry in result["inputs"]:
        name = entry["transformation"] or "source"
        row_class = "mc-row-viol" if entry["violations"] else "mc-row-ok"
        flips = entry["flips"]
        if flips is None:
            flip_cell = '<td class="mc-na">—</td>'
        else:
            bits = [f'{m}: {"flipped" if flips[m] else "stable"}' for m in ("teacher", "student")]
            cls = "mc-viol" if flips["student"] and not flips["teacher"] else ("mc-warn" if any(flips.values())
                                                                              else "mc-ok")
            flip_cell = f'<td class="{cls} mc-flips">{"<br>".join(bits)}</td>'
        cells = "".join(_verdict_cell(r, entry["verdicts"][r.key]) for r in relations)
        out.append(f'<tr class="{row_class}" data-input="{_esc(name)}"><th class="mc-input">{_esc(name)}</th>'
                   f'<td>{_prob_cell(entry["teacher"], names)}</td><td>{_prob_cell(entry["student"], names)}</td>'
                   f"{cells}{flip_cell}</tr>")
    out.append("</tbody></table></div>")
    th = result["thresholds"]
    legend = " · ".join(f"{_esc(r.abbreviation)}: {_esc(r.describe(th))}" for r in relations)
    out.append(f'<p class="mc-legend">{legend}. Flips compare each model on the follow-up with itself on the source; '
               "red: only the student flipped.</p>")
    return "".join(out)


def render_diffs(result: dict) -> str:
    """Every follow-up as a coloured unified diff against the source, plus transformations that did not apply."""
    from .relations import list_relations

    abbreviations = {r.key: r.abbreviation for r in list_relations()}
    out = ['<div class="mc-diffs">']
    for n, entry in enumerate(result["inputs"][1:]):
        bad = ", ".join(abbreviations.get(r, r) for r in entry["violations"]) or "none"
        flag = "mc-viol" if entry["violations"] else "mc-ok"
        # The first few diffs open, the rest one click away: a long page hides the verdicts.
        opened = " open" if n < 3 else ""
        out.append(f'<details{opened} class="mc-diff"><summary><b>{_esc(entry["transformation"])}</b> '
                   f'<span class="{flag}">violations: {_esc(bad)}</span></summary>')
        for diff in entry["diff"] or []:
            lines = []
            for line in diff.splitlines():
                cls = ("mc-add" if line.startswith("+") and not line.startswith("+++") else
                       "mc-del" if line.startswith("-") and not line.startswith("---") else
                       "mc-hunk" if line.startswith("@@") else "")
                lines.append(f'<span class="mc-line {cls}">{_esc(line) or " "}</span>')
            # Each line is a block-level span, so no newline between them (that would double the spacing).
            out.append('<pre class="mc-pre">' + "".join(lines) + "</pre>")
        out.append("</details>")
    if result["skipped"]:
        out.append('<p class="mc-skipped"><b>Not applied:</b> ' + "; ".join(
            f'{_esc(s["transformation"])} ({_esc(s["status"].replace("_", " "))}: {_esc(s["reason"])})'
            for s in result["skipped"]) + "</p>")
    if not result["inputs"][1:]:
        out.append("<p>No transformation applies to this snippet: only the source was checked.</p>")
    out.append("</div>")
    return "".join(out)


def probe_status(result: dict) -> str:
    """One-paragraph Markdown summary of a probe."""
    from .relations import list_relations

    counts = ", ".join(f"{r.abbreviation} {result['summary'][r.key]['violations']}/"
                       f"{result['summary'][r.key]['checked']}" for r in list_relations() if r.key in result["summary"])
    n_bad = result["n_violating_inputs"]
    verdict = ("**✓ every relation holds on every input.**" if n_bad == 0 else
               f"**✗ {n_bad} of {len(result['inputs'])} inputs violate at least one relation.**")
    return (f"{verdict} {result['n_follow_ups']} follow-up(s) from {result['n_follow_ups'] + len(result['skipped'])} "
            f"transformation(s) for {result['language']}; violations per relation: {counts}. "
            f"Teacher `{result['teacher']}`, student `{result['student']}`.")


# --------------------------------------------------------------------------------------------
# Compare reports
# --------------------------------------------------------------------------------------------


@dataclass
class LoadedReport:
    """One report.json with where it came from and the plots found next to it."""

    name: str
    source: str
    report: dict
    plots: list[Path] = field(default_factory=list)


def validate_report(data: Any, where: str) -> dict:
    """Check that ``data`` looks like a MetaCompress report.json (schema 1.x)."""
    from .relations import relation_keys

    if not isinstance(data, dict):
        raise MetaCompressError(f"{where}: not a JSON object")
    version = data.get("schema_version")
    if not isinstance(version, str) or not version.startswith("1."):
        raise MetaCompressError(f"{where}: not a MetaCompress report.json (schema_version {version!r}, expected 1.x)")
    overall = ((data.get("analysis") or {}).get("relations") or {}).get("overall")
    # A report from a version with fewer relations is still comparable: it shows "n/a" for the others.
    if not isinstance(overall, dict) or not any(isinstance(overall.get(r), dict) for r in relation_keys()):
        raise MetaCompressError(f"{where}: analysis.relations.overall is missing or incomplete")
    return data


def _parse_json_bytes(raw: bytes, where: str) -> dict:
    try:
        return validate_report(json.loads(raw.decode("utf-8")), where)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MetaCompressError(f"{where}: not valid JSON ({type(exc).__name__})") from None


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")[:80] or "file"


def _reports_from_zip(path: Path, settings: SpaceSettings, dest: Path) -> list[LoadedReport]:
    """Reports (and their plots) inside a zip, read member by member with size caps (no extractall)."""
    found = []
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if len(infos) > 500:
                raise MetaCompressError(f"{path.name}: too many files in the zip ({len(infos)})")
            for info in infos:
                if Path(info.filename).name != "report.json":
                    continue
                if info.file_size > settings.max_upload_bytes * 4:
                    raise MetaCompressError(f"{path.name}:{info.filename}: report.json is too large")
                where = f"{path.name}:{info.filename}"
                report = _parse_json_bytes(zf.read(info), where)
                folder = str(Path(info.filename).parent)
                plots = []
                for plot in PLOT_FILES:
                    member = plot if folder == "." else f"{folder}/{plot}"
                    try:
                        pinfo = zf.getinfo(member)
                    except KeyError:
                        continue
                    if pinfo.file_size <= settings.max_upload_bytes * 4:
                        target = dest / f"{_safe_name(where)}-{plot}"
                        target.write_bytes(zf.read(pinfo))
                        plots.append(target)
                found.append(LoadedReport(where, where, report, plots))
    except zipfile.BadZipFile:
        raise MetaCompressError(f"{path.name}: not a valid zip file") from None
    if not found:
        raise MetaCompressError(f"{path.name}: the zip holds no report.json")
    return found


def load_reports(files: Sequence[str | os.PathLike] | None, folder: str | None,
                 settings: SpaceSettings) -> tuple[list[LoadedReport], list[str]]:
    """Read report.json files from uploads (``.json`` or ``.zip``) and/or a results folder.

    Returns the reports and one message per file that could not be used. Raises when nothing
    usable was given at all.
    """
    reports: list[LoadedReport] = []
    problems: list[str] = []
    settings.work_dir.mkdir(parents=True, exist_ok=True)  # a tmp cleaner may have removed it
    dest = Path(tempfile.mkdtemp(prefix="plots-", dir=settings.work_dir))
    for item in files or []:
        # Paths and strings as given; older gradio hands over temp-file wrappers whose .name is the path.
        path = Path(item if isinstance(item, (str, os.PathLike)) else getattr(item, "name", str(item)))
        label = path.name
        try:
            if path.stat().st_size > settings.max_upload_bytes * 4:
                raise MetaCompressError(f"{label}: file too large")
            if zipfile.is_zipfile(path):
                reports += _reports_from_zip(path, settings, dest)
            else:
                report = _parse_json_bytes(path.read_bytes(), label)
                reports.append(LoadedReport(label, str(path), report, []))
        except MetaCompressError as exc:
            problems.append(str(exc))
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
                report = _parse_json_bytes(path.read_bytes(), rel)
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
    from .report.plots import heatmap

    for i, rep in enumerate(reports):
        if not rep.plots:
            try:
                rep.plots = [heatmap(rep.report["analysis"], dest / f"{i}-{_safe_name(rep.name)}-heatmap.png")]
            except Exception as exc:  # a plot is a nicety: never fail the comparison over it
                log.warning("cannot draw a heatmap for %s: %s", rep.name, exc)
    return reports, problems


def _short_model(name: Any) -> str:
    text = str(name or "?")
    if os.sep in text and Path(text).is_absolute():
        return "…/" + "/".join(Path(text).parts[-2:])
    return text


def _rate_text(entry: dict | None, numerator: str = "violations") -> str:
    if not entry or entry.get("rate") is None:
        return "n/a"
    ci = entry.get("ci95")
    ci_text = f" [{100 * ci[0]:.1f}–{100 * ci[1]:.1f}]" if ci else ""
    return f"{100 * entry['rate']:.1f}%{ci_text} ({entry.get(numerator, '?')}/{entry.get('n', '?')})"


def leaderboard_columns() -> list[str]:
    """The leaderboard's column headers: one column per registered relation (its abbreviation)."""
    from .relations import list_relations

    return ["rank", "student", "teacher", "report", "task", "inputs", "mean violation rate",
            *[r.abbreviation for r in list_relations()], "student flip rate", "teacher flip rate"]


def leaderboard_rows(reports: Sequence[LoadedReport], scope: str = "overall") -> list[list[Any]]:
    """One row per report, best student first (lowest mean violation rate over the registered relations).

    Each relation cell reads ``rate [95% CI] (violations/n)``, in percent.
    """
    from .relations import relation_keys

    keys = relation_keys()
    if scope not in ("overall", "sources", "follow_ups"):
        raise MetaCompressError(f"unknown scope {scope!r}")
    rows = []
    for rep in reports:
        a = rep.report["analysis"]
        rel = a["relations"].get(scope) or {}
        rates = [rel[r]["rate"] for r in keys if rel.get(r) and rel[r].get("rate") is not None]
        mean = sum(rates) / len(rates) if rates else None
        flips = a.get("flips") or {}
        models = rep.report.get("models") or {}
        rows.append([mean, _short_model((models.get("student") or {}).get("name_or_path")),
                     _short_model((models.get("teacher") or {}).get("name_or_path")), rep.name,
                     (rep.report.get("task") or {}).get("name", "?"), (a.get("counts") or {}).get("inputs"),
                     *[_rate_text(rel.get(r)) for r in keys],
                     _rate_text((flips.get("student") or {}).get("overall"), "flips"),
                     _rate_text((flips.get("teacher") or {}).get("overall"), "flips")])
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


# --------------------------------------------------------------------------------------------
# Run
# --------------------------------------------------------------------------------------------


_DEMO_DATA_LOCK = threading.Lock()


def demo_test_data(settings: SpaceSettings) -> Path:
    """The demo corpus' test split as JSONL (written once): data the demo models never trained on."""
    from .demo.models import demo_corpus
    from .fileio import atomic_write_jsonl

    path = settings.models_dir / f"demo-test-{settings.demo_size}-seed{settings.seed}.jsonl"
    with _DEMO_DATA_LOCK:
        if not path.is_file():
            rows = demo_corpus(settings.demo_size, settings.seed)
            atomic_write_jsonl(path, [r for r in rows if r["split"] == "test"])
    return path


def _zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, f"{folder.name}/{path.relative_to(folder)}")
    return target


def _clean_old_runs(work_dir: Path, max_age_s: float = 3600.0) -> None:
    """Remove Run folders older than an hour so a long-lived Space does not fill its disk."""
    now = time.time()
    for path in work_dir.glob("run-*"):
        try:
            if now - path.stat().st_mtime > max_age_s:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


@dataclass
class RunResult:
    """What a Space Run produced."""

    report: dict
    out_dir: Path
    zip_path: Path
    seconds: float


def run_small_evaluation(store: ModelStore, teacher: str | None, student: str | None, data: str | None = None, *,
                         task: str = "defect", language: str | None = None, transforms: Sequence[str] | None = None,
                         rows: int = 20, seed: int = 0, unlabelled: bool = False, thresholds=None,
                         progress: Progress = _no_progress) -> RunResult:
    """Evaluate a pair on at most ``settings.max_run_rows`` rows; zip the report folder.

    ``data`` is an uploaded table (JSONL/JSON/CSV/TSV/parquet); ``None`` uses the demo corpus' test
    split. The wall-time budget is checked whenever the pipeline reports a stage, so an
    over-long run stops with a message rather than holding the Space indefinitely.
    """
    from .pipeline import EvaluationConfig, run_evaluation
    from .relations import Thresholds
    from .transforms import DEFAULT_TRANSFORMS

    settings = store.settings
    started = time.perf_counter()
    if task not in TASKS:
        raise MetaCompressError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    try:
        n_rows = int(rows)
    except (TypeError, ValueError):
        raise MetaCompressError("the number of rows must be a whole number") from None
    if not 1 <= n_rows <= settings.max_run_rows:
        raise MetaCompressError(f"rows must be between 1 and {settings.max_run_rows} here")
    if data:
        path = Path(data)
        if not path.is_file():
            raise MetaCompressError("the uploaded data file is missing; upload it again")
        if path.stat().st_size > settings.max_upload_bytes:
            raise MetaCompressError(f"the data file is larger than {settings.max_upload_bytes // 1_000_000} MB; "
                                    "upload a sample")
        data_path = str(path)
    else:
        progress(0.02, "preparing the demo corpus")
        data_path = str(demo_test_data(settings))
    teacher_target = store.resolve(teacher, "teacher", progress)
    student_target = store.resolve(student, "student", progress)
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    _clean_old_runs(settings.work_dir)
    run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=settings.work_dir))
    out_dir = run_dir / "metacompress-report"
    stages = iter([0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 0.85, 0.9, 0.92, 0.94])

    def say(message: str) -> None:
        elapsed = time.perf_counter() - started
        if elapsed > settings.max_run_seconds:
            raise MetaCompressError(f"the run took longer than {settings.max_run_seconds:.0f} s and was stopped; "
                                    "try fewer rows or smaller models")
        progress(next(stages, 0.95), message)

    config = EvaluationConfig(
        teacher=teacher_target, student=student_target, data=data_path, task=task,
        label_column=None if unlabelled else "label", language=language or "",
        transforms=tuple(transforms) if transforms else DEFAULT_TRANSFORMS, seed=int(seed),
        max_sources=n_rows, max_code_chars=settings.max_snippet_chars, batch_size=16, device="cpu",
        out_dir=str(out_dir), cache_dir=settings.output_cache_dir, thresholds=thresholds or Thresholds(),
        progress=False, trust_remote_code=False)
    result = run_evaluation(config, log=say)
    progress(0.97, "zipping the report")
    zip_path = _zip_folder(out_dir, run_dir / "metacompress-report.zip")
    return RunResult(result.report, out_dir, zip_path, time.perf_counter() - started)


# --------------------------------------------------------------------------------------------
# Examples
# --------------------------------------------------------------------------------------------

EXAMPLES: dict[str, tuple[str, str, str]] = {
    "C: unchecked strcpy (defect)": ("c", "defect", """int save_name(char *dst, const char *name) {
    char buffer[16];
    int count = 0;
    strcpy(buffer, name);
    for (int i = 0; buffer[i] != '\\0'; i++) {
        count++;
    }
    if (count > 8) {
        memcpy(dst, buffer, 8);
    } else {
        memcpy(dst, buffer, count);
    }
    return count;
}"""),
    "C: bounded copy (safe)": ("c", "defect", """int copy_values(int *dst, const int *src, int n, int cap) {
    int copied = 0;
    if (n > cap) {
        n = cap;
    }
    for (int i = 0; i < n; i++) {
        dst[i] = src[i];
        copied++;
    }
    return copied;
}"""),
    "C: off-by-one loop (defect)": ("c", "defect", """void clear(int *table, int size) {
    int index = 0;
    while (index <= size) {
        table[index] = 0;
        index++;
    }
}"""),
    "Java: sum of an array": ("java", "classification", """public int total(int[] values) {
    int sum = 0;
    for (int i = 0; i < values.length; i++) {
        sum += values[i];
    }
    if (sum < 0) {
        return 0;
    } else {
        return sum;
    }
}"""),
    "Python: parse a header": ("python", "classification", """def parse_header(line):
    parts = line.split(":", 1)
    if len(parts) != 2:
        return None
    else:
        key, value = parts
        return key.strip().lower(), value.strip()
"""),
}


# --------------------------------------------------------------------------------------------
# The app
# --------------------------------------------------------------------------------------------

CSS = """
.mc-wrap { overflow-x: auto; }
.mc-table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
.mc-table th, .mc-table td { border: 1px solid #d0d7de; padding: 4px 6px; vertical-align: top; }
.mc-table thead th { background: #f3f4f6; }
.mc-input { text-align: left; white-space: nowrap; font-family: ui-monospace, monospace; }
.mc-viol { background: #fde2e1 !important; color: #8a1c1c; font-weight: 600; }
.mc-ok { background: #e6f6ea !important; color: #1d5e2c; }
.mc-warn { background: #fff4d6 !important; color: #6b4e00; }
.mc-na { background: #f3f4f6 !important; color: #6b7280; }
.mc-row-viol th.mc-input { border-left: 4px solid #d1242f; }
.mc-prob { display: flex; align-items: center; gap: 4px; white-space: nowrap; }
.mc-prob.mc-top .mc-pname { font-weight: 700; }
.mc-pname { min-width: 5.5em; }
.mc-bar { display: inline-block; width: 60px; height: 8px; background: #e5e7eb; border-radius: 4px; overflow: hidden; }
.mc-bar span { display: block; height: 100%; background: #4f46e5; }
.mc-pval { font-family: ui-monospace, monospace; }
.mc-legend, .mc-skipped { font-size: 0.85em; color: #4b5563; }
.mc-pre { background: #f8fafc; border: 1px solid #e5e7eb; padding: 6px; font-size: 0.85em; overflow-x: auto; }
.mc-line { display: block; }
.mc-add { background: #e6ffec; }
.mc-del { background: #ffebe9; }
.mc-hunk { color: #6b7280; }
.mc-table td[data-relation] { white-space: nowrap; }
.mc-val { display: block; font-size: 0.85em; font-weight: 400; }
.mc-flips { white-space: nowrap; font-size: 0.9em; }
.mc-diff summary { cursor: pointer; margin: 4px 0; }
"""


def launch_kwargs() -> dict:
    """Theme and CSS for ``launch()`` (gradio 6 takes them there, not in ``Blocks``).

    System fonts only: the default theme pulls fonts from Google, and a page that is meant to make
    no third-party requests (and tests that run offline) should not wait on them.
    """
    import gradio as gr

    theme = gr.themes.Soft(primary_hue="indigo", font=["ui-sans-serif", "system-ui", "sans-serif"],
                           font_mono=["ui-monospace", "SFMono-Regular", "monospace"])
    return {"theme": theme, "css": CSS, "max_file_size": "25mb", "ssr_mode": False}


def _code_language(language: str) -> str | None:
    # gr.Code highlights only some languages; others are shown as plain text.
    return language if language in ("c", "python", "javascript") else None


def build_app(settings: SpaceSettings | None = None, store: ModelStore | None = None):
    """Build the ``gr.Blocks`` app (not launched). Every event has an ``api_name`` for API clients."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    from .code.languages import SUPPORTED_LANGUAGES
    from .relations import Thresholds, list_relations, list_thresholds
    from .transforms import DEFAULT_TRANSFORMS, list_transformations

    settings = settings or SpaceSettings.from_env()
    store = store or ModelStore(settings)
    examples = {**EXAMPLES, **settings.examples}
    first_example = next(iter(examples))
    all_transforms = [t.name for t in list_transformations(None)]

    def guard(fn):
        """Turn every failure into a message in the page: user errors verbatim, bugs as one line."""

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except gr.Error:
                raise
            except MetaCompressError as exc:
                raise gr.Error(str(exc), print_exception=False) from None
            except Exception as exc:  # noqa: BLE001 - the page must never show a traceback
                log.exception("unexpected error in %s", fn.__name__)
                first = (str(exc).splitlines() or [""])[0][:300]
                raise gr.Error(f"Unexpected error ({type(exc).__name__}): {first}", print_exception=False) from None

        return wrapper

    def gr_progress(progress) -> Progress:
        return lambda fraction, message: progress(max(0.0, min(1.0, fraction)), desc=message)

    # One slider per registered threshold that declares one, in registry order; the event handlers
    # take their values as trailing arguments.
    slider_thresholds = [t for t in list_thresholds() if t.slider is not None]
    owner = {t.name: r for r in reversed(list_relations()) for t in r.thresholds}  # first relation to read it

    def thresholds(values) -> Thresholds:
        return Thresholds(**{t.name: t.kind(v) for t, v in zip(slider_thresholds, values)})

    @guard
    def do_probe(code, code2, language, task, teacher, student, seed, *threshold_values, progress=gr.Progress()):
        result = probe_snippet(store, code, language, task, teacher, student, code2=code2,
                               seed=int(seed or 0), thresholds=thresholds(threshold_values),
                               progress=gr_progress(progress))
        return probe_status(result), render_verdicts(result), render_diffs(result), result

    @guard
    def do_compare(files, folder, scope):
        reports, problems = load_reports(files, folder, settings)
        table = leaderboard_rows(reports, scope or "overall")
        abbreviations = [r.abbreviation for r in list_relations()]
        over = ", ".join(abbreviations[:-1]) + f" and {abbreviations[-1]}" if len(abbreviations) > 1 else abbreviations[0]
        status = f"**{len(reports)} report(s)**, ranked by mean violation rate over {over} ({scope})."
        if problems:
            status += "\n\nSkipped: " + "; ".join(problems)
        gallery = [(str(p), f"{rep.name}: {p.name}") for rep in reports for p in rep.plots]
        return status, leaderboard_frame(table), gallery

    @guard
    def do_run(data, task, language, transforms, rows, seed, unlabelled, teacher, student, *threshold_values,
               progress=gr.Progress()):
        result = run_small_evaluation(store, teacher, student, data, task=task, language=language or None,
                                      transforms=transforms or None, rows=int(rows), seed=int(seed or 0),
                                      unlabelled=bool(unlabelled), thresholds=thresholds(threshold_values),
                                      progress=gr_progress(progress))
        report = result.report
        loaded = LoadedReport("this run", str(result.out_dir / "report.json"), report,
                              [result.out_dir / p for p in PLOT_FILES if (result.out_dir / p).is_file()])
        counts = report["analysis"]["counts"]
        status = (f"**Done in {result.seconds:.0f} s:** {counts['sources']} sources, {counts['follow_ups']} "
                  f"follow-ups. Download the report folder (report.json, report.md, plots, predictions) below, "
                  "or load the zip in *Compare reports*.")
        gallery = [(str(p), p.name) for p in loaded.plots]
        return status, str(result.zip_path), leaderboard_frame(leaderboard_rows([loaded])), gallery

    @guard
    def do_prepare(teacher, student, progress=gr.Progress()):
        t, s = store.pair(teacher, student, gr_progress(progress))
        return (f"**Ready.** Teacher `{t.name}` ({t.describe()['num_parameters']:,} parameters), student `{s.name}` "
                f"({s.describe()['num_parameters']:,} parameters); labels: {', '.join(t.label_names)}.")

    def pick_example(name):
        if name not in examples:
            return gr.update(), gr.update(), gr.update()
        language, task, code = examples[name]
        return gr.update(value=code, language=_code_language(language)), language, task

    def on_language(language):
        return gr.update(language=_code_language(language))

    def on_task(task):
        return gr.update(visible=task == "clone")

    with gr.Blocks(title="MetaCompress Eval", analytics_enabled=False) as demo:
        gr.Markdown(
            "# MetaCompress Eval\n"
            "**Does the distilled student really behave like its teacher?** Derive semantics-preserving follow-ups "
            "of code (renaming, dead code, if/else swaps, …), run both models and check the metamorphic relations: "
            + ", ".join(f"{r.title} ({r.abbreviation})" for r in list_relations())
            + ". Submitted code is only parsed and classified, never executed.")
        with gr.Accordion("Models", open=True):
            with gr.Row():
                teacher_box = gr.Dropdown([DEMO_TEACHER], value=settings.default_teacher, allow_custom_value=True,
                                          label="Teacher", info="demo:teacher, a local folder or a Hub model id",
                                          elem_id="mc-teacher")
                student_box = gr.Dropdown([DEMO_STUDENT], value=settings.default_student, allow_custom_value=True,
                                          label="Student", info="demo:student, a local folder or a Hub model id",
                                          elem_id="mc-student")
                prepare_btn = gr.Button("Load models", scale=0)
            models_status = gr.Markdown("Demo models are trained on first use (a few minutes on CPU) and cached in "
                                        f"`{settings.models_dir}`.")
            with gr.Accordion("Relation thresholds", open=False):
                with gr.Row():
                    th_inputs = [gr.Slider(t.slider[0], t.slider[1], value=t.default, step=t.slider[2],
                                           label=f"{owner[t.name].abbreviation}: {t.label}" if t.name in owner
                                           else t.label, info=t.help)
                                 for t in slider_thresholds]
        with gr.Tabs():
            with gr.Tab("Probe a snippet", id="probe"):
                with gr.Row():
                    example_box = gr.Dropdown(list(examples), value=first_example, label="Example")
                    language_box = gr.Dropdown(list(SUPPORTED_LANGUAGES), value=examples[first_example][0],
                                               label="Language")
                    task_box = gr.Radio(list(TASKS), value=examples[first_example][1], label="Task")
                    seed_box = gr.Number(value=settings.seed, precision=0, label="Seed", minimum=0)
                code_box = gr.Code(value=examples[first_example][2], language=_code_language(examples[first_example][0]),
                                   label=f"Code (up to {settings.max_snippet_chars:,} characters)", lines=14,
                                   elem_id="mc-code")
                code2_box = gr.Code(value="", label="Second function (clone task)", lines=8, visible=False,
                                    elem_id="mc-code2")
                probe_btn = gr.Button("Probe", variant="primary", elem_id="mc-probe")
                probe_status_box = gr.Markdown(elem_id="mc-probe-status")
                verdicts_box = gr.HTML(elem_id="mc-verdicts-html")
                with gr.Accordion("Follow-ups as diffs against the source", open=True):
                    diffs_box = gr.HTML(elem_id="mc-diffs-html")
                with gr.Accordion("Raw result (JSON)", open=False):
                    raw_box = gr.JSON()
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
                compare_status = gr.Markdown()
                board = gr.Dataframe(headers=leaderboard_columns(), interactive=False, wrap=True, label="Leaderboard")
                compare_plots = gr.Gallery(label="Report plots", columns=2, height="auto")
            with gr.Tab("Run", id="run"):
                gr.Markdown(f"A small-sample evaluation (at most {settings.max_run_rows} source rows, "
                            f"{settings.max_run_seconds / 60:.0f} minutes) of the chosen pair. Without a data file "
                            "it uses the demo corpus' test split (C functions labelled safe/defective).")
                with gr.Row():
                    data_box = gr.File(label="Data (JSONL, JSON, CSV, TSV, parquet; optional)", type="filepath",
                                       file_types=[".jsonl", ".json", ".csv", ".tsv", ".parquet"])
                    with gr.Column():
                        run_task = gr.Radio(list(TASKS), value="defect", label="Task")
                        run_language = gr.Dropdown([""] + list(SUPPORTED_LANGUAGES), value="",
                                                   label="Language (empty: the task's default)")
                        run_unlabelled = gr.Checkbox(False, label="Data has no labels")
                with gr.Row():
                    run_transforms = gr.CheckboxGroup(all_transforms, value=list(DEFAULT_TRANSFORMS),
                                                      label="Transformations")
                    run_rows = gr.Slider(1, settings.max_run_rows, value=min(20, settings.max_run_rows), step=1,
                                         label="Source rows")
                    run_seed = gr.Number(value=settings.seed, precision=0, label="Seed", minimum=0)
                run_btn = gr.Button("Run evaluation", variant="primary")
                run_status = gr.Markdown()
                run_file = gr.File(label="Report (zip)", interactive=False)
                run_board = gr.Dataframe(headers=leaderboard_columns(), interactive=False, wrap=True,
                                         label="Relation violation rates")
                run_plots = gr.Gallery(label="Plots", columns=2, height="auto")

        model_inputs = [teacher_box, student_box]
        # All model work shares one worker: on a small CPU Space, parallel forward passes only thrash.
        prepare_btn.click(do_prepare, model_inputs, models_status, api_name="load_models", concurrency_id="models")
        # Each button first clears the previous results, so that an error message is never shown
        # next to stale verdicts that look like the answer to the new input.
        probe_outputs = [probe_status_box, verdicts_box, diffs_box, raw_box]
        probe_btn.click(lambda: ("*Probing…*", "", "", None), None, probe_outputs, queue=False, api_name=False).then(
            do_probe, [code_box, code2_box, language_box, task_box, *model_inputs, seed_box, *th_inputs],
            probe_outputs, api_name="probe", concurrency_id="models")
        compare_outputs = [compare_status, board, compare_plots]
        compare_btn.click(lambda: ("*Loading reports…*", None, []), None, compare_outputs, queue=False,
                          api_name=False).then(
            do_compare, [files_box, folder_box, scope_box], compare_outputs, api_name="compare")
        run_outputs = [run_status, run_file, run_board, run_plots]
        run_btn.click(lambda: ("*Running…*", None, None, []), None, run_outputs, queue=False, api_name=False).then(
            do_run, [data_box, run_task, run_language, run_transforms, run_rows, run_seed, run_unlabelled,
                     *model_inputs, *th_inputs], run_outputs, api_name="run", concurrency_id="models")
        example_box.change(pick_example, example_box, [code_box, language_box, task_box], api_name=False)
        language_box.change(on_language, language_box, code_box, api_name=False)
        task_box.change(on_task, task_box, code2_box, api_name=False)
    demo.queue(default_concurrency_limit=1, max_size=32)
    return demo


def launch(settings: SpaceSettings | None = None, *, host: str = "127.0.0.1", port: int | None = None,
           **kwargs: Any):
    """Build and launch the app (blocking unless ``prevent_thread_lock=True`` is passed)."""
    demo = build_app(settings)
    options = {**launch_kwargs(), "server_name": host, "server_port": port, "show_error": True, **kwargs}
    return demo, demo.launch(**options)
