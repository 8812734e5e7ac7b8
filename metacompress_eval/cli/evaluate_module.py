"""``metacompress evaluate-module``: write (or install) the ``metacompress`` evaluate module folder."""

from __future__ import annotations

from pathlib import Path

from ..errors import MetaCompressError

NAME = "evaluate-module"


def add_parser(subparsers):
    p = subparsers.add_parser(NAME, help="write the 'metacompress' evaluate module folder (Space-ready)",
                              description="Writes metacompress.py, metacompress_core.py (the package's analysis "
                                          "modules, bundled), README.md (Space YAML), app.py and requirements.txt "
                                          "(evaluate, datasets, numpy, scipy): a self-contained folder; upload it as a "
                                          "Gradio Space <user>/metacompress to make evaluate.load('<user>/metacompress') "
                                          "work. --install registers the module in evaluate's modules cache so "
                                          "evaluate.load('metacompress') works offline.")
    p.add_argument("--out", default=None, help="folder to write (created)")
    p.add_argument("--install", action="store_true",
                   help="register the module in evaluate's modules cache ($HF_MODULES_CACHE)")
    return p


def run(args) -> int:
    from ..hub import module

    if not args.out and not args.install:
        raise MetaCompressError("give --out DIR, --install, or both")
    if args.out:
        files = module.write_space_folder(args.out)
        print(f"wrote {len(files)} files to {args.out}: {', '.join(f.name for f in files)}")
        print(f"publish: huggingface-cli upload <user>/metacompress {args.out} --repo-type space")
        # evaluate.load(FOLDER) runs FOLDER/<folder name>.py (a Hub repo: <repo name>.py): the script is
        # metacompress.py, so a folder (or Space) of another name loads only by the script's path.
        if Path(args.out).resolve().name != "metacompress":
            print(f"load it here with evaluate.load({str(Path(args.out) / 'metacompress.py')!r}) (evaluate.load of the "
                  "folder itself needs it to be named 'metacompress'; so does the Space: <user>/metacompress)")
    if args.install:
        print(f"registered for evaluate.load('metacompress'): {module.install()}")
    return 0
