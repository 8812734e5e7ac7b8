"""A ``datasets`` builder for source inputs and their follow-ups, with provenance.

:class:`MetaCompressFollowUps` is a :class:`datasets.GeneratorBasedBuilder` with one configuration
per transformation family (``renaming``, ``insertion``, ``control_flow``, ... as registered in
:mod:`metacompress_eval.transforms`) plus ``all``. Each example is either a source row
(``kind == "source"``, ``transformation == ""``) or a follow-up derived from it, carrying the
transformation, its family and its provenance as JSON: for a follow-up the edit sites, parameters
and seed (per side for a pair), for a source where it came from (data file and its SHA-256, id).

Sources are read like every other command reads them (:func:`metacompress_eval.data.load_sources`
with a task): one code column (``code``) or a pair (``code1``, ``code2``, e.g. BigCloneBench pairs
given by function ids); labels become a ``ClassLabel`` whose names are the models' (``label_names``,
e.g. read from a model's ``config.json``), so a labelled follow-up dataset loads with the classes the
evaluated models use.

datasets ≥ 4 has no loading scripts, so the builder is used directly::

    builder = MetaCompressFollowUps(config_name="renaming", data="in.jsonl", language="c")
    builder.download_and_prepare(output_dir="out/renaming", file_format="parquet")

:func:`write_dataset` does that and lays the result out as a Hub dataset repository
(``<config>/test-00000-of-00001.parquet`` and a ``README.md`` dataset card, from the repository's
``cards/dataset_card.md``, whose YAML lists the configurations with their data files and their
``dataset_info``), which ``load_dataset(DIR, "<config>", split="test")`` reads back with the same
features and :func:`push_dataset` uploads.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shlex
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import datasets
from datasets.info import DatasetInfosDict

from .. import HOMEPAGE, __version__
from ..errors import MetaCompressError
from ..markup import markdown_code, markdown_literal

ALL = "all"
#: The split rows are published as when the data names none (no ``split`` column, no ``--split``):
#: follow-up inputs are evaluation inputs.
SPLIT = "test"
#: The column whose value says which split a row belongs to (BigCloneBench's pairs.jsonl has one).
SPLIT_COLUMN = "split"
BUILDER_NAME = "metacompress_follow_ups"
#: The columns of every configuration, in order; ``code`` is ``code1``/``code2`` for pairs and
#: ``label`` is present for labelled data.
BASE_COLUMNS = ("id", "source_id", "kind", "transformation", "family")


def features(pair: bool = False, label_names: Sequence[str] | None = None) -> datasets.Features:
    """The features of a configuration: one code column or a pair, and a ``ClassLabel`` when labelled."""
    columns: dict[str, Any] = {name: datasets.Value("string") for name in BASE_COLUMNS}
    # kind: "source" or "follow_up"; transformation and family: "" for sources.
    for name in (("code1", "code2") if pair else ("code",)):
        columns[name] = datasets.Value("string")
    if label_names is not None:
        columns["label"] = datasets.ClassLabel(names=list(label_names))
    # JSON text rather than a struct: provenance records differ between transformations (sites,
    # parameters), and one fixed Arrow schema for every configuration keeps the parquet files uniform.
    columns["provenance"] = datasets.Value("string")
    return datasets.Features(columns)


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
        data: the source table (JSONL, JSON, CSV/TSV, parquet, a ``save_to_disk`` folder; see
            :mod:`metacompress_eval.data`).
        task: ``defect`` (one code column), ``clone`` (a pair) or ``classification``.
        language: code language (default: the task's: defect → c, clone → java).
        transforms: transformation names; default: the configuration's family (all for ``all``),
            restricted to those supporting ``language``.
        seed: run seed (follow-ups depend only on it, the source id and the transformation).
        code_columns, id_column, label_column: columns of the source table (``label_column=""``:
            unlabelled, no ``label`` feature; ``None`` cannot say it, since datasets ignores ``None``
            when it overrides a predefined configuration's field).
        label_names: the class names of the ``label`` feature, in index order (the models'); labels
            in the data may be indices or these names.
        split, where, pair_ids, functions, max_sources, max_code_chars: which rows, as for
            ``metacompress evaluate`` (:class:`metacompress_eval.data.DataSpec`).
        publish_split: the split the rows are published as; default :func:`published_split` (the
            rows' own split).
    """

    data: str | None = None
    task: str = "defect"
    language: str | None = ""
    transforms: tuple[str, ...] | None = None
    seed: int = 0
    code_columns: tuple[str, ...] | None = None
    id_column: str | None = "id"
    label_column: str | None = "label"
    label_names: tuple[str, ...] | None = None
    split: str | None = None
    where: tuple[tuple[str, str], ...] = ()
    pair_ids: tuple[str, str] | None = None
    functions: str | None = None
    max_sources: int | None = None
    max_code_chars: int | None = None
    publish_split: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)


def _data_spec(cfg: FollowUpsConfig):
    from ..data import DEFAULT_MAX_CODE_CHARS, DataSpec

    return DataSpec(cfg.data, split=cfg.split, where=dict(cfg.where), pair_ids=cfg.pair_ids,
                    functions=cfg.functions, max_code_chars=cfg.max_code_chars or DEFAULT_MAX_CODE_CHARS,
                    max_sources=cfg.max_sources)


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
        if not kwargs.get("data"):
            raise MetaCompressError("the follow-ups builder needs data=PATH (a table of source functions)")
        kwargs["data"] = str(kwargs["data"])
        fields = {f.name for f in dataclasses.fields(FollowUpsConfig)}
        probe = FollowUpsConfig(name="probe", **{k: v for k, v in kwargs.items() if k in fields and k != "name"})
        if kwargs.get("label_column", "label") and kwargs.get("label_names") is None:
            # Before the base class computes the features: the label names are part of them.
            kwargs["label_names"] = tuple(infer_label_names(_data_spec(probe), probe.label_column))
        if not kwargs.get("publish_split"):
            kwargs["publish_split"] = published_split(_data_spec(probe))
        super().__init__(*args, **kwargs)

    @property
    def task(self):
        """The :class:`~metacompress_eval.tasks.TaskSpec` of the configuration."""
        from ..tasks import get_task

        cfg = self.config
        return get_task(cfg.task, code_columns=cfg.code_columns, label_column=cfg.label_column or None,
                        id_column=cfg.id_column, language=cfg.language)

    def spec(self):
        """Where the sources come from (:class:`~metacompress_eval.data.DataSpec`)."""
        return _data_spec(self.config)

    def _info(self) -> datasets.DatasetInfo:
        labelled = bool(self.config.label_column)
        return datasets.DatasetInfo(
            description="Source functions and follow-up inputs made by semantics-preserving transformations "
                        "(MetaCompress Eval), with provenance.",
            features=features(self.task.is_pair, self.config.label_names if labelled else None),
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
            names = [t.name for t in list_transformations(self.task.language)
                     if self.config.name == ALL or (t.family or "other") == self.config.name]
        return names

    def _split_generators(self, dl_manager):
        return [datasets.SplitGenerator(name=datasets.Split(self.config.publish_split or SPLIT), gen_kwargs={})]

    def _generate_examples(self):
        from ..data import load_sources
        from ..follow_ups import build_follow_ups, language_warning
        from ..transforms import get_transformation

        cfg, task = self.config, self.task
        loaded = load_sources(self.spec(), task, list(cfg.label_names or ()))
        sources = loaded.sources
        names = self.transform_names()
        result = build_follow_ups(sources, task.language, names, seed=cfg.seed)
        # Kept on the config so write_dataset can put the outcome counts into the dataset card.
        cfg.summary = {"sources": len(sources), "follow_ups": len(result.items), "transforms": names,
                       "skipped": dict(loaded.skipped), "transformations": result.summary()}
        if loaded.skipped:
            cfg.summary["skipped_examples"] = loaded.skipped_examples
        warning = language_warning(sources, task.language, result)  # counted while making the follow-ups
        if warning:
            cfg.summary["warnings"] = [warning]
        columns = ("code1", "code2") if task.is_pair else ("code",)
        origin = _origin(cfg.data)

        def row(key, source_id, kind, transformation, codes, label, provenance):
            out = {"id": key, "source_id": source_id, "kind": kind, "transformation": transformation,
                   "family": get_transformation(transformation).family if transformation else "",
                   **dict(zip(columns, codes)), "provenance": json.dumps(provenance, sort_keys=True)}
            if task.label_column:
                out["label"] = label
            return out

        labels = {s.id: s.label for s in sources}
        for s in sources:
            yield s.id, row(s.id, s.id, "source", "", s.inputs, s.label,
                            {"kind": "source", "id": s.id, **origin})
        for f in result.items:
            key = f"{f.source_id}::{f.transformation}"
            provenance = (f.provenance[0] if not task.is_pair
                          else {"transformation": f.transformation, **dict(zip(columns, f.provenance))})
            yield key, row(key, f.source_id, "follow_up", f.transformation, f.inputs, labels.get(f.source_id),
                           provenance)


def _origin(data: str) -> dict[str, Any]:
    """Where source rows come from, for their provenance: the data's file name and SHA-256, or its Hub id."""
    path = Path(data).expanduser()
    if path.is_file():
        return {"data": path.name, "data_sha256": _sha256(path)}
    return {"data": path.name if path.is_dir() else str(data)}


def published_split(spec) -> str:
    """The split the selected rows are published as: their own, never a made-up one.

    * ``--split`` of a folder or Hub dataset (or the split picked there: ``test``, or its only one);
    * else the value of the rows' ``split`` column, when they all share one (``--where split=train``
      publishes the ``train`` split);
    * else :data:`SPLIT` (``test``): data with no notion of splits are evaluation inputs.

    Raises:
        MetaCompressError: the rows carry several ``split`` values (train rows would be published
            beside test rows as one split), or a value the Hub cannot use as a split name.
    """
    import re
    from collections import Counter

    from ..data import load_rows

    rows, loaded = load_rows(spec)
    if loaded.split:
        name = str(loaded.split)
    else:
        counts = Counter(str(r[SPLIT_COLUMN]) for r in rows if r.get(SPLIT_COLUMN) not in (None, ""))
        if len(counts) > 1:
            found = ", ".join(f"{value} ({n} rows)" for value, n in sorted(counts.items(), key=lambda kv: -kv[1]))
            first = min(counts, key=lambda v: (v != "test", v))
            raise MetaCompressError(
                f"{Path(str(spec.path)).name} has a {SPLIT_COLUMN!r} column with several splits ({found}): a dataset "
                f"folder publishes the rows of one split under its name; choose it with --where "
                f"{SPLIT_COLUMN}={first} (and write another folder for each other split)")
        if counts and any(r.get(SPLIT_COLUMN) in (None, "") for r in rows):
            raise MetaCompressError(f"{Path(str(spec.path)).name}: some rows have a {SPLIT_COLUMN!r} value and others "
                                    f"none; choose the rows with --where {SPLIT_COLUMN}={next(iter(counts))}")
        name = next(iter(counts)) if counts else SPLIT
    if not re.fullmatch(r"\w+(\.\w+)*", name):
        raise MetaCompressError(f"split {name!r} of {Path(str(spec.path)).name} cannot name a Hub dataset split "
                                "(letters, digits, '_' and '.' only)")
    return name


def infer_label_names(spec, label_column: str) -> list[str]:
    """Class names when no model names them: the label values of the data, as text.

    Integers 0..k-1 give ``["0", ..., "k-1"]`` (index i keeps meaning class i); text labels give
    their sorted distinct values.
    """
    from ..data import load_rows

    rows, _ = load_rows(spec)
    values = {row.get(label_column) for row in rows} - {None}
    if not values:
        raise MetaCompressError(f"no labels in column {label_column!r}; use --unlabelled for data without labels")
    if all(isinstance(v, int) and not isinstance(v, bool) or (isinstance(v, str) and v.strip().isdigit())
           for v in values):
        top = max(int(v) for v in values)
        return [str(i) for i in range(top + 1)]
    return sorted(str(v) for v in values)


def model_label_names(model: str) -> list[str]:
    """The class names of a model (``id2label`` of its ``config.json``; a local folder or a Hub id)."""
    from transformers import AutoConfig

    from ..hub_client import hub_errors

    with hub_errors(f"cannot read the label names of {model!r}"):  # bounded, one line, whatever failed
        config = AutoConfig.from_pretrained(model)
    id2label = getattr(config, "id2label", None) or {}
    return [str(id2label[i]) for i in sorted(id2label)]


# --------------------------------------------------------------------------------------------
# Writing a Hub-ready dataset folder
# --------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build(config: str, out_dir: str | os.PathLike, **settings: Any) -> tuple[Path, dict, datasets.DatasetInfo]:
    """Run the builder for one configuration; write ``out_dir/<config>/<split>-00000-of-00001.parquet``.

    ``settings`` are :class:`FollowUpsConfig` fields. Returns the parquet path, the generation
    summary (counts per transformation) and the configuration's ``DatasetInfo`` (features, split sizes).
    """
    if config not in config_names():
        raise MetaCompressError(f"unknown configuration {config!r}; choose one of: {', '.join(config_names())}")
    from ..data import quiet_datasets

    target = Path(out_dir) / config
    # quiet: datasets' "Generating test split" bars say nothing the summary does not
    from ..verify.lifetime import scratch_dir

    # In the run folder: what a killed run leaves there is swept by the next command (fileio.sweep_dead_writers).
    with tempfile.TemporaryDirectory(prefix="mc-dataset-", dir=scratch_dir()) as tmp, quiet_datasets():
        try:
            return _build(config, target, tmp, settings)
        except MetaCompressError:
            raise
        except Exception as exc:  # datasets wraps what the generator raised (DatasetGenerationError)
            cause = next((c for c in _causes(exc) if isinstance(c, MetaCompressError)), None)
            if cause is not None:
                raise MetaCompressError(str(cause)) from None
            raise


def _causes(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _build(config: str, target: Path, tmp: str, settings: dict) -> tuple[Path, dict, datasets.DatasetInfo]:
    builder = MetaCompressFollowUps(config_name=config, cache_dir=os.path.join(tmp, "cache"), **settings)
    prepared = Path(tmp) / "prepared"
    builder.download_and_prepare(output_dir=str(prepared), file_format="parquet")
    split = builder.config.publish_split
    produced = sorted(prepared.glob(f"*-{split}*.parquet"))
    if len(produced) != 1:  # pragma: no cover - only with datasets sharding a tiny table
        raise MetaCompressError(f"expected one parquet file, got {[p.name for p in produced]}")
    target.mkdir(parents=True, exist_ok=True)
    out = target / f"{split}-00000-of-00001.parquet"
    shutil.move(str(produced[0]), out)
    info = builder.info
    info.download_size = out.stat().st_size
    return out, dict(builder.config.summary), info


SETTINGS_FILE = ".metacompress-dataset.json"


def write_dataset(data: str | os.PathLike, out_dir: str | os.PathLike, *, config: str = ALL,
                  **settings: Any) -> dict[str, Any]:
    """Build ``config`` (a family name, ``all``, or ``"*"`` for every configuration) into ``out_dir``.

    ``settings`` are :class:`FollowUpsConfig` fields (task, language, seed, transforms, columns,
    label names, row selection). Writes one folder of parquet per configuration and a dataset card
    ``README.md`` (YAML ``configs`` and ``dataset_info`` for the Hub, generation settings, counts).
    Configurations already in ``out_dir`` from an earlier call with the same settings stay listed
    in the card. ``out_dir`` is replaced as a whole (:class:`~metacompress_eval.outputs.OutputFolder`):
    checked before any work, and a failure leaves the earlier folder as it was. Returns the card's
    settings dict.
    """
    from ..fileio import atomic_write_text
    from ..outputs import OutputFolder, write_failed

    wanted = config_names() if config == "*" else [config]
    for name in wanted:
        if name not in config_names():
            raise MetaCompressError(f"unknown configuration {name!r}; choose one of: {', '.join(config_names())}")
    out = Path(out_dir)
    try:
        previous = json.loads((out / SETTINGS_FILE).read_text()) if (out / SETTINGS_FILE).is_file() else {}
    except (OSError, ValueError):
        previous = {}  # an unreadable settings file: nothing is kept from the earlier folder
    if not isinstance(previous, dict):
        previous = {}
    record = {
        "tool": f"metacompress-eval {__version__}",
        "data": _origin(str(data)),
        "functions": _origin(settings["functions"]) if settings.get("functions") else None,
        "settings": {k: (list(v) if isinstance(v, tuple) else v) for k, v in sorted(settings.items())
                     if k != "functions"},
        "configs": {},
    }
    # The rows' own split (checked before any work; every configuration publishes the same rows).
    fields = {f.name for f in dataclasses.fields(FollowUpsConfig)}
    record["split"] = published_split(_data_spec(FollowUpsConfig(
        name="probe", data=str(data), **{k: v for k, v in settings.items() if k in fields})))
    record = json.loads(json.dumps(record))  # the form it is stored in, so reruns compare equal
    same_run = {k: v for k, v in previous.items() if k != "configs"} == {k: v for k, v in record.items()
                                                                         if k != "configs"}
    infos = DatasetInfosDict()
    kept: dict[str, Any] = {}
    if same_run and (out / "README.md").is_file():
        from huggingface_hub import DatasetCard

        try:  # the earlier configurations' dataset_info, as the card holds it
            known = DatasetInfosDict.from_dataset_card_data(DatasetCard.load(out / "README.md").data)
        except Exception:  # noqa: BLE001 - a damaged card: the earlier configurations are rebuilt, not kept
            known = {}
        kept = {name: c for name, c in (previous.get("configs") or {}).items()
                if name not in wanted and name in known}
        infos.update({name: known[name] for name in kept})
    record["configs"] = dict(kept)
    # Carried into the new folder: the configurations kept, and files that are not the tool's (a
    # repository's .git, .gitattributes, ...). Rebuilt or dropped: everything else the tool wrote.
    ours = {*config_names(), "README.md", SETTINGS_FILE, ".cache"}
    foreign = [p.name for p in out.iterdir() if p.name not in ours] if (out / SETTINGS_FILE).is_file() else []
    with OutputFolder(out, what="dataset folder", markers=(SETTINGS_FILE,), keep=[*kept, *foreign]) as folder:
        try:
            for name in wanted:
                path, summary, info = build(name, folder.staging, data=str(data), publish_split=record["split"],
                                            **settings)
                record["configs"][name] = {"path": f"{name}/{path.name}", **summary}
                infos[name] = info
            atomic_write_text(folder.staging / SETTINGS_FILE, json.dumps(record, indent=2, sort_keys=True))
            atomic_write_text(folder.staging / "README.md", dataset_card(record, infos))
        except OSError as exc:
            raise write_failed("the dataset to", out, exc) from None
        folder.commit()
    return record


def load_snippet(repo: str = "<user>/<this-dataset>", config: str = ALL, split: str = SPLIT) -> str:
    """The ``load_dataset`` call of the card (and README): config by name, split as the card declares it."""
    return f'load_dataset("{repo}", "{config}", split="{split}")'


def dataset_card(record: dict[str, Any], infos: DatasetInfosDict) -> str:
    """The dataset card from ``cards/dataset_card.md``: Hub YAML (configs, ``dataset_info`` of each) and the settings.

    ``infos`` maps every configuration of ``record`` to its ``DatasetInfo``; datasets writes them
    into the card's YAML under their configuration names (``DatasetInfosDict.to_dataset_card_data``).
    """
    from huggingface_hub import DatasetCard, DatasetCardData

    from .templates import template_path

    configs = record["configs"]
    split = record.get("split") or SPLIT
    names = sorted(configs, key=lambda n: (n == ALL, n))
    card_data = DatasetCardData(
        license="apache-2.0", task_categories=["text-classification"],
        tags=["code", "metamorphic-testing", "knowledge-distillation", "metacompress"],
        configs=[{"config_name": name, "data_files": [{"split": split, "path": configs[name]["path"]}],
                  **({"default": True} if name == ALL else {})} for name in names])
    DatasetInfosDict({name: infos[name] for name in names}).to_dataset_card_data(card_data)
    s = record["settings"]
    from ..tasks import get_task

    task = get_task(s.get("task") or "defect", language=s.get("language") or "")
    data = record["data"]
    # File names, column values and class names are the user's (or a model config's): literal in the card.
    settings_rows = [("tool", record["tool"]),
                     ("source data", markdown_code(data["data"], table=True)
                      + (f" (sha256 `{data['data_sha256'][:16]}…`)" if data.get("data_sha256") else "")),
                     ("task", task.name), ("language", task.language or "none"), ("seed", s.get("seed", 0)),
                     ("transformations requested", ", ".join(s["transforms"]) if s.get("transforms")
                      else "per configuration (family)")]
    if record.get("functions"):
        settings_rows.insert(2, ("functions", markdown_code(record["functions"]["data"], table=True)))
    rows = [markdown_literal(f"{k} = {v}") for k, v in s.get("where") or ()]
    if s.get("max_sources"):
        rows.append(f"the first {s['max_sources']} usable")
    if rows:
        settings_rows.append(("rows", ", ".join(rows)))
    config_rows = []
    for name in names:
        c = configs[name]
        per = "; ".join(f"{t}: {v['applied']}/{v['not_applicable']}/{v['rejected']}"
                        for t, v in sorted(c["transformations"].items())) or "none"
        config_rows.append(f"| {name} | {c['sources']} | {c['follow_ups']} | {per} |")
    label_feature = infos[names[0]].features.get("label")
    pair = "code1" in infos[names[0]].features
    card = DatasetCard.from_template(
        card_data, template_path=str(template_path("dataset_card.md")), tool_url=HOMEPAGE,
        code_columns="`code1` and `code2` (a pair; a follow-up changes one side or both)" if pair else "`code`",
        label_text=(f"`label` is the source's gold label, a `ClassLabel` with the models' class names "
                    f"({markdown_literal(', '.join(label_feature.names))})" if label_feature is not None
                    else "The data is unlabelled"),
        load_snippet=load_snippet(config=ALL if ALL in configs else names[0], split=split), split=split,
        settings_table="\n".join(["| setting | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in settings_rows]),
        regenerate=markdown_code(regenerate_command(record)),
        config_table="\n".join(["| config | sources | follow-ups | transformations (applied / not applicable / "
                                "rejected) |", "|---|---|---|---|"] + config_rows))
    return str(card).rstrip("\n") + "\n"


def regenerate_command(record: dict[str, Any]) -> str:
    """The ``metacompress dataset`` command line that writes this dataset again (data by file name)."""
    s = record["settings"]
    q = shlex.quote  # file names and values as a shell reads them back
    parts = ["metacompress dataset", f"--data {q(record['data']['data'])}", f"--task {s.get('task') or 'defect'}"]
    if s.get("language"):
        parts.append(f"--language {s['language']}")
    if record.get("functions"):
        parts.append(f"--pair-ids {q(','.join(s['pair_ids']))} --functions {q(record['functions']['data'])}")
    if s.get("split"):
        parts.append(f"--split {q(s['split'])}")
    parts += [f"--where {q(f'{k}={v}')}" for k, v in s.get("where") or ()]
    if s.get("max_sources"):
        parts.append(f"--max-sources {s['max_sources']}")
    if s.get("code_columns"):
        parts.append(f"--code-column {q(','.join(s['code_columns']))}")
    if s.get("label_column") == "":
        parts.append("--unlabelled")
    elif s.get("label_names"):
        parts.append(f"--label-names {q(','.join(s['label_names']))}")
    if s.get("transforms"):
        parts.append(f"--transforms {','.join(s['transforms'])}")
    parts += [f"--seed {s.get('seed', 0)}", "--out DIR"]
    written = sorted(record["configs"])
    if set(written) == set(config_names()):
        written = ["'*'"]
    # One run per configuration written (runs with the same settings add to the same folder).
    return " && ".join(" ".join([*parts, f"--config {name}"]) for name in written)


def load_written(out_dir: str | os.PathLike, config: str = ALL) -> datasets.Dataset:
    """Read a configuration written by :func:`write_dataset` back, as the card says (``load_dataset(DIR, config)``)."""
    if not (Path(out_dir) / config).is_dir():
        raise MetaCompressError(f"no {config!r} configuration in {out_dir}")
    try:
        split = json.loads((Path(out_dir) / SETTINGS_FILE).read_text()).get("split") or SPLIT
    except (OSError, ValueError, AttributeError):
        split = SPLIT
    return datasets.load_dataset(str(out_dir), config, split=split, cache_dir=str(Path(out_dir) / ".cache"))


def push_dataset(out_dir: str | os.PathLike, repo_id: str, *, token: str | None = None, private: bool = False,
                 create_pr: bool = False) -> str:
    """Upload a folder written by :func:`write_dataset` to a Hub dataset repository; return the commit URL.

    Raises:
        MetaCompressError: one line, without the token, whatever the Hub or the network answered.
    """
    from huggingface_hub import HfApi

    from ..hub_client import hub_errors

    if not (Path(out_dir) / "README.md").is_file():
        raise MetaCompressError(f"{out_dir} is not a dataset folder written by 'metacompress dataset'")
    # Bounded waits, and any failure (refused, 401/403/404/5xx, a server echoing the request) in one
    # line without the token.
    with hub_errors(f"upload to {repo_id} failed", secrets=(token,)):
        api = HfApi(token=token)
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        info = api.upload_folder(folder_path=str(out_dir), repo_id=repo_id, repo_type="dataset", create_pr=create_pr,
                                 commit_message="Add MetaCompress follow-up inputs",
                                 ignore_patterns=[".cache/**", SETTINGS_FILE])
    return str(getattr(info, "commit_url", info))
