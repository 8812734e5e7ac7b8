"""The *Run* tab: a small-sample evaluation of the chosen pair through the ``metacompress evaluate`` pipeline."""

from __future__ import annotations

import json
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..errors import MetaCompressError
from ..public_names import loaded_model_name
from .compare import (LoadedReport, gallery_items, leaderboard_columns, leaderboard_frame, leaderboard_html,
                      leaderboard_rows, plot_order)
from .limits import request_folder
from .models import ModelStore
from .settings import Progress, SpaceSettings, no_progress


_DEMO_DATA_LOCK = threading.Lock()


def demo_test_data(settings: SpaceSettings) -> Path:
    """The demo corpus' test split as JSONL (written once): data the demo models never trained on."""
    from ..demo.models import demo_corpus
    from ..fileio import atomic_write_jsonl

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


def redact_folder(folder: Path, settings: SpaceSettings, names: dict[str, str]) -> None:
    """Rewrite the text files of a report folder so that no server path is left in them.

    ``names`` maps server paths the pipeline recorded (the resolved model folders, the uploaded
    file's temporary path) to what the visitor gave (``demo:teacher``, the file's name); any other
    server folder becomes ``…`` (:func:`~.limits.redact_paths`).
    """
    from ..fileio import atomic_write_text
    from .limits import redact_paths

    for path in folder.rglob("*"):
        if not path.is_file() or path.suffix not in (".json", ".jsonl", ".md", ".txt"):
            continue
        text = path.read_text(encoding="utf-8")
        new = text
        for server, shown in sorted(names.items(), key=lambda kv: -len(kv[0])):
            new = new.replace(server, shown)
        new = redact_paths(new, settings)
        if new != text:
            atomic_write_text(path, new)


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
                         progress: Progress = no_progress) -> RunResult:
    """Evaluate a pair on at most ``settings.max_run_rows`` rows; zip the report folder.

    ``data`` is an uploaded table (JSONL/JSON/CSV/TSV/parquet); ``None`` uses the demo corpus' test
    split. The wall-time budget is checked whenever the pipeline reports a stage, so an
    over-long run stops with a message rather than holding the Space indefinitely.
    """
    from ..pipeline import EvaluationConfig, run_evaluation
    from ..relations import Thresholds
    from ..transforms import DEFAULT_TRANSFORMS

    from ..tasks import task_names

    settings = store.settings
    started = time.perf_counter()
    if task not in task_names():
        raise MetaCompressError(f"unknown task {task!r}; choose one of {', '.join(task_names())}")
    try:
        n_rows = int(rows)
    except (TypeError, ValueError, OverflowError):
        raise MetaCompressError("the number of rows must be a whole number") from None
    if not 1 <= n_rows <= settings.max_run_rows:
        raise MetaCompressError(f"rows must be between 1 and {settings.max_run_rows} here")
    from ..cli.options import MAX_SEED

    try:
        seed = int(seed)
    except (TypeError, ValueError, OverflowError):  # a page's number box may send NaN or infinity
        seed = -1
    if not 0 <= seed <= MAX_SEED:  # checked before any model loads (numpy refuses it only deep inside)
        raise MetaCompressError(f"the seed must be a whole number from 0 to {MAX_SEED}")
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
    run_dir = request_folder(settings, "run-")  # old request folders are removed first (bounded storage)
    out_dir = run_dir / "metacompress-report"
    stages = iter([0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 0.85, 0.9, 0.92, 0.94])

    def say(message: str) -> None:
        elapsed = time.perf_counter() - started
        if elapsed > settings.max_run_seconds:
            raise MetaCompressError(f"the run took longer than {settings.max_run_seconds:.0f} s and was stopped; "
                                    "try fewer rows or smaller models")
        progress(next(stages, 0.95), message)

    # The zip is handed to visitors: the report names models and data as the visitor gave them (Hub
    # id, demo name, folder/file name), never by a path on this server.
    names = dict(teacher_name=loaded_model_name(teacher or settings.default_teacher),
                 student_name=loaded_model_name(student or settings.default_student),
                 data_name=Path(data_path).name if data else f"demo corpus ({settings.demo_size}, test split)",
                 public_only=True)
    config = EvaluationConfig(
        **names, teacher=teacher_target, student=student_target, data=data_path, task=task,
        label_column=None if unlabelled else "label", language=language or "",
        transforms=tuple(transforms) if transforms else DEFAULT_TRANSFORMS, seed=int(seed),
        max_sources=n_rows, max_code_chars=settings.max_snippet_chars, batch_size=16, device="cpu",
        out_dir=str(out_dir), cache_dir=settings.output_cache_dir, thresholds=thresholds or Thresholds(),
        progress=False, trust_remote_code=False)
    result = run_evaluation(config, log=say)
    progress(0.97, "zipping the report")
    # The public report names models and data as the visitor gave them; any server folder left in
    # another file of the folder (report.md, follow_ups.jsonl, ...) becomes "…" as well.
    redact_folder(out_dir, settings, {teacher_target: names["teacher_name"], student_target: names["student_name"],
                                      data_path: Path(data_path).name})
    report = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    zip_path = _zip_folder(out_dir, run_dir / "metacompress-report.zip")
    return RunResult(report, out_dir, zip_path, time.perf_counter() - started)


def add_tab(app) -> None:
    """The tab's components and its ``run`` API event (``app`` is the :class:`~.app.AppContext`)."""
    import gradio as gr

    from .app import failure_status

    from ..code.languages import SUPPORTED_LANGUAGES
    from ..tasks import task_names
    from ..transforms import DEFAULT_TRANSFORMS, list_transformations

    settings = app.settings

    @app.guard
    def do_run(data, task, language, transforms, rows, seed, unlabelled, teacher, student, *threshold_values,
               progress=gr.Progress()):
        result = run_small_evaluation(app.store, teacher, student, data, task=task, language=language or None,
                                      transforms=transforms or None, rows=rows, seed=seed or 0,
                                      unlabelled=bool(unlabelled), thresholds=app.thresholds(threshold_values),
                                      progress=app.progress(progress))
        report = result.report
        figures = plot_order([f.name for f in result.out_dir.iterdir() if f.is_file()])
        loaded = LoadedReport("this run", str(result.out_dir / "report.json"), report,
                              [result.out_dir / name for name in figures])
        counts = report["analysis"]["counts"]
        status = (f"**Done in {result.seconds:.0f} s:** {counts['sources']} sources, {counts['follow_ups']} "
                  f"follow-ups. Download the report folder (report.json, report.md, plots, predictions) below, "
                  "or load the zip in *Compare reports*.")
        return (status, str(result.zip_path), leaderboard_html([loaded]), leaderboard_frame(leaderboard_rows([loaded])),
                gallery_items([loaded]))

    with gr.Tab("Run", id="run"):
        gr.Markdown(f"A small-sample evaluation (at most {settings.max_run_rows} source rows, "
                    f"{settings.max_run_seconds / 60:.0f} minutes) of the chosen pair. Without a data file "
                    "it uses the demo corpus' test split (C functions labelled safe/defective).")
        with gr.Row():
            data_box = gr.File(label="Data (JSONL, JSON, CSV, TSV, parquet; optional)", type="filepath",
                               file_types=[".jsonl", ".json", ".csv", ".tsv", ".parquet"])
            with gr.Column():
                task_box = gr.Radio(task_names(), value="defect", label="Task")
                language_box = gr.Dropdown([""] + list(SUPPORTED_LANGUAGES), value="",
                                           label="Language (empty: the task's default)")
                unlabelled_box = gr.Checkbox(False, label="Data has no labels")
        with gr.Row():
            transforms_box = gr.CheckboxGroup([t.name for t in list_transformations(None)],
                                              value=list(DEFAULT_TRANSFORMS), label="Transformations")
            rows_box = gr.Slider(1, settings.max_run_rows, value=min(20, settings.max_run_rows), step=1,
                                 label="Source rows")
            seed_box = gr.Number(value=settings.seed, precision=0, label="Seed", minimum=0)
        run_btn = gr.Button("Run evaluation", variant="primary")
        status_box = gr.Markdown()
        file_box = gr.File(label="Report (zip)", interactive=False)
        board_box = gr.HTML(elem_id="mc-run-board-html")
        board = gr.Dataframe(headers=leaderboard_columns(), interactive=False, visible=False,
                             label="Relation violation rates")
        plots = gr.Gallery(label="Figures", columns=2, height="auto", object_fit="contain", elem_classes=["mc-figures"])

    outputs = [status_box, file_box, board_box, board, plots]
    run_btn.click(lambda: ("*Running…*", None, "", None, []), None, outputs, queue=False, api_name=False).then(
        do_run, [data_box, task_box, language_box, transforms_box, rows_box, seed_box, unlabelled_box,
                 *app.model_inputs, *app.threshold_inputs], outputs, api_name="run", concurrency_id="models").failure(
        lambda: failure_status("Run"), None, status_box, api_name=False, queue=False)
