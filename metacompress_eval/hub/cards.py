"""Model cards: a "Behavioural fidelity (MetaCompress)" section, SVG badges and ``model-index`` results.

:func:`update_card` edits a local ``README.md`` in place:

* the section (rendered from the repository's ``cards/fidelity_section.md``, see :mod:`.templates`)
  sits between two HTML comments,
  ``<!-- metacompress:begin -->`` and ``<!-- metacompress:end -->``; a later run replaces what is
  between them, so a card never gets a second section, and no other line of the body changes;
* the YAML front matter gets a ``model-index`` whose MetaCompress results (``source.name`` =
  ``MetaCompress Eval``) are replaced and whose other results are kept; only the ``model-index``
  block of the YAML is rewritten, other keys stay byte for byte (re-dumping the whole YAML
  through a YAML library would reformat them);
* badges are SVG files written next to the card (``metacompress-badges/``), drawn here from
  ``cards/badge.svg``: no badge service is contacted, and the card shows them from its own repository;
* models and data are named by Hub id or by folder/file name, never by a machine path
  (:mod:`metacompress_eval.public_names`);
* ``model-index`` results name a Hub dataset id only when there is one: the report's data was a
  Hub dataset, or ``dataset_id`` is given (e.g. the follow-up dataset pushed with ``metacompress
  dataset --push``). For unpublished data (local files) no id is invented: like the model cards
  ``transformers``' Trainer writes for local data, the card then has no ``model-index`` results
  (the numbers are in the section), since the Hub reads ``dataset.type`` as a dataset id and links it.

The result round-trips through ``huggingface_hub`` (``ModelCard.load``, ``metadata_load``), which is
how the Hub reads the evaluation results it displays.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from .. import HOMEPAGE
from ..errors import MetaCompressError
from ..fileio import atomic_write_many, sweep_dead_writers
from ..markup import checked_link, markdown_code, markdown_literal, one_line, table_cell
from ..outputs import check_output_file, write_failed
from ..public_names import data_name, looks_like_hub_id, model_name
from ..relations import is_attack, list_relations
from ..report.read import attack_count, attack_rows, pools_attacks, representation_follow_ups
from .templates import render, template_path

BEGIN = "<!-- metacompress:begin -->"
END = "<!-- metacompress:end -->"
BADGE_DIR = "metacompress-badges"
SOURCE_NAME = "MetaCompress Eval"
TOOL_URL = HOMEPAGE
# Same regex as huggingface_hub.repocard.REGEX_YAML_BLOCK, so both agree on where the YAML is.
_YAML_BLOCK = re.compile(r"^(\s*---[\r\n]+)([\S\s]*?)([\r\n]+---(\r\n|\n|$))")


# --------------------------------------------------------------------------------------------
# Numbers taken from the report
# --------------------------------------------------------------------------------------------


def _pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{100 * value:.{digits}f}%"


def _rate_cell(entry: dict | None) -> str:
    """``rate [CI] (n = N)``; for a per-source (macro) entry, ``(K sources)``."""
    count = None if not entry else (f"{entry['n_sources']} sources" if "n_sources" in entry else f"n = {entry['n']}")
    if not entry or entry.get("rate") is None:
        return f"n/a ({count or 'n = 0'})"
    ci = entry.get("ci95")
    ci_text = f" [{_pct(ci[0])}, {_pct(ci[1])}]" if ci else ""
    return f"{_pct(entry['rate'])}{ci_text} ({count})"


def _mean_cell(entry: dict | None, digits: int = 4) -> str:
    if not entry or entry.get("mean") is None:
        return "n/a"
    ci = entry.get("ci95")
    return f"{entry['mean']:.{digits}f}" + (f" [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]" if ci else "")


def fidelity_rows(report: dict) -> str:
    """The fidelity table's rows: top-1 agreement and mean KL(teacher ‖ student), pooled and per source."""
    fid = report["analysis"].get("fidelity")
    if not fid:  # a report written before the fidelity section existed
        return "| n/a | n/a | n/a | n/a |"
    scopes = ("overall", "sources", "follow_ups")
    floored = fid["overall"].get("kl_floored") or 0
    # A student probability of 0 makes KL infinite; the mean then depends on the floor, so say so.
    note = f" ({floored} inputs floored at {fid.get('kl_floor', 0):g})" if floored else ""
    rows = [("top-1 agreement", [_rate_cell(fid[s]["top1_agreement"]) for s in scopes],
             _rate_cell(fid["follow_ups"]["top1_agreement"]["macro"])),
            (f"mean KL(teacher ‖ student), bits{note}", [_mean_cell(fid[s]["kl_bits"]) for s in scopes],
             _mean_cell(fid["follow_ups"]["kl_bits"]["macro"])),
            (f"mean KL(teacher ‖ student), nats{note}", [_mean_cell(fid[s]["kl_nats"]) for s in scopes],
             _mean_cell(fid["follow_ups"]["kl_nats"]["macro"]))]
    return "\n".join(f"| {name} | {' | '.join(cells)} | {macro} |" for name, cells, macro in rows)


def _ci_text(value: float | None, ci: list | None, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    return f"{value:.{digits}f}" + (f" [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]" if ci else "")


def representation_rows(section: dict) -> str:
    """Rows of the card's representation table: one column per pooling (first token, mean over tokens)."""
    poolings = ("first", "mean")
    student_layers = section["student"]["layers"]

    def final_pair(pooling):
        pairs = (section["cka"].get(pooling) or {}).get("best_pairs") or []
        return max(pairs, key=lambda p: p["student_layer"]) if pairs else None

    def cka(pooling):
        pair = final_pair(pooling)
        return "n/a" if pair is None else f"{_ci_text(pair['cka'], pair.get('ci95'))} (teacher layer {pair['teacher_layer']})"

    def drop(pooling):
        pair = final_pair(pooling)
        found = []
        for name, entry in ((section["cka"].get(pooling) or {}).get("by_transformation") or {}).items():
            for e in entry.get("pairs", []):
                if pair and e["student_layer"] == pair["student_layer"] and e.get("difference") is not None:
                    found.append((e["difference"], name, e))
        if not found:
            return "n/a"
        diff, name, e = min(found, key=lambda f: (f[0], f[1]))
        return f"{name}: {_ci_text(diff, e.get('ci95'), 3)}"

    def block(pooling):
        return ((section["shift"].get(pooling) or {}).get("follow_ups")) or {}

    def rho(pooling):
        r = block(pooling).get("spearman") or {}
        return _ci_text(r.get("rho"), r.get("ci95"), 2)

    rows = [(f"CKA on sources, student layer {student_layers} vs its best teacher layer", cka),
            ("largest CKA drop under a transformation (follow-ups − sources)", drop),
            ("rank correlation of the two models' final-layer shifts", rho),
            ("teacher barely moves, student moves a lot", lambda p: _rate_cell(block(p).get("teacher_still_student_moves")))]
    return "\n".join(f"| {name} | {' | '.join(cell(p) for p in poolings)} |" for name, cell in rows)


def attack_results(report: dict) -> list[dict[str, Any]]:
    """Attack results of the report's optional ``attacks`` section, one row per attack, each with the
    success rates it has: a model that was not attacked (stored outputs, no teacher: ``not_attacked``)
    has ``None``, and so has the gap then.

    Accepted shape (the section is produced by a later version of the tool): ``attacks`` maps an
    attack name to ``{"teacher": x, "student": y, ...}`` where x and y are numbers or rate entries
    (``{"rate": ...}``), optionally with a precomputed ``gap``. Entries of other shapes are skipped.
    """
    attacks = report.get("attacks")
    if isinstance(attacks, dict) and isinstance(attacks.get("by_attack"), dict):
        attacks = attacks["by_attack"]
    rows = []
    if not isinstance(attacks, dict):
        return rows

    def number(v):
        if isinstance(v, dict):
            v = v.get("rate", v.get("success_rate", v.get("value")))
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    for name, entry in sorted(attacks.items()):
        if not isinstance(entry, dict):
            continue
        teacher, student = number(entry.get("teacher")), number(entry.get("student"))
        gap = number(entry.get("gap"))
        if gap is None and teacher is not None and student is not None:
            gap = student - teacher
        if gap is not None or teacher is not None or student is not None:
            rows.append({"attack": str(name), "teacher": teacher, "student": student, "gap": gap})
    return rows


def attack_gaps(report: dict) -> list[dict[str, Any]]:
    """The rows of :func:`attack_results` that have a gap (both models attacked)."""
    return [row for row in attack_results(report) if row["gap"] is not None]


# --------------------------------------------------------------------------------------------
# Badges
# --------------------------------------------------------------------------------------------


def _colour(goodness: float | None) -> str:
    """Badge colour for a value where 1 is best (shields.io's palette)."""
    if goodness is None:
        return "#9f9f9f"
    for limit, colour in ((0.95, "#4c1"), (0.9, "#97ca00"), (0.8, "#dfb317"), (0.7, "#fe7d37")):
        if goodness >= limit:
            return colour
    return "#e05d44"


def badge_svg(label: str, value: str, colour: str) -> str:
    """A flat two-part badge ("label | value") as standalone SVG (``cards/badge.svg``)."""
    # Verdana 11px averages about 6.5 px per character; the text is centred, so a rough width is enough.
    lw, vw = int(6.5 * len(label)) + 12, int(6.5 * len(value)) + 12
    return render("badge.svg", width=lw + vw, label_width=lw, value_width=vw, colour=colour,
                  label=escape(label), value=escape(value), label_x=f"{lw / 2:.1f}", value_x=f"{lw + vw / 2:.1f}")


def badges(report: dict) -> dict[str, tuple[str, str, str]]:
    """Badge file name → (label, value, colour) for the headline numbers of ``report``."""
    a = report["analysis"]
    pa = a["relations"]["overall"]["prediction_agreement"]["rate"]
    hcp = a["relations"]["overall"]["high_confidence_preservation"]["rate"]
    flip = a["flips"]["student"]["overall"]["rate"]
    out = {
        "agreement.svg": ("teacher agreement", _pct(None if pa is None else 1 - pa), _colour(None if pa is None else 1 - pa)),
        "student-flip-rate.svg": ("flip rate", _pct(flip), _colour(None if flip is None else 1 - flip)),
        "confidence-preserved.svg": ("confidence preserved", _pct(None if hcp is None else 1 - hcp),
                                     _colour(None if hcp is None else 1 - hcp)),
    }
    gaps = attack_gaps(report)
    if gaps:  # the largest gap, named by its attack (a run may have several)
        worst = max(gaps, key=lambda g: abs(g["gap"]))
        out["attack-gap.svg"] = (f"{one_line(worst['attack'])[:40]} attack gap", f"{100 * worst['gap']:+.1f} pt",
                                 _colour(1 - abs(worst["gap"])))
    return out


def write_badges(report: dict, folder: str | Path) -> list[Path]:
    """Write the badges of :func:`badges` as SVG files into ``folder`` (together, atomically)."""
    out = Path(folder)
    return atomic_write_many({out / name: badge_svg(*spec).encode("utf-8") for name, spec in badges(report).items()})


# --------------------------------------------------------------------------------------------
# The section
# --------------------------------------------------------------------------------------------


def report_model_name(report: dict, role: str) -> str:
    """The public name of the report's ``role`` model (``teacher``/``student``): Hub id or folder name."""
    m = (report.get("models") or {}).get(role) or {}
    return str(m.get("name") or model_name(m.get("name_or_path") or role))


def _comparison_text(report: dict) -> str:
    """The section's opening: what the student was compared with, and on which inputs the teacher answered."""
    tool = f"([MetaCompress Eval]({TOOL_URL}))"
    teacher = (report.get("models") or {}).get("teacher") or {}
    if teacher.get("adapter") == "none":  # evaluate without --teacher / --teacher-outputs
        # Only what the card shows: the student's flip rates, and its attack success rates when it was attacked.
        shown = "flip rates, attack success rates" if attack_results(report) else "flip rates"
        return (f"This model was tested by metamorphic testing {tool} without a teacher, so only its own figures "
                f"({shown}) are filled in below: it ran on")
    coverage = (report.get("analysis") or {}).get("coverage") or {}
    both, of = (coverage.get("both") or {}).get("inputs"), (coverage.get("of") or {}).get("inputs")
    name = markdown_literal(report_model_name(report, "teacher"))
    if isinstance(both, int) and isinstance(of, int) and both < of:
        why = markdown_literal(((coverage.get("teacher") or {}).get("reason") or "").rstrip("."))
        return (f"This model was compared with its teacher **{name}** by metamorphic testing {tool}; the teacher's "
                f"outputs were available for {both} of the {of} inputs{f' ({why})' if why else ''}, so the "
                "teacher-side figures below are computed on those, and the student's own on all: the student ran on")
    return f"This model was compared with its teacher **{name}** by metamorphic testing {tool}: both models ran on"


def _verification_text(report: dict) -> str:
    follow_ups = report.get("follow_ups")
    if isinstance(follow_ups, dict) and "verified" in follow_ups:  # evaluate since issue 12
        if not follow_ups["verified"]:
            return "no (follow-ups were re-parsed, not compiled)"
        counts = [e for e in (report.get("transformations") or {}).values() if isinstance(e, dict)]
        rejected, unverified = (sum(int(e.get(k) or 0) for e in counts) for k in ("rejected", "unverified"))
        text = f"yes: follow-ups that add compiler errors are dropped ({rejected} rejected"
        return text + (f", {unverified} could not be checked)" if unverified else ")")
    v = report.get("verification")
    if not isinstance(v, dict) or not v.get("enabled"):
        return "no (follow-ups were re-parsed, not compiled)"
    checked, rejected = v.get("checked"), v.get("rejected")
    text = f"compiled with {markdown_literal(v.get('checker') or 'the compiler')}"
    if checked is not None:
        text += f": {checked} checked, {rejected or 0} dropped"
    if v.get("unverified"):
        text += f", {v['unverified']} unverified"
    return text


def link_destination(link: str) -> str:
    """``link`` as a Markdown link destination: characters Markdown would read as syntax percent-encoded."""
    from urllib.parse import quote

    return quote(link.replace(os.sep, "/"), safe="/?#[]@!$&'*+,;=%~:")


def _pooled_attacks_text(report: dict) -> str:
    """What follows the transformation list of the card's opening: nothing, or for a report whose pooled
    figures include its adversarial examples (:func:`~metacompress_eval.report.read.pools_attacks`) how
    many there are and that every figure below includes them."""
    a = report["analysis"]
    if not pools_attacks(a):
        return ""
    per = markdown_literal(", ".join(f"{t}: {n}" for t, n in attack_rows(a).items()))
    return (f", and {attack_count(a)} attack follow-ups (adversarial examples: {per}), which every figure below "
            "includes: this report was written before they were pooled apart")


def _attack_section(report: dict) -> str:
    """The attack success rates of every attack of the report, of each model attacked ("not attacked" for a
    model that could not be: stored outputs, no teacher), with what the pooled figures above hold."""
    results = attack_results(report)
    if not results:
        return ""
    section = report.get("attacks") if isinstance(report.get("attacks"), dict) else {}
    skipped = section.get("not_attacked") if isinstance(section.get("not_attacked"), dict) else {}

    def rate(row, role):
        return "not attacked" if row[role] is None and role in skipped else _pct(row[role])

    rows = "\n".join(f"| {markdown_literal(g['attack'])} | {rate(g, 'teacher')} | {rate(g, 'student')} | "
                     + ("n/a" if g["gap"] is None else f"{100 * g['gap']:+.1f} pt") + " |" for g in results)
    if pools_attacks(report["analysis"]):
        pooling = ("This report was written before the adversarial examples were pooled apart: the figures above\n"
                   "include them with the transformations' follow-ups.")
    else:
        pooling = ("The adversarial examples are not\npooled into the figures above, which are over the source "
                   "inputs and the transformations' follow-ups.")
    return render("attack_section.md", attack_rows=rows, pooling=pooling)


def render_section(report: dict, *, report_link: str, badge_prefix: str = BADGE_DIR) -> str:
    """The Markdown section for ``report``, between the begin/end markers."""
    a = report["analysis"]
    pooled = pools_attacks(a)
    rel = a["relations"]
    relation_rows = "\n".join(
        f"| {r.title} ({r.abbreviation}) violations | {_rate_cell(rel['overall'].get(r.key))} | "
        f"{_rate_cell(rel['sources'].get(r.key))} | {_rate_cell(rel['follow_ups'].get(r.key))} |"
        for r in list_relations())
    flips = a["flips"]
    diff = flips["difference"]["overall"]
    diff_text = "n/a"
    if diff.get("student_minus_teacher") is not None:
        ci = diff.get("ci95")
        diff_text = f"{100 * diff['student_minus_teacher']:+.1f} pt" + (
            f" [{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}]" if ci else "")
    flip_rows = "\n".join([f"| teacher | {_rate_cell(flips['teacher']['overall'])} |",
                           f"| student | {_rate_cell(flips['student']['overall'])} |",
                           f"| student − teacher | {diff_text} |"])
    attack_section = _attack_section(report)
    representation_section = ""
    if report.get("representations"):
        section = report["representations"]
        n_follow_ups, n_attacks = representation_follow_ups(section)
        sample = (f"{section['n_sources']} of {section['sources_total']} sources" if section.get("subsampled")
                  else f"{section['n_sources']} sources") + f" and {n_follow_ups} follow-ups" + (
                      f"; {n_attacks} attack follow-ups, pooled apart" if n_attacks else "")
        representation_section = render("representation_section.md", sample=sample,
                                        representation_rows=representation_rows(section))
    th = a["thresholds"]
    settings = report.get("settings", {})
    data = data_name(report.get("data"))
    teacher = ("none" if ((report.get("models") or {}).get("teacher") or {}).get("adapter") == "none"
               else markdown_code(report_model_name(report, "teacher"), table=True))
    tool = report.get("tool") if isinstance(report.get("tool"), dict) else {}
    # Every value a report carries is text its author (or whoever edited report.json) chose: literal here.
    settings_rows = "\n".join(f"| {k} | {v} |" for k, v in [
        ("teacher", teacher),
        ("student", markdown_code(report_model_name(report, "student"), table=True)),
        ("task", markdown_literal(report.get("task", {}).get("name", "n/a"))),
        ("data", markdown_code(data, table=True)),
        ("transformations", markdown_literal(", ".join(map(str, settings.get("transforms", [])))) or "n/a"),
        ("follow-ups verified", _verification_text(report)),
        ("thresholds", markdown_literal(", ".join(f"{k} = {v}" for k, v in th.items()))),
        ("seed", markdown_literal(a.get("seed"))),
        ("tool", markdown_literal(f"{tool.get('name', 'metacompress-eval')} {tool.get('version', '')}")),
        ("report created", markdown_literal(report.get("created", "n/a"))),
    ])
    badge_md = " ".join(f"![{markdown_literal(label)}: {value}]({badge_prefix}/{name})"
                        for name, (label, value, _) in badges(report).items())
    body = render(
        "fidelity_section.md",
        badges=badge_md, comparison=_comparison_text(report), data=markdown_code(data),
        n_sources=a["counts"]["sources"], n_follow_ups=a["counts"]["follow_ups"] - (attack_count(a) if pooled else 0),
        # Adversarial examples (attack:<method>) are neither in n_follow_ups nor in any pooled figure: the
        # attack section reports them (a report written before that says so in pooled_attacks).
        transformations=markdown_literal(", ".join(f"{t}: {n}" for t, n in a["counts"]["by_transformation"].items()
                                                   if not is_attack(t))) or "none",
        pooled_attacks=_pooled_attacks_text(report),
        relation_rows=relation_rows, fidelity_rows=fidelity_rows(report), flip_rows=flip_rows,
        attack_section=attack_section + representation_section,
        settings_rows=settings_rows, report_link=link_destination(report_link),
        report_link_text=markdown_literal(posixpath.basename(report_link.split("?")[0].split("#")[0]) or report_link))
    return f"{BEGIN}\n{body.rstrip()}\n{END}"


# --------------------------------------------------------------------------------------------
# model-index
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetRef:
    """The dataset a card's ``model-index`` results refer to.

    Attributes:
        id: Hub dataset id (``dataset.type``, which the Hub links to ``/datasets/<id>``), or
            ``None`` for unpublished data: then no ``model-index`` results are written.
        name: pretty name (``dataset.name``).
        config: configuration given to ``load_dataset`` (``dataset.config``), if any.
        split: the split evaluated (``dataset.split``), if known.
    """

    id: str | None
    name: str
    config: str | None = None
    split: str | None = None


# What the Hub and `datasets` accept: a split name is `datasets`' rule (word characters, dot-separated);
# a configuration name is a directory-safe name (`datasets` refuses <>:/\\|?* in one) without "..".
_SPLIT_NAME = re.compile(r"\w+(\.\w+)*", re.ASCII)
_CONFIG_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}")
_INDEX_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def checked_dataset_part(value: str | None, what: str) -> str | None:
    """A ``--dataset-config``/``--dataset-split`` value as the Hub names them, or a one-line error."""
    if value is None:
        return None
    rule = _SPLIT_NAME if what == "--dataset-split" else _CONFIG_NAME
    if not rule.fullmatch(value) or ".." in value:
        kind = ("a split name (letters, digits, _; parts joined by '.')" if what == "--dataset-split" else
                "a configuration name (letters, digits, _ . + -, at most 64, no '..')")
        raise MetaCompressError(f"{what} {value[:60]!r} is not {kind} as the Hub and `datasets` accept it")
    return value


def model_index_name(name: str) -> str:
    """A ``model-index`` name from a folder or model name: the characters of a Hub repository name
    (letters, digits, ``. _ + -``), every other run as one ``-``; a local folder can be called anything
    (``x<img src=//e>``, spaces, newlines), the Hub shows this name as the model's."""
    safe = _INDEX_NAME_UNSAFE.sub("-", name).strip("-.")[:96].strip("-.")
    return safe or "model"


def dataset_ref(report: dict, *, dataset_id: str | None = None, dataset_name: str | None = None,
                dataset_config: str | None = None, dataset_split: str | None = None) -> DatasetRef:
    """Which dataset the report's results are on: ``dataset_id``, else the report's Hub dataset, else none.

    Raises:
        MetaCompressError: when ``dataset_id`` is not a Hub dataset id (``name`` or ``owner/name``).
    """
    dataset_config = checked_dataset_part(dataset_config, "--dataset-config")
    dataset_split = checked_dataset_part(dataset_split, "--dataset-split")
    data = report.get("data") or {}
    split = dataset_split or data.get("split") or (data.get("where") or {}).get("split") or None
    if split is not None and dataset_split is None:  # the report's: "train[:100]" is split "train"
        split = str(split).split("[", 1)[0].strip()
        split = split if _SPLIT_NAME.fullmatch(split) else None
    if dataset_id is not None:
        if not looks_like_hub_id(dataset_id):
            raise MetaCompressError(f"--dataset-id {dataset_id!r} is not a Hub dataset id (name or owner/name)")
        return DatasetRef(dataset_id, dataset_name or dataset_id, dataset_config, split)
    if data.get("format") == "hub" and data.get("path") and looks_like_hub_id(str(data["path"])):
        return DatasetRef(str(data["path"]), dataset_name or str(data["path"]), dataset_config, split)
    return DatasetRef(None, dataset_name or data_name(data), dataset_config, split)


def eval_results(report: dict, *, dataset: DatasetRef | None = None, source_url: str | None = None) -> list:
    """The fidelity results as ``huggingface_hub.EvalResult`` objects (rates in [0, 1]).

    Empty when the results are on unpublished data (``dataset.id is None``): see the module docstring.
    """
    from huggingface_hub import EvalResult

    dataset = dataset or dataset_ref(report)
    if dataset.id is None:
        return []
    a = report["analysis"]
    common = dict(task_type="text-classification", dataset_type=dataset.id, dataset_name=dataset.name,
                  dataset_config=dataset.config, dataset_split=dataset.split, source_name=SOURCE_NAME,
                  # huggingface_hub requires a URL with source_name: the report's when it is on the web,
                  # else the tool's home page.
                  source_url=source_url if source_url and source_url.startswith(("http://", "https://")) else TOOL_URL)
    results = []

    def add(metric_type: str, name: str, value: float | None, config: str | None = None):
        if value is not None:
            results.append(EvalResult(metric_type=metric_type, metric_name=name, metric_value=round(float(value), 6),
                                      metric_config=config, **common))

    th = a["thresholds"]
    for r in list_relations():
        entry = a["relations"]["overall"].get(r.key)
        if entry is None:  # a report written before this relation was registered
            continue
        # metric_config: the thresholds the relation's verdict reads, as the report applied them.
        config = ", ".join(f"{t.name}={th[t.name]}" for t in r.thresholds if t.name in th) or None
        add(f"metacompress_{r.key}_violation_rate", f"{r.title} violation rate", entry["rate"], config)
    fid = a.get("fidelity")
    if fid:
        add("metacompress_top1_agreement", "Top-1 agreement", fid["overall"]["top1_agreement"]["rate"])
        add("metacompress_mean_kl_bits", "Mean KL(teacher || student), bits", fid["overall"]["kl_bits"]["mean"])
    add("metacompress_teacher_flip_rate", "Teacher flip rate (follow-ups)", a["flips"]["teacher"]["overall"]["rate"])
    add("metacompress_student_flip_rate", "Student flip rate (follow-ups)", a["flips"]["student"]["overall"]["rate"])
    add("metacompress_flip_rate_difference", "Flip rate difference (student - teacher)",
        a["flips"]["difference"]["overall"]["student_minus_teacher"])
    for g in attack_gaps(report):
        add(f"metacompress_attack_gap_{g['attack']}", f"Attack gap: {g['attack']} (student - teacher)", g["gap"])
    return results


def _is_ours(result) -> bool:
    return result.source_name == SOURCE_NAME or str(result.metric_type).startswith("metacompress_")


def merged_model_index(front_matter: dict, report: dict, *, model_name: str, source_url: str | None,
                       dataset: DatasetRef | None = None) -> list | None:
    """``model-index`` value: the card's other results plus this report's (earlier MetaCompress ones dropped).

    ``None`` when there is nothing to write: the card had no ``model-index`` and the report's data
    has no Hub dataset id.
    """
    from huggingface_hub.repocard_data import eval_results_to_model_index, model_index_to_eval_results

    existing = []
    if front_matter.get("model-index"):
        name, existing = model_index_to_eval_results(front_matter["model-index"])
        model_name = name or model_name
    ours = eval_results(report, dataset=dataset, source_url=source_url)
    if not front_matter.get("model-index") and not ours:
        return None
    keep = [r for r in existing if not _is_ours(r)]
    if not keep and not ours:
        return [{"name": model_name, "results": []}]
    return eval_results_to_model_index(model_name, keep + ours)


# --------------------------------------------------------------------------------------------
# Editing a card in place
# --------------------------------------------------------------------------------------------


def _replace_yaml_key(yaml_text: str, key: str, block: str) -> str:
    """Replace the top-level ``key`` block of ``yaml_text`` (or append it), leaving other lines as they are."""
    lines = yaml_text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(rf"^{re.escape(key)}\s*:", line)), None)
    if start is None:
        sep = "" if not yaml_text or yaml_text.endswith("\n") else "\n"
        return yaml_text + sep + block.rstrip("\n")
    end = start + 1
    # The block goes on while lines are indented, blank, comments, or indentless list items
    # ("- name: ..." at column 0 is how PyYAML writes a list under a key).
    while end < len(lines) and (lines[end].strip() == "" or lines[end][0] in " \t#-"):
        end += 1
    while end > start + 1 and lines[end - 1].strip() == "":  # blank lines before the next key stay
        end -= 1
    tail_newline = "\n" if end < len(lines) else ""
    return "".join(lines[:start]) + block.rstrip("\n") + tail_newline + "".join(lines[end:])


def update_card_text(text: str, report: dict, *, report_link: str, model_name: str,
                     source_url: str | None = None, badge_prefix: str = BADGE_DIR,
                     dataset: DatasetRef | None = None) -> str:
    """The card ``text`` with the MetaCompress section and ``model-index`` replaced (or added)."""
    import yaml

    match = _YAML_BLOCK.search(text)
    if match:
        yaml_text, body = match.group(2), text[match.end():]
        head_open, head_close = match.group(1), match.group(3)
    else:
        yaml_text, body, head_open, head_close = "", text, "---\n", "\n---\n"
    try:
        front = yaml.safe_load(yaml_text) or {}
    except yaml.YAMLError as exc:
        raise MetaCompressError(f"the card's YAML front matter does not parse: {exc}") from None
    if not isinstance(front, dict):
        raise MetaCompressError("the card's YAML front matter is not a mapping")
    index = merged_model_index(front, report, model_name=model_name, source_url=source_url, dataset=dataset)
    new_yaml = yaml_text.strip("\n")
    if index is not None:
        block = yaml.safe_dump({"model-index": index}, sort_keys=False, allow_unicode=True)
        new_yaml = _replace_yaml_key(yaml_text, "model-index", block).strip("\n")
        check = yaml.safe_load(new_yaml)
        if not isinstance(check, dict) or check.get("model-index") != index:  # pragma: no cover - safety net
            raise MetaCompressError("could not update the card's model-index without breaking its YAML")

    section = render_section(report, report_link=report_link, badge_prefix=badge_prefix)
    b, e = body.find(BEGIN), body.find(END)
    if b != -1 and e != -1 and e > b:
        body = body[:b] + section + body[e + len(END):]
    elif b != -1 or e != -1:
        raise MetaCompressError(f"the card has only one of the markers {BEGIN} / {END}; fix it by hand first")
    else:
        stripped = body.rstrip("\n")
        body = (stripped + "\n\n" if stripped.strip() else "\n") + section + "\n"
    if not match:
        if not new_yaml:  # a card without front matter that gets no model-index stays without one
            return body.lstrip("\n")
        body = "\n" + body.lstrip("\n")
    return f"{head_open}{new_yaml}{head_close}{body}"


@dataclass
class CardUpdate:
    """What :func:`update_card` wrote.

    Attributes:
        card: the card file.
        badges: the badge files (in ``metacompress-badges/`` next to the card).
        link: the card's link to the full report.
        link_target: the local file that ``link`` points to when it is a relative link (``None``
            for a URL): a push must upload it, or the link is dead on the Hub.
        dataset: the dataset the ``model-index`` results refer to (``dataset.id is None``: none written).
    """

    card: Path
    badges: list[Path] = field(default_factory=list)
    link: str = ""
    link_target: Path | None = None
    dataset: DatasetRef | None = None

    def dead_link_warning(self, uploaded: set[str] | None = None) -> str | None:
        """Why the card's report link would be dead on the Hub, or ``None``.

        Args:
            uploaded: repository paths a push uploads with the card (``None``: not pushed; then
                a relative link is fine as long as it stays inside the card's folder, which can
                be uploaded with it).
        """
        if self.link_target is None:
            return None
        fix = ("upload the report with it (--push REPO --upload-report), or give --report-url with a URL that "
               "resolves")
        if uploaded is not None:
            if self.link in uploaded:
                return None
            return f"the card links to {self.link}, which this push does not upload: on the Hub that link is dead; {fix}"
        inside = self.card.resolve().parent
        if inside == self.link_target.resolve().parent or inside in self.link_target.resolve().parents:
            return None
        return (f"the card links to {self.link}, outside the card's folder: once the card is on the Hub that link "
                f"is dead; {fix}")


def check_relative_link(link: str, card: Path, uploaded: set[str] | None) -> None:
    """Refuse a relative ``link`` of the card that would be dead where the card is read.

    Pushed (``uploaded`` given): the link must name a file the push uploads. Not pushed: a file that
    exists in the card's folder (which is what can be uploaded with the card).
    """
    path = posixpath.normpath(link.split("#", 1)[0].split("?", 1)[0])
    from urllib.parse import unquote

    path = unquote(path)
    if uploaded is not None:
        if path not in uploaded:
            raise MetaCompressError(f"--report-url {link!r} names no file this push uploads (it uploads "
                                    f"{', '.join(sorted(uploaded)[:6])}{', ...' if len(uploaded) > 6 else ''}): on "
                                    "the Hub that link would be dead; add --upload-report or give an http(s) URL")
    elif not (card.parent / path).is_file():
        raise MetaCompressError(f"--report-url {link!r} names no file next to the card ({card.parent / path} does "
                                "not exist): readers would get a dead link; give an http(s) URL or a file inside "
                                "the card's folder")


def load_report(report_dir: str | Path) -> tuple[dict, Path]:
    """``report.json`` of a report folder (or the file itself), checked (:mod:`metacompress_eval.report.read`), and the folder."""
    from ..report.read import read_report_file

    path = Path(report_dir)
    folder = path.parent if path.is_file() else path
    file = path if path.is_file() else path / "report.json"
    if not file.is_file():
        raise MetaCompressError(f"no report.json in {report_dir}")
    return read_report_file(file, str(file)), folder


def update_card(report_dir: str | Path, card: str | Path, *, report_url: str | None = None,
                model_name: str | None = None, report_link: str | None = None, dataset_id: str | None = None,
                dataset_name: str | None = None, dataset_config: str | None = None,
                dataset_split: str | None = None, uploaded: set[str] | None = None) -> CardUpdate:
    """Add or replace the MetaCompress section, badges and ``model-index`` results of a local card.

    Args:
        report_dir: a folder written by ``metacompress evaluate`` (or its ``report.json``).
        card: the model card (``README.md``); created from ``cards/model_card.md`` when absent.
        report_url: where readers find the full report: an ``http(s)`` URL, or a path relative to the card
            that is published with it (:func:`check_relative_link`); anything else is refused
            (:func:`~metacompress_eval.markup.checked_link`). Default: ``report_link``.
        model_name: ``model-index`` name when the card has none; default: the student's public name.
        report_link: a path in the model repository where the report folder is uploaded with the
            card (e.g. ``metacompress/report.md``); default: the report's ``report.md`` relative to the card.
        dataset_id, dataset_name, dataset_config, dataset_split: the Hub dataset of the
            ``model-index`` results (see :func:`dataset_ref`).
        uploaded: the repository paths a push will upload with the card (``None``: no push); a
            relative ``report_url`` must be one of them.
    """
    report, folder = load_report(report_dir)
    card_path = Path(card)
    # --model-name as typed (on one line); else the student's public name made a Hub-safe name.
    name = one_line(model_name) if model_name and model_name.strip() else model_index_name(
        report_model_name(report, "student").split("/")[-1])
    dataset = dataset_ref(report, dataset_id=dataset_id, dataset_name=dataset_name, dataset_config=dataset_config,
                          dataset_split=dataset_split)
    if report_url is not None:
        link = checked_link(report_url, "--report-url")
        target = None if "://" in link else card_path.parent / link
        if target is not None:
            check_relative_link(link, card_path, uploaded)
    elif report_link:
        link, target = report_link, card_path.parent / report_link
    else:
        link = os.path.relpath(folder / "report.md", card_path.resolve().parent).replace(os.sep, "/")
        target = folder / "report.md"
    check_output_file(card_path, "model card")
    sweep_dead_writers(card_path.parent / BADGE_DIR)  # the badges are written with the card (the card's folder is swept)
    if card_path.is_file():
        try:
            text = card_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise MetaCompressError(f"cannot read the model card {card_path}: {exc}") from None
    else:
        text = new_card_text(name)
    try:  # everything is rendered before anything is written
        new_text = update_card_text(text, report, report_link=link, model_name=name,
                                    source_url=link if report_url is not None else None,
                                    dataset=dataset)
        svgs = {card_path.parent / BADGE_DIR / file: badge_svg(*spec).encode("utf-8")
                for file, spec in badges(report).items()}
    except (KeyError, TypeError, IndexError, ValueError, AttributeError) as exc:
        # A report.json that passed the checks of report.read but lacks what the card shows.
        raise MetaCompressError(f"{report_dir}: malformed report.json, the card needs what it lacks "
                                f"({type(exc).__name__}: {str(exc)[:120]})") from None
    try:  # the card and its badges are replaced together, or none of them
        # POSIX text files (and the Hub's card editor) end with a newline.
        atomic_write_many({card_path: (new_text.rstrip("\n") + "\n").encode("utf-8"), **svgs})
    except OSError as exc:
        raise write_failed("the model card", card_path, exc, "the card is unchanged") from None
    return CardUpdate(card=card_path, badges=list(svgs), link=link, link_target=target, dataset=dataset)


def new_card_text(model_name: str) -> str:
    """A minimal card from ``cards/model_card.md`` (via ``ModelCard.from_template``), with markers to fill."""
    from huggingface_hub import ModelCard, ModelCardData

    card = ModelCard.from_template(ModelCardData(tags=["knowledge-distillation", "metacompress"]),
                                   template_path=str(template_path("model_card.md")),
                                   model_name=markdown_literal(model_name),
                                   fidelity_section=f"{BEGIN}\n{END}")
    return str(card)
