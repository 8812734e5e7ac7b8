"""The analysis of the installed metacompress-eval package, for the metacompress evaluate module.

This is the shim used where metacompress-eval is installed (``evaluate.load("metacompress")``, the
package's own module folder). The Space folder written by ``metacompress evaluate-module --out`` has
a generated file of the same name instead, which bundles the package's analysis modules.
"""

try:
    from metacompress_eval.errors import MetaCompressError  # noqa: F401
    from metacompress_eval.relations import (  # noqa: F401
        EvaluationOutputs, Thresholds, analyze, check_comparison_inputs, list_relations, list_thresholds,
        probability_rows)
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("the metacompress comparison needs metacompress-eval installed, or the self-contained "
                      "folder written by `metacompress evaluate-module --out DIR`") from exc
