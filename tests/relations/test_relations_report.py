"""Markdown rendering and PNG plots."""

import pytest

from metacompress_eval.relations import Thresholds, analyze
from metacompress_eval.report import render_markdown, write_plots

from .conftest import HAND_ROWS, PERM, build


def envelope(analysis):
    return {
        "schema_version": "1.0",
        "tool": {"name": "metacompress-eval", "version": "0.1.0"},
        "created": "2026-01-01T00:00:00+00:00",
        "task": {"name": "defect-detection", "language": "c"},
        "data": {"path": "data.jsonl", "n_sources": 3},
        "models": {"teacher": {"path": "teacher/"}, "student": {"path": "student/"}},
        "settings": {"seed": 0},
        "transformations": {
            "rename": {"applied": 2, "not_applicable": 1, "rejected": 0},
            "deadcode": {"applied": 2, "not_applicable": 0, "rejected": 1,
                         "reasons": {"does not parse": 1}},
        },
        "inference": {"device": "cpu", "batch_size": 8},
        "analysis": analysis,
    }


@pytest.fixture
def report():
    return envelope(analyze(build(HAND_ROWS, PERM)))


def examples_for(analysis):
    out = {}
    for w in analysis["worst"]:
        follow = None if w["transformation"] is None else "int g(int y) {\n  return y + 1;\n}\n"
        out[w["index"]] = {
            "source_code": "int f(int x) {\n  return x + 1;\n}\n",
            "follow_up_code": follow,
            "transformation": w["transformation"],
            "source_id": w["source_id"],
        }
    return out


def test_markdown_has_expected_tables(report):
    md = render_markdown(report, examples_for(report["analysis"]))
    assert md.startswith("# MetaCompress Eval report")
    assert "Task `defect-detection` (c) · Teacher `teacher/` · Student `student/`" in md
    assert md.index("## Summary") < md.index("## Run details")
    assert "| tool.version | 0.1.0 |" in md
    assert "| Relation | All inputs | Sources | Follow-ups |" in md
    # PA row: 3/7 overall, 1/3 sources, 2/4 follow-ups
    pa_row = next(line for line in md.splitlines() if line.startswith("| Prediction Agreement (PA)"))
    assert "(3/7)" in pa_row and "(1/3)" in pa_row and "(2/4)" in pa_row
    assert "42.9%" in pa_row
    assert "### Per transformation" in md
    assert "| Transformation | PA | PDS | HCP | CA | HCC |" in md
    assert any(line.startswith("| rename | 100.0%") for line in md.splitlines())
    assert "| Transformation | applied | not_applicable | rejected | reasons |" in md
    assert "| deadcode | 2 | 0 | 1 | does not parse (1) |" in md
    assert "## Metamorphic flips" in md and "correct→wrong" in md
    assert "## Accuracy and F1" in md and "F1 of the positive class `pos`" in md
    assert "## McNemar test" in md and "exact_binomial" in md
    assert "## Calibration" in md
    assert "## Worst discrepancies" in md
    assert "```c\nint f(int x) {" in md
    assert "```diff" in md and "-int f(int x) {" in md and "+int g(int y) {" in md
    assert "| Class | Teacher | Student |" in md
    assert "**0.950**" in md  # teacher's predicted class is bold


def test_markdown_shows_fidelity_macro_verdicts_and_clustered_tests(report):
    md = render_markdown(report, {})
    a = report["analysis"]
    assert "## Fidelity (top-1 agreement and KL)" in md
    row = next(line for line in md.splitlines() if line.startswith("| Sources | 66.7%"))
    assert f"{a['fidelity']['sources']['kl_bits']['mean']:.4f}" in row
    assert f"{a['fidelity']['sources']['kl_nats']['mean']:.4f}" in row
    assert "**Top-1 agreement**: 57.1%" in md and "**mean KL(teacher ‖ student)**" in md
    # per-source averages beside the pooled rates
    assert "| Relation | All inputs (macro) | Follow-ups (macro) |" in md
    macro_row = next(line for line in md.splitlines()
                     if line.startswith("| Prediction Agreement (PA) | 44.4%"))
    assert "(3 sources)" in macro_row
    # three-valued calibration verdicts and the clustered test on pooled follow-ups
    assert "| Scope | N | ECE teacher | ECE student | Difference | 95% CI | Verdict |" in md
    assert "| rename | 2 |" in md and "misaligned |" in md and "inconclusive |" in md
    follow = next(line for line in md.splitlines() if line.startswith("| follow-ups | 2 | 0 | 4 | 3 |"))
    assert "cluster_sign_test" in follow and "+50.0" in follow


def test_markdown_reads_a_schema_1_report():
    """A report written before schema 2.0 (no fidelity, no macro, calibration "aligned" yes/no) still renders."""
    analysis = analyze(build(HAND_ROWS, PERM))
    del analysis["fidelity"]
    for scope in ("overall", "sources", "follow_ups"):
        for entry in analysis["relations"][scope].values():
            entry.pop("macro")
    for entry in list(analysis["calibration"].values()):
        if isinstance(entry, dict) and "verdict" in entry:
            entry["aligned"] = entry.pop("verdict") == "aligned"
    md = render_markdown(envelope(analysis), {})
    assert "## Fidelity" not in md and "(macro)" not in md
    assert "| sources | 3 |" in md and "misaligned |" in md


def test_markdown_table_rows_have_consistent_columns(report):
    md = render_markdown(report, {})
    lines = md.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|---"):
            width = line.count("|")
            j = i + 1
            while j < len(lines) and lines[j].startswith("|"):
                assert lines[j].replace("\\|", "").count("|") == width, lines[j]
                j += 1
    assert "_Code not available._" in md


def test_markdown_unlabelled_omits_label_sections():
    analysis = analyze(build(HAND_ROWS, PERM, labelled=False))
    md = render_markdown(envelope(analysis), {})
    assert "| Relation | All inputs | Sources | Follow-ups |" in md
    assert "## Accuracy and F1" not in md
    assert "## McNemar" not in md
    assert "## Calibration" not in md
    assert "correct→wrong" not in md
    assert "## Metamorphic flips" in md


def test_markdown_accepts_bare_analysis_and_code_with_backticks():
    analysis = analyze(build(HAND_ROWS, PERM))
    idx = analysis["worst"][0]["index"]
    code = "s = ```not a fence```\n"
    md = render_markdown(analysis, {idx: {"source_code": code, "follow_up_code": code,
                                          "transformation": "rename", "source_id": "s1"}})
    assert "````\ns = ```not a fence```\n````" in md
    assert "_(identical text)_" in md


def test_plots_are_written(tmp_path, report):
    out = build(HAND_ROWS, PERM)
    paths = write_plots(report, out, tmp_path / "plots")
    assert [p.name for p in paths] == ["violation_heatmap.png", "confidence_scatter.png"]
    for p in paths:
        data = p.read_bytes()
        assert len(data) > 1000
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    # atomic write leaves no temporary files behind
    assert sorted(x.name for x in (tmp_path / "plots").iterdir()) == sorted(p.name for p in paths)


def test_plots_handle_empty_cells(tmp_path):
    # no teacher-confident inputs → HCP cells are n/a
    rows = [("a", None, 0, [0.6, 0.4], [0.6, 0.4]), ("a", "t", 0, [0.55, 0.45], [0.4, 0.6])]
    out = build(rows)
    analysis = analyze(out, Thresholds(bootstrap_resamples=200))
    paths = write_plots(analysis, out, tmp_path)
    assert all(p.stat().st_size > 0 for p in paths)


def test_print_summary(report, tmp_path):
    import io

    from metacompress_eval.report.summary import print_summary

    buf = io.StringIO()
    print_summary(report, tmp_path, file=buf)
    text = buf.getvalue()
    pa = next(line for line in text.splitlines() if line.strip().startswith("PA"))
    assert "42.9%" in pa and "(3/7)" in pa
    assert "student flip rate" in text
    assert str(tmp_path / "report.md") in text


@pytest.mark.parametrize("follow_ups, expected", [
    (None, None),  # reports from before the follow_ups section say nothing about verification
    ({"verified": False, "verification": None}, "**Verification**: Follow-ups not verified (no compiler check)"),
    ({"verified": True}, "**Verification**: follow-ups were compiled against their sources"),  # 2.2, first cut
    ({"verified": True, "verification": {"checker": "gcc", "checked": 4, "rejected": 1, "unverified": 2}},
     "**Verification**: Verified with gcc: 4 follow-ups compiled against their sources, 1 dropped for new "
     "compiler errors, 2 kept unverified"),
])
def test_report_says_whether_follow_ups_were_verified(report, follow_ups, expected):
    if follow_ups is not None:
        report["follow_ups"] = follow_ups
    text = render_markdown(report, {})
    section = text.split("## Transformations applied", 1)[1].split("\n## ", 1)[0]
    if expected is None:
        assert "Verification" not in text
    else:
        assert expected in section


HOSTILE = ['<img src="http://127.0.0.1:9/t.png">', "<script>x</script>", "![t](http://x/t.png)", "[c](javascript:x)",
           "a`b", "a|b", "**b**", "&lt;i&gt;", "\n# head", "évé"]


def test_names_in_report_md_are_text(report):
    """Generated hostile model, data, task and transformation names: report.md (published with
    `card --upload-report`) has no HTML, image or link of theirs, and its tables keep their columns."""
    import random

    markdown_it = pytest.importorskip("markdown_it")
    md = markdown_it.MarkdownIt("commonmark").enable("table")
    rng = random.Random(9)
    for _ in range(20):
        name = lambda: "".join(rng.choice(HOSTILE) for _ in range(rng.randint(1, 3)))  # noqa: E731
        hostile = dict(report)
        hostile["models"] = {"teacher": {"name_or_path": name()}, "student": {"name_or_path": name()}}
        hostile["data"] = {"path": name(), "n_sources": 3}
        hostile["task"] = {"name": name(), "language": name()}
        hostile["created"] = name()
        text = render_markdown(hostile, {})
        tokens = [t for block in md.parse(text) for t in [block, *(block.children or [])]]
        assert not [t for t in tokens if t.type in ("html_inline", "html_block", "image", "link_open")], \
            [t.content for t in tokens if "html" in t.type][:3]
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("|---"):
                j = i + 1
                while j < len(lines) and lines[j].startswith("|"):
                    assert lines[j].replace("\\|", "").count("|") == line.count("|"), lines[j]
                    j += 1
