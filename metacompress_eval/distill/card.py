"""The model card (``README.md``) of a distilled student.

It states what a reader needs to judge the student before evaluating it: the recipe and its
paper, the teacher, the architecture, size against the budget, FLOPs (with the formula's
assumptions), measured latency, the search (how many configurations, front size, surrogate error)
and what the validation split showed (agreement with the teacher, flip rates, relation violation
rates). The YAML header makes the Hub render it as a text-classification model; ``metacompress
card --report`` can later add the full behavioural-fidelity section from an evaluation report.
"""

from __future__ import annotations

from ..relations import list_relations
from .search import SearchResult

__all__ = ["render_card", "RECIPES"]

RECIPES = {
    "compressor": ("Compressor", "Shi et al., *Compressing Pre-trained Models of Code into 3 MB*, ASE 2022",
                   "genetic search maximising GFLOPs under the size budget; KL(teacher/T ‖ student/T)·T² on "
                   "unlabelled inputs"),
    "avatar": ("AVATAR", "Shi et al., *Greening Large Language Models of Code*, ICSE-SEIS 2024",
               "configuration space pruned by constraints, accuracy surrogate trained on short probe runs, "
               "NSGA-II over size, predicted accuracy and FLOPs; the same KL distillation as Compressor"),
    "morph": ("MORPH", "*Metamorphic-testing-guided compression of code models* (MORPH), ICSE 2025",
              "NSGA-III over size, predicted accuracy, FLOPs and predicted prediction flips on renamed inputs; "
              "distillation cross-entropy (T = 3) plus a cosine term on original and metamorphic inputs"),
    "fidelity": ("fidelity (MetaCompress)", "MetaCompress Eval, docs/distillation.md",
                 "Compressor's architecture search; KL distillation on sources and on follow-ups from the "
                 "transformation library, a term matching the student's output shift between x and x′ to the "
                 "teacher's, and the checkpoint with the fewest relation violations on a validation split"),
}


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def render_card(summary: dict, search: SearchResult) -> str:
    """Markdown model card for the student described by ``summary`` (``distillation.json``)."""
    name, paper, how = RECIPES[summary["method"]]
    a = summary["architecture"]
    v = summary["metrics"]["validation"]
    lab = summary["metrics"].get("labelled")
    lat = summary["latency"]
    tags = ["metacompress", "knowledge-distillation", f"distill-{summary['method']}", "code"]
    lines = [
        "---",
        "library_name: transformers",
        "pipeline_tag: text-classification",
        "tags:",
        *[f"- {t}" for t in tags],
        "---",
        "",
        f"# Distilled student ({name})",
        "",
        f"A `RobertaForSequenceClassification` student distilled from `{summary['teacher']}` for the "
        f"`{summary['task']}` task with the **{name}** recipe ({paper}): {how}.",
        "",
        "Load it like any checkpoint — `AutoModelForSequenceClassification.from_pretrained(path)` and "
        "`AutoTokenizer.from_pretrained(path)` (its own byte-level BPE tokenizer)"
        + (" — and feed a pair as the tokenizer's text pair: `tokenizer(code1, code2)`." if summary["pair_input"]
           else "."),
        "",
        "## Size and cost",
        "",
        "| | |",
        "|---|---|",
        f"| size (fp32 weights) | {summary['size_bytes'] / 1e6:.3f} MB ({summary['parameters']:,} parameters) |",
        f"| size budget | {summary['budget_bytes'] / 1e6:.3f} MB — {'met' if summary['within_budget'] else 'NOT met'} |",
        f"| weights file | {summary['weights_file_bytes'] / 1e6:.3f} MB (`model.safetensors`) |"
        if summary.get("weights_file_bytes") else "| weights file | – |",
        f"| FLOPs per input | {summary['gflops']:.4f} GFLOPs at {a['max_length']} tokens |",
        f"| latency | {lat['median_ms']:.2f} ms/input median ({lat['mean_ms']:.2f} mean), batch {lat['batch_size']}, "
        f"{lat['device']}, {lat.get('threads', '?')} thread(s), {lat['n']} validation inputs |"
        if lat.get("median_ms") is not None else "| latency | – |",
        "",
        "FLOPs count matrix products only, a multiply-add as 2: per layer 8·L·H² + 4·L²·H + 4·L·H·I, plus the "
        "classification head (docs/distillation.md).",
        "",
        "## Architecture",
        "",
        "| vocabulary | layers | hidden | heads | intermediate | max length | labels |",
        "|---|---|---|---|---|---|---|",
        f"| {a['vocab_size']} | {a['num_layers']} | {a['hidden_size']} | {a['num_heads']} | "
        f"{a['intermediate_size']} | {a['max_length']} | {', '.join(summary['label_names'])} |",
        "",
    ]
    if a["vocab_size"] != summary["searched_vocab_size"]:
        lines += [f"The search chose a vocabulary of {summary['searched_vocab_size']}; BPE found "
                  f"{a['vocab_size']} tokens in the training code.", ""]
    lines += ["## Search", "", f"{search.algorithm}: {len(search.history)} distinct configurations evaluated "
              f"(population {search.settings['population']}, {search.settings['generations']} generations, seed "
              f"{search.settings['seed']})."]
    if search.pruning:
        lines.append(f"Constraints pruned the space from {search.pruning['total']:,} to "
                     f"{search.pruning['feasible']:,} configurations.")
    if summary["method"] in ("avatar", "morph"):
        lines.append(f"Pareto front: {len(search.front)} configurations; probes: "
                     f"{len(search.extra.get('probes', []))} short trainings.")
        for key, sur in (search.surrogates or {}).items():
            mae = sur.get("leave_one_out_mae")
            lines.append(f"Surrogate for {key}: {sur['kind']}, {sur['n_samples']} samples, leave-one-out MAE "
                         f"{'–' if mae is None else f'{mae:.3f}'}.")
    lines += ["Every evaluated configuration and the front are in `search.json`.", "",
              "## Distillation", "",
              f"Unlabelled inputs: {summary['data']['train']} for training, {summary['data']['valid']} held out for "
              f"validation; {summary['data']['train_follow_ups']} training follow-ups"
              + (f" ({', '.join(summary['data']['transforms']['train'])})" if summary['data']['transforms']['train']
                 else "")
              + f". Temperature {summary['temperature']:g}; {len(summary['training']['epochs'])} epoch(s), "
              f"{summary['training']['steps']} steps; selected epoch {summary['training']['selected_epoch']}.", "",
              "## Validation (held-out unlabelled split)", ""]
    # One column per registered relation (a relation added later shows "–" for older summaries).
    relations = list_relations()
    rates = v.get("violation_rates") or {}
    lines += ["| agreement with teacher | student flip rate | teacher flip rate | "
              + " | ".join(r.abbreviation for r in relations) + " |",
              "|---|---|---|" + "---|" * len(relations),
              f"| {_pct(v.get('agreement'))} | {_pct(v.get('student_flip_rate'))} | {_pct(v.get('teacher_flip_rate'))} | "
              + " | ".join(_pct(rates.get(r.key)) for r in relations) + " |"]
    lines += ["", f"Relation violation rates over {v['n_sources']} sources and {v['n_follow_ups']} follow-ups "
              f"({', '.join(summary['data']['transforms']['valid'])}): "
              + ", ".join(f"{r.abbreviation} {r.title.lower()}" for r in relations) + " (docs/relations.md)."]
    if lab:
        lines += ["", f"On the labelled data ({lab['n']} inputs): accuracy {_pct(lab['accuracy'])}, "
                      f"F1 ({lab['f1_average']}) {_pct(lab['f1'])}."]
    lines += ["", "## Evaluate", "", "```bash",
              f"metacompress evaluate --teacher {summary['teacher']} --student <this folder> --task {summary['task']} "
              "--data test.jsonl --out report/", "```", ""]
    return "\n".join(lines)
