"""``metacompress import``: a published checkpoint → a self-describing folder (and optionally the Hub)."""

from __future__ import annotations

NAME = "import"


def add_parser(subparsers):
    from ..models.importing import IMPORTABLE

    p = subparsers.add_parser(NAME, help="turn a published checkpoint (model.bin) into a folder that loads with no flags",
                              description="Loads SRC through its adapter (checking every key and shape), then writes DST: "
                                          "model.safetensors (the state dict, keys unchanged but for a DataParallel "
                                          "module. prefix), the tokenizer, "
                                          "metacompress.json (adapter, resolved options, input length, labels) and a "
                                          "model card. evaluate, attack, card and the Space load DST — or the Hub "
                                          "repository it is pushed to — with no flags. See docs/adapters.md.")
    p.add_argument("src", help="the checkpoint: a state dict (model.bin, *.pt, *.safetensors) or a folder holding one")
    p.add_argument("dst", help="the folder to write (must not exist, or be empty)")
    p.add_argument("--adapter", default=None, metavar="NAME",
                   help=f"{', '.join(IMPORTABLE)} (default: detected from the state dict's keys)")
    p.add_argument("--option", action="append", default=None, metavar="KEY=VALUE",
                   help="an adapter option (repeatable), recorded in metacompress.json, e.g. activation=silu")
    p.add_argument("--tokenizer", default=None,
                   help="the tokenizer when none is beside the weights: a tokenizer.json, a folder or a Hub id")
    p.add_argument("--max-length", type=int, default=None, help="input length in tokens (default: the model's)")
    p.add_argument("--name", default=None, help="the model card's title (default: the source folder's name)")
    p.add_argument("--push", default=None, metavar="REPO_ID", help="also upload the folder to this Hub model repository")
    p.add_argument("--create-pr", action="store_true", help="with --push: open a pull request")
    return p


def run(args) -> int:
    from ..models import parse_option_pairs
    from ..models.importing import import_checkpoint

    result = import_checkpoint(args.src, args.dst, adapter=args.adapter,
                               options=parse_option_pairs(args.option, "--option"), tokenizer=args.tokenizer,
                               max_length=args.max_length, name=args.name)
    print(f"imported {args.src} ({result.adapter}) into {result.folder}: {', '.join(result.files)}")
    if args.push:
        from ..hub.push import push_folder

        pushed = push_folder(result.folder, args.push, create_pr=args.create_pr)
        print(f"pushed {len(pushed.files)} files to {pushed.repo_id}: {pushed.pr_url or pushed.commit_url}")
    return 0
