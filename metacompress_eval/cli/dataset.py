"""``metacompress dataset``: sources and follow-ups as a Hub-ready parquet dataset."""

from __future__ import annotations

from ..errors import MetaCompressError
from .options import add_data_options, add_task_options, csv, data_spec_from_args, transforms_help
from .options import seed

NAME = "dataset"


def add_parser(subparsers):
    p = subparsers.add_parser(NAME, help="write sources and follow-ups as a Hub-ready parquet dataset",
                              description="Runs the datasets builder (one configuration per transformation family, "
                                          "plus 'all') and writes parquet files and a dataset card README.md. Rows "
                                          "are read like 'evaluate' reads them: one code column, or pairs "
                                          "(--task clone, with --pair-ids/--functions for BigCloneBench-style data).")
    add_data_options(p)
    add_task_options(p)
    p.add_argument("--unlabelled", action="store_true", help="the data has no labels (no 'label' column)")
    p.add_argument("--label-names", type=csv, default=None,
                   help="class names of the 'label' ClassLabel, in index order, e.g. safe,defective")
    p.add_argument("--labels-from", default=None, metavar="MODEL",
                   help="take the class names from this model's config.json (a folder or Hub id): the names the "
                        "evaluated models use (default without --label-names: the label values of the data)")
    p.add_argument("--out", required=True, help="output folder (a Hub dataset repository layout)")
    p.add_argument("--config", default="all", help="a transformation family, 'all' (default), or '*' for every one")
    p.add_argument("--transforms", default=None, help=transforms_help("comma-separated names instead of the family's"))
    p.add_argument("--seed", type=seed, default=0, help="random seed, 0 to 2**32 - 1 (default: %(default)s)")
    p.add_argument("--push", default=None, metavar="REPO_ID", help="upload the folder to this dataset repository")
    p.add_argument("--create-pr", action="store_true", help="with --push: open a pull request")
    return p


def run(args) -> int:
    from ..console import warn
    from ..data import skip_lines
    from ..hub.dataset import load_snippet, model_label_names, push_dataset, write_dataset

    if args.label_names and args.labels_from:
        raise MetaCompressError("give --label-names or --labels-from, not both")
    spec = data_spec_from_args(args)
    label_names = tuple(args.label_names) if args.label_names else None
    if args.labels_from:
        label_names = tuple(model_label_names(args.labels_from))
    record = write_dataset(
        spec.path, args.out, config=args.config, task=args.task, language=args.language or "",
        transforms=tuple(csv(args.transforms)) if args.transforms else None, seed=args.seed,
        code_columns=tuple(args.code_columns) if args.code_columns else None, id_column=args.id_column,
        label_column="" if args.unlabelled else args.label_column, label_names=label_names, split=spec.split,
        where=tuple(sorted(spec.where.items())), pair_ids=spec.pair_ids, functions=spec.functions,
        max_sources=spec.max_sources, max_code_chars=spec.max_code_chars)
    for name, c in sorted(record["configs"].items()):
        print(f"  {name:16s} {c['sources']:6d} sources  {c['follow_ups']:6d} follow-ups  -> {args.out}/{c['path']}")
    # Every configuration reads the same table: its skips and warnings once (from the first one built now).
    built = record["configs"].get(args.config) or next(iter(record["configs"].values()))
    for line in skip_lines(built.get("skipped") or {}, built.get("skipped_examples") or []):
        print(f"  {line}")
    for warning in built.get("warnings") or []:
        warn(warning)
    print(f"read it back: {load_snippet(args.out, args.config if args.config != '*' else 'all', record['split'])}")
    if args.push:
        print(f"pushed: {push_dataset(args.out, args.push, create_pr=args.create_pr)}")
    return 0
