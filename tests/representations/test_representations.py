"""Representation shift, the representations section, collection from real adapters, and the pipeline."""

from __future__ import annotations

import json

import numpy as np
import pytest

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.representations import (RepresentationSettings, RepresentationStore, analyze_representations,
                                               between_source_scale, cosine_shift, rows_to_collect)

from .test_cka import orthogonal, reference_cka


def test_cosine_shift_hand_values():
    a = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [2.0, 2.0], [0.0, 0.0], [0.0, 0.0]])
    b = np.array([[1.0, 0.0], [0.0, 3.0], [-1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [1.0, 0.0]])
    assert cosine_shift(a, b).tolist() == pytest.approx([0.0, 1.0, 2.0, 0.0, 0.0, 1.0])
    assert cosine_shift([3.0, 4.0], [4.0, 3.0]) == pytest.approx(1 - 24 / 25)


def test_between_source_scale_is_the_median_pairwise_shift():
    h = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    # pairs: (0,1) 1, (0,2) 1 − 1/√2, (1,2) 1 − 1/√2 → median 1 − 1/√2
    assert between_source_scale(h, np.random.default_rng(0)) == pytest.approx(1 - 2 ** -0.5)
    assert between_source_scale(h[:1], np.random.default_rng(0)) is None
    assert between_source_scale(np.ones((4, 2)), np.random.default_rng(0)) is None  # every source alike


def synthetic(n_sources=40, width=6, seed=0, student_moves_on=None):
    """Teacher with 3 representation levels; the student's level j is teacher level j + 1 rotated and scaled.

    Each source has follow-ups ``t1`` and ``t2``: the teacher's follow-up is its source plus a little noise.
    ``student_moves_on``: a transformation whose follow-ups the student represents as unrelated vectors.
    """
    rng = np.random.default_rng(seed)
    q = orthogonal(width, rng)
    ids, trs, t_first, t_mean = [], [], [], []
    for i in range(n_sources):
        base = rng.normal(size=(3, width)) * 3.0
        for t in (None, "t1", "t2"):
            ids.append(f"s{i}")
            trs.append(t)
            noise = 0.0 if t is None else rng.normal(size=(3, width)) * 0.05
            t_first.append(base + noise)
            t_mean.append(base[::-1] + noise)
    t_first, t_mean = np.array(t_first), np.array(t_mean)
    s_first, s_mean = 2.0 * t_first[:, 1:] @ q, 0.5 * t_mean[:, 1:] @ q
    if student_moves_on:
        for n, t in enumerate(trs):
            if t == student_moves_on:
                s_first[n, -1] = rng.normal(size=width) * 6.0
                s_mean[n, -1] = rng.normal(size=width) * 1.5
    arrays = {"teacher": {"first": t_first, "mean": t_mean}, "student": {"first": s_first, "mean": s_mean}}
    return ids, trs, arrays


FAST = RepresentationSettings(resamples=60)


def test_a_rotated_and_scaled_student_matches_its_teacher_exactly():
    ids, trs, arrays = synthetic()
    res = analyze_representations(RepresentationStore.from_arrays(arrays), ids, trs, FAST, seed=0)
    sec = res.section
    assert sec["teacher"] == {"layers": 2, "width": 6} and sec["student"] == {"layers": 1, "width": 6}
    assert sec["n_sources"] == 40 and not sec["subsampled"] and sec["n_follow_ups"] == 80
    for pooling in ("first", "mean"):
        cka = sec["cka"][pooling]
        sources = [i for i, t in enumerate(trs) if t is None]
        for i in range(3):
            for j in range(2):
                expected = reference_cka(arrays["teacher"][pooling][sources, i], arrays["student"][pooling][sources, j])
                assert cka["matrix"][i][j] == pytest.approx(expected, abs=1e-6)  # stored as float32
        assert [(p["teacher_layer"], p["student_layer"]) for p in cka["best_pairs"]] == [(1, 0), (2, 1)]
        assert all(p["cka"] == pytest.approx(1.0) and p["ci95"][0] == pytest.approx(1.0) for p in cka["best_pairs"])
        for name in ("t1", "t2"):
            entry = cka["by_transformation"][name]
            assert entry["n"] == 40
            for pair in entry["pairs"]:
                assert pair["follow_ups"] == pytest.approx(1.0) and pair["difference"] == pytest.approx(0.0, abs=1e-9)
        shift = sec["shift"][pooling]
        # cos is invariant to rotation and scale: both models move alike, so ranks agree perfectly
        assert shift["follow_ups"]["spearman"]["rho"] == pytest.approx(1.0)
        assert shift["follow_ups"]["spearman"]["ci_method"] == "cluster_bootstrap"
        assert shift["by_transformation"]["t1"]["spearman"]["p_value"] < 1e-6
        assert shift["follow_ups"]["teacher_still_student_moves"]["events"] == 0
        assert shift["scale"]["teacher"] == pytest.approx(shift["scale"]["student"])
    assert len(res.shifts) == 80
    row = res.shifts[0]
    assert row["teacher"]["first"] == pytest.approx(row["student"]["first"], abs=1e-6)
    json.dumps(sec, allow_nan=False)


def reference_relative_shifts(arrays, ids, trs, role, pooling):
    """1 − cos to the source, over the median 1 − cos of all pairs of sources (written out here)."""
    h = arrays[role][pooling][:, -1].astype(np.float32).astype(float)
    src = {sid: i for i, (sid, t) in enumerate(zip(ids, trs)) if t is None}
    unit = h / np.linalg.norm(h, axis=1, keepdims=True)
    rows = sorted(src.values())
    pairs = [1 - unit[a] @ unit[b] for n, a in enumerate(rows) for b in rows[n + 1:]]
    fu = [i for i, t in enumerate(trs) if t is not None]
    return {i: (1 - unit[i] @ unit[src[ids[i]]]) / np.median(pairs) for i in fu}


def test_teacher_still_student_moves_is_counted_by_hand():
    ids, trs, arrays = synthetic(student_moves_on="t2", seed=3)
    sec = analyze_representations(RepresentationStore.from_arrays(arrays), ids, trs, FAST, seed=0).section
    for pooling in ("first", "mean"):
        shift = sec["shift"][pooling]
        rel_t = reference_relative_shifts(arrays, ids, trs, "teacher", pooling)
        rel_s = reference_relative_shifts(arrays, ids, trs, "student", pooling)
        for name in ("t1", "t2"):
            rows = [i for i in rel_t if trs[i] == name]
            expected = sum(rel_t[i] <= 0.1 and rel_s[i] >= 0.5 for i in rows)
            got = shift["by_transformation"][name]
            assert (got["teacher_still_student_moves"]["events"], got["teacher_still_student_moves"]["n"]) == \
                   (expected, 40)
            assert got["teacher_mean_relative"] == pytest.approx(np.mean([rel_t[i] for i in rows]), rel=1e-4)
            assert got["teacher_still_student_moves"]["ci_method"] == "wilson"
        t2 = shift["by_transformation"]["t2"]
        # the teacher's follow-ups sit next to their sources; the student's t2 follow-ups are unrelated vectors,
        # its t1 follow-ups move like the teacher's
        assert t2["teacher_mean_relative"] < 0.1 and t2["student_mean_relative"] > 0.5
        assert t2["teacher_still_student_moves"]["events"] > 30
        assert shift["by_transformation"]["t1"]["teacher_still_student_moves"]["events"] == 0
        pooled = shift["follow_ups"]["teacher_still_student_moves"]
        assert (pooled["events"], pooled["n"]) == (t2["teacher_still_student_moves"]["events"], 80)
        assert pooled["ci_method"] == "cluster_bootstrap"
        # and the representations drift apart under t2: CKA on its follow-ups falls
        final = next(p for p in sec["cka"][pooling]["by_transformation"]["t2"]["pairs"] if p["student_layer"] == 1)
        assert final["difference"] < -0.5 and final["ci95"][1] < 0


def test_thresholds_decide_the_share():
    ids, trs, arrays = synthetic(student_moves_on="t2", seed=3)
    store = RepresentationStore.from_arrays(arrays)
    strict = analyze_representations(store, ids, trs, RepresentationSettings(resamples=60, still=0.0, moves=0.5))
    assert strict.section["shift"]["first"]["follow_ups"]["teacher_still_student_moves"]["events"] == 0
    with pytest.raises(MetaCompressError, match="still"):
        RepresentationSettings(still=0.6, moves=0.5)
    with pytest.raises(MetaCompressError, match="representation-sources"):
        RepresentationSettings(max_sources=1)


def test_memory_is_bounded_by_the_source_sample():
    """Only the sampled sources and their follow-ups are collected, and the analysis reads nothing else."""
    ids, trs, arrays = synthetic(n_sources=40)
    settings = RepresentationSettings(max_sources=10, resamples=60)
    wanted = rows_to_collect(ids, trs, settings, seed=5)
    assert len(wanted) == 30 and len({ids[i] for i in wanted}) == 10
    store = RepresentationStore.from_arrays(arrays, collected=wanted)
    sec = analyze_representations(store, ids, trs, settings, seed=5).section
    assert (sec["n_sources"], sec["sources_total"], sec["subsampled"], sec["n_follow_ups"]) == (10, 40, True, 20)
    with pytest.raises(MetaCompressError, match="not collected"):
        analyze_representations(store, ids, trs, settings, seed=6)  # another sample: rows it does not hold
    assert rows_to_collect(ids, trs, settings, seed=5) == wanted  # the sample is the seed's


# ---------------------------------------------------------------- real adapters


@pytest.fixture(scope="module")
def loaded(tiny_models):
    from metacompress_eval.models import load_model

    return {"teacher": load_model(str(tiny_models["teacher"]), role="teacher"),
            "student": load_model(str(tiny_models["student"]), role="student")}


def test_collect_masks_padding_and_caches(loaded, tmp_path):
    import torch

    from metacompress_eval.representations import RepresentationCache, collect

    from ..conftest import C_SNIPPETS

    inputs = [(C_SNIPPETS[0][:40],), (C_SNIPPETS[1],), (C_SNIPPETS[2],)]  # very different lengths: padding
    cache = RepresentationCache(tmp_path / "representations.sqlite")
    messages = []
    store = collect(loaded, inputs, [0, 1, 2], cache, batch_size=3, log=messages.append)
    assert any("0 from cache, 3 computed" in m for m in messages)
    model, tok = loaded["teacher"].model, loaded["teacher"].tokenizer
    for i, (text,) in enumerate(inputs):
        enc = tok(text, truncation=True, max_length=loaded["teacher"].max_length, return_tensors="pt")
        with torch.inference_mode():
            states = torch.stack(model(**enc, output_hidden_states=True).hidden_states, dim=1)[0]  # [layers, T, H]
        # alone (no padding): the first token and the plain mean are the reference
        assert np.allclose(store.get("teacher", [i], "first")[0], states[:, 0].numpy(), atol=1e-5)
        assert np.allclose(store.get("teacher", [i], "mean")[0], states.mean(dim=1).numpy(), atol=1e-5)
    assert store.shapes["teacher"] == (3, 64) and store.shapes["student"] == (2, 32)
    again = collect(loaded, inputs, [0, 1, 2], cache, batch_size=2, log=messages.append)
    assert any("3 from cache, 0 computed" in m for m in messages)
    assert np.array_equal(again.get("student", [0, 2], "mean"), store.get("student", [0, 2], "mean"))
    cache.close()


def test_adapters_without_hidden_states_are_refused(loaded):
    from metacompress_eval.models.base import LoadedModel
    from metacompress_eval.representations import collect

    class Outputs(LoadedModel):
        adapter = "stored-outputs"

    stored = Outputs(name="t.jsonl", label_names=["a", "b"], fingerprint="x", max_length=1)
    with pytest.raises(MetaCompressError, match="does not expose hidden states"):
        collect({"teacher": stored, "student": loaded["student"]}, [("int f;",)], [0], None)


def test_evaluate_with_representations_end_to_end(tiny_models, c_dataset, tmp_path):
    from metacompress_eval.cli import main
    from metacompress_eval.hub import cards
    from metacompress_eval.report import render_markdown

    out = tmp_path / "out"
    assert main(["evaluate", "--teacher", str(tiny_models["teacher"]), "--student", str(tiny_models["student"]),
                 "--data", str(c_dataset), "--language", "c", "--out", str(out), "--cache-dir", str(tmp_path / "cache"),
                 "--quiet", "--bootstrap-resamples", "200", "--representations", "--representation-sources", "8"]) == 0
    report = json.loads((out / "report.json").read_text())
    rep = report["representations"]
    assert rep["n_sources"] == 8 and rep["subsampled"] and rep["sources_total"] == 12
    assert rep["teacher"] == {"layers": 2, "width": 64} and rep["student"] == {"layers": 1, "width": 32}
    assert len(rep["cka"]["mean"]["matrix"]) == 3 and len(rep["cka"]["mean"]["matrix"][0]) == 2
    shifts = [json.loads(line) for line in (out / "representations.jsonl").read_text().splitlines()]
    assert len(shifts) == rep["n_follow_ups"] > 0
    assert {p.name for p in out.iterdir()} >= {"cka_heatmap.png", "representation_shift.png"}
    md = (out / "report.md").read_text()
    assert "## Internal representations" in md and "### Representation shift" in md
    assert "### CKA under transformation" in render_markdown(report, {})
    section = cards.render_section(report, report_link="report.md")
    assert "Internal representations (8 of 12 sources" in section
    assert "| rank correlation of the two models' final-layer shifts |" in section
    # a second run reads the representations from the cache and reports the same numbers
    again = tmp_path / "again"
    assert main(["evaluate", "--teacher", str(tiny_models["teacher"]), "--student", str(tiny_models["student"]),
                 "--data", str(c_dataset), "--language", "c", "--out", str(again), "--cache-dir",
                 str(tmp_path / "cache"), "--quiet", "--bootstrap-resamples", "200", "--representations",
                 "--representation-sources", "8"]) == 0
    assert json.loads((again / "report.json").read_text())["representations"] == rep


def test_bad_representation_options_are_one_line_errors(tiny_models, c_dataset, tmp_path, capsys):
    from metacompress_eval.cli import main

    code = main(["evaluate", "--teacher", str(tiny_models["teacher"]), "--student", str(tiny_models["student"]),
                 "--data", str(c_dataset), "--language", "c", "--out", str(tmp_path / "o"), "--quiet",
                 "--representations", "--shift-still", "0.9", "--shift-moves", "0.5"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--shift-still" in err[0]
    assert not (tmp_path / "o").exists()


def test_a_compact_roberta_student_against_an_hf_teacher(tiny_models, c_dataset, corpus_texts, tmp_path):
    """The state-dict students of Compressor / AVATAR / MORPH expose their layers too (relative attention)."""
    import torch
    from tokenizers import Tokenizer

    from metacompress_eval.cli import main

    from ..models.tiny import compact_state, train_bare_tokenizer

    folder = tmp_path / "compact"
    tokenizer = train_bare_tokenizer(corpus_texts, 260, folder / "tokenizer.json")
    state = compact_state(vocab=Tokenizer.from_file(str(tokenizer)).get_vocab_size(), hidden=24, layers=2, heads=3,
                          intermediate=40, positions=66, relative=True, members=1, outputs=2, seed=4)
    torch.save(state, folder / "model.bin")
    out = tmp_path / "out"
    assert main(["evaluate", "--teacher", str(tiny_models["teacher"]), "--student", str(folder), "--data",
                 str(c_dataset), "--language", "c", "--out", str(out), "--cache-dir", str(tmp_path / "cache"),
                 "--quiet", "--bootstrap-resamples", "200", "--representations"]) == 0
    rep = json.loads((out / "report.json").read_text())["representations"]
    assert rep["student"] == {"layers": 2, "width": 24} and rep["teacher"] == {"layers": 2, "width": 64}
    matrix = rep["cka"]["mean"]["matrix"]
    assert len(matrix) == 3 and all(len(row) == 3 for row in matrix)
    assert all(v is None or 0.0 <= v <= 1.0 for row in matrix for v in row)
    assert rep["shift"]["mean"]["follow_ups"]["n"] == rep["n_follow_ups"] > 0


def test_too_few_sources_for_cka_is_said_not_left_as_an_empty_table():
    from metacompress_eval.relations import Thresholds, analyze
    from metacompress_eval.report import render_markdown
    from tests.relations.conftest import HAND_ROWS, build

    ids, trs, arrays = synthetic(n_sources=3)
    sec = analyze_representations(RepresentationStore.from_arrays(arrays), ids, trs, FAST, seed=0).section
    analysis = analyze(build(HAND_ROWS), Thresholds(bootstrap_resamples=200))
    md = render_markdown({"analysis": analysis, "representations": sec}, {})
    under = md[md.index("### CKA under transformation"):md.index("### Representation shift")]
    assert "Not computed: CKA needs at least 5 sources, and this run analysed 3." in under
    assert "| Transformation |" not in under


def test_adversarial_examples_are_pooled_apart_from_the_follow_ups():
    """With attack:<method> rows the pooled shift block is the one of the same rows without them; the
    adversarial rows get their own pooled block ("attacks") and keep their per-method row."""
    ids, trs, arrays = synthetic(student_moves_on="t2", seed=4)
    trs = ["attack:mhm" if t == "t2" else t for t in trs]
    keep = [i for i, t in enumerate(trs) if t != "attack:mhm"]
    clean = {role: {p: a[keep] for p, a in by_pooling.items()} for role, by_pooling in arrays.items()}
    mixed_sec = analyze_representations(RepresentationStore.from_arrays(arrays), ids, trs, FAST, seed=0).section
    clean_sec = analyze_representations(RepresentationStore.from_arrays(clean), [ids[i] for i in keep],
                                        [trs[i] for i in keep], FAST, seed=0).section
    for pooling in ("first", "mean"):
        mixed, plain = mixed_sec["shift"][pooling], clean_sec["shift"][pooling]
        assert mixed["follow_ups"] == plain["follow_ups"] and "attacks" not in plain
        assert mixed["by_transformation"]["t1"] == plain["by_transformation"]["t1"]
        attacks = mixed["attacks"]
        assert attacks["n"] == 40 and attacks["teacher_still_student_moves"]["events"] == \
            mixed["by_transformation"]["attack:mhm"]["teacher_still_student_moves"]["events"] > 30
    # Counted as the scopes count them: n_follow_ups the transformations' (as without attacks), n_attacks apart.
    assert (mixed_sec["n_follow_ups"], mixed_sec["n_attacks"]) == (clean_sec["n_follow_ups"], 40)
    assert "n_attacks" not in clean_sec
    from metacompress_eval.relations import Thresholds, analyze
    from metacompress_eval.report import render_markdown
    from tests.relations.conftest import HAND_ROWS, build

    analysis = analyze(build(HAND_ROWS), Thresholds(bootstrap_resamples=200))
    md = render_markdown({"analysis": analysis, "representations": mixed_sec}, {})
    assert f"and their {clean_sec['n_follow_ups']} follow-ups (and 40 attack follow-ups, pooled apart), " in md
