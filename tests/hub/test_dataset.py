"""The datasets builder of sources and follow-ups."""

from __future__ import annotations

import json

import datasets
import yaml

from metacompress_eval.cli import main
from metacompress_eval.hub import dataset as mcds


def test_builder_configs_are_families_plus_all():
    names = mcds.config_names()
    assert names[-1] == "all" and {"renaming", "insertion", "control_flow"} <= set(names)
    assert [c.name for c in mcds.MetaCompressFollowUps.BUILDER_CONFIGS] == names


def test_builder_programmatic(hub_data, tmp_path):
    builder = mcds.MetaCompressFollowUps(config_name="renaming", data=str(hub_data), language="c",
                                         cache_dir=str(tmp_path / "cache"))
    builder.download_and_prepare(output_dir=str(tmp_path / "prep"), file_format="parquet")
    assert builder.info.features == mcds.FEATURES
    assert list((tmp_path / "prep").glob("*.parquet"))


def test_cli_writes_parquet_that_loads_back(hub_data, tmp_path, capsys):
    out = tmp_path / "ds"
    assert main(["dataset", "--data", str(hub_data), "--language", "c", "--out", str(out),
                 "--config", "renaming"]) == 0
    assert main(["dataset", "--data", str(hub_data), "--language", "c", "--out", str(out)]) == 0
    for config in ("renaming", "all"):
        path = out / config / "test-00000-of-00001.parquet"
        ds = datasets.load_dataset("parquet", data_files={"test": str(path)}, split="test",
                                   cache_dir=str(tmp_path / "hfcache"))
        assert ds.features == mcds.FEATURES
        sources = [r for r in ds if r["kind"] == "source"]
        follow = [r for r in ds if r["kind"] == "follow_up"]
        assert len(sources) == 12 and follow
        by_id = {r["id"]: r for r in sources}
        for r in follow:
            assert r["source_id"] in by_id and r["code"] != by_id[r["source_id"]]["code"]
            assert r["label"] == by_id[r["source_id"]]["label"]
            prov = json.loads(r["provenance"])
            assert prov["transformation"] == r["transformation"] and prov["sites"]
        if config == "renaming":
            assert {r["family"] for r in follow} == {"renaming"}
    card = (out / "README.md").read_text()
    meta = yaml.safe_load(card.split("---\n")[1])
    assert {c["config_name"] for c in meta["configs"]} == {"renaming", "all"}
    assert "## Generation settings" in card and "| seed | 0 |" in card and "| language | c |" in card
    assert "renaming" in capsys.readouterr().out


def test_unknown_config_is_a_user_error(hub_data, tmp_path, capsys):
    assert main(["dataset", "--data", str(hub_data), "--language", "c", "--out", str(tmp_path / "x"),
                 "--config", "nope"]) == 2
    assert "unknown configuration" in capsys.readouterr().err
