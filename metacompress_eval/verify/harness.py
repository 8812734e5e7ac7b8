"""Execution checks for inputs that carry a harness: how to run them, read from the data.

A row (or a source example) may hold a *harness*: a JSON object saying how to call its code, so a
follow-up is not only compiled but run against its source (:mod:`.execution`):

=============== =========================================================================================
``function``    the function to call (default: the first one the source defines)
``calls``       Python: argument lists of literals (or ``[args, kwargs]``); JavaScript: JSON argument
                lists; C: argument lists of ints, floats and strings for the generic driver
``driver``      C only: the text of a ``main`` that calls the function (instead of ``calls``)
``timeout``     seconds per side (default 5)
=============== =========================================================================================

``{"function": "area", "calls": [[2, 3], [0, 5]]}`` runs ``area(2, 3)`` and ``area(0, 5)`` on both
sides. A follow-up made by ``rename_function`` is called under its new name (read from its
provenance). Languages without an execution harness (Java, Go) are reported as not run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.verify.execution import ExecutionResult, run_c, run_javascript, run_python

EXECUTABLE_LANGUAGES = ("python", "c", "javascript")


@dataclass(frozen=True)
class Harness:
    """How to run one input (see the module docstring)."""

    function: str | None = None
    calls: tuple = ()
    driver: str | None = None
    timeout: float = 5.0

    @classmethod
    def from_value(cls, value: Any) -> "Harness | None":
        """A harness from a row's value (a dict, or its JSON text); ``None`` for no harness.

        Raises:
            MetaCompressError: for a value that is not a harness (a one-line message).
        """
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise MetaCompressError(f"harness is not JSON: {exc}") from None
        if not isinstance(value, dict):
            raise MetaCompressError("harness must be a JSON object with 'function', 'calls' or 'driver'")
        unknown = set(value) - {"function", "calls", "driver", "timeout"}
        if unknown:
            raise MetaCompressError(f"unknown harness field(s) {sorted(unknown)}")
        calls = value.get("calls") or []
        if not isinstance(calls, list):
            raise MetaCompressError("harness 'calls' must be a list of argument lists")
        if not calls and not value.get("driver"):
            raise MetaCompressError("harness needs 'calls' or (C) a 'driver'")
        function = value.get("function")
        if function is not None and not isinstance(function, str):
            raise MetaCompressError("harness 'function' must be a name")
        return cls(function, tuple(tuple(c) if isinstance(c, list) else c for c in calls), value.get("driver"),
                   float(value.get("timeout", 5.0)))


def renamed_function(provenance: dict | None) -> tuple[str, str] | None:
    """``(old, new)`` when the follow-up renamed the function the harness calls."""
    if not provenance:
        return None
    steps = provenance.get("steps") or [provenance]
    for step in steps:
        params = step.get("params") or {}
        if step.get("transformation") == "rename_function" and params.get("old") and params.get("new"):
            return params["old"], params["new"]
    return None


def _python_call(call: Any) -> Any:
    if isinstance(call, tuple) and len(call) == 2 and isinstance(call[0], (list, tuple)) and isinstance(call[1], dict):
        return (tuple(call[0]), call[1])
    return tuple(call) if isinstance(call, (list, tuple)) else (call,)


def run_harness(source: str, follow_up: str, language: str, harness: Harness,
                renamed: tuple[str, str] | None = None) -> ExecutionResult:
    """Run ``source`` and ``follow_up`` as ``harness`` says and compare (see :mod:`.execution`).

    ``renamed``: ``(old, new)`` when the follow-up's function has another name; the follow-up side
    then gets an alias so the same call reaches it.

    Raises:
        MetaCompressError: for a language without an execution harness, or a bad harness.
    """
    if language == "python":
        if renamed:
            follow_up = follow_up.rstrip("\n") + f"\n{renamed[0]} = {renamed[1]}\n"
        return run_python(source, follow_up, [_python_call(c) for c in harness.calls], function=harness.function,
                          timeout=harness.timeout)
    if language == "javascript":
        function = harness.function
        if function is None:
            raise MetaCompressError("a JavaScript harness needs 'function'")
        if renamed:
            follow_up = follow_up.rstrip("\n") + f"\nvar {renamed[0]} = {renamed[1]};\n"
        return run_javascript(source, follow_up, [list(c) for c in harness.calls], function=function,
                              timeout=harness.timeout)
    if language == "c":
        from metacompress_eval.verify.execution import generic_c_driver

        driver = harness.driver
        if driver is None:
            driver = generic_c_driver(source, [tuple(c) for c in harness.calls], harness.function)
        if renamed:
            # The driver calls the source's name; on the follow-up side that name is a macro for the new one.
            follow_up = follow_up.rstrip("\n") + f"\n#define {renamed[0]} {renamed[1]}\n"
        return run_c(source, follow_up, driver=driver, function=harness.function, timeout=harness.timeout)
    raise MetaCompressError(f"no execution harness for {language!r}; supported: {', '.join(EXECUTABLE_LANGUAGES)}")


def run_harnesses(items: Sequence[tuple[str, str, Harness, tuple[str, str] | None]],
                  language: str) -> list[ExecutionResult | None]:
    """:func:`run_harness` for each ``(source, follow_up, harness, renamed)``; ``None`` where the
    language has no harness."""
    if language not in EXECUTABLE_LANGUAGES:
        return [None] * len(items)
    return [run_harness(s, f, language, h, r) for s, f, h, r in items]


__all__ = ["EXECUTABLE_LANGUAGES", "Harness", "renamed_function", "run_harness", "run_harnesses"]
