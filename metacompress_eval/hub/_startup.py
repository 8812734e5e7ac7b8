"""Register the ``metacompress`` evaluate module in evaluate's modules cache (stdlib only, never raises).

Why this exists: ``evaluate.load("metacompress")`` resolves a bare name by asking the Hub for
``evaluate-metric/metacompress``, ``evaluate-comparison/metacompress``, ... and, when that fails
(offline, or no such repository), by falling back to the most recent copy cached under
``$HF_MODULES_CACHE/evaluate_modules/metrics/evaluate-comparison--metacompress/<64-hex hash>/``
(``evaluate.loading.CachedEvaluationModuleFactory``). A package cannot write into the user's cache
at install time, so this module places the shipped ``metacompress.py`` (with ``metacompress_core.py``,
the shim it imports the installed package's analysis through) there at run time:

* at interpreter start-up (wheel installs): ``metacompress_eval_evaluate.pth`` imports the top-level
  ``metacompress_evaluate_hook``, which runs this file by path without importing the package,
  so ``evaluate.load("metacompress")`` works in any process of that environment;
* whenever :mod:`metacompress_eval.hub` is imported, and via ``metacompress evaluate-module --install``
  (editable installs, where setuptools does not ship extra ``.pth`` files).

Loading from that cache makes evaluate log "Using the latest cached version of the module ... since it
couldn't be found locally at metacompress, or remotely on the Hugging Face Hub" on every load, a
notice that is expected here and says nothing useful: :func:`quiet_cache_notice` filters that one
record (for this module only) from evaluate's logger; it costs a ``logging.getLogger`` call.

The work per call is two small file reads, one hash and one ``stat``; the copy is written only when
that exact content is missing. It is imported at every start-up, so it imports nothing heavy and
swallows every error (a read-only home directory must not break unrelated Python programs).
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

MODULE_NAME = "metacompress"
# evaluate's fallback looks for canonical modules under this name, in the "metrics" namespace
# folder whatever the module type (CachedEvaluationModuleFactory's default module_type).
CACHED_NAME = f"evaluate-comparison--{MODULE_NAME}"
SOURCE_DIR = Path(__file__).resolve().parent / "evaluate_module" / MODULE_NAME
#: The files evaluate imports: the module script and the analysis it imports relatively.
SCRIPTS = (f"{MODULE_NAME}.py", "metacompress_core.py")


def modules_cache() -> Path:
    """The folder evaluate uses as ``HF_MODULES_CACHE`` (same rules as ``evaluate.config``)."""
    env = os.environ.get("HF_MODULES_CACHE")
    if env:
        return Path(env).expanduser()
    hf_home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "huggingface")
    return Path(os.path.expanduser(hf_home)) / "modules"


def install(cache: str | os.PathLike | None = None) -> Path:
    """Copy the module script (and the shim it imports) into evaluate's modules cache; return the script's path.

    Idempotent: the target folder is named by the SHA-256 of the scripts, so unchanged scripts are
    not rewritten, and an upgraded one lands in a new folder that evaluate prefers (newest mtime).
    """
    sources = {name: (SOURCE_DIR / name).read_bytes() for name in SCRIPTS}
    digest = hashlib.sha256(b"\0".join(sources[name] for name in SCRIPTS)).hexdigest()
    root = Path(cache) if cache is not None else modules_cache()
    dynamic = root / "evaluate_modules"
    folder = dynamic / "metrics" / CACHED_NAME / digest
    target = folder / f"{MODULE_NAME}.py"
    if all((folder / name).is_file() and (folder / name).read_bytes() == data for name, data in sources.items()):
        return target
    folder.mkdir(parents=True, exist_ok=True)
    # evaluate imports "evaluate_modules.metrics.<name>.<hash>.metacompress": every level is a package.
    for pkg in (root, dynamic, dynamic / "metrics", dynamic / "metrics" / CACHED_NAME, folder):
        init = pkg / "__init__.py"
        if not init.exists():
            init.touch()
    readme = SOURCE_DIR / "README.md"
    if readme.is_file():
        (folder / "README.md").write_bytes(readme.read_bytes())
    # Written to temporary names and renamed, the script last, so a concurrent evaluate.load never
    # sees half a file or a script without its shim.
    for name in reversed(SCRIPTS):
        tmp = folder / f".{name}.{os.getpid()}.tmp"
        tmp.write_bytes(sources[name])
        os.replace(tmp, folder / name)
    return target


class _CacheNoticeFilter(logging.Filter):
    """Drops evaluate's "Using the latest cached version" notice for this module (and nothing else)."""

    marker = CACHED_NAME

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is not ours to judge
            return True
        return not (CACHED_NAME in message and "latest cached version" in message)


def quiet_cache_notice() -> None:
    """Install :class:`_CacheNoticeFilter` on evaluate's loading logger (once per process)."""
    logger = logging.getLogger("evaluate.loading")
    if not any(getattr(f, "marker", None) == CACHED_NAME for f in logger.filters):
        logger.addFilter(_CacheNoticeFilter())


def install_quietly() -> None:
    """:func:`install`, ignoring every error (used at interpreter start-up and on import)."""
    if os.environ.get("METACOMPRESS_NO_EVALUATE_REGISTER"):
        return
    try:
        install()
        quiet_cache_notice()
    except Exception:  # noqa: BLE001 - start-up hooks must never break the interpreter
        pass


install_quietly()
