"""Developer tool: take the README screenshot (``docs/space.png``) from a real browser run.

Launches the app on 127.0.0.1, opens it in headless Chromium (Debian's ``/usr/bin/chromium``
driven by playwright), probes the first example snippet and saves the top of the page::

    python spaces_app/screenshot.py --teacher demo:teacher --student demo:student --out docs/space.png

Not used by the Space itself.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from metacompress_eval.space import SpaceSettings, build_app, launch_kwargs  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teacher", default="demo:teacher")
    parser.add_argument("--student", default="demo:student")
    parser.add_argument("--example", default=None, help="name of the example to probe (default: the first)")
    parser.add_argument("--out", default="docs/space.png")
    parser.add_argument("--height", type=int, default=1500, help="height of the captured part of the page")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    settings = SpaceSettings.from_env(default_teacher=args.teacher, default_student=args.student)
    demo = build_app(settings)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch_kwargs())
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": args.height}, device_scale_factor=1)
            page.set_default_timeout(600_000)  # the first probe may build the demo models
            page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
            page.locator("#mc-probe").wait_for()
            if args.example:
                page.get_by_label("Example").click()
                page.get_by_role("option", name=args.example).click()
            page.locator("#mc-probe").click()
            page.locator("#mc-verdicts").wait_for()
            page.wait_for_timeout(500)
            page.screenshot(path=args.out, clip={"x": 0, "y": 0, "width": 1400, "height": args.height})
            browser.close()
    finally:
        demo.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
