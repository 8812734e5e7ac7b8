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
    page.screenshot(path=str(ARTIFACTS / "space-probe.png"), full_page=True)


def test_empty_snippet_shows_an_error_message(page):
    paste_code(page, "")
    page.locator("#mc-probe").click()
    message = page.get_by_text("the snippet is empty", exact=False).first
    message.wait_for()
    assert message.is_visible()
    assert "Traceback" not in page.content()
    # The previous probe's verdicts are gone: an error never sits next to stale results.
    assert page.locator("#mc-verdicts").count() == 0
    page.wait_for_timeout(800)  # let the toast finish fading in before the screenshot
    page.screenshot(path=str(ARTIFACTS / "space-error.png"), full_page=True)
