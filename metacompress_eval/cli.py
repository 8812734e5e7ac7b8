"""The ``metacompress`` command line.

Subcommands: ``demo`` (the embedded end-to-end example), ``evaluate`` (a teacher/student pair on
your data), ``transform`` (follow-up inputs only), ``verify`` (compiler check of follow-ups), ``attack`` (adversarial examples against one model), ``distill`` (make a student: Compressor, AVATAR, MORPH or fidelity recipe), ``space`` (the web app), and the Hugging Face commands ``evaluate-module``, ``dataset`` and ``card``. User errors end with a one-line message and
exit status 2; an interrupted run exits with 130 and resumes from the cache when rerun.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .errors import MetaCompressError


def _csv(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",") if p.strip())


def _transform_names(text: str, language: str | None) -> tuple[str, ...]:
    from .transforms import list_transformations

    if text.strip().lower() == "all":
        return tuple(t.name for t in list_transformations(language))
    return _csv(text)


def _add_threshold_options(parser: argparse.ArgumentParser) -> None:
    """One option per registered threshold (``--jsd-max`` ...), read back by :func:`_thresholds`."""
    from .relations import list_thresholds

    group = parser.add_argument_group("relation thresholds (see docs/relations.md)")
    for t in list_thresholds():
        group.add_argument(f"--{t.name.replace('_', '-')}", dest=f"th_{t.name}", type=t.kind, default=t.default,
                           help=f"{t.help} (default: {t.default})")


def thresholds_from_args(args):
    """The :class:`~metacompress_eval.relations.Thresholds` of the options added by :func:`_add_threshold_options`."""
    from .relations import Thresholds, list_thresholds

    return Thresholds(**{t.name: getattr(args, f"th_{t.name}") for t in list_thresholds()})


def build_parser() -> argparse.ArgumentParser:
    from .tasks import task_names
    from .transforms import DEFAULT_TRANSFORMS

    parser = argparse.ArgumentParser(
        prog="metacompress",
        description="Metamorphic testing of distilled code models: does the student behave like its teacher?")
    parser.add_argument("--version", action="version", version=f"metacompress-eval {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="train a small teacher and student on an embedded C corpus and evaluate them",
                          description="Runs offline with no arguments: writes a labelled corpus of C functions "
                                      "(with and without memory-safety defects), trains a teacher, distils a "
                                      "student from its soft labels and evaluates the pair.")
    demo.add_argument("--out", default="metacompress-demo", help="output folder (default: %(default)s)")
    demo.add_argument("--size", choices=("demo", "tiny"), default="demo",
                      help="corpus and model size; 'tiny' takes seconds (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--quiet", action="store_true", help="no progress output")

    ev = sub.add_parser("evaluate", help="evaluate a teacher/student pair on your data",
                        description="Runs teacher and student on source inputs and follow-up inputs, checks the "
                                    "metamorphic relations and writes report.json, report.md and plots.")
    ev.add_argument("--teacher", required=True, help="teacher model: local folder or Hub id")
    ev.add_argument("--student", required=True, help="student model: local folder or Hub id")
    ev.add_argument("--data", required=True,
                    help="JSONL, JSON, CSV, TSV or parquet file, a save_to_disk folder, or a Hub dataset id")
    ev.add_argument("--task", choices=task_names(), default="defect", help="default: %(default)s")
    ev.add_argument("--language", default="", help="code language: c, java, python (default: the task's: "
                                                   "defect→c, clone→java, classification→none)")
    ev.add_argument("--code-column", dest="code_columns", type=_csv, default=None,
                    help="code column(s), comma separated (defaults: defect 'code', clone 'code1,code2', "
                         "classification 'text')")
    ev.add_argument("--label-column", default="label", help="default: %(default)s")
    ev.add_argument("--unlabelled", action="store_true", help="the data has no labels (no accuracy/F1/ECE)")
    ev.add_argument("--id-column", default="id", help="default: %(default)s (row number when absent)")
    ev.add_argument("--split", default=None, help="split of a save_to_disk folder or Hub dataset")
    ev.add_argument("--where", action="append", default=None, metavar="COLUMN=VALUE",
                    help="keep only rows whose COLUMN equals VALUE (repeatable), e.g. --where split=test")
    ev.add_argument("--pair-ids", type=_csv, default=None,
                    help="for clone pairs given by function ids: the two id columns, e.g. id1,id2 (needs --functions)")
    ev.add_argument("--functions", default=None, help="table of functions {id, code} referenced by --pair-ids")
    ev.add_argument("--transforms", default=",".join(DEFAULT_TRANSFORMS),
                    help="comma-separated transformation names, or 'all' (default: %(default)s)")
    ev.add_argument("--seed", type=int, default=0)
    ev.add_argument("--verify", action="store_true",
                    help="drop follow-ups that add compiler errors (gcc/javac/...; docs/verification.md)")
    ev.add_argument("--max-sources", type=int, default=None, help="evaluate only the first N usable rows")
    ev.add_argument("--max-code-chars", type=int, default=None, help="skip longer code inputs (default 50000)")
    ev.add_argument("--batch-size", type=int, default=32)
    ev.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:1, mps (default: %(default)s)")
    ev.add_argument("--teacher-tokenizer", default=None)
    ev.add_argument("--student-tokenizer", default=None)
    ev.add_argument("--teacher-max-length", type=int, default=None)
    ev.add_argument("--student-max-length", type=int, default=None)
    ev.add_argument("--label-map", default=None,
                    help="student→teacher label correspondence when names differ, e.g. 'neg=0,pos=1'")
    ev.add_argument("--trust-remote-code", action="store_true", help="allow custom modelling code (off by default)")
    ev.add_argument("--cache-dir", default=None,
                    help="model-output cache (default: $METACOMPRESS_CACHE or ~/.cache/metacompress)")
    ev.add_argument("--out", default="metacompress-report", help="report folder (default: %(default)s)")
    ev.add_argument("--worst-k", type=int, default=10, help="discrepancies shown in report.md")
    ev.add_argument("--quiet", action="store_true", help="no progress output")
    ev.add_argument("--attacks", type=_csv, default=(),
                    help="adversarial attacks to run against teacher and student, e.g. mhm,random "
                         "(random, mhm, alert; docs/attacks.md); adds an 'attacks' section and attack:<method> rows")
    ev.add_argument("--attack-budget", type=int, default=50, help="queries per input and model (default: %(default)s)")
    ev.add_argument("--attack-max-sources", type=int, default=None, help="attack only the first N sources")
    ev.add_argument("--attack-transforms", type=_csv, default=(),
                    help="extra transformation families random/mhm may use besides renaming")
    ev.add_argument("--mlm", default=None, help="masked-LM checkpoint ranking ALERT's substitutes")
    _add_threshold_options(ev)
    _add_attack_parser(sub)
    _add_distill_parser(sub)

    tr = sub.add_parser("transform", help="write follow-up inputs for a JSONL file of code",
                        description="Applies transformations to every row and writes one row per follow-up "
                                    "with its provenance.")
    tr.add_argument("input", help="input JSONL")
    tr.add_argument("output", help="output JSONL")
    tr.add_argument("--language", required=True)
    tr.add_argument("--transforms", default=",".join(DEFAULT_TRANSFORMS), help="names or 'all'")
    tr.add_argument("--code-column", default="code")
    tr.add_argument("--id-column", default="id")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--chain", type=int, default=None, metavar="K",
                    help="one follow-up per input made by a chain of K transformations drawn from --transforms")
    tr.add_argument("--verify", action="store_true",
                    help="compile each follow-up and its source; count follow-ups adding errors as rejected")
    tr.add_argument("--quiet", action="store_true")

    vf = sub.add_parser("verify", help="check that follow-ups add no compiler errors to their sources",
                        description="Compiles each source and follow-up (gcc/clang, javac, compile(), node; Go: "
                                    "syntax only) and reports follow-ups with new error diagnostics. Rows hold "
                                    "'code' and 'follow_up', or are 'metacompress transform' output joined with "
                                    "their sources via --source.")
    vf.add_argument("input", help="input JSONL")
    vf.add_argument("--language", required=True)
    vf.add_argument("--source", default=None,
                    help="source JSONL: INPUT is then 'transform' output (source_id, code = follow-up)")
    vf.add_argument("--code-column", default="code", help="source code column (default: %(default)s)")
    vf.add_argument("--follow-up-column", default="follow_up",
                    help="follow-up column when --source is not given (default: %(default)s)")
    vf.add_argument("--id-column", default="id", help="id column of the source rows (default: %(default)s)")
    vf.add_argument("--out", default=None, help="results JSONL (default: INPUT.verify.jsonl)")
    vf.add_argument("--quiet", action="store_true", help="print totals only")

    sp = sub.add_parser("space", help="run the web app (probe snippets, compare reports, small runs) locally",
                        description="Starts the Gradio app of spaces_app/ on 127.0.0.1. Needs the 'space' extra: "
                                    "pip install 'metacompress-eval[space]'.")
    sp.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    sp.add_argument("--port", type=int, default=None, help="port (default: gradio's, 7860 or the next free one)")
    sp.add_argument("--teacher", default=None, help="teacher shown by default (default: demo:teacher)")
    sp.add_argument("--student", default=None, help="student shown by default (default: demo:student)")
    sp.add_argument("--demo-size", choices=("demo", "tiny"), default=None,
                    help="size of the demo models built on first use (default: demo)")
    sp.add_argument("--models-dir", default=None,
                    help="where demo models are built (default: ~/.cache/metacompress/space-models)")
    sp.add_argument("--no-local-paths", action="store_true",
                    help="refuse server folders as models or results (for a public host)")
    _add_hub_parsers(sub)
    return parser


def _add_attack_parser(sub) -> None:
    from .tasks import task_names

    at = sub.add_parser("attack", help="search adversarial examples against one model",
                        description="Searches, within a query budget, for semantics-preserving variants "
                                    "(identifier renaming; optionally other transformations) of correctly "
                                    "classified inputs that change the model's prediction, and writes them with "
                                    "provenance (adversarial.jsonl, adversarial.parquet, dataset/ for "
                                    "datasets.load_from_disk) plus results.jsonl and summary.json. "
                                    "See docs/attacks.md.")
    at.add_argument("--model", required=True, help="model: local folder or Hub id")
    at.add_argument("--data", required=True, help="JSONL, JSON, CSV/TSV, parquet, save_to_disk folder or Hub id")
    at.add_argument("--task", choices=task_names(), default="defect", help="default: %(default)s")
    at.add_argument("--method", choices=("random", "mhm", "alert"), default="mhm", help="default: %(default)s")
    at.add_argument("--budget", type=int, default=50, help="queries per input, the clean one included (default: %(default)s)")
    at.add_argument("--out", default="metacompress-attack", help="output folder (default: %(default)s)")
    at.add_argument("--seed", type=int, default=0)
    at.add_argument("--language", default="")
    at.add_argument("--code-column", dest="code_columns", type=_csv, default=None)
    at.add_argument("--label-column", default="label")
    at.add_argument("--unlabelled", action="store_true", help="no labels: attack each model's own prediction")
    at.add_argument("--id-column", default="id")
    at.add_argument("--split", default=None)
    at.add_argument("--where", action="append", default=None, metavar="COLUMN=VALUE",
                    help="keep only rows whose COLUMN equals VALUE (repeatable), e.g. --where split=test")
    at.add_argument("--pair-ids", type=_csv, default=None)
    at.add_argument("--functions", default=None)
    at.add_argument("--max-code-chars", type=int, default=None, help="skip longer code inputs (default 50000)")
    at.add_argument("--side", type=int, default=None,
                    help="which text of a pair is attacked (0 or 1; default: the second)")
    at.add_argument("--transforms", type=_csv, default=(),
                    help="extra transformation families (random, mhm) besides renaming, e.g. dead_code,if_else_swap")
    at.add_argument("--mlm", default=None, help="alert: masked-LM checkpoint ranking substitutes (default: corpus statistics)")
    at.add_argument("--corpus", default=None, help="JSONL of code whose identifier statistics rank substitutes")
    at.add_argument("--verify", action="store_true", help="compiler-check every adversarial example")
    at.add_argument("--max-sources", type=int, default=None)
    at.add_argument("--batch-size", type=int, default=32)
    at.add_argument("--device", default="cpu")
    at.add_argument("--tokenizer", default=None)
    at.add_argument("--max-length", type=int, default=None)
    at.add_argument("--trust-remote-code", action="store_true")
    at.add_argument("--cache-dir", default=None)
    at.add_argument("--quiet", action="store_true")


def cmd_attack(args) -> int:
    from .attacks import AttackSettings, make_attack, run_attacks, write_adversarial
    from .attacks.measures import model_measures
    from .data import load_sources, read_table
    from .fileio import atomic_write_json
    from .inference import InferenceEngine, OutputCache
    from .model_outputs import ModelSpec
    from .tasks import get_task

    if args.budget < 1:
        raise MetaCompressError("--budget must be at least 1")
    task = get_task(args.task, code_columns=args.code_columns, label_column=None if args.unlabelled else args.label_column,
                    id_column=args.id_column, language=args.language or "")
    if not task.language:
        raise MetaCompressError("attacks need a programming language: pass --language")
    spec = data_spec_from_args(args)
    model = ModelSpec(args.model, args.tokenizer, args.max_length, args.trust_remote_code).load("model", args.device)
    loaded = load_sources(spec, task, model.label_names)
    corpus = None
    if args.corpus:
        corpus_rows, _ = read_table(args.corpus)
        corpus = [r.get("code") for r in corpus_rows if isinstance(r.get("code"), str)]
    settings = AttackSettings(methods=(args.method,), budget=args.budget, seed=args.seed, side=args.side,
                              transforms=tuple(args.transforms), mlm=args.mlm, corpus=corpus, verify=args.verify,
                              batch_size=args.batch_size, device=args.device)
    attack = make_attack(args.method, settings, task.language, loaded.sources)
    cache = OutputCache.in_dir(args.cache_dir)
    try:
        engine = InferenceEngine(model, cache, batch_size=args.batch_size, progress=False)
        results = run_attacks(loaded.sources, task.language, engine, attack, model=str(args.model),
                              progress=not args.quiet)
    finally:
        cache.close()
    write_adversarial(results, args.out)
    summary = {"model": model.describe(), "data": {**loaded.description, "n_sources": len(loaded.sources),
                                                     "skipped": dict(loaded.skipped)},
               "task": task.name, "language": task.language, "attack": attack.describe(),
               "measures": model_measures(results, len(model.label_names))}
    from .fileio import to_jsonable

    atomic_write_json(Path(args.out) / "summary.json", to_jsonable(summary))
    m = summary["measures"]
    print(f"{args.method}: {m['successful']} adversarial examples for {len(results)} inputs "
          f"(success rate {m['success']['k']}/{m['success']['n']}, skipped {m['skipped'] or 0}); "
          f"clean accuracy {m['clean_accuracy']:.3f} -> under attack {m['adversarial_accuracy']:.3f}; "
          f"avg queries {m['avg_queries'] or 0:.1f}; written to {args.out}")
    return 0


def _add_distill_parser(sub) -> None:
    from .tasks import task_names
    from .transforms import DEFAULT_TRANSFORMS

    di = sub.add_parser("distill", help="distil a small student from a teacher (compressor, avatar, morph, fidelity)",
                        description="Searches a student architecture within --size-budget, trains its own BPE "
                                    "tokenizer, distils it from the teacher's soft labels on unlabelled data and "
                                    "writes a Hugging Face checkpoint with a model card (README.md), search.json "
                                    "and distillation.json. See docs/distillation.md.")
    di.add_argument("--teacher", required=True, help="teacher model: local folder or Hub id")
    di.add_argument("--data", required=True, help="unlabelled task data (JSONL, CSV, parquet, save_to_disk, Hub id)")
    di.add_argument("--labelled", default=None,
                    help="optional labelled data: accuracy/F1 in the card, and the AVATAR/MORPH surrogates' target")
    di.add_argument("--task", choices=task_names(), default="defect", help="default: %(default)s")
    di.add_argument("--method", choices=("compressor", "avatar", "morph", "fidelity"), default="compressor",
                    help="default: %(default)s")
    di.add_argument("--size-budget", default="3MB", help="fp32 weight size limit, e.g. 3MB, 2.5MiB, 800kB (default: %(default)s)")
    di.add_argument("--out", required=True, help="output folder for the student")
    di.add_argument("--language", default="")
    di.add_argument("--code-column", dest="code_columns", type=_csv, default=None)
    di.add_argument("--id-column", default="id")
    di.add_argument("--label-column", default="label", help="label column of --labelled (default: %(default)s)")
    di.add_argument("--split", default=None)
    di.add_argument("--pair-ids", type=_csv, default=None)
    di.add_argument("--functions", default=None)
    di.add_argument("--max-sources", type=int, default=None, help="use only the first N unlabelled rows")
    di.add_argument("--max-length", type=int, default=256, help="student input length in tokens (default: %(default)s)")
    di.add_argument("--space", choices=("default", "tiny"), default="default",
                    help="architecture search space; 'tiny' for smoke tests (default: %(default)s)")
    di.add_argument("--population", type=int, default=40, help="search population (default: %(default)s)")
    di.add_argument("--generations", type=int, default=25, help="search generations (default: %(default)s)")
    di.add_argument("--probes", type=int, default=6, help="avatar/morph: short trainings for the surrogates")
    di.add_argument("--probe-steps", type=int, default=40, help="avatar/morph: optimiser steps per probe")
    di.add_argument("--surrogate", choices=("gp", "forest"), default="gp")
    di.add_argument("--epochs", type=int, default=10)
    di.add_argument("--batch-size", type=int, default=16)
    di.add_argument("--learning-rate", type=float, default=2e-3)
    di.add_argument("--temperature", type=float, default=None, help="default: 3 for morph, 2 otherwise")
    di.add_argument("--cosine-weight", type=float, default=1.0, help="morph: weight of the cosine term")
    di.add_argument("--consistency-weight", type=float, default=1.0, help="fidelity: weight of the consistency term")
    di.add_argument("--transforms", default=",".join(DEFAULT_TRANSFORMS),
                    help="fidelity: follow-up transformations trained on (and validated on by every recipe)")
    di.add_argument("--normalize-whitespace", action="store_true", help="student tokenizer collapses whitespace")
    di.add_argument("--valid-fraction", type=float, default=0.1)
    di.add_argument("--seed", type=int, default=0)
    di.add_argument("--device", default="cpu")
    di.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    di.add_argument("--quiet", action="store_true")


def cmd_distill(args) -> int:
    from .distill.recipes import DistillSettings, distil
    from .distill.search_space import SearchSpace
    from .tasks import get_task

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    for name in ("population", "generations", "probes", "probe_steps", "epochs", "batch_size"):
        if getattr(args, name) < 1:
            raise MetaCompressError(f"--{name.replace('_', '-')} must be at least 1")
    if args.pair_ids is not None and len(args.pair_ids) != 2:
        raise MetaCompressError("--pair-ids takes exactly two column names, e.g. id1,id2")
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
        transforms=_transform_names(args.transforms, get_task(args.task, language=args.language or "").language),
        valid_fraction=args.valid_fraction, seed=args.seed, device=args.device, progress=not args.quiet)
    result = distil(settings)
    v = result.metrics["validation"]
    print(f"{args.method}: student in {result.out_dir} - {result.size_bytes / 1e6:.3f} MB "
          f"(budget {result.budget_bytes / 1e6:.3f} MB), {result.flops / 1e9:.4f} GFLOPs, "
          f"{result.latency['median_ms']:.2f} ms/input; validation agreement {v['agreement']:.3f}, "
          f"mean relation violation rate {v['mean_violation_rate'] if v['mean_violation_rate'] is not None else '-'}")
    print(f"evaluate it: metacompress evaluate --teacher {args.teacher} --student {result.out_dir} "
          f"--task {args.task} --data TEST --out report/")
    return 0


def _add_hub_parsers(sub) -> None:
    """Hugging Face subcommands: evaluate-module, dataset, card (implemented in metacompress_eval.hub)."""
    em = sub.add_parser("evaluate-module", help="write the 'metacompress' evaluate module folder (Space-ready)",
                        description="Writes metacompress.py, README.md (Space YAML), app.py and requirements.txt; "
                                    "upload the folder as a Gradio Space <user>/metacompress to make "
                                    "evaluate.load('<user>/metacompress') work. --install registers the module in "
                                    "evaluate's modules cache so evaluate.load('metacompress') works offline.")
    em.add_argument("--out", default=None, help="folder to write (created)")
    em.add_argument("--install", action="store_true",
                    help="register the module in evaluate's modules cache ($HF_MODULES_CACHE)")

    ds = sub.add_parser("dataset", help="write sources and follow-ups as a Hub-ready parquet dataset",
                        description="Runs the datasets builder (one configuration per transformation family, "
                                    "plus 'all') and writes parquet files and a dataset card README.md.")
    ds.add_argument("--data", required=True, help="source table (JSONL, JSON, CSV/TSV, parquet)")
    ds.add_argument("--language", required=True)
    ds.add_argument("--out", required=True, help="output folder (a Hub dataset repository layout)")
    ds.add_argument("--config", default="all", help="a transformation family, 'all' (default), or '*' for every one")
    ds.add_argument("--transforms", default=None, help="comma-separated names instead of the family's")
    ds.add_argument("--seed", type=int, default=0)
    ds.add_argument("--code-column", default="code")
    ds.add_argument("--id-column", default="id")
    ds.add_argument("--label-column", default="label")
    ds.add_argument("--push", default=None, metavar="REPO_ID", help="upload the folder to this dataset repository")
    ds.add_argument("--create-pr", action="store_true", help="with --push: open a pull request")

    cd = sub.add_parser("card", help="add the behavioural-fidelity section to a model card (and push it)",
                        description="Updates README.md in place: the MetaCompress section between HTML comment "
                                    "markers (replaced on later runs), SVG badges, and model-index results.")
    cd.add_argument("--report", required=True, help="report folder written by 'metacompress evaluate'")
    cd.add_argument("--card", default="README.md", help="model card to update (created when absent)")
    cd.add_argument("--report-url", default=None, help="link to the full report (default: relative path)")
    cd.add_argument("--model-name", default=None, help="model-index name (default: the card's, else the student's)")
    cd.add_argument("--push", default=None, metavar="REPO_ID", help="upload card and badges to this model repository")
    cd.add_argument("--create-pr", action="store_true", help="with --push: open a pull request")


def cmd_evaluate_module(args) -> int:
    from .hub import module

    if not args.out and not args.install:
        raise MetaCompressError("give --out DIR, --install, or both")
    if args.out:
        files = module.write_space_folder(args.out)
        print(f"wrote {len(files)} files to {args.out}: {', '.join(f.name for f in files)}")
        print(f"publish: huggingface-cli upload <user>/metacompress {args.out} --repo-type space")
    if args.install:
        print(f"registered for evaluate.load('metacompress'): {module.install()}")
    return 0


def cmd_dataset(args) -> int:
    from .hub.dataset import push_dataset, write_dataset

    transforms = _csv(args.transforms) if args.transforms else None
    settings = write_dataset(args.data, args.language, args.out, config=args.config, seed=args.seed,
                             transforms=transforms, code_column=args.code_column, id_column=args.id_column,
                             label_column=args.label_column or None)
    for name, c in sorted(settings["configs"].items()):
        print(f"  {name:16s} {c['sources']:6d} sources  {c['follow_ups']:6d} follow-ups  -> {args.out}/{c['path']}")
    if args.push:
        print(f"pushed: {push_dataset(args.out, args.push, create_pr=args.create_pr)}")
    return 0


def cmd_card(args) -> int:
    from .hub.cards import update_card

    result = update_card(args.report, args.card, report_url=args.report_url, model_name=args.model_name)
    where = result.badges[0].parent if result.badges else "-"
    print(f"updated {result.card} ({len(result.badges)} badges in {where})")
    if args.push:
        from .hub.push import push_card

        pushed = push_card(result.card, args.push, create_pr=args.create_pr)
        print(f"pushed {', '.join(pushed.files)} to {pushed.repo_id}: {pushed.pr_url or pushed.commit_url}")
    return 0


def data_spec_from_args(args):
    """The :class:`~metacompress_eval.data.DataSpec` of ``--data``, ``--split``, ``--where``, ``--pair-ids``,
    ``--functions``, ``--max-code-chars`` and ``--max-sources``."""
    from .data import DEFAULT_MAX_CODE_CHARS, DataSpec, parse_where

    if args.pair_ids is not None and len(args.pair_ids) != 2:
        raise MetaCompressError("--pair-ids takes exactly two column names, e.g. id1,id2")
    return DataSpec(args.data, split=args.split, where=parse_where(args.where),
                    pair_ids=tuple(args.pair_ids) if args.pair_ids else None, functions=args.functions,
                    max_code_chars=args.max_code_chars or DEFAULT_MAX_CODE_CHARS, max_sources=args.max_sources)


def cmd_evaluate(args) -> int:
    from .pipeline import EvaluationConfig, run_evaluation
    from .report.summary import print_summary
    from .tasks import get_task

    spec = data_spec_from_args(args)
    task = get_task(args.task, language=args.language or "")
    config = EvaluationConfig(
        teacher=args.teacher, student=args.student, data=spec.path, task=args.task, out_dir=args.out,
        code_columns=args.code_columns, label_column=None if args.unlabelled else args.label_column,
        id_column=args.id_column, language=args.language or "", split=spec.split, where=dict(spec.where),
        pair_ids=spec.pair_ids, functions=spec.functions,
        transforms=_transform_names(args.transforms, task.language), seed=args.seed,
        max_sources=spec.max_sources, max_code_chars=spec.max_code_chars,
        batch_size=args.batch_size, device=args.device, teacher_tokenizer=args.teacher_tokenizer,
        student_tokenizer=args.student_tokenizer, teacher_max_length=args.teacher_max_length,
        student_max_length=args.student_max_length, label_map=args.label_map,
        trust_remote_code=args.trust_remote_code, cache_dir=args.cache_dir, thresholds=thresholds_from_args(args),
        worst_k=args.worst_k, progress=not args.quiet, verify=args.verify,
        attacks=tuple(args.attacks), attack_budget=args.attack_budget, attack_mlm=args.mlm,
        attack_max_sources=args.attack_max_sources, attack_transforms=tuple(args.attack_transforms))
    if config.attacks:
        from .attacks import attack_names

        unknown = [a for a in config.attacks if a not in attack_names()]
        if unknown:
            raise MetaCompressError(f"unknown attack(s) {', '.join(unknown)}; choose from: {', '.join(attack_names())}")
        if config.attack_budget < 1:
            raise MetaCompressError("--attack-budget must be at least 1")
    result = run_evaluation(config)
    if result.main_process:  # one summary, not one per process of a multi-process launch
        print_summary(result.report, result.out_dir)
    return 0


def cmd_demo(args) -> int:
    from .demo.run import run_demo
    from .report.summary import print_summary

    result = run_demo(out_dir=args.out, size=args.size, seed=args.seed, progress=not args.quiet)
    print_summary(result.report, result.out_dir)
    return 0


def _chain_follow_ups(sources, language: str, names: tuple[str, ...], k: int, seed: int):
    """One follow-up per source from ``apply_chain`` (the chain API of ``metacompress_eval.transforms``)."""
    from . import transforms
    from .follow_ups import FollowUpInput, FollowUpSet, derive_seed

    apply_chain = getattr(transforms, "apply_chain", None)
    if apply_chain is None:
        raise MetaCompressError("--chain needs metacompress_eval.transforms.apply_chain, which this version lacks")
    if k < 1:
        raise MetaCompressError("--chain takes a positive number of transformations")
    label = f"chain(k={k})"
    result = FollowUpSet()
    for source in sources:
        outcome = apply_chain(source.inputs[0], language, list(names), derive_seed(seed, source.id, label), k)
        status = getattr(outcome, "status", "applied" if getattr(outcome, "code", None) else "not_applicable")
        if status == "applied":
            provenance = outcome.provenance() if callable(getattr(outcome, "provenance", None)) else None
            result.counts[label]["applied"] += 1
            result.items.append(FollowUpInput(source.id, label, (outcome.code,), [provenance]))
        else:
            result.counts[label][status if status == "rejected" else "not_applicable"] += 1
            result.reasons[label][getattr(outcome, "reason", None) or status] += 1
    return result


def cmd_transform(args) -> int:
    from .data import DataSpec, load_code_sources
    from .fileio import atomic_write_json, atomic_write_jsonl
    from .follow_ups import build_follow_ups, verify_follow_ups
    from .tasks import get_task

    if not Path(args.input).is_file():
        raise MetaCompressError(f"input file not found: {args.input}")
    pairs, loaded = load_code_sources(DataSpec(args.input), args.code_column, args.id_column)
    sources = [source for _, source in pairs]
    language = get_task("classification", language=args.language).language
    names = _transform_names(args.transforms, language)
    if args.chain is not None:
        result = _chain_follow_ups(sources, language, names, args.chain, args.seed)
        if args.verify:
            verify_follow_ups(result, sources, language)
    else:
        result = build_follow_ups(sources, language, names, seed=args.seed, progress=not args.quiet,
                                  verify=args.verify)
    atomic_write_jsonl(args.output, (f.as_row() for f in result.items))
    summary = result.summary()
    atomic_write_json(f"{args.output}.summary.json", {
        "input": str(args.input), "output": str(args.output), "language": language, "transforms": list(names),
        "chain": args.chain, "seed": args.seed, "verify": bool(args.verify), "inputs": len(sources),
        "follow_ups": len(result.items), "skipped": dict(loaded.skipped), "transformations": summary})
    print(f"wrote {len(result.items)} follow-ups for {len(sources)} inputs to {args.output}")
    rejected_label = "rejected (validation/compiler)" if args.verify else "rejected"
    for name, counts in summary.items():
        print(f"  {name:24s} applied {counts['applied']:6d}  not applicable {counts['not_applicable']:6d}  "
              f"{rejected_label} {counts['rejected']:6d}")
    if loaded.skipped:
        print(f"  skipped rows: {dict(loaded.skipped)}")
    return 0


def cmd_space(args) -> int:
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise MetaCompressError("the web app needs gradio: pip install 'metacompress-eval[space]'") from None
    from .space import SpaceSettings, launch

    settings = SpaceSettings.from_env(default_teacher=args.teacher, default_student=args.student,
                                      demo_size=args.demo_size, models_dir=args.models_dir,
                                      allow_local_paths=False if args.no_local_paths else None)
    launch(settings, host=args.host, port=args.port)
    return 0


def cmd_verify(args) -> int:
    from .verify.cli import run_verify_command

    return run_verify_command(args)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``metacompress`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"demo": cmd_demo, "evaluate": cmd_evaluate, "transform": cmd_transform, "verify": cmd_verify,
                "space": cmd_space, "attack": cmd_attack, "distill": cmd_distill,
                "evaluate-module": cmd_evaluate_module, "dataset": cmd_dataset, "card": cmd_card}
    try:
        return handlers[args.command](args)
    except MetaCompressError as exc:
        print(f"metacompress: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("metacompress: interrupted; finished model outputs are cached — rerun the same command to resume",
              file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
