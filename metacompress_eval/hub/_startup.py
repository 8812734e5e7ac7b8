"""Register the ``metacompress`` evaluate module in evaluate's modules cache (stdlib only, never raises).

Why this exists: ``evaluate.load("metacompress")`` resolves a bare name by asking the Hub for
``evaluate-metric/metacompress``, ``evaluate-comparison/metacompress``, ... and, when that fails
(offline, or no such repository), by falling back to the most recent copy cached under
``$HF_MODULES_CACHE/evaluate_modules/metrics/evaluate-comparison--metacompress/<64-hex hash>/``
(``evaluate.loading.CachedEvaluationModuleFactory``). A package cannot write into the user's cache
at install time, so this module places the shipped ``metacompress.py`` there at run time:

* at interpreter start-up (wheel installs): ``metacompress_eval_evaluate.pth`` imports the top-level
  ``metacompress_evaluate_hook``, which runs this file by path without importing the package,
  so ``evaluate.load("metacompress")`` works in any process of that environment;
* whenever :mod:`metacompress_eval.hub` is imported, and via ``metacompress evaluate-module --install``
  (editable installs, where setuptools does not ship extra ``.pth`` files).

The work per call is one small file read, one hash and one ``stat``; the copy is written only when
that exact content is missing. It is imported at every start-up, so it imports nothing heavy and
swallows every error (a read-only home directory must not break unrelated Python programs).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

MODULE_NAME = "metacompress"
# evaluate's fallback looks for canonical modules under this name, in the "metrics" namespace
# folder whatever the module type (CachedEvaluationModuleFactory's default module_type).
CACHED_NAME = f"evaluate-comparison--{MODULE_NAME}"
SOURCE_DIR = Path(__file__).resolve().parent / "evaluate_module" / MODULE_NAME


def modules_cache() -> Path:
    """The folder evaluate uses as ``HF_MODULES_CACHE`` (same rules as ``evaluate.config``)."""
    env = os.environ.get("HF_MODULES_CACHE")
    if env:
        return Path(env).expanduser()
    hf_home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "huggingface")
    return Path(os.path.expanduser(hf_home)) / "modules"


def install(cache: str | os.PathLike | None = None) -> Path:
    """Copy ``metacompress.py`` into evaluate's modules cache; return the copied file's path.

    Idempotent: the target folder is named by the SHA-256 of the script, so an unchanged script is
    not rewritten, and an upgraded one lands in a new folder that evaluate prefers (newest mtime).
    """
    source = (SOURCE_DIR / f"{MODULE_NAME}.py").read_bytes()
    digest = hashlib.sha256(source).hexdigest()
    root = Path(cache) if cache is not None else modules_cache()
    dynamic = root / "evaluate_modules"
    folder = dynamic / "metrics" / CACHED_NAME / digest
    target = folder / f"{MODULE_NAME}.py"
    if target.is_file() and target.read_bytes() == source:
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
    # Written to a temporary name and renamed, so a concurrent evaluate.load never sees half a file.
    tmp = folder / f".{MODULE_NAME}.py.{os.getpid()}.tmp"
    tmp.write_bytes(source)
    os.replace(tmp, target)
    return target


def install_quietly() -> None:
    """:func:`install`, ignoring every error (used at interpreter start-up and on import)."""
    if os.environ.get("METACOMPRESS_NO_EVALUATE_REGISTER"):
        return
    try:
        install()
    except Exception:  # noqa: BLE001 - start-up hooks must never break the interpreter
        pass


install_quietly()
