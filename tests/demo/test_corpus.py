"""Tests for the self-made demo corpus."""

import collections
import re
import shutil
import subprocess

import pytest

from metacompress_eval.demo.corpus import C_PRELUDE, DEFECT_KINDS, generate_corpus

BANNED = ("bad", "good", "safe", "vuln", "fix", "bug", "overflow", "leak", "defect", "correct",
          "wrong", "patch", "secure", "danger", "broken")


@pytest.fixture(scope="module")
def rows():
    return generate_corpus(600, seed=3)


def test_deterministic():
    assert generate_corpus(80, seed=1) == generate_corpus(80, seed=1)
    assert generate_corpus(80, seed=1) != generate_corpus(80, seed=2)


def test_schema_and_balance(rows):
    assert len(rows) == 600
    assert len({r["id"] for r in rows}) == 600
    assert len({r["code"] for r in rows}) == 600
    for r in rows:
        assert set(r) == {"id", "code", "label", "defect", "split"}
        assert r["label"] in (0, 1)
        assert (r["defect"] == "none") == (r["label"] == 0)
        assert r["defect"] in DEFECT_KINDS or r["defect"] == "none"
    assert sum(r["label"] for r in rows) == 300
    assert {r["defect"] for r in rows} == set(DEFECT_KINDS) | {"none"}


def test_splits_are_stratified(rows):
    counts = collections.Counter((r["split"], r["label"]) for r in rows)
    for label in (0, 1):
        assert counts["train", label] == 210
        assert counts["valid", label] == 30
        assert counts["test", label] == 60


def test_line_counts(rows):
    lines = [r["code"].count("\n") for r in rows]
    assert min(lines) >= 8 and max(lines) <= 40


def test_no_label_revealing_words(rows):
    for r in rows:
        low = r["code"].lower()
        hits = [w for w in BANNED if w in low]
        assert not hits, (hits, r["code"])


def test_variety(rows):
    names = {re.search(r"(\w+)\(", r["code"]).group(1) for r in rows}
    assert len(names) > 300
    assert sum("else" in r["code"] for r in rows) > 150
    assert any("\t" in r["code"] for r in rows)
    assert any(re.search(r"^    \S", r["code"], re.M) for r in rows)
    assert any(re.search(r"^  \S", r["code"], re.M) for r in rows)
    assert any(re.search(r"^\{", r["code"], re.M) for r in rows)
    assert any(re.search(r"\) \{$", r["code"].splitlines()[0]) for r in rows)
    assert any("while" in r["code"] for r in rows) and any("for" in r["code"] for r in rows)
    assert any("printf" in r["code"] for r in rows)


def test_labels_not_readable_from_simple_surface_features(rows):
    # The safe twin of each template carries the same names/filler/formatting machinery, so crude
    # statistics such as length or the presence of "<=" or "NULL" must not separate the labels.
    for label_feature in (lambda c: c.count("\n") > 22, lambda c: "<=" in c, lambda c: "NULL" in c,
                          lambda c: "if" in c, lambda c: "else" in c):
        agree = sum(label_feature(r["code"]) == bool(r["label"]) for r in rows) / len(rows)
        assert 0.3 < agree < 0.7


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
def test_functions_compile(tmp_path, rows):
    sample = rows[::15]  # 40 functions covering every template
    files = []
    for r in sample:
        f = tmp_path / f"{r['id']}.c"
        f.write_text(C_PRELUDE + r["code"])
        files.append(str(f))
    proc = subprocess.run(
        ["gcc", "-fsyntax-only", "-std=gnu99", "-Werror=implicit-function-declaration", *files],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[:3000]


def test_unlabelled_rows_leave_the_labelled_corpus_alone():
    plain = generate_corpus(200, seed=4)
    extended = generate_corpus(200, seed=4, n_unlabelled=50)
    assert extended[:200] == plain
    extra = extended[200:]
    assert len(extra) == 50 and {r["split"] for r in extra} == {"unlabelled"}
    assert len({r["code"] for r in extended}) == 250  # distinct from every labelled row, test rows included
    assert len({r["id"] for r in extended}) == 250
    with pytest.raises(ValueError):
        generate_corpus(10, n_unlabelled=-1)
