"""The Gradio Space: probe a snippet, compare reports, run a small evaluation.

One module per tab, each with its gradio-free logic (which raises
:class:`~metacompress_eval.errors.MetaCompressError` for anything the user did wrong) and its
``add_tab(app)``: :mod:`.probe` (:func:`probe_snippet`, the verdict table), :mod:`.compare`
(:func:`load_reports`, :func:`leaderboard_rows`) and :mod:`.run` (:func:`run_small_evaluation`).
:mod:`.settings` holds :class:`SpaceSettings`, :mod:`.models` the demo models and
:class:`ModelStore`, :mod:`.examples` the example snippets, and :mod:`.app` the page around the
tabs (:func:`build_app`, :func:`launch`). To add a tab: a module with ``add_tab(app)``, listed in
:data:`.app.TABS`.

It is meant to be safe to host publicly: submitted code is only parsed, transformed and fed to the
models (never compiled or executed), inputs are size-capped, a Run is capped in rows and wall time,
and the only network traffic the server makes is a Hub download when the user names a Hub model.
Local folders (models, results) can be switched off for a public host with
``METACOMPRESS_SPACE_ALLOW_LOCAL=0``.
"""

from .app import AppContext, TABS, build_app, code_language, launch, launch_kwargs
from .compare import (PLOT_FILES, LoadedReport, leaderboard_columns, leaderboard_frame, leaderboard_rows,
                      load_reports, validate_report)
from .examples import EXAMPLES
from .models import ModelStore, build_demo_models
from .probe import check_snippet, probe_snippet, probe_status, render_diffs, render_verdicts, unified_diff
from .run import RunResult, demo_test_data, run_small_evaluation
from .settings import DEMO_STUDENT, DEMO_TEACHER, Progress, SpaceSettings, demo_model_dirs

__all__ = [
    "AppContext", "DEMO_STUDENT", "DEMO_TEACHER", "EXAMPLES", "LoadedReport", "ModelStore", "PLOT_FILES", "Progress",
    "RunResult", "SpaceSettings", "TABS", "build_app", "build_demo_models", "check_snippet", "code_language",
    "demo_model_dirs", "demo_test_data", "launch", "launch_kwargs", "leaderboard_columns", "leaderboard_frame",
    "leaderboard_rows", "load_reports", "probe_snippet", "probe_status", "render_diffs", "render_verdicts",
    "run_small_evaluation", "unified_diff", "validate_report",
]
