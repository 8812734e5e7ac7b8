"""GPU throughput: a CodeBERT-sized model at 512 tokens over 1–N processes, and the follow-up workers
feeding it. Prepared for a GPU machine; ``--smoke`` runs the same code paths small, on CPU.

Three measurements, written to one JSON (``--json``):

1. **model** — inputs/s of a randomly initialised RoBERTa classifier of CodeBERT's shape (12 layers,
   hidden 768, 12 heads, FFN 3072; weights do not change the work) on inputs of ``--seq`` tokens,
   through the engine's adapter path (``collate`` with pinned memory and non-blocking copies,
   ``forward``), in ``--dtype``, with 1, 2, … processes, one GPU each (``--processes``; default 1 and
   every power of two up to the GPU count). Each process loads the model, warms up, waits at a
   barrier, then runs batches of ``--batch-size`` for ``--seconds``; the figure is the sum of the
   processes' rates.
2. **workers** — follow-ups/s made from ``--sources`` BigCloneBench methods (shared data; the demo
   corpus without it) by every transformation, with 1, 2, … worker processes (``--workers``).
3. **feed** — end-to-end inputs/s of the streamed stage of ``metacompress evaluate``
   (:func:`metacompress_eval.model_outputs.run_models_streamed`: follow-ups made by the workers while
   the GPU scores the chunks already made) on one GPU, against the same model scoring the same inputs
   made beforehand (``model_only``). ``fed`` = end-to-end / model-only: 1.0 means the CPU side keeps
   the GPU busy.

On a GPU machine, in one command (planned to finish in under 5 minutes — model loads plus 10 s per
process count, one follow-up pass per worker count — but not yet run on a GPU: no figure exists)::

    python benchmarks/bench_gpu.py --json bench_gpu.json

On CPU, small (the test suite runs this)::

    python benchmarks/bench_gpu.py --smoke --json /tmp/bench_gpu_smoke.json
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _models import SHAPES, load_functions, make_model  # noqa: E402

SMOKE = {"shape": "tiny", "seq": 32, "batch_size": 8, "seconds": 0.5, "processes": "1,2", "workers": "1,2",
         "sources": 24, "transforms": "rename_variables,dead_code,reindent", "device": "cpu", "dtype": "float32"}


def _device(kind: str, rank: int) -> str:
    return f"cuda:{rank}" if kind == "cuda" else kind


def _synthetic_rows(loaded, count: int, seq: int) -> list[list[int]]:
    """``count`` token-id rows of exactly ``seq`` tokens (``<s> … </s>``), fixed seed."""
    import random

    tok = loaded.tokenizer
    rng = random.Random(0)
    special = {tok.pad_token_id, tok.bos_token_id, tok.eos_token_id}
    vocab = [i for i in range(len(tok)) if i not in special]
    return [[tok.bos_token_id] + [rng.choice(vocab) for _ in range(seq - 2)] + [tok.eos_token_id]
            for _ in range(count)]


def model_process(rank: int, folder: str, args: dict, barrier, results) -> None:
    """One process of the model measurement (also called in this process for a single process)."""
    import torch

    from metacompress_eval.models import load_model

    device = _device(args["device"], rank)
    if args["device"] == "cpu":
        torch.set_num_threads(max(1, args["cpu_threads"]))
    loaded = load_model(folder, device=device, max_length=args["seq"], dtype=args["dtype"])
    rows = _synthetic_rows(loaded, args["batch_size"], args["seq"])
    for _ in range(3):  # warm-up: kernels, allocator pools
        loaded.forward(loaded.collate(rows))
    barrier.wait()
    done = 0
    started = time.perf_counter()
    while True:
        loaded.forward(loaded.collate(rows))  # forward ends with .cpu(): every batch is finished
        done += len(rows)
        elapsed = time.perf_counter() - started
        if elapsed >= args["seconds"]:
            break
    results.put({"rank": rank, "device": device, "inputs": done, "seconds": elapsed,
                 "attention": loaded.attention()})


def bench_model(folder: Path, args, counts: list[int]) -> list[dict]:
    import multiprocessing

    out = []
    for processes in counts:
        # CUDA cannot be initialised in forked children; on CPU, forking saves every child the imports,
        # and each child runs one torch thread (OpenMP's thread pool does not survive a fork).
        fork = args.device == "cpu" and "fork" in multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if fork else "spawn")
        settings = {"device": args.device, "seq": args.seq, "dtype": args.dtype, "batch_size": args.batch_size,
                    "seconds": args.seconds, "cpu_threads": 1}
        barrier, results = context.Barrier(processes), context.Queue()
        children = [context.Process(target=model_process, args=(rank, str(folder), settings, barrier, results))
                    for rank in range(processes)]
        for child in children:
            child.start()
        parts = [results.get(timeout=600) for _ in children]
        for child in children:
            child.join()
            if child.exitcode:
                raise SystemExit(f"a model process failed (exit code {child.exitcode})")
        rate = sum(p["inputs"] / p["seconds"] for p in parts)
        out.append({"processes": processes, "inputs_per_s": round(rate, 1),
                    "per_process": sorted(parts, key=lambda p: p["rank"]), "attention": parts[0]["attention"]})
        print(f"model: {processes} process(es): {rate:.1f} inputs/s", file=sys.stderr)
    for row in out:
        row["scaling"] = round(row["inputs_per_s"] / out[0]["inputs_per_s"], 3)
    return out


def bench_workers(sources, language: str, names: list[str], counts: list[int]) -> list[dict]:
    from metacompress_eval.follow_ups import iter_follow_up_chunks

    out = []
    for workers in counts:
        started = time.perf_counter()
        made = sum(len(c.items) for c in iter_follow_up_chunks(sources, language, names, workers=workers))
        seconds = time.perf_counter() - started
        out.append({"workers": workers, "follow_ups": made, "seconds": round(seconds, 3),
                    "follow_ups_per_s": round(made / seconds, 1)})
        print(f"workers: {workers}: {made / seconds:.1f} follow-ups/s", file=sys.stderr)
    return out


def bench_feed(folder: Path, sources, language: str, names: list[str], counts: list[int], args) -> list[dict]:
    from metacompress_eval.follow_ups import build_follow_ups
    from metacompress_eval.inference import InferenceEngine
    from metacompress_eval.model_outputs import run_models_streamed
    from metacompress_eval.models import load_model

    loaded = load_model(str(folder), device=_device(args.device, 0), max_length=args.seq, dtype=args.dtype)
    made = build_follow_ups(sources, language, names, workers=max(counts))
    inputs = [s.inputs for s in sources] + [f.inputs for f in made.items]
    engine = InferenceEngine(loaded, None, batch_size=args.batch_size, progress=False)
    engine.predict(inputs[: args.batch_size])  # warm-up
    started = time.perf_counter()
    engine.predict(inputs)
    model_only = len(inputs) / (time.perf_counter() - started)
    out = []
    for workers in counts:
        started = time.perf_counter()
        streamed = run_models_streamed({"model": loaded}, sources, language, names, None, workers=workers,
                                       batch_size=args.batch_size)
        seconds = time.perf_counter() - started
        n = len(streamed.rows.sources) + len(streamed.rows.follow_ups)
        out.append({"workers": workers, "inputs": n, "seconds": round(seconds, 3),
                    "inputs_per_s": round(n / seconds, 1), "model_only_inputs_per_s": round(model_only, 1),
                    "fed": round(n / seconds / model_only, 3)})
        print(f"feed: {workers} worker(s): {n / seconds:.1f} inputs/s (model only {model_only:.1f})", file=sys.stderr)
    return out


def _counts(text: str, limit: int) -> list[int]:
    if text == "auto":
        values, p = [], 1
        while p < limit:
            values.append(p)
            p *= 2
        return values + [limit]
    return [int(v) for v in text.split(",")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="small sizes on CPU: " + json.dumps(SMOKE))
    ap.add_argument("--device", default=None, help="cuda (default when available) or cpu")
    ap.add_argument("--dtype", default=None, choices=("float32", "bfloat16", "float16"),
                    help="default: bfloat16 on GPU, float32 on CPU")
    ap.add_argument("--shape", default="codebert-base", choices=tuple(SHAPES))
    ap.add_argument("--seq", type=int, default=512, help="tokens per input (default: %(default)s)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=10.0, help="timed window per process count")
    ap.add_argument("--processes", default="auto", help="process counts, or auto: 1, 2, 4, … up to the GPU count")
    ap.add_argument("--workers", default="auto", help="worker counts, or auto: 1, 2, 4, … up to the CPU count")
    ap.add_argument("--sources", type=int, default=1000, help="methods for the workers and feed measurements")
    ap.add_argument("--transforms", default=None, help="default: every Java transformation")
    ap.add_argument("--json", default=None,
                    help="where to write the JSON (default: bench_gpu.json; with --smoke, none: it only prints)")
    args = ap.parse_args()
    if args.smoke:
        for key, value in SMOKE.items():
            setattr(args, key, value)

    import torch

    cuda = torch.cuda.is_available()
    args.device = args.device or ("cuda" if cuda else "cpu")
    args.dtype = args.dtype or ("bfloat16" if args.device == "cuda" else "float32")
    gpus = torch.cuda.device_count() if args.device == "cuda" else 0
    processes = _counts(args.processes, max(1, gpus))
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = _counts(args.workers, cpus)
    if args.device == "cuda" and max(processes) > gpus:
        raise SystemExit(f"{max(processes)} processes asked for, {gpus} GPU(s) here")

    from metacompress_eval.data import SourceInput
    from metacompress_eval.transforms import list_transformations

    texts, corpus = load_functions(args.sources)
    language = "java" if "BigCloneBench" in corpus else "c"
    sources = [SourceInput(f"m{i}", (t,)) for i, t in enumerate(texts)]
    names = args.transforms.split(",") if args.transforms else [t.name for t in list_transformations(language)]
    work = Path(tempfile.mkdtemp(prefix="mc-bench-gpu-"))
    try:
        folder = make_model(work / "model", args.shape, texts[:400])
        started = time.perf_counter()
        report = {
            "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "machine": {"python": platform.python_version(), "torch": torch.__version__, "cpus": cpus,
                        "gpus": [torch.cuda.get_device_name(i) for i in range(gpus)]},
            "settings": {"device": args.device, "dtype": args.dtype, "shape": args.shape,
                         "layers_hidden_heads_ffn": SHAPES[args.shape][:4], "seq": args.seq,
                         "batch_size": args.batch_size, "seconds": args.seconds, "sources": len(sources),
                         "corpus": corpus, "language": language, "transformations": names},
            "model": bench_model(folder, args, processes),
            "workers": bench_workers(sources, language, names, workers),
            "feed": bench_feed(folder, sources, language, names, workers, args),
        }
        report["total_seconds"] = round(time.perf_counter() - started, 1)
    finally:  # the model made for the run
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({k: report[k] for k in ("model", "workers", "feed")}, indent=1))
    target = args.json or (None if args.smoke else "bench_gpu.json")
    if target:
        Path(target).write_text(json.dumps(report, indent=2) + "\n")
        print(f"JSON: {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
