"""``metacompress evaluate``: a teacher/student pair on your data → report.json, report.md, plots."""

from __future__ import annotations

import argparse

from ..errors import MetaCompressError
from ..threads import add_threads_argument
from .options import (add_adapter_options, add_data_options, add_inference_options, add_task_options,
                      add_threshold_options, add_workers_option, csv, data_spec_from_args, model_spec_from_args,
                      thresholds_from_args, transform_names, transforms_help)
from .options import seed

NAME = "evaluate"

#: What rerunning does after an interruption (printed by the CLI).
RERUN_NOTE = "finished model outputs are cached — rerun the same command to resume"


def add_parser(subparsers):
    from ..attacks import attack_names
    from ..transforms import DEFAULT_TRANSFORMS

    p = subparsers.add_parser(NAME, help="evaluate a teacher/student pair on your data",
                              description="Runs teacher and student on source inputs and follow-up inputs, checks the "
                                          "metamorphic relations and writes report.json, report.md and plots.")
    p.add_argument("--teacher", default=None,
                   help="teacher model: a save_pretrained folder or Hub id, a state dict (model.bin), an imported "
                        "folder, or a file of stored outputs (docs/adapters.md); without a teacher (and without "
                        "--teacher-outputs) only the student's own figures are computed: accuracy, flips, attacks")
    p.add_argument("--teacher-outputs", default=None, metavar="FILE",
                   help="the teacher's stored outputs instead of a teacher model: rows of an id (or id1, id2) and "
                        "logits or probabilities; inputs it does not hold are left out of the teacher-side figures")
    p.add_argument("--student", required=True, help="student model: as --teacher")
    add_data_options(p)
    add_task_options(p)
    p.add_argument("--unlabelled", action="store_true", help="the data has no labels (no accuracy/F1/ECE)")
    p.add_argument("--transforms", default=",".join(DEFAULT_TRANSFORMS), help=transforms_help())
    p.add_argument("--seed", type=seed, default=0, help="random seed, 0 to 2**32 - 1 (default: %(default)s)")
    p.add_argument("--verify", action=argparse.BooleanOptionalAction, default=True,
                   help="drop follow-ups that add compiler errors (gcc/javac/node/go...; docs/verification.md); on "
                        "by default (it adds about 6-13%% to a run, BENCHMARKS.md), --no-verify skips it")
    add_inference_options(p)
    add_workers_option(p)
    p.add_argument("--teacher-tokenizer", default=None)
    p.add_argument("--student-tokenizer", default=None)
    p.add_argument("--teacher-max-length", type=int, default=None)
    p.add_argument("--student-max-length", type=int, default=None)
    add_adapter_options(p, "teacher")
    add_adapter_options(p, "student")
    p.add_argument("--label-map", default=None,
                   help="student→teacher label correspondence when names differ, e.g. 'neg=0,pos=1'")
    p.add_argument("--trust-remote-code", action="store_true",
                   help="allow custom modelling code and python:MODULE:FACTORY adapters (off by default)")
    p.add_argument("--cache-dir", default=None,
                   help="model-output cache (default: $METACOMPRESS_CACHE or ~/.cache/metacompress)")
    p.add_argument("--out", default="metacompress-report", help="report folder (default: %(default)s)")
    p.add_argument("--worst-k", type=int, default=10, help="discrepancies shown in report.md")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    add_threads_argument(p)
    p.add_argument("--attacks", type=csv, default=None,
                   help=f"adversarial attacks to run against teacher and student, e.g. mhm,random "
                        f"({', '.join(attack_names())}; docs/attacks.md); adds an 'attacks' section and "
                        "attack:<method> rows")
    p.add_argument("--attack-budget", type=int, default=50, help="queries per input and model (default: %(default)s)")
    p.add_argument("--attack-max-sources", type=int, default=None, help="attack only the first N sources")
    p.add_argument("--attack-transforms", type=csv, default=(),
                   help="extra transformation families random/mhm may use besides renaming")
    p.add_argument("--mlm", default=None, help="masked-LM checkpoint ranking ALERT's substitutes")
    rep = p.add_argument_group("internal representations (docs/representations.md)")
    rep.add_argument("--representations", action="store_true",
                     help="also compare the two models' per-layer representations: linear CKA between every "
                          "teacher and student layer, and representation shift per follow-up (needs adapters that "
                          "expose hidden states; one extra forward pass per analysed input and model)")
    rep.add_argument("--representation-sources", type=int, default=1000,
                     help="analyse at most this many sources (a seeded sample) and their follow-ups "
                          "(default: %(default)s)")
    rep.add_argument("--shift-still", type=float, default=0.1,
                     help="the teacher barely moves when its shift, relative to its between-source scale, is at "
                          "most this (default: %(default)s)")
    rep.add_argument("--shift-moves", type=float, default=0.5,
                     help="the student moves a lot when its relative shift is at least this (default: %(default)s)")
    add_threshold_options(p)
    return p


def run(args) -> int:
    from ..attacks import checked_methods
    from ..pipeline import EvaluationConfig, run_evaluation
    from ..report.summary import print_summary
    from ..representations import RepresentationSettings
    from ..tasks import get_task

    if args.teacher is not None and args.teacher_outputs is not None:
        raise MetaCompressError("give the teacher as --teacher MODEL or as --teacher-outputs FILE, not both")
    if args.teacher_outputs is not None:
        if args.teacher_adapter not in (None, "stored-outputs"):
            raise MetaCompressError("--teacher-outputs reads stored outputs; it takes no --teacher-adapter")
        args.teacher, args.teacher_adapter = args.teacher_outputs, "stored-outputs"
    spec = data_spec_from_args(args)
    representations = None
    if args.representations:
        representations = RepresentationSettings(max_sources=args.representation_sources, still=args.shift_still,
                                                 moves=args.shift_moves)
    task = get_task(args.task, language=args.language or "")
    # Not given: no attacks; given, it names each method once (an empty list, e.g. ",", is refused).
    attacks = () if args.attacks is None else checked_methods(args.attacks, "--attacks")
    teacher, student = model_spec_from_args(args, args.teacher, "teacher"), model_spec_from_args(args, args.student, "student")
    config = EvaluationConfig(
        teacher=args.teacher, student=args.student, data=spec.path, task=args.task, out_dir=args.out,
        code_columns=args.code_columns, label_column=None if args.unlabelled else args.label_column,
        id_column=args.id_column, language=args.language or "", split=spec.split, where=dict(spec.where),
        pair_ids=spec.pair_ids, functions=spec.functions,
        transforms=transform_names(args.transforms, task.language), seed=args.seed,
        max_sources=spec.max_sources, max_code_chars=spec.max_code_chars,
        batch_size=args.batch_size, batch_tokens=args.batch_tokens, device=args.device, dtype=args.dtype,
        workers=args.workers, chunk_sources=args.chunk_sources, teacher_tokenizer=args.teacher_tokenizer,
        student_tokenizer=args.student_tokenizer, teacher_max_length=args.teacher_max_length,
        student_max_length=args.student_max_length, label_map=args.label_map,
        teacher_adapter=teacher.adapter, student_adapter=student.adapter, teacher_options=dict(teacher.options),
        student_options=dict(student.options),
        trust_remote_code=args.trust_remote_code, cache_dir=args.cache_dir, thresholds=thresholds_from_args(args),
        worst_k=args.worst_k, progress=not args.quiet, verify=args.verify, context_column=spec.context_column,
        attacks=attacks, attack_budget=args.attack_budget, attack_mlm=args.mlm,
        attack_max_sources=args.attack_max_sources, attack_transforms=tuple(args.attack_transforms),
        representations=representations)
    result = run_evaluation(config)
    if result.main_process:  # one summary, not one per process of a multi-process launch
        print_summary(result.report, result.out_dir)
    return 0
