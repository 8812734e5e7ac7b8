"""Inference engine throughput against a bare forward loop and the transformers pipeline.

Measured in one run, on the same model and the same inputs, interleaved repeats, best of ``--repeats``:

* **engine**  — ``InferenceEngine.predict`` with an empty cache: hashing, tokenisation, keys by token
  ids (inputs that tokenise alike run once), length-sorted batches within a token budget of
  ``batch size × max length`` cut where padding costs more than a pass (``metacompress_eval/batch_plan.py``),
  forward passes, cache writes;
* **bare**    — only the forward passes, over every input pre-tokenised, sorted by length and cut
  into fixed batches of ``--batch-size`` (engine/bare ≥ 1.0 is the target: the engine's own work
  costs less than its batching and sharing save);
* **pipeline** — ``transformers.pipeline("text-classification")`` at the same batch size over the
  inputs in their natural order (target engine/pipeline ≥ 2).

Two input sets (``--inputs``):

* ``distinct``: ``--n`` distinct BigCloneBench Java methods (shared data; the demo corpus without it) —
  nothing to share, so the ratios show batching alone;
* ``follow-ups``: ``--follow-up-n`` distinct methods and their follow-ups under ``--transforms`` (all of
  them a model is run on in ``metacompress evaluate``), for a student whose tokenizer drops whitespace
  (``--drop-whitespace``, default for this set), so layout follow-ups tokenise like their source.

Usage::

    python benchmarks/bench_inference.py [--shape small] [--n 512] [--batch-size 32] [--repeats 3] \\
        [--inputs distinct,follow-ups] [--json bench_inference.json]

The follow-ups set has about 7 inputs per method with the default ``--transforms``, and the pipeline
runs at a few inputs per second on a 2-core CPU with the ``small`` shape: ``--follow-up-n 48
--repeats 2`` keeps that set to about 6 minutes there (``--follow-up-n`` defaults to ``--n``, which
takes close to an hour). The JSON is written after each set.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _models import load_functions, machine, make_model  # noqa: E402

LAYOUT = "rename_variables,dead_code,if_else_swap,reindent,blank_lines,brace_style,comment_insert"


def follow_up_inputs(texts: list[str], transforms: str) -> list[str]:
    """The methods, then their follow-ups (seed 0), as ``metacompress evaluate`` would run them."""
    from metacompress_eval.data import SourceInput
    from metacompress_eval.follow_ups import build_follow_ups

    sources = [SourceInput(f"m{i}", (t,)) for i, t in enumerate(texts)]
    follow = build_follow_ups(sources, "java", transforms.split(","), workers=0)
    return texts + [f.inputs[0] for f in follow.items]


def bench_set(name: str, texts: list[str], args, work: Path) -> dict:
    import torch
    from transformers import pipeline

    from metacompress_eval.inference import InferenceEngine, OutputCache
    from metacompress_eval.models import load_model

    drop = args.drop_whitespace if args.drop_whitespace is not None else name == "follow-ups"
    folder = make_model(work / f"model-{name}", args.shape, texts[: args.n], drop_whitespace=drop)
    loaded = load_model(str(folder), device=args.device, max_length=args.max_length)
    inputs = [(t,) for t in texts]

    def run_engine() -> tuple[float, object]:
        cache = OutputCache(Path(tempfile.mkdtemp(dir=work)) / "c.sqlite")
        engine = InferenceEngine(loaded, cache, batch_size=args.batch_size, progress=False)
        t0 = time.perf_counter()
        out = engine.predict(inputs)
        return time.perf_counter() - t0, out.stats

    # The bare loop: every input, pre-tokenised, sorted by length, fixed-size batches.
    ids = loaded.encode(inputs)
    order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
    prepared = [loaded.collate([ids[i] for i in order[s:s + args.batch_size]])
                for s in range(0, len(order), args.batch_size)]

    # Padded tokens (count × longest, summed over batches) of each contender's batches, beside the real ones.
    planner = InferenceEngine(loaded, None, batch_size=args.batch_size, progress=False)
    distinct = list(dict.fromkeys(tuple(x) for x in ids))
    padded = {
        "real": sum(len(x) for x in distinct),
        "engine": sum(len(b) * max(len(distinct[i]) for i in b) for b in planner.batches([list(x) for x in distinct])),
        "bare": sum(len(ids[order[s]]) * len(order[s:s + args.batch_size]) for s in range(0, len(order), args.batch_size)),
    }

    def run_bare() -> float:
        t0 = time.perf_counter()
        with torch.inference_mode():
            for batch in prepared:
                loaded.model(**batch).logits.cpu()
        return time.perf_counter() - t0

    pipe = pipeline("text-classification", model=loaded.model, tokenizer=loaded.tokenizer, device=args.device,
                    batch_size=args.batch_size, truncation=True, max_length=args.max_length, top_k=None)

    def run_pipeline() -> float:
        t0 = time.perf_counter()
        pipe(texts)
        return time.perf_counter() - t0

    run_bare()  # warm-up: first calls allocate kernels and memory pools
    seconds: dict[str, list[float]] = {"engine": [], "bare": [], "pipeline": []}
    stats = None
    for _ in range(args.repeats):  # interleaved so that drift in machine load hits every contender
        seconds["bare"].append(run_bare())
        elapsed, stats = run_engine()
        seconds["engine"].append(elapsed)
        if not args.skip_pipeline:
            seconds["pipeline"].append(run_pipeline())
    best = {k: min(v) for k, v in seconds.items() if v}
    result = {
        "inputs": name, "n_inputs": len(texts), "tokenizer_drops_whitespace": drop,
        "engine_stats": stats.as_dict(), "bare_batches": len(prepared), "padded_tokens": padded,
        "seconds": {k: round(v, 3) for k, v in best.items()},
        "inputs_per_second": {k: round(len(texts) / v, 1) for k, v in best.items()},
        "engine_vs_bare": round(best["bare"] / best["engine"], 3),
    }
    if "pipeline" in best:
        result["engine_vs_pipeline"] = round(best["pipeline"] / best["engine"], 3)
        result["bare_vs_pipeline"] = round(best["pipeline"] / best["bare"], 3)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", default="small", choices=("codebert-base", "small", "tiny"))
    ap.add_argument("--n", type=int, default=512, help="distinct methods (default: %(default)s)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-length", type=int, default=512,
                    help="tokens per input: 512, the limit of CodeBERT-size models and so the tool's default for them")
    ap.add_argument("--repeats", type=int, default=3, help="best of N for each contender")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--inputs", default="distinct,follow-ups", help="input sets, comma separated (see above)")
    ap.add_argument("--transforms", default=LAYOUT, help="follow-ups of the follow-ups set (default: %(default)s)")
    ap.add_argument("--follow-up-n", type=int, default=None,
                    help="methods whose follow-ups make the follow-ups set (default: --n)")
    ap.add_argument("--drop-whitespace", action=argparse.BooleanOptionalAction, default=None,
                    help="the model's tokenizer drops whitespace (default: only for the follow-ups set)")
    ap.add_argument("--skip-pipeline", action="store_true")
    ap.add_argument("--json", default=None, help="also write the results here (after each input set)")
    args = ap.parse_args()

    texts, source = load_functions(args.n)
    work = Path(tempfile.mkdtemp(prefix="mc-bench-"))
    results: list[dict] = []
    report = {
        "date": datetime.date.today().isoformat(), "machine": machine(), "methods": f"{args.n} {source}",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "shape": args.shape, "batch_size": args.batch_size, "max_length": args.max_length,
        "seconds_best_of": args.repeats, "results": results,
    }
    for name in args.inputs.split(","):
        started = time.perf_counter()
        inputs = texts if name == "distinct" else follow_up_inputs(texts[: args.follow_up_n or args.n], args.transforms)
        results.append(bench_set(name, inputs, args, work))
        print(f"set {name}: {len(inputs)} inputs, {time.perf_counter() - started:.0f} s", file=sys.stderr)
        print(json.dumps(results[-1]), file=sys.stderr)
        if args.json:  # after every set: a run stopped later keeps the sets it finished
            Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print(to_markdown(results))


def to_markdown(results: list[dict]) -> str:
    lines = ["| inputs | n | engine: unique / shared / forward passes | padded tokens: engine / bare (real) "
             "| engine inputs/s | bare inputs/s | pipeline inputs/s | engine / bare | engine / pipeline |",
             "|---|---:|---|---|---:|---:|---:|---:|---:|"]
    for r in results:
        st, per_s = r["engine_stats"], r["inputs_per_second"]
        pad = r.get("padded_tokens") or {}
        lines.append(f"| {r['inputs']} | {r['n_inputs']} | {st['unique']} / {st['shared']} / {st['forward_passes']} "
                     f"(bare: {r['bare_batches']} batches) | {pad.get('engine', 'n/a')} / {pad.get('bare', 'n/a')} "
                     f"({pad.get('real', 'n/a')}) | {per_s['engine']} | {per_s['bare']} | "
                     f"{per_s.get('pipeline', 'n/a')} | **{r['engine_vs_bare']:.3f}×** | "
                     f"**{r.get('engine_vs_pipeline', float('nan')):.3f}×** |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
