import json

import pytest

from metacompress_eval.data import load_functions_table, prepare_sources, read_table
from metacompress_eval.errors import MetaCompressError
from metacompress_eval.tasks import get_task

LABELS = ["safe", "defective"]


def _load(path, task="defect", **kw):
    rows, loaded = read_table(path)
    return prepare_sources(rows, loaded, get_task(task, **{k: v for k, v in kw.items() if k in ("label_column", "code_columns")}),
                           LABELS, **{k: v for k, v in kw.items() if k not in ("label_column", "code_columns")})


def test_jsonl_with_bad_lines_counts_skips(tmp_path):
    path = tmp_path / "d.jsonl"
    good = json.dumps({"id": "a", "code": "int f(){return 0;}", "label": 1}).encode()
    with open(path, "wb") as fh:
        fh.write(good + b"\n")
        fh.write(b'{"id": "b", "code": "int g(){return \xff;}", "label": 0}\n')  # invalid UTF-8
        fh.write(b"{not json\n")
        fh.write(b"\n")
        fh.write(json.dumps({"id": "c", "code": "   ", "label": 0}).encode() + b"\n")
        fh.write(json.dumps({"id": "d", "code": "x" * 100, "label": "defective"}).encode() + b"\n")
        fh.write(json.dumps({"id": "a", "code": "int h(){return 1;}", "label": 0}).encode() + b"\n")
    loaded = _load(path, max_code_chars=50)
    assert [s.id for s in loaded.sources] == ["a"]
    assert loaded.sources[0].label == 1
    assert loaded.skipped == {"invalid UTF-8": 1, "invalid JSON": 1, "empty code": 1,
                              "code longer than 50 characters": 1, "duplicate id": 1}


def test_label_names_and_indices_accepted(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(json.dumps({"code": f"int f{i}(){{}}", "label": lab})
                              for i, lab in enumerate([0, 1, "safe", "defective", "1", True])))
    loaded = _load(path)
    assert [s.label for s in loaded.sources] == [0, 1, 0, 1, 1, 1]
    assert [s.id for s in loaded.sources] == ["0", "1", "2", "3", "4", "5"]


def test_mismatched_labels_is_an_error(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(json.dumps({"code": "int f(){}", "label": lab}) for lab in [0, 2, "bug"]))
    with pytest.raises(MetaCompressError, match="do not match the models' label set"):
        _load(path)


def test_missing_column_names_available_columns(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"func": "int f(){}", "target": 1}))
    with pytest.raises(MetaCompressError, match=r"missing column\(s\) 'code', 'label'.*available: func, target"):
        _load(path)


def test_unlabelled_data(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"code": "int f(){}"}))
    loaded = _load(path, label_column=None)
    assert loaded.sources[0].label is None


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "e.jsonl"
    empty.write_bytes(b"")
    with pytest.raises(MetaCompressError, match="is empty"):
        read_table(empty)
    with pytest.raises(MetaCompressError, match="not found"):
        read_table(tmp_path / "nope.jsonl")
    with pytest.raises(MetaCompressError, match="unknown file type"):
        (tmp_path / "x.txt").write_text("hello")
        read_table(tmp_path / "x.txt")
    only_blank = tmp_path / "b.jsonl"
    only_blank.write_bytes(b"\xff\xfe\n")
    with pytest.raises(MetaCompressError, match="no usable rows"):
        read_table(only_blank)


def test_csv_parquet_and_save_to_disk(tmp_path):
    import datasets
    import pandas as pd

    frame = pd.DataFrame({"id": ["a", "b"], "code": ["int f(){}", "int g(){}"], "label": [0, 1]})
    frame.to_csv(tmp_path / "d.csv", index=False)
    frame.to_parquet(tmp_path / "d.parquet")
    datasets.DatasetDict({"test": datasets.Dataset.from_pandas(frame)}).save_to_disk(str(tmp_path / "saved"))
    for spec in ("d.csv", "d.parquet", "saved"):
        loaded = _load(tmp_path / spec)
        assert [(s.id, s.label) for s in loaded.sources] == [("a", 0), ("b", 1)], spec


def test_csv_with_invalid_utf8_is_a_clear_error(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"id,code,label\na,int f(){return '\xff';},1\n")
    with pytest.raises(MetaCompressError, match="not valid UTF-8"):
        read_table(path)


def test_hub_id_offline_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(MetaCompressError, match="offline"):
        read_table("someone/no-such-dataset")


def test_pairs_by_function_id(tmp_path):
    funcs = tmp_path / "functions.jsonl"
    funcs.write_text("\n".join(json.dumps({"id": i, "code": f"void m{i}() {{}}"}) for i in (1, 2, 3)))
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("\n".join(json.dumps(r) for r in [{"id1": 1, "id2": 2, "label": 1},
                                                       {"id1": 1, "id2": 9, "label": 0}]))
    rows, loaded = read_table(pairs)
    loaded = prepare_sources(rows, loaded, get_task("clone"), ["no", "yes"], pair_ids=("id1", "id2"),
                             functions=load_functions_table(funcs))
    assert loaded.sources[0].inputs == ("void m1() {}", "void m2() {}")
    assert loaded.sources[0].id == "1-2"
    assert loaded.skipped == {"function id not in functions table": 1}


def test_unknown_task_and_wrong_column_count():
    with pytest.raises(MetaCompressError, match="unknown task"):
        get_task("translation")
    with pytest.raises(MetaCompressError, match="takes 2 code column"):
        get_task("clone", code_columns=("a",))


def test_where_filters_rows():
    from metacompress_eval.data import filter_rows, parse_where

    rows = [{"id": 1, "split": "test"}, {"id": 2, "split": "train"}, {"id": 3, "split": "test"}]
    assert [r["id"] for r in filter_rows(rows, parse_where(["split=test"]))] == [1, 3]
    assert filter_rows(rows, {}) == rows
    with pytest.raises(MetaCompressError, match="COLUMN=VALUE"):
        parse_where(["split"])
    with pytest.raises(MetaCompressError, match="lacks"):
        filter_rows(rows, {"lang": "c"})
    with pytest.raises(MetaCompressError, match="no row"):
        filter_rows(rows, {"split": "valid"})


def test_load_sources_applies_the_whole_data_spec(tmp_path):
    """One loader for every command: where, pair ids + functions table, size limit, row cap, in that order."""
    from metacompress_eval.data import DataSpec, load_code_sources, load_sources

    functions = tmp_path / "functions.jsonl"
    functions.write_text("\n".join(json.dumps({"id": str(i), "code": "int f(){return 0;}" + " " * (40 * i)})
                                   for i in range(6)))
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("\n".join(json.dumps({"id1": str(a), "id2": str(b), "label": (a + b) % 2,
                                           "split": "test" if a % 2 == 0 else "train"})
                               for a in range(6) for b in range(6) if a < b))
    spec = DataSpec(str(pairs), where={"split": "test"}, pair_ids=("id1", "id2"), functions=str(functions),
                    max_code_chars=100, max_sources=2)
    loaded = load_sources(spec, get_task("clone", id_column=None), LABELS)
    # test rows: a in (0, 2, 4); pairs with a function longer than 100 characters (ids 3, 4, 5) are skipped
    assert [s.id for s in loaded.sources] == ["0-1", "0-2"]
    assert all(len(s.inputs) == 2 for s in loaded.sources)
    assert loaded.skipped == {}  # the cap is reached before an oversized row comes up
    assert loaded.description["where"] == {"split": "test"}
    everything = load_sources(DataSpec(str(pairs), where={"split": "test"}, pair_ids=("id1", "id2"),
                                       functions=str(functions), max_code_chars=100),
                              get_task("clone", id_column=None), LABELS)
    assert [s.id for s in everything.sources] == ["0-1", "0-2"]
    assert everything.skipped == {"code longer than 100 characters": 7}
    with pytest.raises(MetaCompressError, match="no row of"):
        load_sources(DataSpec(str(pairs), where={"split": "valid"}, pair_ids=("id1", "id2"),
                              functions=str(functions)), get_task("clone", id_column=None), LABELS)
    # The code-only flavour (transform, dataset builder) reads the same way.
    pairs_only, loaded = load_code_sources(DataSpec(str(functions), max_code_chars=100, max_sources=10), "code", "id")
    assert [s.id for _, s in pairs_only] == ["0", "1", "2"] and loaded.skipped == {"code longer than 100 characters": 3}
