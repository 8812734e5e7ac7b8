"""Hugging Face Space entry point of MetaCompress Eval.

Run locally with ``python spaces_app/app.py`` (or ``metacompress space``); on a Space the SDK runs
this file. All logic lives in :mod:`metacompress_eval.space`; this file only finds the package
(installed, next to this file in a Space repo, or one folder up in a checkout) and launches.

Settings come from ``METACOMPRESS_SPACE_*`` environment variables (see README.md). On a Space
(``SPACE_ID`` is set) local folders are refused by default, so visitors cannot probe the file
system, and the server listens on 0.0.0.0 as the Space runtime expects.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Set before gradio is imported: no usage analytics or version checks from a hosted app.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

HERE = Path(__file__).resolve().parent
try:
    import metacompress_eval  # noqa: F401
except ImportError:
    # Not installed: use the package copied next to app.py (Space repo) or the checkout above.
    for candidate in (HERE, HERE.parent):
        if (candidate / "metacompress_eval" / "__init__.py").is_file():
            sys.path.insert(0, str(candidate))
            break

from metacompress_eval.space import SpaceSettings, launch  # noqa: E402

ON_SPACE = bool(os.environ.get("SPACE_ID"))


def main() -> None:
    """Launch the app: 127.0.0.1 locally, 0.0.0.0 on a Space (or ``GRADIO_SERVER_NAME``)."""
    if ON_SPACE:
        os.environ.setdefault("METACOMPRESS_SPACE_ALLOW_LOCAL", "0")
    host = os.environ.get("GRADIO_SERVER_NAME") or ("0.0.0.0" if ON_SPACE else "127.0.0.1")
    port = int(os.environ["GRADIO_SERVER_PORT"]) if os.environ.get("GRADIO_SERVER_PORT") else None
    launch(SpaceSettings.from_env(), host=host, port=port)


if __name__ == "__main__":
    main()
