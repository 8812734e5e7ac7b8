"""The Space's page: the models and thresholds shared by every tab, then one tab per module.

:func:`build_app` lays out the header, the *Models* accordion (teacher, student, the relation
thresholds as sliders, one per registered threshold that declares one) and then calls each tab
module's ``add_tab`` (:mod:`.probe`, :mod:`.compare`, :mod:`.run`) with an :class:`AppContext`.
Every failure becomes a message in the page (``gr.Error``), never a traceback.
"""

from __future__ import annotations

import functools
import html
import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from ..errors import MetaCompressError
from . import compare, probe, run
from .models import ModelStore
from .settings import DEMO_STUDENT, DEMO_TEACHER, Progress, SpaceSettings, log

#: The tabs, in page order: each module has ``add_tab(app)``.
TABS = (probe, compare, run)

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
.mc-flips, .mc-shift { white-space: nowrap; font-size: 0.9em; }
.mc-diff summary { cursor: pointer; margin: 4px 0; }
.mc-group-title { margin: 14px 0 6px; font-size: 1em; font-weight: 600; overflow-wrap: anywhere; }
/* Names come from uploads and can be any length: shortened in the page (full name on hover), and a name
   cell wraps inside its own width instead of widening the table. */
.mc-lb .mc-name { max-width: 20em; white-space: normal; overflow-wrap: break-word; word-break: normal; }
/* break-word (not anywhere): a name breaks at its separators (<wbr> after / _ - . :), and inside a word
   only when that word alone is wider than the cell. */
.mc-lb .mc-tie, .mc-lb .mc-dup { display: inline-block; margin-left: 4px; padding: 0 4px; border-radius: 4px;
  background: #eef2ff; color: #3730a3; }
.mc-lb .mc-dup { background: #fff4d6; color: #6b4e00; }
#mc-compare-status { overflow-wrap: anywhere; }
.mc-lb th { white-space: nowrap; text-align: right; cursor: help; }
.mc-lb th[data-col="student"], .mc-lb th[data-col="rank"] { text-align: left; }
.mc-lb td { white-space: nowrap; text-align: right; }
.mc-lb td[data-col="student"], .mc-lb td[data-col="rank"] { text-align: left; }
.mc-lb .mc-main { display: block; font-weight: 600; }
.mc-lb .mc-sub { display: block; font-size: 0.8em; color: #6b7280; font-weight: 400; }
.mc-lb tr[data-rank="1"] td[data-col="rank"] .mc-main::after { content: " ★"; color: #4f46e5; }
/* Figures: whole (object-fit contain) and all on the page, without a scroll box of their own. */
.mc-figures .grid-wrap { max-height: none !important; padding-top: 2.4em !important; }
/* (the padding: the gallery's label sits over the grid's top edge, where it hid the first figure's title) */
/* Captions below each figure, not laid over its bottom edge (where gradio puts them, over the x-axis label). */
.mc-figures .thumbnail-item { aspect-ratio: auto !important; height: auto !important; display: flex !important;
  flex-direction: column; }
/* auto 4 / 3: the figure's own proportions once loaded, a box of its size before (a lazy image of height 0
   below the fold would never count as shown) */
.mc-figures .thumbnail-item > img { height: auto !important; aspect-ratio: auto 4 / 3; flex: none; }
.mc-figures .caption-label { position: static !important; max-width: none !important; white-space: normal !important;
  border: none !important; border-top: 1px solid var(--border-color-primary) !important; border-radius: 0 !important;
  opacity: 1 !important; }
/* Narrow screens: each report becomes a card, one labelled line per column (no sideways scrolling). */
@media (max-width: 1000px) {
  .mc-lb thead { display: none; }
  .mc-lb, .mc-lb tbody, .mc-lb tr { display: block; width: 100%; }
  .mc-lb tr { border: 1px solid #d0d7de; border-radius: 6px; margin: 0 0 12px; }
  .mc-lb td { display: flex; justify-content: space-between; align-items: baseline; gap: 12px; border: none;
              border-bottom: 1px solid #eef0f3; white-space: normal; }
  .mc-lb td::before { content: attr(data-label); font-weight: 600; text-align: left; }
  .mc-lb .mc-val { text-align: right; }
  .mc-lb td[data-col="student"] .mc-val, .mc-lb td[data-col="rank"] .mc-val { text-align: right; }
  /* The probe's verdict table too: one card per input, one labelled line per column. */
  #mc-verdicts thead { display: none; }
  #mc-verdicts, #mc-verdicts tbody, #mc-verdicts tr, #mc-verdicts th.mc-input { display: block; width: 100%; }
  #mc-verdicts tr { border: 1px solid #d0d7de; border-radius: 6px; margin: 0 0 12px; box-sizing: border-box; }
  #mc-verdicts th.mc-input { border: none; border-bottom: 1px solid #d0d7de; box-sizing: border-box; }
  #mc-verdicts td { display: flex; align-items: baseline; gap: 12px; border: none; border-bottom: 1px solid #eef0f3; }
  /* the label on the left, the cell's content together on the right */
  #mc-verdicts td::before { content: attr(data-label); font-weight: 600; margin-right: auto; }
  #mc-verdicts td .mc-val { display: inline; margin-left: 6px; }
}
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


def code_language(language: str) -> str | None:
    # gr.Code highlights only some languages; others are shown as plain text.
    return language if language in ("c", "python", "javascript") else None


# The last error message of each browser session (bounded), for a status line to repeat after a failed event:
# gradio passes a failing event's outputs nothing, so a "Probing…" placeholder would otherwise stay.
_LAST_ERRORS: "OrderedDict[str, str]" = OrderedDict()


def _session() -> str | None:
    from gradio.context import LocalContext

    request = LocalContext.request.get(None)
    return getattr(request, "session_hash", None) if request is not None else None


def last_error() -> str:
    """The message of the last error of this event's browser session (see :func:`guard`), or a generic line."""
    return _LAST_ERRORS.pop(_session() or "", "the server gave no reason")


def _remember(message: str) -> str:
    session = _session()
    if session:
        _LAST_ERRORS[session] = message
        while len(_LAST_ERRORS) > 512:
            _LAST_ERRORS.popitem(last=False)
    return message


def failure_status(what: str) -> str:
    """Markdown for a status line after ``what`` failed: the reason, as the error message gave it."""
    from ..markup import markdown_literal

    # guard() HTML-escaped the message for the error popup; the status line is Markdown.
    return f"**✗ {what} failed:** {markdown_literal(html.unescape(last_error()))}"


def guard(fn: Callable, settings: SpaceSettings) -> Callable:
    """Turn every failure into a message in the page: user errors verbatim, bugs as one line.

    Every message goes through :func:`~.limits.redact_paths` (no server folder in the page) and
    :func:`~metacompress_eval.hub_client.scrub` (no token), whatever raised it.
    """
    import gradio as gr

    from ..hub_client import scrub
    from .limits import redact_paths

    def shown(text: str) -> str:
        # The page renders an error's message as HTML, and messages quote uploaded names (a zip's member
        # names, a report's fields): escaped, they read as text instead of becoming tags or remote images.
        return _remember(html.escape(" ".join(redact_paths(scrub(text), settings).split()), quote=False))

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error as exc:
            raise gr.Error(shown(str(exc.message)), print_exception=False) from None
        except MetaCompressError as exc:
            raise gr.Error(shown(str(exc)), print_exception=False) from None
        except RecursionError:
            raise gr.Error("the input is nested too deeply to process", print_exception=False) from None
        except Exception as exc:  # noqa: BLE001 - the page must never show a traceback
            log.exception("unexpected error in %s", fn.__name__)
            first = (str(exc).splitlines() or [""])[0][:300]
            raise gr.Error(shown(f"Unexpected error ({type(exc).__name__}): {first}"), print_exception=False) from None

    return wrapper


@dataclass
class AppContext:
    """What every tab shares: settings, the model store, the model and threshold inputs, error and progress helpers.

    Attributes:
        model_inputs: the teacher and student boxes (inputs of every event that runs models).
        threshold_inputs: one slider per registered threshold with a ``slider`` (trailing inputs of
            those events; :meth:`thresholds` turns their values back into ``Thresholds``).
    """

    settings: SpaceSettings
    store: ModelStore
    model_inputs: list
    threshold_inputs: list
    slider_thresholds: Sequence

    def thresholds(self, values):
        """The :class:`~metacompress_eval.relations.Thresholds` of the sliders' ``values``."""
        from ..relations import Thresholds

        return Thresholds(**{t.name: t.kind(v) for t, v in zip(self.slider_thresholds, values)})

    def guard(self, fn: Callable) -> Callable:
        """Every failure of a tab's event as a message in the page (see :func:`guard`)."""
        return guard(fn, self.settings)

    @staticmethod
    def progress(bar) -> Progress:
        """A :data:`~.settings.Progress` that drives a ``gr.Progress`` bar."""
        return lambda fraction, message: bar(max(0.0, min(1.0, fraction)), desc=message)


def build_app(settings: SpaceSettings | None = None, store: ModelStore | None = None):
    """Build the ``gr.Blocks`` app (not launched). Every event has an ``api_name`` for API clients."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    from ..relations import list_relations, list_thresholds

    settings = settings or SpaceSettings.from_env()
    store = store or ModelStore(settings)
    relations = list_relations()
    # One slider per registered threshold that declares one, labelled with the first relation reading it.
    sliders = [t for t in list_thresholds() if t.slider is not None]
    owner = {t.name: r for r in reversed(relations) for t in r.thresholds}

    @functools.partial(guard, settings=settings)
    def do_prepare(teacher, student, progress=gr.Progress()):
        t, s = store.pair(teacher, student, AppContext.progress(progress))
        return (f"**Ready.** Teacher `{t.name}` ({t.describe()['num_parameters']:,} parameters), student `{s.name}` "
                f"({s.describe()['num_parameters']:,} parameters); labels: {', '.join(t.label_names)}.")

    # delete_cache: gradio's own copies of uploads and returned files go after an hour too.
    with gr.Blocks(title="MetaCompress Eval", analytics_enabled=False,
                   delete_cache=(600, int(settings.max_temp_age_s))) as demo:
        gr.Markdown(
            "# MetaCompress Eval\n"
            "**Does the distilled student really behave like its teacher?** Derive semantics-preserving follow-ups "
            "of code (renaming, dead code, if/else swaps, …), run both models and check the metamorphic relations: "
            + ", ".join(f"{r.title} ({r.abbreviation})" for r in relations)
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
            where = f" in `{settings.models_dir}`" if settings.allow_local_paths else " on this server"
            models_status = gr.Markdown(f"Demo models are trained on first use (a few minutes on CPU) and cached{where}.")
            with gr.Accordion("Relation thresholds", open=False):
                with gr.Row():
                    threshold_inputs = [gr.Slider(t.slider[0], t.slider[1], value=t.default, step=t.slider[2],
                                                  label=f"{owner[t.name].abbreviation}: {t.label}"
                                                  if t.name in owner else t.label, info=t.help)
                                        for t in sliders]
        app = AppContext(settings, store, [teacher_box, student_box], threshold_inputs, sliders)
        with gr.Tabs():
            for tab in TABS:
                tab.add_tab(app)
        # All model work shares one worker: on a small CPU Space, parallel forward passes only thrash.
        prepare_btn.click(do_prepare, app.model_inputs, models_status, api_name="load_models",
                          concurrency_id="models")
    demo.queue(default_concurrency_limit=1, max_size=32)
    return demo


def launch(settings: SpaceSettings | None = None, *, host: str = "127.0.0.1", port: int | None = None,
           **kwargs: Any):
    """Build and launch the app (blocking unless ``prevent_thread_lock=True`` is passed)."""
    demo = build_app(settings)
    options = {**launch_kwargs(), "server_name": host, "server_port": port, "show_error": True, **kwargs}
    return demo, demo.launch(**options)
