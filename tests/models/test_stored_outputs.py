"""stored-outputs: lookups by id, unavailable inputs, and every kind of bad file as a one-line error."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.inference import InferenceEngine
from metacompress_eval.models import detect, load_model

from ..conftest import write_jsonl


def test_lookup_by_id_and_unavailable_inputs(tmp_path):
    path = write_jsonl(tmp_path / "teacher.jsonl", [{"id": "a", "logits": [2.0, 0.0]}, {"id": "b", "logits": [0.0, 1.0]}])
    assert detect(str(path)) == ("stored-outputs", {})
    model = load_model(str(path), role="teacher")
    assert model.label_names == ["LABEL_0", "LABEL_1"] and not model.uses_cache
    inputs = [("x",), ("y",), ("x'",), ("z",)]
    out = InferenceEngine(model, None, progress=False).predict(inputs, ids=["a", "b", None, "missing"])
    np.testing.assert_allclose(out.probs[0], [1 / (1 + math.exp(-2)), 1 - 1 / (1 + math.exp(-2))])
    np.testing.assert_allclose(out.logits[1], [0.0, 1.0])
    assert out.available.tolist() == [True, True, False, False]
    assert np.isnan(out.probs[2:]).all()
    assert out.stats.unavailable == 2 and out.stats.as_dict()["unavailable"] == 2
    assert "unavailable" not in InferenceEngine(model, None, progress=False).predict(inputs[:1], ids=["a"]).stats.as_dict()


def test_pairs_probabilities_and_sigmoid_columns(tmp_path):
    rows = [{"row": i, "id1": f"p{i}", "id2": f"q{i}", "teacher_probs": [0.25, 0.75]} for i in range(3)]
    path = write_jsonl(tmp_path / "pairs.jsonl", rows)
    model = load_model(str(path), adapter="stored-outputs", options={"labels": "no,yes"})
    assert model.describe()["id_columns"] == ["id1", "id2"] and model.describe()["kind"] == "probs"
    out = InferenceEngine(model, None, progress=False).predict([("a", "b")], ids=[("p1", "q1")])
    np.testing.assert_allclose(out.probs[0], [0.25, 0.75], atol=1e-7)
    with pytest.raises(MetaCompressError, match="keyed by id1, id2 but an input is identified by 1 id"):
        InferenceEngine(model, None, progress=False).predict([("a", "b")], ids=["p1"])
    csv = tmp_path / "defect.csv"
    csv.write_text("id,prob\nf1,0.9\nf2,0.2\n")
    model = load_model(str(csv), options={"column": "prob", "kind": "probs"})
    out = InferenceEngine(model, None, progress=False).predict([("c",), ("d",)], ids=["f1", "f2"])
    np.testing.assert_allclose(out.probs, [[0.1, 0.9], [0.8, 0.2]], atol=1e-7)


def test_unknown_ids_are_refused(tmp_path):
    path = write_jsonl(tmp_path / "t.jsonl", [{"id": f"f{i}", "logits": [0.0, 1.0]} for i in range(5)])
    model = load_model(str(path), role="teacher")
    model.check_ids([f"f{i}" for i in range(8)])
    with pytest.raises(MetaCompressError, match=r"t.jsonl: 2 stored id\(s\) that the data does not contain \(e.g. f3, f4\)"):
        model.check_ids(["f0", "f1", "f2"])


BAD = {
    "duplicate id": ([{"id": "a", "logits": [0, 1]}, {"id": "a", "logits": [1, 0]}], {}, r"duplicate id a \(rows 1 and 2\)"),
    "duplicate pair": ([{"id1": "a", "id2": "b", "logits": [0, 1]}, {"id1": "a", "id2": "b", "logits": [0, 1]}], {},
                       r"duplicate id a/b"),
    "wrong width": ([{"id": "a", "logits": [0, 1]}, {"id": "b", "logits": [0, 1, 2]}], {},
                    r"row 2: 3 values in logits, earlier rows have 2"),
    "width vs labels": ([{"id": "a", "logits": [0, 1, 2]}], {"labels": "x,y"}, r"labels=x,y names 2 classes, the file holds 3"),
    "nan": ([{"id": "a", "logits": [0, 1]}, {"id": "b", "logits": [float("nan"), 1]}], {}, r"row 2: logits holds NaN"),
    "infinite": ([{"id": "a", "logits": [float("inf"), 1]}], {}, r"row 1: logits holds NaN or infinite"),
    "probs sum": ([{"id": "a", "probs": [0.5, 0.5]}, {"id": "b", "probs": [0.6, 0.3]}], {},
                  r"row 2: probabilities in probs sum to 0.9, not 1"),
    "probs range": ([{"id": "a", "probs": [1.5, -0.5]}], {}, r"probabilities outside \[0, 1\]"),
    "not numbers": ([{"id": "a", "logits": "high"}], {}, r"row 1: logits is not a list of numbers"),
    "no column": ([{"id": "a", "score": [0, 1]}], {}, r"cannot tell which column holds the outputs .*option column=NAME"),
    "no id": ([{"name": "a", "logits": [0, 1]}], {}, r"no id column"),
    "empty id": ([{"id": "", "logits": [0, 1]}], {}, r"row 1: empty id"),
    "named column missing": ([{"id": "a", "logits": [0, 1]}], {"column": "scores"}, r"no column scores"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_are_one_line_errors_naming_the_file(tmp_path, case):
    rows, options, pattern = BAD[case]
    path = tmp_path / "outputs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows).replace("NaN", "NaN").replace("Infinity", "Infinity"))
    with pytest.raises(MetaCompressError) as info:
        load_model(str(path), role="teacher", options=options)
    message = str(info.value)
    assert "\n" not in message and f"teacher outputs {path}" in message
    assert __import__("re").search(pattern, message), message


def test_unreadable_line_is_an_error(tmp_path):
    path = tmp_path / "o.jsonl"
    path.write_text('{"id": "a", "logits": [0, 1]}\n{"id": "b", "logits": [0,\n')
    with pytest.raises(MetaCompressError, match=r"o.jsonl: unreadable row"):
        load_model(str(path), role="teacher")


@pytest.mark.parametrize("suffix,raw", [(".jsonl", b""), (".csv", b""), (".csv", b"id,logits\na,\xff\xfe\n"),
                                        (".jsonl", b'{"id": "a", "logits": [0, 1]}\n\xff{"id": "b"}\n')])
def test_empty_or_undecodable_files_are_named_as_outputs(tmp_path, suffix, raw):
    """The table reader's own messages speak of a data file; here each names the outputs file as such."""
    path = tmp_path / f"o{suffix}"
    path.write_bytes(raw)
    with pytest.raises(MetaCompressError) as info:
        load_model(str(path), role="teacher")
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"teacher outputs {path}: ") and "data file" not in message


@pytest.mark.parametrize("row,expected", [([1e300, -1e300], [1.0, 0.0]), ([-1e300, 5.0], [0.0, 1.0]),
                                          ([3.5e38, 3.5e38], [0.5, 0.5]), ([1e300], [0.0, 1.0]),
                                          ([-1e300], [1.0, 0.0]), ([2.0, 1.0], None)])
def test_logits_beyond_float32_give_their_softmax(tmp_path, row, expected):
    """A logit float32 cannot hold is a certain prediction, not NaN; ordinary rows keep their values."""
    path = tmp_path / "o.jsonl"
    path.write_text(json.dumps({"id": "a", "logits": row}) + "\n")
    model = load_model(str(path), role="teacher")
    out = InferenceEngine(model, None, progress=False).predict([("x",)], [("a",)])
    if expected is None:
        np.testing.assert_array_equal(out.logits, [row])
    else:
        np.testing.assert_allclose(out.probs, [expected], atol=1e-12)


def test_a_folder_is_not_a_file_of_outputs(tmp_path):
    with pytest.raises(MetaCompressError, match=rf"teacher outputs {tmp_path}: a folder, not a file of stored outputs"):
        load_model(str(tmp_path), role="teacher", adapter="stored-outputs")
    with pytest.raises(MetaCompressError, match=r"o.jsonl: no such file"):
        load_model(str(tmp_path / "o.jsonl"), role="teacher", adapter="stored-outputs")
