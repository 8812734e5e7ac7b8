"""Stronger checks of follow-ups: no new compiler diagnostics, and same behaviour when executed.

* :mod:`metacompress_eval.verify.compilers` — compile a source and its follow-up (gcc/clang,
  javac, ``compile()``, node, ``go build`` + ``go vet``) and report errors the follow-up adds.
* :mod:`metacompress_eval.verify.execution` — run both on the same inputs in a sandboxed
  subprocess and compare outputs (Python, C, JavaScript).

See ``docs/verification.md``.
"""

from metacompress_eval.verify.compilers import (
    VERIFIABLE_LANGUAGES,
    VerificationResult,
    checker_name,
    clear_cache,
    compare,
    compare_many,
    diagnostics,
)
from metacompress_eval.verify.execution import (
    ExecutionResult,
    run_c,
    run_javascript,
    run_python,
)

__all__ = [
    "VERIFIABLE_LANGUAGES",
    "ExecutionResult",
    "VerificationResult",
    "checker_name",
    "clear_cache",
    "compare",
    "compare_many",
    "diagnostics",
    "run_c",
    "run_javascript",
    "run_python",
]
