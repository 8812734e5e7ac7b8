"""``metacompress dataset``: sources and follow-ups as a Hub-ready parquet dataset."""

from __future__ import annotations

from .options import csv, languages_help, transforms_help

NAME = "dataset"


def add_parser(subparsers):
    p = subparsers.add_parser(NAME, help="write sources and follow-ups as a Hub-ready parquet dataset",
                              description="Runs the datasets builder (one configuration per transformation family, "
                                          "plus 'all') and writes parquet files and a dataset card README.md.")
    p.add_argument("--data", required=True, help="source table (JSONL, JSON, CSV/TSV, parquet)")
    p.add_argument("--language", required=True, help=f"code language: {languages_help()}")
    p.add_argument("--out", required=True, help="output folder (a Hub dataset repository layout)")
    p.add_argument("--config", default="all", help="a transformation family, 'all' (default), or '*' for every one")
    p.add_argument("--transforms", default=None, help=transforms_help("comma-separated names instead of the family's"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--code-column", default="code")
    p.add_argument("--id-column", default="id")
    p.add_argument("--label-column", default="label")
    p.add_argument("--push", default=None, metavar="REPO_ID", help="upload the folder to this dataset repository")
    p.add_argument("--create-pr", action="store_true", help="with --push: open a pull request")
    return p


def run(args) -> int:
    from ..hub.dataset import push_dataset, write_dataset

    transforms = csv(args.transforms) if args.transforms else None
    settings = write_dataset(args.data, args.language, args.out, config=args.config, seed=args.seed,
                             transforms=transforms, code_column=args.code_column, id_column=args.id_column,
                             label_column=args.label_column or None)
    for name, c in sorted(settings["configs"].items()):
        print(f"  {name:16s} {c['sources']:6d} sources  {c['follow_ups']:6d} follow-ups  -> {args.out}/{c['path']}")
    if args.push:
        print(f"pushed: {push_dataset(args.out, args.push, create_pr=args.create_pr)}")
    return 0
