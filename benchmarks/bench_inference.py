"""Inference engine throughput against a bare forward loop and the transformers pipeline.

Measured in one run, on the same model and the same inputs:

* **engine**  — ``InferenceEngine.predict`` with an empty cache: hashing, tokenisation, length-sorted
  batching, forward passes and cache writes;
* **bare**    — only the forward passes over the *same* length-sorted, pre-tokenised batches
  (the ratio engine/bare is the engine's own overhead; target ≥ 0.95);
* **pipeline** — ``transformers.pipeline("text-classification")`` at the same batch size over the
  inputs in their natural order (target engine/pipeline ≥ 1.5).

Usage::

    python benchmarks/bench_inference.py [--shape small] [--n 512] [--batch-size 32] [--repeats 3]
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", default="small", choices=("codebert-base", "small", "tiny"))
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-length", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=3, help="best of N for each contender")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()

    import torch
    from transformers import pipeline

    from metacompress_eval.inference import InferenceEngine, OutputCache
    from metacompress_eval.models import load_model

    texts, source = load_functions(args.n)
    work = Path(tempfile.mkdtemp(prefix="mc-bench-"))
    folder = make_model(work / "model", args.shape, texts)
    loaded = load_model(str(folder), device=args.device, max_length=args.max_length)
    inputs = [(t,) for t in texts]

    def run_engine() -> float:
        cache = OutputCache(Path(tempfile.mkdtemp(dir=work)) / "c.sqlite")
        engine = InferenceEngine(loaded, cache, batch_size=args.batch_size, progress=False)
        t0 = time.perf_counter()
        engine.predict(inputs)
        return time.perf_counter() - t0

    engine = InferenceEngine(loaded, None, batch_size=args.batch_size, progress=False)
    ids = engine.encode(inputs)
    prepared = [engine.collate([ids[i] for i in b]) for b in engine.batches(ids)]

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
    results = {"engine": [], "bare": [], "pipeline": []}
    for _ in range(args.repeats):  # interleaved so that drift in machine load hits every contender
        results["bare"].append(run_bare())
        results["engine"].append(run_engine())
        results["pipeline"].append(run_pipeline())
    best = {k: min(v) for k, v in results.items()}
    report = {
        "date": datetime.date.today().isoformat(), "machine": machine(), "inputs": f"{args.n} {source}",
        "shape": args.shape, "batch_size": args.batch_size, "max_length": args.max_length,
        "seconds_best_of": args.repeats, "seconds": {k: round(v, 3) for k, v in best.items()},
        "inputs_per_second": {k: round(args.n / v, 1) for k, v in best.items()},
        "engine_vs_bare": round(best["bare"] / best["engine"], 3),
        "engine_vs_pipeline": round(best["pipeline"] / best["engine"], 3),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
