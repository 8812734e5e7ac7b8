"""The Space in headless Chromium (Playwright): load the page, paste and probe a snippet, read verdicts.

Screenshots go to ``test-artifacts/`` in the repository root (git-ignored). The tests are skipped,
with the reason, only when the browser or the playwright package is missing; CI installs both
(``.ci/run`` installs Debian's chromium, the ``test`` extra installs playwright).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import REPO

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium: apt-get install -y chromium)",
                allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api",
                                     reason="the playwright package is missing (pip install playwright)")

SNIPPET = """int checksum(const unsigned char *data, int length) {
    int acc = 0;
    for (int k = 0; k < length; k++) {
        acc += data[k];
    }
    if (acc > 255) {
        acc = acc % 255;
    } else {
        acc = acc + 1;
    }
    return acc;
}"""


@pytest.fixture(scope="module")
def page(space_server):
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(space_server, wait_until="domcontentloaded")
            page.locator("#mc-probe").wait_for()
            yield page
        finally:
            browser.close()


def paste_code(page, code: str) -> None:
    """Replace the editor's content as a paste would (select all, then insert the text)."""
    editor = page.locator("#mc-code .cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    if code:
        page.keyboard.insert_text(code)


def test_page_loads(page):
    assert page.title() == "MetaCompress Eval"
    for tab in ("Probe a snippet", "Compare reports", "Run"):
        assert page.get_by_role("tab", name=tab).is_visible()
    page.screenshot(path=str(ARTIFACTS / "space-loaded.png"), full_page=True)


def test_probe_pasted_snippet_shows_verdicts(page):
    paste_code(page, SNIPPET)
    # The editor holds exactly what was pasted (no auto-indent or bracket closing on the way in).
    assert "acc = acc % 255;" in page.locator("#mc-code .cm-content").inner_text()
    page.locator("#mc-probe").click()
    table = page.locator("#mc-verdicts")
    table.wait_for()
    rows = table.locator("tbody tr")
    names = [rows.nth(i).get_attribute("data-input") for i in range(rows.count())]
    assert names[0] == "source" and {"rename_variables", "dead_code", "if_else_swap"} <= set(names)
    from metacompress_eval.relations import relation_keys

    n_relations = len(relation_keys())
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td[data-relation]")
        assert cells.count() == n_relations
        verdicts = {cells.nth(j).get_attribute("data-relation"): cells.nth(j).get_attribute("data-verdict")
                    for j in range(n_relations)}
        assert set(verdicts) == set(relation_keys())
        assert set(verdicts.values()) <= {"holds", "violated", "n/a"}
        # The per-input KL(teacher ‖ student) is shown beside the verdicts.
        assert float(rows.nth(i).locator("td.mc-kl").get_attribute("data-kl")) >= 0.0
        # Violations are highlighted: every violated cell carries the red class.
        for j in range(n_relations):
            if cells.nth(j).get_attribute("data-verdict") == "violated":
                assert "mc-viol" in cells.nth(j).get_attribute("class")
    # The diffs come from the pasted code, not from the example that was there before.
    assert "checksum" in page.locator("#mc-diffs-html").inner_text()
    assert "follow-up(s)" in page.locator("#mc-probe-status").inner_text()
    # every column of the verdict table is on screen at 1400 px (no sideways scrolling inside its box)
    hidden = page.evaluate("() => { const w = document.querySelector('#mc-verdicts').closest('.mc-wrap');"
                           " return w.scrollWidth - w.clientWidth; }")
    assert hidden <= 0, hidden
    page.screenshot(path=str(ARTIFACTS / "space-probe.png"), full_page=True)
    # below 1000 px every input is a card of labelled lines: nothing hidden sideways either
    page.set_viewport_size({"width": 800, "height": 1000})
    page.wait_for_timeout(300)
    hidden = page.evaluate("() => { const w = document.querySelector('#mc-verdicts').closest('.mc-wrap');"
                           " return [w.scrollWidth - w.clientWidth,"
                           " document.documentElement.scrollWidth - document.documentElement.clientWidth]; }")
    assert max(hidden) <= 0, hidden
    page.screenshot(path=str(ARTIFACTS / "space-probe-800.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1000})


def test_empty_snippet_shows_an_error_message(page):
    paste_code(page, "")
    page.locator("#mc-probe").click()
    message = page.get_by_text("the snippet is empty", exact=False).first
    message.wait_for()
    assert message.is_visible()
    assert "Traceback" not in page.content()
    # The previous probe's verdicts are gone: an error never sits next to stale results.
    assert page.locator("#mc-verdicts").count() == 0
    # The status line gives the reason too (it said "Probing…" for ever before).
    status = page.locator("#mc-probe-status")
    status.get_by_text("Probe failed", exact=False).wait_for()
    assert "the snippet is empty" in status.inner_text() and "Probing" not in status.inner_text()
    page.wait_for_timeout(800)  # let the toast finish fading in before the screenshot
    page.screenshot(path=str(ARTIFACTS / "space-error.png"), full_page=True)


# JavaScript measurements of the leaderboard as laid out: what sticks out of its box or of the window,
# and which texts wrap onto a second line (a Range has one client rect per line box).
_LAYOUT_JS = """() => {
  const lines = el => { const r = document.createRange(); r.selectNodeContents(el);
                        return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; };
  const vw = document.documentElement.clientWidth;
  const board = document.querySelector('#mc-board');
  return {
    pageOverflow: document.documentElement.scrollWidth - vw,
    tables: [...board.querySelectorAll('.mc-wrap')].map(w => w.scrollWidth - w.clientWidth),
    offscreen: [...board.querySelectorAll('td')].filter(td => td.getBoundingClientRect().right > vw + 1)
                 .map(td => td.dataset.col),
    wrappedHeaders: [...board.querySelectorAll('th')].filter(th => th.offsetParent && lines(th) > 1)
                      .map(th => th.textContent),
    wrappedValues: [...board.querySelectorAll('.mc-main, .mc-sub')].filter(s => lines(s) > 1)
                     .map(s => s.textContent),
    // the character before each line break inside a student cell (a name breaks at separators only)
    breaksAfter: [...board.querySelectorAll('td[data-col="student"] .mc-main, td[data-col="student"] .mc-sub')]
      .flatMap(el => { const out = []; let top = null, prev = null, n;
        const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        while ((n = walk.nextNode())) for (let i = 0; i < n.length; i++) {
          const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + 1);
          const box = r.getBoundingClientRect();
          if (box.width && top !== null && box.top > top + 2) out.push(prev);
          if (box.width) top = box.top;
          prev = n.data[i]; }
        return out; }),
    // gallery captions never cover their figure
    captionOverlaps: [...document.querySelectorAll('#mc-compare-plots .thumbnail-item')].filter(item => {
      const img = item.querySelector('img'), cap = item.querySelector('.caption-label');
      return img && cap && cap.getBoundingClientRect().top < img.getBoundingClientRect().bottom - 1; }).length,
    headersShown: [...board.querySelectorAll('thead')].some(t => t.offsetParent !== null),
  };
}"""


def _layout_at(page, width: int) -> dict:
    """The page laid out at ``width`` px (``_LAYOUT_JS``), checked to overflow nowhere, sideways or off-screen."""
    page.set_viewport_size({"width": width, "height": 1000})
    page.wait_for_timeout(300)
    layout = page.evaluate(_LAYOUT_JS)
    assert layout["pageOverflow"] <= 0 and not any(x > 0 for x in layout["tables"]), (width, layout)
    assert not layout["offscreen"], (width, layout["offscreen"])
    return layout


def test_compare_leaderboard_reads_well_at_1400_and_800_px(page, two_reports, other_data_report):
    """Three uploaded report.json files: named by student and data, ranked only within their data,
    every column readable (no sideways scrolling, no header or value broken over lines), figures whole."""
    for close in page.locator(".toast-close").all():  # an earlier test's error toast would cover the screenshots
        close.click()
    page.get_by_role("tab", name="Compare reports").click()
    page.locator("#mc-compare-files input[type=file]").set_input_files(
        [str(p) for p in (*two_reports, other_data_report)])
    page.get_by_text("report.json", exact=False).first.wait_for()
    page.locator("#mc-compare").click()
    board = page.locator("#mc-board")
    board.wait_for()
    groups = board.locator("section.mc-group")
    assert groups.count() == 2  # data.jsonl (two reports) and small.jsonl (one): never ranked together
    titles = [groups.nth(i).locator(".mc-group-title").inner_text() for i in range(2)]
    assert titles[0].startswith("data.jsonl") and titles[1].startswith("small.jsonl")
    names = [r.get_attribute("data-report") for r in board.locator("tbody tr").all()]
    assert names == ["teacher on data.jsonl", "student on data.jsonl", "student on small.jsonl"]
    assert [r.get_attribute("data-rank") for r in board.locator("tbody tr").all()] == ["1", "2", "1"]
    assert "not ranked against each other" in page.locator("#mc-compare-status").inner_text()
    # The fidelity figures are there, with their intervals.
    kl = board.locator('tbody tr[data-report="student on data.jsonl"] td[data-col="kl"]').inner_text()
    assert "–" in kl
    # Uploaded without their folders, each report gets its violation heatmap redrawn, captioned with its name;
    # figures are scaled to fit, never cropped.
    images = page.locator("#mc-compare-plots img")
    images.first.wait_for()
    captions = [images.nth(i).get_attribute("alt") for i in range(images.count())]
    assert sorted(captions) == sorted(f"{name}: violation heatmap" for name in names), captions
    fits = images.evaluate_all("imgs => imgs.map(i => getComputedStyle(i).objectFit)")
    assert set(fits) == {"contain"}, fits
    clipped = page.evaluate("""() => { const box = document.querySelector('#mc-compare-plots .grid-wrap')
                                                          .getBoundingClientRect();
        return [...document.querySelectorAll('#mc-compare-plots img')].map(i => i.getBoundingClientRect())
                 .filter(r => r.bottom > box.bottom + 1 || r.right > box.right + 1).length; }""")
    assert clipped == 0  # no figure hidden behind a scroll box of the gallery's own

    for width in (1400, 800):
        layout = _layout_at(page, width)
        assert not layout["wrappedHeaders"] and not layout["wrappedValues"], (width, layout)
        assert layout["captionOverlaps"] == 0, (width, layout)
        assert layout["headersShown"] == (width > 1000)  # below 1000 px each report is a card of labelled lines
        board.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"space-compare-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1000})


def test_compare_long_hostile_names_and_a_bad_zip_member_keep_the_layout(page, two_reports, tmp_path_factory):
    """A report whose student, teacher and data names are 200 characters of Markdown/HTML, uploaded in a zip
    beside a broken report.json: the good report is shown, the bad one named with its reason; the long names
    are shortened (the full name on hover) and never widen the table or the page, at 1400 and at 800 px."""
    import json
    import zipfile

    hostile = ('<img src="http://127.0.0.1:9/x.png">**bold**[a](javascript:alert(1))' + "W" * 120
               + "_end_of_a_very_long_name_")[:200]
    report = json.loads(two_reports[0].read_text())
    report["models"]["student"]["name"] = hostile
    report["models"]["teacher"]["name"] = hostile[::-1]
    report["data"]["name"] = hostile + ".jsonl"
    archive = tmp_path_factory.mktemp("zips") / "mixed.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("long/report.json", json.dumps(report))
        zf.writestr("broken/report.json", "{ not json")
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.reload(wait_until="domcontentloaded")  # a fresh page: no uploads or toasts of the earlier tests
    page.locator("#mc-probe").wait_for()
    page.get_by_role("tab", name="Compare reports").click()
    page.locator("#mc-compare-files input[type=file]").set_input_files([str(archive), str(two_reports[1])])
    page.get_by_text("mixed.zip", exact=False).first.wait_for()
    page.locator("#mc-compare").click()
    page.locator('#mc-board tbody tr[data-rank]').nth(1).wait_for()
    page.locator("#mc-compare-status").get_by_text("Skipped 1 file(s)", exact=False).wait_for()
    page.locator("#mc-compare-plots img").first.wait_for()  # the whole answer has arrived
    status = page.locator("#mc-compare-status").inner_text()
    assert "Skipped 1 file(s)" in status and "mixed.zip:broken/report.json" in status, status
    assert page.locator("#mc-board tbody tr").count() == 2
    assert page.locator("#mc-board img").count() == 0  # the name's <img> is text, not an image
    cell = page.locator('#mc-board td[data-col="student"] .mc-main[title]').filter(has_text="…").first
    assert cell.get_attribute("title") == hostile and len(cell.inner_text()) <= 48
    for width in (1400, 800):
        layout = _layout_at(page, width)
        assert set(layout["breaksAfter"]) <= set(" /_-.:·…"), (width, layout["breaksAfter"])
        status_box = page.evaluate("""() => { const s = document.querySelector('#mc-compare-status');
                                               return s.scrollWidth - s.clientWidth; }""")
        assert status_box <= 0, (width, status_box)
        page.screenshot(path=str(ARTIFACTS / f"space-compare-long-names-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1000})
