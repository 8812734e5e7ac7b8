"""A ``datasets`` builder for source inputs and their follow-ups, with provenance.

:class:`MetaCompressFollowUps` is a :class:`datasets.GeneratorBasedBuilder` with one configuration
per transformation family (``renaming``, ``insertion``, ``control_flow``, ... as registered in
:mod:`metacompress_eval.transforms`) plus ``all``. Each example is either a source row
(``kind == "source"``, ``transformation == ""``) or a follow-up derived from it, carrying the
transformation, its family and its provenance (edit sites, parameters, seed) as JSON.

datasets ≥ 4 has no loading scripts, so the builder is used directly::

    builder = MetaCompressFollowUps(config_name="renaming", data="in.jsonl", language="c")
    builder.download_and_prepare(output_dir="out/renaming", file_format="parquet")

:func:`write_dataset` does that and lays the result out as a Hub dataset repository
(``<config>/test-00000-of-00001.parquet`` and a ``README.md`` card whose YAML lists the
configurations and records the generation settings), which ``load_dataset("parquet", ...)`` reads
back with the same features and :func:`push_dataset` uploads.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets

from .. import HOMEPAGE, __version__
from ..errors import MetaCompressError

ALL = "all"
SPLIT = "test"
BUILDER_NAME = "metacompress_follow_ups"

FEATURES = datasets.Features({
    "id": datasets.Value("string"),
    "source_id": datasets.Value("string"),
    "kind": datasets.Value("string"),  # "source" or "follow_up"
    "transformation": datasets.Value("string"),  # "" for sources
    "family": datasets.Value("string"),  # "" for sources
    "code": datasets.Value("string"),
    "label": datasets.Value("int64"),  # null when the data are unlabelled
    # JSON text rather than a struct: provenance records differ between transformations (sites,
    # parameters), and one fixed Arrow schema for every configuration keeps the parquet files uniform.
    "provenance": datasets.Value("string"),
})


def families() -> dict[str, list[str]]:
    """Transformation family → registered transformation names (sorted)."""
    from ..transforms import list_transformations

    out: dict[str, list[str]] = {}
    for t in list_transformations():
        out.setdefault(t.family or "other", []).append(t.name)
    return {k: sorted(v) for k, v in sorted(out.items())}


def config_names() -> list[str]:
    """The builder's configuration names: every family, then ``all``."""
    return [*families(), ALL]


@dataclass
class FollowUpsConfig(datasets.BuilderConfig):
    """A configuration: which family of transformations, on which data, with which settings.

    Attributes:
        data: path of the source table (JSONL, JSON, CSV/TSV, parquet; see ``metacompress_eval.data``).
        language: code language of the data (``c``, ``java``, ``python``, ...).
        transforms: transformation names; default: the configuration's family (all for ``all``),
            restricted to those supporting ``language``.
        seed: run seed (follow-ups depend only on it, the source id and the transformation).
        code_column, id_column, label_column: columns of the source table.
    """

    data: str | None = None
    language: str = "c"
    transforms: tuple[str, ...] | None = None
    seed: int = 0
    code_column: str = "code"
    id_column: str = "id"
    label_column: str | None = "label"
    summary: dict[str, Any] = field(default_factory=dict)


def _builder_configs() -> list[FollowUpsConfig]:
    fams = families()
    configs = [FollowUpsConfig(name=name, description=f"follow-ups from the {name} family: {', '.join(names)}")
               for name, names in fams.items()]
    configs.append(FollowUpsConfig(name=ALL, description="follow-ups from every registered transformation"))
    return configs


class MetaCompressFollowUps(datasets.GeneratorBasedBuilder):
    """Source inputs and their semantics-preserving follow-ups, with provenance (one config per family)."""

    BUILDER_CONFIG_CLASS = FollowUpsConfig
    BUILDER_CONFIGS = _builder_configs()
    DEFAULT_CONFIG_NAME = ALL
    VERSION = datasets.Version("1.0.0")

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("dataset_name", BUILDER_NAME)
        super().__init__(*args, **kwargs)
        if not self.config.data:
            raise MetaCompressError("the follow-ups builder needs data=PATH (a table of source functions)")
        self.config.data = str(self.config.data)

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(
            description="Source functions and follow-up inputs made by semantics-preserving transformations "
                        "(MetaCompress Eval), with provenance.",
            features=FEATURES,
            homepage=HOMEPAGE,
            license="apache-2.0",
        )

    def transform_names(self) -> list[str]:
        """The transformations this configuration applies (supporting the configured language)."""
        from ..transforms import get_transformation, list_transformations

        if self.config.transforms:
            names = list(self.config.transforms)
            for name in names:
                get_transformation(name)  # unknown names fail here with the list of known ones
        else:
            names = [t.name for t in list_transformations(self.config.language)
                     if self.config.name == ALL or (t.family or "other") == self.config.name]
        return names

    def _split_generators(self, dl_manager):
        if not Path(self.config.data).is_file():
            raise MetaCompressError(f"data file not found: {self.config.data}")
        return [datasets.SplitGenerator(name=datasets.Split(SPLIT), gen_kwargs={"path": self.config.data})]

    def _generate_examples(self, path: str):
        from ..data import DataSpec, load_code_sources
        from ..follow_ups import build_follow_ups
        from ..transforms import get_transformation

        cfg = self.config
        pairs, loaded = load_code_sources(DataSpec(path), cfg.code_column, cfg.id_column)
        sources = [source for _, source in pairs]
        labels = {}
        for row, source in pairs:
            label = row.get(cfg.label_column) if cfg.label_column else None
            labels[source.id] = int(label) if isinstance(label, (int, float)) and not isinstance(label, bool) else None
        names = self.transform_names()
        result = build_follow_ups(sources, cfg.language, names, seed=cfg.seed)
        # Kept on the config so write_dataset can put the outcome counts into the dataset card.
        cfg.summary = {"sources": len(sources), "follow_ups": len(result.items), "transforms": names,
                       "skipped": dict(loaded.skipped), "transformations": result.summary()}
        for s in sources:
            yield s.id, {"id": s.id, "source_id": s.id, "kind": "source", "transformation": "", "family": "",
                         "code": s.inputs[0], "label": labels.get(s.id), "provenance": ""}
        for f in result.items:
            key = f"{f.source_id}::{f.transformation}"
            yield key, {"id": key, "source_id": f.source_id, "kind": "follow_up",
                        "transformation": f.transformation, "family": get_transformation(f.transformation).family,
                        "code": f.inputs[0], "label": labels.get(f.source_id),
                        "provenance": json.dumps(f.provenance[0], sort_keys=True)}


# --------------------------------------------------------------------------------------------
# Writing a Hub-ready dataset folder
# --------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build(config: str, data: str | os.PathLike, language: str, *, seed: int = 0,
          transforms: tuple[str, ...] | None = None, out_dir: str | os.PathLike, **columns: Any) -> tuple[Path, dict]:
    """Run the builder for one configuration; write ``out_dir/<config>/test-00000-of-00001.parquet``.

    Returns the parquet path and the generation summary (counts per transformation).
    """
    if config not in config_names():
        raise MetaCompressError(f"unknown configuration {config!r}; choose one of: {', '.join(config_names())}")
    target = Path(out_dir) / config
    with tempfile.TemporaryDirectory(prefix="mc-dataset-") as tmp:
        builder = MetaCompressFollowUps(config_name=config, data=str(data), language=language, seed=seed,
                                        transforms=tuple(transforms) if transforms else None,
                                        cache_dir=os.path.join(tmp, "cache"), **columns)
        prepared = Path(tmp) / "prepared"
        builder.download_and_prepare(output_dir=str(prepared), file_format="parquet")
        produced = sorted(prepared.glob(f"*-{SPLIT}*.parquet"))
        if len(produced) != 1:  # pragma: no cover - only with datasets sharding a tiny table
            raise MetaCompressError(f"expected one parquet file, got {[p.name for p in produced]}")
        target.mkdir(parents=True, exist_ok=True)
        out = target / f"{SPLIT}-00000-of-00001.parquet"
        shutil.move(str(produced[0]), out)
        summary = dict(builder.config.summary)
    return out, summary


def write_dataset(data: str | os.PathLike, language: str, out_dir: str | os.PathLike, *, config: str = ALL,
                  seed: int = 0, transforms: tuple[str, ...] | None = None, **columns: Any) -> dict[str, Any]:
    """Build ``config`` (a family name, ``all``, or ``"*"`` for every configuration) into ``out_dir``.

    Writes one folder of parquet per configuration and a dataset card ``README.md`` (YAML ``configs``
    for the Hub, generation settings, counts). Configurations already in ``out_dir`` from an earlier
    call with the same settings stay listed in the card. Returns the card's settings dict.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    wanted = config_names() if config == "*" else [config]
    settings_path = out / ".metacompress-dataset.json"
    previous = json.loads(settings_path.read_text()) if settings_path.is_file() else {}
    settings = {
        "tool": f"metacompress-eval {__version__}",
        "data": {"file": Path(data).name, "sha256": _sha256(Path(data))},
        "language": language,
        "seed": seed,
        "transforms": list(transforms) if transforms else None,
        "columns": columns,
        "configs": {},
    }
    same_run = {k: v for k, v in previous.items() if k != "configs"} == {k: v for k, v in settings.items()
                                                                         if k != "configs"}
    if same_run:
        settings["configs"] = previous.get("configs", {})
    for name in wanted:
        path, summary = build(name, data, language, seed=seed, transforms=transforms, out_dir=out, **columns)
        settings["configs"][name] = {"path": f"{name}/{path.name}", **summary}
    settings_path.write_text(json.dumps(settings, indent=2, sort_keys=True))
    (out / "README.md").write_text(dataset_card(settings), encoding="utf-8")
    return settings


def dataset_card(settings: dict[str, Any]) -> str:
    """The dataset card: Hub YAML (configurations, features) and the generation settings."""
    configs = settings["configs"]
    names = sorted(configs, key=lambda n: (n == ALL, n))
    yaml_lines = ["---", "license: apache-2.0", "task_categories:", "- text-classification",
                  "tags:", "- code", "- metamorphic-testing", "- knowledge-distillation", "- metacompress",
                  "configs:"]
    for name in names:
        yaml_lines += [f"- config_name: {name}", "  data_files:", f"  - split: {SPLIT}",
                       f"    path: {configs[name]['path']}"]
        if name == ALL:
            yaml_lines.append("  default: true")
    yaml_lines += ["dataset_info:", "  features:"]
    for fname, feat in FEATURES.items():
        yaml_lines += [f"  - name: {fname}", f"    dtype: {feat.dtype}"]
    yaml_lines.append("---")

    body = ["", "# MetaCompress follow-up inputs", "",
            "Source functions and the follow-up inputs derived from them by semantics-preserving "
            f"transformations, made with [MetaCompress Eval]({HOMEPAGE}) "
            "to test whether a distilled student model behaves like its teacher.", "",
            "Each row is a source (`kind = source`, empty `transformation`) or a follow-up of the source "
            "`source_id`, with the `transformation`, its `family` and its `provenance` (JSON: edit sites, "
            "parameters, seed). `label` is the source's gold label (null when unlabelled).", "",
            "```python", "from datasets import load_dataset",
            f"ds = load_dataset(\"<user>/<this-dataset>\", \"{ALL}\", split=\"{SPLIT}\")", "```", "",
            "## Generation settings", "",
            "| setting | value |", "|---|---|",
            f"| tool | {settings['tool']} |",
            f"| source data | `{settings['data']['file']}` (sha256 `{settings['data']['sha256'][:16]}…`) |",
            f"| language | {settings['language']} |",
            f"| seed | {settings['seed']} |",
            f"| transformations requested | {', '.join(settings['transforms']) if settings['transforms'] else 'per configuration (family)'} |",
            "", "Regenerate with `metacompress dataset --data FILE --language "
            f"{settings['language']} --seed {settings['seed']} --out DIR --config NAME`.", "",
            "## Configurations", "",
            "| config | sources | follow-ups | transformations (applied / not applicable / rejected) |",
            "|---|---|---|---|"]
    for name in names:
        c = configs[name]
        per = "; ".join(f"{t}: {v['applied']}/{v['not_applicable']}/{v['rejected']}"
                        for t, v in sorted(c["transformations"].items())) or "none"
        body.append(f"| {name} | {c['sources']} | {c['follow_ups']} | {per} |")
    return "\n".join(yaml_lines + body) + "\n"


def load_written(out_dir: str | os.PathLike, config: str = ALL) -> datasets.Dataset:
    """Read a configuration written by :func:`write_dataset` back (``load_dataset("parquet", ...)``)."""
    path = Path(out_dir) / config / f"{SPLIT}-00000-of-00001.parquet"
    if not path.is_file():
        raise MetaCompressError(f"no {config!r} configuration in {out_dir}")
    return datasets.load_dataset("parquet", data_files={SPLIT: str(path)}, split=SPLIT,
                                 cache_dir=str(Path(out_dir) / ".cache"))


def push_dataset(out_dir: str | os.PathLike, repo_id: str, *, token: str | None = None, private: bool = False,
                 create_pr: bool = False) -> str:
    """Upload a folder written by :func:`write_dataset` to a Hub dataset repository; return the commit URL."""
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    info = api.upload_folder(folder_path=str(out_dir), repo_id=repo_id, repo_type="dataset", create_pr=create_pr,
                             commit_message="Add MetaCompress follow-up inputs",
                             ignore_patterns=[".cache/**", ".metacompress-dataset.json"])
    return str(getattr(info, "commit_url", info))
