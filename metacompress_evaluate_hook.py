"""Interpreter start-up hook (run by ``metacompress_eval_evaluate.pth``): registers the evaluate module.

It runs ``metacompress_eval/hub/_startup.py`` *by file path*, without importing the
``metacompress_eval`` package. Importing the package here would put the installed copy into
``sys.modules`` before the working directory is on ``sys.path``, so a developer running the tests
of a source checkout would silently test the installed copy instead. Standard library only; never
raises (a start-up hook must not break unrelated Python programs).
"""

import importlib.util
import os


def _register() -> None:
    if os.environ.get("METACOMPRESS_NO_EVALUATE_REGISTER"):
        return
    try:
        spec = importlib.util.find_spec("metacompress_eval")  # finds the package without importing it
        if spec is None or not spec.submodule_search_locations:
            return
        path = os.path.join(list(spec.submodule_search_locations)[0], "hub", "_startup.py")
        startup = importlib.util.spec_from_file_location("_metacompress_evaluate_startup", path)
        if startup is None or startup.loader is None:
            return
        startup.loader.exec_module(importlib.util.module_from_spec(startup))
    except Exception:  # noqa: BLE001
        pass


_register()
