"""Settings of one Space instance, the demo model names and the progress callback type."""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import MetaCompressError

log = logging.getLogger("metacompress_eval.space")

#: Pseudo model names that stand for the demo's teacher and student (built on first use). A colon
#: cannot occur in a Hub id, so these never shadow a real model.
DEMO_TEACHER = "demo:teacher"
DEMO_STUDENT = "demo:student"

#: ``progress(fraction, message)``: how the gradio-free logic reports progress.
Progress = Callable[[float, str], None]


def no_progress(fraction: float, message: str) -> None:
    """Default progress sink: log only."""
    log.info("%3.0f%% %s", 100 * fraction, message)


def env_flag(name: str, default: bool) -> bool:
    """A boolean environment variable: unset or empty → ``default``; 0/false/no/off → ``False``."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


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
        results_root: the only folder (with its subfolders) the Compare tab reads results folders
            from when ``allow_local_paths`` is on; default: the folder the app was started in.
        max_snippet_chars: longest snippet accepted by Probe (and longest row in Run).
        max_run_rows: most source rows one Run evaluates.
        max_run_seconds: wall-time budget of one Run (checked between pipeline stages).
        max_probe_seconds: wall-time budget of one Probe (checked between transformations and
            before the models run).
        max_upload_bytes: largest data file / report file accepted.
        max_plot_bytes: largest plot unpacked from an uploaded zip.
        max_compare_files: most files one Compare reads.
        max_temp_bytes: the work folder (extracted plots, Run folders) is kept under this size,
            oldest request first.
        max_temp_age_s: request folders older than this are removed by the next request.
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
    results_root: Path | None = None
    max_snippet_chars: int = 20_000
    max_run_rows: int = 40
    max_run_seconds: float = 600.0
    max_probe_seconds: float = 60.0
    max_upload_bytes: int = 5_000_000
    max_plot_bytes: int = 5_000_000
    max_compare_files: int = 20
    max_temp_bytes: int = 500_000_000
    max_temp_age_s: float = 3600.0
    output_cache_dir: str | None = None
    work_dir: Path | None = None
    examples: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.models_dir is None:
            from ..inference import default_cache_dir

            self.models_dir = default_cache_dir() / "space-models"
        self.models_dir = Path(self.models_dir).expanduser()
        if self.work_dir is None:
            self.work_dir = Path(tempfile.mkdtemp(prefix="metacompress-space-"))
        self.work_dir = Path(self.work_dir)
        self.results_root = Path(self.results_root or Path.cwd()).expanduser().resolve()
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
            "allow_local_paths": env_flag("METACOMPRESS_SPACE_ALLOW_LOCAL", True),
            "results_root": env.get("METACOMPRESS_SPACE_RESULTS_ROOT") or None,
        }
        if env.get("METACOMPRESS_SPACE_MAX_ROWS"):
            values["max_run_rows"] = int(env["METACOMPRESS_SPACE_MAX_ROWS"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def demo_model_dirs(settings: SpaceSettings) -> tuple[Path, Path]:
    """Where the demo teacher and student live for these settings."""
    root = settings.models_dir / f"{settings.demo_size}-seed{settings.seed}"
    return root / "teacher", root / "student"
