"""Models in the Space: the demo pair (built by the demo's own builder) and a small store of loaded models."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from ..errors import MetaCompressError
from .settings import DEMO_STUDENT, DEMO_TEACHER, Progress, SpaceSettings, demo_model_dirs, no_progress

_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$")


def build_demo_models(settings: SpaceSettings, progress: Progress = no_progress) -> tuple[Path, Path]:
    """The demo teacher and student for these settings, built on first use by the demo's own builder.

    :func:`metacompress_eval.demo.models.build_demo_models` is what ``metacompress demo`` runs: the
    same corpus, presets and stamps (a changed preset retrains), reused when the stamps match, never
    left half-written.
    """
    from ..demo.models import build_demo_models as build

    teacher_dir, student_dir = demo_model_dirs(settings)
    announced = []

    def trainer_progress(stage: str, fraction: float) -> None:
        if not announced:
            announced.append(True)
            where = f" in {settings.models_dir}" if settings.allow_local_paths else ""
            progress(0.0, f"building the demo models (first use only, a few minutes){where}")
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

    def resolve(self, name: str | None, role: str, progress: Progress = no_progress) -> str:
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

    def load(self, name: str | None, role: str, progress: Progress = no_progress):
        """The loaded model for ``name`` (see :func:`metacompress_eval.models.load_model`)."""
        from ..model_outputs import ModelSpec

        target = self.resolve(name, role, progress)
        # A rebuilt local folder must not be served from memory: key on the mtime of what describes it
        # (config.json of a save_pretrained folder, metacompress.json of an imported one).
        described = [Path(target) / f for f in ("config.json", "metacompress.json") if (Path(target) / f).is_file()]
        stamp = max((p.stat().st_mtime_ns for p in described), default=None)
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

    def pair(self, teacher: str | None, student: str | None, progress: Progress = no_progress, *, task=None):
        """Teacher and student, loaded and with aligned label spaces; with ``task`` (a
        :class:`~metacompress_eval.tasks.TaskSpec`), refused when a head cannot take its inputs, as
        every command does (:func:`~metacompress_eval.model_outputs.check_task`)."""
        from ..model_outputs import check_task
        from ..models import align_label_spaces

        t = self.load(teacher, "teacher", progress)
        s = self.load(student, "student", progress)
        if task is not None:
            check_task(t, "teacher", task)
            check_task(s, "student", task)
        align_label_spaces(t, s)
        return t, s
