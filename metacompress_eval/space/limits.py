"""What keeps one visitor from hurting the others or learning about the server.

* :class:`Deadline`: a per-request time budget, checked between steps (one transformation, one
  model run), so a hostile snippet cannot hold the only worker while others wait;
* :func:`copy_capped`: copies a zip member to disk only up to a size limit, trusting the bytes
  actually inflated, not the size the archive claims;
* :func:`tidy_work_dir`: the Space's temporary storage (extracted plots, Run folders) is bounded:
  old request folders go first, and the whole folder is kept under ``max_temp_bytes``;
* :func:`redact_paths`: no server path (work folder, models folder, upload and temp folders, home)
  in anything a visitor sees or downloads.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import IO

from ..errors import MetaCompressError
from .settings import SpaceSettings

#: Temporary folders the Space makes inside ``work_dir`` (one per request), oldest removed first.
REQUEST_FOLDERS = ("plots-*", "run-*")


class Deadline:
    """``check()`` raises once ``seconds`` have passed since the deadline was made."""

    def __init__(self, seconds: float, what: str, hint: str = "try a smaller input"):
        self.seconds = float(seconds)
        self.what = what
        self.hint = hint
        self.started = time.perf_counter()

    def left(self) -> float:
        return self.seconds - (time.perf_counter() - self.started)

    def check(self, step: str = "") -> None:
        if self.left() < 0:
            during = f" (while {step})" if step else ""
            raise MetaCompressError(f"the {self.what} took longer than its {self.seconds:g} s budget and was "
                                    f"stopped{during}; {self.hint}")


def copy_capped(source: IO[bytes], target: Path, limit: int, what: str) -> Path:
    """Copy ``source`` to ``target``, refusing (and removing the partial copy) beyond ``limit`` bytes."""
    written = 0
    try:
        with open(target, "wb") as out:
            while True:
                block = source.read(1 << 16)
                if not block:
                    break
                written += len(block)
                if written > limit:
                    raise MetaCompressError(f"{what} is larger than {limit // 1_000_000} MB unpacked")
                out.write(block)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def tidy_work_dir(settings: SpaceSettings, *, max_age_s: float | None = None) -> None:
    """Remove request folders older than ``settings.max_temp_age_s``, then the oldest until under budget."""
    work = settings.work_dir
    work.mkdir(parents=True, exist_ok=True)  # a tmp cleaner may have removed it
    now = time.time()
    age = settings.max_temp_age_s if max_age_s is None else max_age_s
    folders = []
    for pattern in REQUEST_FOLDERS:
        for path in work.glob(pattern):
            try:
                folders.append((path.stat().st_mtime, path))
            except OSError:
                continue
    folders.sort()
    kept = []
    for mtime, path in folders:
        if now - mtime > age:
            shutil.rmtree(path, ignore_errors=True)
        else:
            kept.append(path)
    total = sum(_size(p) for p in kept)
    for path in kept:  # oldest first
        if total <= settings.max_temp_bytes:
            break
        total -= _size(path)
        shutil.rmtree(path, ignore_errors=True)


def request_folder(settings: SpaceSettings, prefix: str) -> Path:
    """A fresh folder for one request in the (tidied) work folder."""
    tidy_work_dir(settings)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=settings.work_dir))


def server_paths(settings: SpaceSettings) -> list[str]:
    """Folders of this server a visitor must never see, longest first (so sub-folders go first)."""
    candidates = {str(settings.work_dir), str(settings.models_dir), tempfile.gettempdir(), os.getcwd(),
                  str(Path.home()), os.environ.get("GRADIO_TEMP_DIR") or "",
                  str(settings.output_cache_dir or "")}
    for path in list(candidates):
        if path:
            try:
                candidates.add(str(Path(path).resolve()))
            except OSError:
                pass
    return sorted((p for p in candidates if p and p not in ("/", ".")), key=len, reverse=True)


def redact_paths(text: str, settings: SpaceSettings) -> str:
    """``text`` with every server folder (and anything below it) replaced by ``…``, written plainly, URL-encoded
    (``%2F``) or JSON-escaped (``\\/``).

    A path below a server folder keeps its last part (the file a visitor uploaded keeps its name).
    """
    from urllib.parse import quote

    for root in server_paths(settings):
        for spelled, sep in ((root, "/"), (quote(root, safe=""), "%2F"), (root.replace("/", "\\/"), "\\/")):
            if spelled not in text:
                continue
            below = re.escape(sep) + r"[^\s'\"`,;:)\]]*"
            text = re.sub(re.escape(spelled) + f"(?:{below})?",
                          lambda m, s=spelled, sep=sep: "…" if m.group(0) in (s, s + sep)
                          else "…/" + m.group(0).rstrip(sep).rsplit(sep, 1)[-1], text)
    return text
