"""The page of the ``metacompress`` evaluate comparison's Space: compute() arguments in, the analysis out.

evaluate's own ``launch_gradio_widget`` builds its form with ``gr.inputs``, which gradio 4 removed,
so this page does the same job with current gradio: paste the ``compute()`` arguments as JSON (the
example is filled in) or a report folder's ``predictions.jsonl``, and read the result as JSON.
"""

import json
from pathlib import Path

import evaluate
import gradio as gr

HERE = Path(__file__).resolve().parent
module = evaluate.load(str(HERE / "metacompress.py"), module_type="comparison")

EXAMPLE = {
    "teacher_probs": [[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.3, 0.7]],
    "student_probs": [[0.85, 0.15], [0.3, 0.7], [0.25, 0.75], [0.35, 0.65]],
    "source_ids": ["a", "a", "b", "b"],
    "transformations": ["", "rename_variables", "", "rename_variables"],
    "references": [0, 0, 1, 1],
    "label_names": ["safe", "defective"],
    "bootstrap_resamples": 500,
}


def arguments(text: str) -> dict:
    """``compute()`` keyword arguments from a JSON object, or from ``predictions.jsonl`` lines."""
    text = (text or "").strip()
    if not text:
        raise gr.Error("paste the compute() arguments as a JSON object, or the lines of a predictions.jsonl")
    try:
        value = json.loads(text)
    except ValueError:
        try:
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError as exc:
            raise gr.Error(f"not JSON and not JSON lines: {exc}") from None
        if not rows or not all(isinstance(r, dict) and "teacher_probs" in r for r in rows):
            raise gr.Error("JSON lines must be the rows of a predictions.jsonl (teacher_probs, student_probs, ...)")
        rows.sort(key=lambda r: r.get("index", 0))
        value = {"teacher_probs": [r["teacher_probs"] for r in rows],
                 "student_probs": [r["student_probs"] for r in rows],
                 "source_ids": [str(r["source_id"]) for r in rows],
                 "transformations": [r.get("transformation") or "" for r in rows]}
        if all(r.get("label") is not None for r in rows):
            value["references"] = [int(r["label"]) for r in rows]
    if not isinstance(value, dict):
        raise gr.Error("the JSON must be an object of compute() arguments")
    return value


def compute(text: str) -> dict:
    """The comparison's result for the pasted arguments (errors become page messages)."""
    args = arguments(text)
    try:
        return module.compute(**args)
    except (TypeError, ValueError, KeyError) as exc:
        raise gr.Error(f"{type(exc).__name__}: {exc}") from None


with gr.Blocks(title="MetaCompress (evaluate comparison)") as demo:
    gr.Markdown("# MetaCompress\n" + module.info.description)
    arguments_box = gr.Code(json.dumps(EXAMPLE, indent=1), language="json",
                            label="compute() arguments (JSON), or the lines of a predictions.jsonl")
    compute_button = gr.Button("Compute", variant="primary")
    result_box = gr.JSON(label="result")
    compute_button.click(compute, arguments_box, result_box, api_name="compute")

if __name__ == "__main__":
    demo.launch()
