"""Developer tool: take the README screenshots (``docs/space*.png``) from a real browser run.

Launches the app on 127.0.0.1, opens it in headless Chromium (Debian's ``/usr/bin/chromium``
driven by playwright) at ``--width`` pixels, and either probes the first example snippet and saves
the top of the page::

    python spaces_app/screenshot.py --teacher demo:teacher --student demo:student --out docs/space.png

or uploads report folders (``report.json`` and its figures, zipped as the Space's Run tab hands
them out) to the *Compare reports* tab and saves the whole page from the tab down::

    python spaces_app/screenshot.py --compare REPORT_DIR... --width 800 --out docs/space-compare-800.png

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
    parser.add_argument("--width", type=int, default=1400, help="width of the browser window, in pixels")
    parser.add_argument("--timeout", type=int, default=600, help="seconds to wait for each step (default 600)")
    parser.add_argument("--compare", nargs="+", default=None, metavar="REPORT_DIR",
                        help="screenshot the Compare reports tab with these report folders uploaded (zipped)")
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
            page = browser.new_page(viewport={"width": args.width, "height": args.height}, device_scale_factor=1)
            page.set_default_timeout(args.timeout * 1000)  # the first probe may build the demo models
            page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
            page.locator("#mc-probe").wait_for()
            if args.compare:
                compare_screenshot(page, args.compare, args.out)
                browser.close()
                return
            if args.example:
                page.get_by_label("Example").click()
                page.get_by_role("option", name=args.example).click()
            page.locator("#mc-probe").click()
            page.locator("#mc-verdicts").wait_for()
            page.wait_for_timeout(500)
            page.screenshot(path=args.out, clip={"x": 0, "y": 0, "width": args.width, "height": args.height})
            browser.close()
    finally:
        demo.close()
    print(f"wrote {args.out}")


def compare_screenshot(page, folders: list[str], out: str) -> None:
    """Upload each report folder as a zip (as the Run tab hands them out), compare, save from the tab down."""
    import tempfile
    import zipfile

    with tempfile.TemporaryDirectory() as tmp:
        zips = []
        for i, folder in enumerate(map(Path, folders)):
            archive = Path(tmp) / f"{folder.name}-{i}.zip"
            with zipfile.ZipFile(archive, "w") as zf:
                for name in ("report.json", "violation_heatmap.png", "confidence_scatter.png"):
                    if (folder / name).is_file():
                        zf.write(folder / name, f"{folder.name}/{name}")
            zips.append(str(archive))
        page.get_by_role("tab", name="Compare reports").click()
        page.locator("#mc-compare-files input[type=file]").set_input_files(zips)
        page.get_by_text(Path(zips[0]).name, exact=False).first.wait_for()  # the upload has landed
        page.locator("#mc-compare").click()
        page.locator("#mc-board").wait_for()
        page.locator("#mc-compare-plots img").first.wait_for()
        page.wait_for_timeout(1500)  # figures finish loading
    top = page.locator("#mc-compare-files").bounding_box()["y"] - 60
    height = page.evaluate("document.documentElement.scrollHeight") - top
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": int(top + height)})
    page.wait_for_timeout(500)
    page.screenshot(path=out, clip={"x": 0, "y": top, "width": width, "height": height})


if __name__ == "__main__":
    main()
