"""``metacompress attack``: search adversarial examples against one model."""

from __future__ import annotations

from pathlib import Path

from ..errors import MetaCompressError
from ..threads import add_threads_argument
from .options import add_adapter_options, add_data_options, add_task_options, csv, data_spec_from_args, model_spec_from_args
from .options import seed

NAME = "attack"

#: What rerunning does after an interruption (printed by the CLI).
RERUN_NOTE = "finished model outputs are cached — rerun the same command to resume"


def add_parser(subparsers):
    from ..attacks import attack_names

    p = subparsers.add_parser(NAME, help="search adversarial examples against one model",
                              description="Searches, within a query budget, for semantics-preserving variants "
                                          "(identifier renaming; optionally other transformations) of correctly "
                                          "classified inputs that change the model's prediction, and writes them "
                                          "with provenance (adversarial.jsonl, adversarial.parquet, dataset/ for "
                                          "datasets.load_from_disk) plus results.jsonl and summary.json. "
                                          "See docs/attacks.md.")
    p.add_argument("--model", required=True,
                   help="model: a save_pretrained folder or Hub id, a state dict (model.bin) or an imported folder")
    add_data_options(p)
    add_task_options(p)
    p.add_argument("--unlabelled", action="store_true", help="no labels: attack each model's own prediction")
    p.add_argument("--method", choices=attack_names(), default="mhm", help="default: %(default)s")
    p.add_argument("--budget", type=int, default=50,
                   help="queries per input, the clean one included (default: %(default)s)")
    p.add_argument("--out", default="metacompress-attack", help="output folder (default: %(default)s)")
    p.add_argument("--seed", type=seed, default=0, help="random seed, 0 to 2**32 - 1 (default: %(default)s)")
    p.add_argument("--side", type=int, default=None,
                   help="which text of a pair is attacked (0 or 1; default: the second)")
    p.add_argument("--transforms", type=csv, default=(),
                   help="extra transformation families (random, mhm) besides renaming, e.g. dead_code,if_else_swap")
    p.add_argument("--mlm", default=None,
                   help="alert: masked-LM checkpoint ranking substitutes (default: corpus statistics)")
    p.add_argument("--corpus", default=None, help="JSONL of code whose identifier statistics rank substitutes")
    p.add_argument("--verify", action="store_true", help="compiler-check every adversarial example")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--device", default="cpu")
    p.add_argument("--tokenizer", default=None)
    p.add_argument("--max-length", type=int, default=None)
    add_adapter_options(p)
    p.add_argument("--trust-remote-code", action="store_true")
    p.add_argument("--cache-dir", default=None)
    p.add_argument("--quiet", action="store_true")
    add_threads_argument(p)
    return p


def run(args) -> int:
    from ..inference import OutputCache
    from ..outputs import OutputFolder
    from ..tasks import get_task

    task = get_task(args.task, code_columns=args.code_columns,
                    label_column=None if args.unlabelled else args.label_column, id_column=args.id_column,
                    language=args.language or "")
    if not task.language:
        raise MetaCompressError("attacks need a programming language: pass --language")
    spec = data_spec_from_args(args)
    folder = OutputFolder(args.out, what="attack output folder", markers=("summary.json", "results.jsonl"))
    with folder:  # checked before any work, written whole at the end
        cache = OutputCache.in_dir(args.cache_dir)
        try:
            return _run(args, task, spec, folder, cache)
        finally:
            cache.close()


def _run(args, task, spec, folder, cache) -> int:
    from ..attacks import AttackSettings, make_attack, run_attacks, write_adversarial
    from ..attacks.measures import model_measures
    from ..console import warn
    from ..data import load_sources, quiet_datasets, read_table
    from ..fileio import atomic_write_json, to_jsonable
    from ..follow_ups import language_warning
    from ..inference import InferenceEngine
    from ..outputs import write_failed

    model = model_spec_from_args(args, args.model).load("model", args.device, task=task)
    if not model.answers_any_input:
        raise MetaCompressError(f"{args.model}: stored outputs answer only the inputs they hold; an attack needs a "
                                "model that can score new inputs")
    loaded = load_sources(spec, task, model.label_names)
    warnings = [w for w in [language_warning(loaded.sources, task.language)] if w]
    for warning in warnings:
        warn(warning)
    corpus = None
    if args.corpus:
        corpus_rows, _ = read_table(args.corpus)
        corpus = [r.get("code") for r in corpus_rows if isinstance(r.get("code"), str)]
    settings = AttackSettings(methods=(args.method,), budget=args.budget, seed=args.seed, side=args.side,
                              transforms=tuple(args.transforms), mlm=args.mlm, corpus=corpus, verify=args.verify,
                              batch_size=args.batch_size, device=args.device)
    attack = make_attack(args.method, settings, task.language, loaded.sources)
    # The search queries the model one step at a time, so it drives the engine itself (see attacks/base.py).
    engine = InferenceEngine(model, cache, batch_size=args.batch_size, progress=False, role="model")
    results = run_attacks(loaded.sources, task.language, engine, attack, model=str(args.model),
                          progress=not args.quiet)
    summary = {"model": model.describe(), "data": {**loaded.description, "n_sources": len(loaded.sources),
                                                     "skipped": dict(loaded.skipped)},
               "task": task.name, "language": task.language, "attack": attack.describe(),
               "measures": model_measures(results, len(model.label_names))}
    if loaded.skipped:
        summary["data"]["skipped_examples"] = loaded.skipped_examples
    if warnings:
        summary["warnings"] = warnings
    try:
        with quiet_datasets():
            write_adversarial(results, folder.staging)
        atomic_write_json(folder.staging / "summary.json", to_jsonable(summary))
    except OSError as exc:
        raise write_failed("the attack results to", Path(args.out), exc,
                           "the earlier results there are unchanged; model outputs are cached, rerun to finish") from None
    folder.commit()
    m = summary["measures"]
    print(f"{args.method}: {m['successful']} adversarial examples for {len(results)} inputs "
          f"(success rate {m['success']['k']}/{m['success']['n']}, skipped {m['skipped'] or 0}); "
          f"clean accuracy {m['clean_accuracy']:.3f} -> under attack {m['adversarial_accuracy']:.3f}; "
          f"avg queries {m['avg_queries'] or 0:.1f}; written to {args.out}")
    for line in loaded.skip_lines():
        print(f"  {line}")
    return 0
