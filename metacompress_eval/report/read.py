"""Reading a report.json that may come from anywhere (an upload, a card's report folder): checked before use.

:func:`parse_report` and :func:`validate_report` are shared by the Space's *Compare* tab and
``metacompress card``: a malformed, truncated or hostile file (not UTF-8, not JSON, nested too deeply
to parse, fields of the wrong type) is refused with one message naming it, never a ``TypeError``
deep inside the rendering.
"""

from __future__ import annotations

from typing import Any

from ..errors import MetaCompressError


def _rate_entry_problem(entry: Any) -> str | None:
    """Why a relation's rate entry cannot be shown, or ``None`` (``rate`` in [0, 1] or null, ``ci95`` a pair)."""
    if not isinstance(entry, dict):
        return "not an object"
    rate = entry.get("rate")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1):
        return f"rate {rate!r} is not a number between 0 and 1"
    ci = entry.get("ci95")
    if ci is not None and (not isinstance(ci, list) or len(ci) != 2
                           or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in ci)):
        return f"ci95 {ci!r} is not a pair of numbers"
    for key in ("violations", "flips", "n"):
        value = entry.get(key)
        if value is not None and not isinstance(value, (int, float, str)):
            return f"{key} {value!r} is not a count"
    return None


def validate_report(data: Any, where: str) -> dict:
    """Check that ``data`` is a MetaCompress report.json (schema 1.x or 2.x) that can be shown.

    Every field the leaderboard reads is checked for its type, so one malformed upload is refused
    with a message naming it while the other reports are still compared.
    """
    from ..relations import relation_keys

    if not isinstance(data, dict):
        raise MetaCompressError(f"{where}: not a JSON object")
    version = data.get("schema_version")
    # 2.x changed the per-input CA check (class-aware) and added fields; 1.x reports still load.
    if not isinstance(version, str) or not version.startswith(("1.", "2.")):
        raise MetaCompressError(f"{where}: not a MetaCompress report.json (schema_version {version!r}, "
                                "expected 1.x or 2.x)")
    analysis = data.get("analysis")
    relations = analysis.get("relations") if isinstance(analysis, dict) else None
    overall = relations.get("overall") if isinstance(relations, dict) else None
    # A report from a version with fewer relations is still comparable: it shows "n/a" for the others.
    if not isinstance(overall, dict) or not any(isinstance(overall.get(r), dict) for r in relation_keys()):
        raise MetaCompressError(f"{where}: malformed report.json: analysis.relations.overall is missing or incomplete")
    for scope, entries in relations.items():
        if entries is None:
            continue
        if not isinstance(entries, dict):
            raise MetaCompressError(f"{where}: malformed report.json: analysis.relations.{scope} is not an object")
        for key in relation_keys():
            if key in entries and entries[key] is not None:
                problem = _rate_entry_problem(entries[key])
                if problem:
                    raise MetaCompressError(f"{where}: malformed report.json: analysis.relations.{scope}.{key}: {problem}")
    for section, kind in (("counts", dict), ("flips", dict)):
        if analysis.get(section) is not None and not isinstance(analysis.get(section), kind):
            raise MetaCompressError(f"{where}: malformed report.json: analysis.{section} is not an object")
    for role, flips in (analysis.get("flips") or {}).items():
        entry = flips.get("overall") if isinstance(flips, dict) else flips
        if entry is not None and _rate_entry_problem(entry):
            raise MetaCompressError(f"{where}: malformed report.json: analysis.flips.{role}: "
                                    f"{_rate_entry_problem(entry)}")
    for section in ("models", "task"):
        if data.get(section) is not None and not isinstance(data.get(section), dict):
            raise MetaCompressError(f"{where}: malformed report.json: {section} is not an object")
    return data


#: A report.json is a summary (rows go to predictions.jsonl): a few MB at most. A larger file is refused
#: before it is read, so a huge or endless file cannot exhaust memory.
MAX_REPORT_BYTES = 100_000_000


def read_report_file(path, where: str) -> dict:
    """The validated report of the report.json file ``path`` (size-checked before reading; see :func:`parse_report`)."""
    try:
        size = path.stat().st_size
        if size > MAX_REPORT_BYTES:
            raise MetaCompressError(f"{where}: {size / 1e6:.0f} MB is too large for a report.json "
                                    f"(at most {MAX_REPORT_BYTES // 1_000_000} MB)")
        raw = path.read_bytes()
    except OSError as exc:
        raise MetaCompressError(f"cannot read {where}: {exc.strerror or exc}") from None
    return parse_report(raw, where)


def parse_report(raw: bytes, where: str) -> dict:
    """A report.json's bytes → the validated report, or one :class:`MetaCompressError` naming ``where``."""
    from ..fileio import UTF8_BOM, parse_json_text

    if raw.startswith(UTF8_BOM):
        raw = raw[len(UTF8_BOM):]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MetaCompressError(f"{where}: not UTF-8 text, so not a report.json") from None
    data, problem = parse_json_text(text)
    if problem:
        raise MetaCompressError(f"{where}: not a report.json: {problem}")
    return validate_report(data, where)


# --------------------------------------------------------------------------------------------
# Reports written before adversarial examples were pooled apart
# --------------------------------------------------------------------------------------------


def attack_rows(analysis: Any) -> dict[str, int]:
    """``{"attack:<method>": follow-up count}`` of a report's ``analysis`` (its adversarial examples), in
    the report's order; ``{}`` for a run without attacks or a malformed ``counts``."""
    from ..relations import is_attack

    counts = analysis.get("counts") if isinstance(analysis, dict) else None
    by_t = counts.get("by_transformation") if isinstance(counts, dict) else None
    if not isinstance(by_t, dict):
        return {}
    return {str(t): n for t, n in by_t.items() if is_attack(t) and isinstance(n, int) and not isinstance(n, bool) and n}


def pools_attacks(analysis: Any) -> bool:
    """Whether the pooled figures of a report's ``analysis`` include its adversarial examples.

    Reports written before the attack follow-ups were pooled apart have ``attack:<method>`` rows in
    ``counts.by_transformation`` but no ``counts.attacks`` (docs/report-format.md, *Versions*): their
    ``overall`` and ``follow_ups`` scopes (relations, fidelity, flips, accuracy, ...), ``counts.inputs`` and
    ``counts.follow_ups`` include the attack follow-ups. Every reader of a report (report.md, the terminal
    summary, the model card, the Space's Compare tab) asks this one function, so none of them describes
    such a report's pooled figures as free of adversarial examples.
    """
    counts = analysis.get("counts") if isinstance(analysis, dict) else None
    return isinstance(counts, dict) and "attacks" not in counts and bool(attack_rows(analysis))


def attack_count(analysis: Any) -> int:
    """How many attack follow-ups (adversarial examples) a report's ``analysis`` has, pooled apart or not."""
    counts = analysis.get("counts") if isinstance(analysis, dict) else None
    pooled_apart = counts.get("attacks") if isinstance(counts, dict) else None
    if isinstance(pooled_apart, int) and not isinstance(pooled_apart, bool):
        return pooled_apart
    return sum(attack_rows(analysis).values())


def representation_follow_ups(section: Any) -> tuple[int, int]:
    """(transformation follow-ups, attack follow-ups) analysed by a report's ``representations`` section.

    ``n_follow_ups`` counts the transformations' follow-ups and ``n_attacks`` the adversarial examples; a
    section written before ``n_attacks`` existed counted both in ``n_follow_ups``: its shift blocks'
    ``attacks.n`` (rows of the attack scope) says how many of them were attack follow-ups.
    """
    if not isinstance(section, dict):
        return 0, 0
    total = section.get("n_follow_ups") if isinstance(section.get("n_follow_ups"), int) else 0
    if isinstance(section.get("n_attacks"), int):
        return total, section["n_attacks"]
    blocks = [b for b in (section.get("shift") or {}).values() if isinstance(b, dict)]
    attacks = next((b["attacks"].get("n") for b in blocks if isinstance(b.get("attacks"), dict)), None)
    return (total - attacks, attacks) if isinstance(attacks, int) else (total, 0)
