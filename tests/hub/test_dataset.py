"""The datasets builder of sources and follow-ups, and the Hub dataset folder it writes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import datasets
from datasets.info import DatasetInfosDict
import pytest
import yaml

from metacompress_eval.cli import main
from metacompress_eval.hub import dataset as mcds
from tests.conftest import write_jsonl

REPO = Path(__file__).resolve().parents[2]

JAVA = [
    """int sum(int[] values) {
    int total = 0;
    for (int i = 0; i < values.length; i++) {
        total += values[i];
    }
    return total;
}""",
    """int total(int[] xs) {
    int acc = 0;
    int k = 0;
    while (k < xs.length) {
        acc = acc + xs[k];
        k++;
    }
    return acc;
}""",
    """boolean isEmpty(String text) {
    if (text == null) {
        return true;
    } else {
        return text.length() == 0;
    }
}""",
    """int max(int a, int b) {
    int result = a;
    if (b > a) {
        result = b;
    }
    return result;
}""",
]


def card_meta(folder: Path) -> dict:
    return yaml.safe_load((folder / "README.md").read_text().split("---\n")[1])


def check_card_matches_the_data(out: Path, cache: Path) -> dict[str, datasets.Dataset]:
    """Every config of the card loads as the card says (load_dataset(DIR, config, split=...)), with the
    features its dataset_info declares under that config's real name."""
    from huggingface_hub import DatasetCard

    meta = card_meta(out)
    configs = {c["config_name"]: c for c in meta["configs"]}
    infos = DatasetInfosDict.from_dataset_card_data(DatasetCard.load(out / "README.md").data)
    assert set(infos) == set(configs), "dataset_info must be attached to the configs that exist"
    loaded = {}
    for name, config in configs.items():
        (split,) = {f["split"] for f in config["data_files"]}
        assert split == mcds.SPLIT
        ds = datasets.load_dataset(str(out), name, split=split, cache_dir=str(cache))
        assert ds.features == infos[name].features
        assert infos[name].splits[split].num_examples == len(ds)
        loaded[name] = ds
    # The card's load_dataset instruction names a config that exists and the split the configs declare.
    card = (out / "README.md").read_text()
    (named,) = re.findall(rf'load_dataset\("[^"]+", "([^"]+)", split="{mcds.SPLIT}"\)', card)
    assert named in configs
    return loaded


def test_builder_configs_are_families_plus_all():
    names = mcds.config_names()
    assert names[-1] == "all" and {"renaming", "insertion", "control_flow"} <= set(names)
    assert [c.name for c in mcds.MetaCompressFollowUps.BUILDER_CONFIGS] == names


def test_builder_programmatic(hub_data, tmp_path):
    builder = mcds.MetaCompressFollowUps(config_name="renaming", data=str(hub_data), language="c",
                                         label_names=("safe", "defective"), cache_dir=str(tmp_path / "cache"))
    builder.download_and_prepare(output_dir=str(tmp_path / "prep"), file_format="parquet")
    assert builder.info.features == mcds.features(False, ("safe", "defective"))
    assert list((tmp_path / "prep").glob("*.parquet"))


def test_cli_writes_a_dataset_that_loads_by_config(hub_data, tiny_models, tmp_path, capsys):
    out = tmp_path / "ds"
    assert main(["dataset", "--data", str(hub_data), "--language", "c", "--out", str(out),
                 "--config", "renaming", "--labels-from", str(tiny_models["teacher"])]) == 0
    assert main(["dataset", "--data", str(hub_data), "--language", "c", "--out", str(out),
                 "--labels-from", str(tiny_models["teacher"])]) == 0
    loaded = check_card_matches_the_data(out, tmp_path / "hfcache")
    assert set(loaded) == {"renaming", "all"}
    for config, ds in loaded.items():
        label = ds.features["label"]
        assert isinstance(label, datasets.ClassLabel) and label.names == ["safe", "defective"]  # the models'
        sources = [r for r in ds if r["kind"] == "source"]
        follow = [r for r in ds if r["kind"] == "follow_up"]
        assert len(sources) == 12 and follow
        by_id = {r["id"]: r for r in sources}
        for r in sources:
            prov = json.loads(r["provenance"])  # valid JSON for every row, sources included
            assert prov["kind"] == "source" and prov["data"] == hub_data.name and len(prov["data_sha256"]) == 64
        for r in follow:
            assert r["source_id"] in by_id and r["code"] != by_id[r["source_id"]]["code"]
            assert r["label"] == by_id[r["source_id"]]["label"]
            prov = json.loads(r["provenance"])
            assert prov["transformation"] == r["transformation"] and prov["sites"]
        if config == "renaming":
            assert {r["family"] for r in follow} == {"renaming"}
    card = (out / "README.md").read_text()
    assert "## Generation settings" in card and "| seed | 0 |" in card and "| language | c |" in card
    assert str(tmp_path) not in card  # the source data by file name only
    printed = capsys.readouterr().out
    assert "renaming" in printed and f'split="{mcds.SPLIT}"' in printed


def test_clone_pairs_by_function_ids(tmp_path):
    """BigCloneBench-style pairs: two code columns, labels 0/1, a follow-up changes one side or both."""
    functions = write_jsonl(tmp_path / "functions.jsonl", [{"id": f"m{i}", "code": c} for i, c in enumerate(JAVA)])
    pairs = write_jsonl(tmp_path / "pairs.jsonl", [
        {"id1": "m0", "id2": "m1", "label": 1, "split": "test"}, {"id1": "m2", "id2": "m3", "label": 0, "split": "test"},
        {"id1": "m0", "id2": "m3", "label": 0, "split": "train"}])
    out = tmp_path / "ds"
    assert main(["dataset", "--task", "clone", "--data", str(pairs), "--pair-ids", "id1,id2", "--functions",
                 str(functions), "--where", "split=test", "--label-names", "not_clone,clone", "--out", str(out),
                 "--config", "*"]) == 0
    loaded = check_card_matches_the_data(out, tmp_path / "hfcache")
    ds = loaded["all"]
    assert {"code1", "code2"} <= set(ds.column_names) and "code" not in ds.column_names
    assert ds.features["label"].names == ["not_clone", "clone"]
    sources = {r["id"]: r for r in ds if r["kind"] == "source"}
    assert len(sources) == 2  # --where split=test
    follow = [r for r in ds if r["kind"] == "follow_up"]
    assert follow
    for r in follow:
        src = sources[r["source_id"]]
        prov = json.loads(r["provenance"])
        changed = [side for side in ("code1", "code2") if r[side] != src[side]]
        assert changed and all(prov[side] is not None for side in changed)
        assert all(prov[side] is None for side in ("code1", "code2") if side not in changed)
    meta = card_meta(out)
    assert {c["config_name"] for c in meta["configs"]} == set(mcds.config_names())


def test_unlabelled_data_has_no_label_column(hub_data, tmp_path):
    out = tmp_path / "ds"
    assert main(["dataset", "--data", str(hub_data), "--language", "c", "--out", str(out), "--unlabelled",
                 "--config", "insertion"]) == 0
    ds = check_card_matches_the_data(out, tmp_path / "hfcache")["insertion"]
    assert "label" not in ds.column_names


def test_labels_without_names_use_the_data_values(tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", [{"id": str(i), "code": "int f(int x) { int y = x; return y; }",
                                               "label": i % 3} for i in range(3)])
    out = tmp_path / "ds"
    assert main(["dataset", "--data", str(data), "--language", "c", "--out", str(out), "--config", "renaming"]) == 0
    ds = check_card_matches_the_data(out, tmp_path / "hfcache")["renaming"]
    assert ds.features["label"].names == ["0", "1", "2"]


def test_readme_instructions_match_the_card(hub_data, tmp_path):
    """The project README's load_dataset lines use a config and the split the cards declare."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("**Dataset of follow-ups.**"):]
    section = section[:section.index("\n\n**")]
    calls = re.findall(r"load_dataset\(([^)]*)\)", section)
    assert calls
    for call in calls:
        assert f'split="{mcds.SPLIT}"' in call and '"parquet"' not in call


def test_unknown_config_is_a_user_error(hub_data, tmp_path, capsys):
    assert main(["dataset", "--data", str(hub_data), "--language", "c", "--out", str(tmp_path / "x"),
                 "--config", "nope"]) == 2
    assert "unknown configuration" in capsys.readouterr().err


def test_push_uploads_the_folder_and_fails_in_one_line(hub_data, tmp_path, monkeypatch, capsys):
    """Against the local fake Hub: the folder goes up in one commit; a refused upload ends, like
    card --push, in one line on stderr with exit status 2 and no token, keeping what was written."""
    from huggingface_hub import constants

    from tests.hub.fake_hub import FakeHub

    token = "hf_SecretTokenForTests0123456789abcdef"
    out = tmp_path / "ds"
    with FakeHub() as hub:
        monkeypatch.setattr(constants, "ENDPOINT", hub.url)
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setenv("HF_TOKEN", token)
        monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
        assert main(["dataset", "--data", str(hub_data), "--language", "c", "--out", str(out),
                     "--config", "renaming", "--push", "alice/follow-ups"]) == 0
        (commit,) = hub.commits
        assert commit["repo"] == "alice/follow-ups"
        assert {"README.md", "renaming/test-00000-of-00001.parquet"} <= set(commit["files"])
        assert not any(name.startswith(".") for name in commit["files"])  # settings and caches stay local
        capsys.readouterr()
        code = main(["dataset", "--data", str(hub_data), "--language", "c", "--out", str(out),
                     "--config", "renaming", "--push", "bad/../repo"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("metacompress: error: upload to bad/../repo failed") and len(err.strip().splitlines()) == 1
    assert token not in err
    assert (out / "renaming" / "test-00000-of-00001.parquet").is_file()  # nothing written is lost


# --------------------------------------------------------------------------------------------
# The data's own split column decides the published split; names reach the card as text
# --------------------------------------------------------------------------------------------

C_CODE = "int f(int x) { int y = x; return y; }"


@pytest.mark.parametrize("splits, where, expected", [
    (["train", "train", "train"], None, "train"),
    (["validation"] * 3, None, "validation"),
    (["train", "test", "train", "valid"], "split=test", "test"),
    (["train", "test", "train", "valid"], "split=train", "train"),
    ([None, None, None], None, "test"),
])
def test_rows_are_published_under_their_own_split(tmp_path, capsys, splits, where, expected):
    rows = [{"id": str(i), "code": C_CODE, "label": i % 2, **({"split": s} if s else {})} for i, s in enumerate(splits)]
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    out = tmp_path / "ds"
    assert main(["dataset", "--data", str(data), "--language", "c", "--out", str(out), "--config", "renaming",
                 *(["--where", where] if where else [])]) == 0
    assert f'split="{expected}"' in capsys.readouterr().out
    (config,) = card_meta(out)["configs"]
    assert [f["split"] for f in config["data_files"]] == [expected]
    ds = mcds.load_written(out, "renaming")
    assert len(ds.filter(lambda r: r["kind"] == "source")) == sum(1 for s in splits if not where or
                                                                   f"split={s}" == where)
    assert f'load_dataset("<user>/<this-dataset>", "renaming", split="{expected}")' in (out / "README.md").read_text()


def test_several_splits_in_the_data_are_refused_in_one_line(tmp_path, capsys):
    """Generated mixes of split values: rows of several splits are never published as one; the message names
    the splits with their counts and the --where that picks one; nothing is written."""
    import random

    rng = random.Random(11)
    for trial in range(6):
        values = rng.sample(["train", "test", "valid", "dev", "validation"], rng.randint(2, 3))
        splits = [rng.choice(values) for _ in range(6)] + values  # every value present
        if trial % 3 == 2:
            splits[0] = None  # some rows without a split
        rows = [{"id": str(i), "code": C_CODE, "label": i % 2, **({"split": s} if s else {})}
                for i, s in enumerate(splits)]
        data = write_jsonl(tmp_path / f"d{trial}.jsonl", rows)
        out = tmp_path / f"ds{trial}"
        assert main(["dataset", "--data", str(data), "--language", "c", "--out", str(out),
                     "--config", "renaming"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "--where split=" in err, err
        if None not in splits:
            assert all(f"{v} (" in err for v in values), err
        assert not out.exists()


def test_names_from_the_data_reach_the_dataset_card_as_text(tmp_path):
    """A hostile data file name, --where value and class names: the card has no HTML, image or link of theirs,
    its tables keep their cells, and the regenerate command quotes them for the shell."""
    import shlex

    from markdown_it import MarkdownIt

    name = 'x<img src="http:__e.org_t.png">![t](http:__e.org_i.png)`a|b.jsonl'
    data = write_jsonl(tmp_path / name, [{"id": str(i), "code": C_CODE, "label": i % 2, "lang": "<b>c|d</b>"}
                                          for i in range(2)])
    out = tmp_path / "ds"
    assert main(["dataset", "--data", str(data), "--language", "c", "--out", str(out), "--config", "renaming",
                 "--where", "lang=<b>c|d</b>", "--label-names", "<i>safe</i>,![x](http://e.org/x.png)"]) == 0
    body = (out / "README.md").read_text().split("\n---\n", 1)[1]
    md = MarkdownIt("commonmark").enable("table")
    tokens = [t for block in md.parse(body) for t in [block, *(block.children or [])]]
    assert not [t for t in tokens if t.type in ("html_inline", "html_block", "image")]
    assert {t.attrs.get("href") for t in tokens if t.type == "link_open"} <= {mcds.HOMEPAGE}
    for line in body.splitlines():
        if line.startswith("| source data |") or line.startswith("| rows |"):
            assert len(line.replace("\\|", "").split("|")) == 4, line
    command = next(line for line in body.splitlines() if line.startswith("Regenerate with"))
    code = [t.content for t in tokens if t.type == "code_inline" and t.content.startswith("metacompress dataset")]
    assert len(code) == 1 and command
    argv = shlex.split(code[0])
    assert argv[argv.index("--data") + 1] == name and "lang=<b>c|d</b>" in argv
