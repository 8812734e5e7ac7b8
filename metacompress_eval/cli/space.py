"""``metacompress space``: run the web app (probe snippets, compare reports, small runs) locally."""

from __future__ import annotations

from .. import HOMEPAGE
from ..errors import MetaCompressError

NAME = "space"
#: How to install what the app needs: the same words in README.md, spaces_app/README.md and here
#: (tests/space/test_logic.py checks that they agree). The 'space' extra is gradio 6.
INSTALL_HINT = f'pip install ".[space]" in a checkout of {HOMEPAGE}'


def add_parser(subparsers):
    p = subparsers.add_parser(NAME, help="run the web app (probe snippets, compare reports, small runs) locally",
                              description="Starts the Gradio app of spaces_app/ on 127.0.0.1. Needs the 'space' extra "
                                          f"(gradio 6): {INSTALL_HINT}.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    p.add_argument("--port", type=int, default=None, help="port (default: gradio's, 7860 or the next free one)")
    p.add_argument("--teacher", default=None, help="teacher shown by default (default: demo:teacher)")
    p.add_argument("--student", default=None, help="student shown by default (default: demo:student)")
    p.add_argument("--demo-size", choices=("demo", "tiny"), default=None,
                   help="size of the demo models built on first use (default: demo)")
    p.add_argument("--models-dir", default=None,
                   help="where demo models are built (default: ~/.cache/metacompress/space-models)")
    p.add_argument("--no-local-paths", action="store_true",
                   help="refuse server folders as models or results (needed on any host others can reach)")
    p.add_argument("--results-root", default=None,
                   help="the folder (with subfolders) the Compare tab may read results folders from "
                        "(default: the current folder; env METACOMPRESS_SPACE_RESULTS_ROOT)")
    return p


def run(args) -> int:
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise MetaCompressError(f"the web app needs gradio 6: {INSTALL_HINT}") from None
    from ..space import SpaceSettings, launch

    settings = SpaceSettings.from_env(default_teacher=args.teacher, default_student=args.student,
                                      demo_size=args.demo_size, models_dir=args.models_dir,
                                      allow_local_paths=False if args.no_local_paths else None,
                                      results_root=args.results_root)
    launch(settings, host=args.host, port=args.port)
    return 0
