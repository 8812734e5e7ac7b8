"""``metacompress distill``: make a student (Compressor, AVATAR, MORPH or fidelity recipe)."""

from __future__ import annotations

import math

from ..errors import MetaCompressError
from ..threads import add_threads_argument
from .options import add_task_options, add_workers_option, csv, transform_names, transforms_help
from .options import seed

NAME = "distill"


def add_parser(subparsers):
    from ..distill import METHODS
    from ..transforms import DEFAULT_TRANSFORMS

    p = subparsers.add_parser(NAME, help=f"distil a small student from a teacher ({', '.join(METHODS)})",
                              description="Searches a student architecture within --size-budget, trains its own BPE "
                                          "tokenizer, distils it from the teacher's soft labels on unlabelled data "
                                          "and writes a Hugging Face checkpoint with a model card (README.md), "
                                          "search.json and distillation.json. See docs/distillation.md.")
    p.add_argument("--teacher", required=True, help="teacher model: local folder or Hub id")
    p.add_argument("--data", required=True,
                   help="unlabelled task data (JSONL, CSV, parquet, save_to_disk, Hub id)")
    p.add_argument("--labelled", default=None,
                   help="optional labelled data: accuracy/F1 in the card, and the AVATAR/MORPH surrogates' target")
    add_task_options(p, label_help="label column of --labelled (default: %(default)s)")
    p.add_argument("--method", choices=METHODS, default="compressor", help="default: %(default)s")
    p.add_argument("--size-budget", default="3MB",
                   help="fp32 weight size limit, e.g. 3MB, 2.5MiB, 800kB (default: %(default)s)")
    p.add_argument("--out", required=True, help="output folder for the student")
    p.add_argument("--split", default=None)
    p.add_argument("--pair-ids", type=csv, default=None)
    p.add_argument("--functions", default=None)
    p.add_argument("--max-sources", type=int, default=None, help="use only the first N unlabelled rows")
    p.add_argument("--max-length", type=int, default=256,
                   help="student input length in tokens (default: %(default)s)")
    p.add_argument("--space", choices=("default", "tiny"), default="default",
                   help="architecture search space; 'tiny' for smoke tests (default: %(default)s)")
    p.add_argument("--population", type=int, default=40, help="search population (default: %(default)s)")
    p.add_argument("--generations", type=int, default=25, help="search generations (default: %(default)s)")
    p.add_argument("--probes", type=int, default=6, help="avatar/morph: short trainings for the surrogates")
    p.add_argument("--probe-steps", type=int, default=40, help="avatar/morph: optimiser steps per probe")
    p.add_argument("--surrogate", choices=("gp", "forest"), default="gp")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--learning-rate", type=float, default=2e-3)
    p.add_argument("--temperature", type=float, default=None, help="default: 3 for morph, 2 otherwise")
    p.add_argument("--cosine-weight", type=float, default=1.0, help="morph: weight of the cosine term")
    p.add_argument("--consistency-weight", type=float, default=1.0,
                   help="fidelity: weight of the consistency term")
    p.add_argument("--transforms", default=",".join(DEFAULT_TRANSFORMS),
                   help=transforms_help("fidelity: follow-up transformations trained on (and validated on by "
                                        "every recipe)"))
    p.add_argument("--normalize-whitespace", action="store_true", help="student tokenizer collapses whitespace")
    p.add_argument("--valid-fraction", type=float, default=0.1)
    p.add_argument("--seed", type=seed, default=0, help="random seed, 0 to 2**32 - 1 (default: %(default)s)")
    p.add_argument("--device", default="cpu")
    add_threads_argument(p, default="cpus")  # distillation results depend on the thread count: never on the load
    add_workers_option(p, chunks=False)
    p.add_argument("--quiet", action="store_true")
    return p


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def run(args) -> int:
    from ..distill.recipes import DistillSettings, distil
    from ..distill.search_space import SearchSpace
    from ..tasks import get_task

    for name in ("population", "generations", "probes", "probe_steps", "epochs", "batch_size"):
        if getattr(args, name) < 1:
            raise MetaCompressError(f"--{name.replace('_', '-')} must be at least 1")
    # Numbers whose wrong values ran to the end (a validation fraction of 1.5, temperature 0) or failed
    # inside torch (a NaN learning rate) are refused here, before the teacher loads.
    checks = {"--valid-fraction": (args.valid_fraction, 0 < args.valid_fraction < 1, "between 0 and 1 (exclusive)"),
              "--learning-rate": (args.learning_rate, 0 < args.learning_rate < math.inf, "a positive number"),
              "--temperature": (args.temperature, args.temperature is None or 0 < args.temperature < math.inf,
                                "a positive number"),
              "--cosine-weight": (args.cosine_weight, 0 <= args.cosine_weight < math.inf, "a number >= 0"),
              "--consistency-weight": (args.consistency_weight, 0 <= args.consistency_weight < math.inf,
                                       "a number >= 0")}
    for option, (value, ok, what) in checks.items():
        if not ok:  # NaN fails every comparison, so it lands here too
            raise MetaCompressError(f"{option} must be {what}, got {value}")
    if args.pair_ids is not None and len(args.pair_ids) != 2:
        raise MetaCompressError("--pair-ids takes exactly two column names, e.g. id1,id2")
    from ..console import warn
    from ..follow_ups import workers_note

    if workers_note(args.workers):
        warn(workers_note(args.workers))
    space = SearchSpace.tiny(max_length=args.max_length) if args.space == "tiny" else None
    settings = DistillSettings(
        teacher=args.teacher, data=args.data, out_dir=args.out, method=args.method, task=args.task,
        size_budget=args.size_budget, labelled=args.labelled, code_columns=args.code_columns,
        id_column=args.id_column, label_column=args.label_column, language=args.language or "", split=args.split,
        pair_ids=tuple(args.pair_ids) if args.pair_ids else None, functions=args.functions,
        max_sources=args.max_sources, max_length=args.max_length, space=space, population=args.population,
        generations=args.generations, probes=args.probes, probe_steps=args.probe_steps, surrogate=args.surrogate,
        epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
        temperature=args.temperature, cosine_weight=args.cosine_weight, consistency_weight=args.consistency_weight,
        normalize_whitespace=args.normalize_whitespace,
        transforms=transform_names(args.transforms, get_task(args.task, language=args.language or "").language),
        valid_fraction=args.valid_fraction, seed=args.seed, device=args.device, workers=args.workers,
        progress=not args.quiet)
    result = distil(settings)
    v = result.metrics["validation"]
    print(f"{args.method}: student in {result.out_dir} - {result.size_bytes / 1e6:.3f} MB "
          f"(budget {result.budget_bytes / 1e6:.3f} MB), {result.flops / 1e9:.4f} GFLOPs, "
          f"{result.latency['median_ms']:.2f} ms/input; validation agreement {_pct(v['agreement'])}, "
          f"mean relation violation rate {_pct(v['mean_violation_rate'])}")
    print(f"evaluate it: metacompress evaluate --teacher {args.teacher} --student {result.out_dir} "
          f"--task {args.task} --data TEST --out report/")
    return 0
