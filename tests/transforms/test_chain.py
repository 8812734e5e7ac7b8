"""Chains of transformations: semantics, determinism and provenance of every step."""

import json

import pytest

from metacompress_eval.code.edits import Edit, apply_edits
from metacompress_eval.errors import MetaCompressError
from metacompress_eval.transforms import Chain, apply_chain, build_chains, get_transformation, is_chain_spec

C = "int f(int a) {\n    int b = a * 2;\n    b += 1;\n    return b;\n}\n"
NAMES = ["rename_variables", "dead_code", "if_else_swap", "comment_insert", "reindent"]


def replay(code, language, provenance):
    """Re-create a chain's follow-up from its provenance alone (each step's sites)."""
    current = code
    for step in provenance["params"]["steps"]:
        if step["status"] != "applied":
            continue
        data = current.encode()
        for site in step["sites"]:
            assert data[site["start"] : site["end"]].decode() == site["original"]
        current = apply_edits(data, [Edit(s["start"], s["end"], s["replacement"]) for s in step["sites"]]).decode()
    return current


def test_fixed_chain_applies_every_step_in_order():
    result = apply_chain(C, "c", ["rename_variables", "dead_code", "comment_insert"], seed=3)
    assert result.applied and result.transformation == "chain"
    steps = result.params["steps"]
    assert [s["transformation"] for s in steps] == ["rename_variables", "dead_code", "comment_insert"]
    assert all(s["status"] == "applied" for s in steps) and result.params["applied_steps"] == 3
    assert replay(C, "c", result.provenance()) == result.code
    json.dumps(result.provenance())  # JSON-serialisable
    # The second step's sites are in the coordinates of the first follow-up.
    first = get_transformation("rename_variables").apply(C, "c", steps[0]["seed"]).code
    site = steps[1]["sites"][0]
    assert first.encode()[site["start"] : site["end"]].decode() == site["original"]


def test_fixed_chain_fails_on_a_non_applicable_step():
    result = apply_chain(C, "c", ["rename_variables", "if_else_swap"], seed=0)
    assert result.status == "not_applicable" and "if_else_swap" in result.reason and result.code is None
    assert [s["status"] for s in result.params["steps"]] == ["applied", "not_applicable"]


def test_drawn_chain_skips_non_applicable_and_records_them():
    seen_skip = False
    for seed in range(20):
        result = apply_chain(C, "c", NAMES, seed, k=3)
        assert result.applied and result.params["applied_steps"] == 3
        applied = [s["transformation"] for s in result.params["steps"] if s["status"] == "applied"]
        assert len(applied) == len(set(applied)) == 3
        seen_skip |= any(s["status"] == "not_applicable" for s in result.params["steps"])
        assert replay(C, "c", result.provenance()) == result.code
    assert seen_skip  # if_else_swap never applies to C and is recorded as skipped
    assert apply_chain(C, "c", NAMES, 0, k=5).status == "not_applicable"


def test_chain_determinism_and_seed_dependence():
    a = apply_chain(C, "c", NAMES, 11, k=3)
    b = apply_chain(C, "c", NAMES, 11, k=3)
    assert a.code == b.code and a.provenance() == b.provenance()
    assert len({apply_chain(C, "c", NAMES, s, k=3).code for s in range(8)}) > 1


def test_chain_object_specs_and_build_chains():
    chain = Chain.from_spec("chain:rename_variables+dead_code")
    assert chain.name == "chain:rename_variables+dead_code" and chain.supports("go") and chain.family == "chain"
    result = chain.apply(C, "c", 1)
    assert result.applied and result.transformation == chain.name
    drawn = Chain.from_spec("chain2:rename_variables+dead_code+if_else_swap")
    assert drawn.k == 2 and drawn.apply(C, "c", 1).applied
    assert is_chain_spec("chain2:a+b") and not is_chain_spec("dead_code")
    chains = build_chains(["rename_variables", "dead_code", "reindent"], 2, seed=0)
    assert len(chains) == 6 and len({c.name for c in chains}) == 6
    assert [c.name for c in chains] == [c.name for c in build_chains(["rename_variables", "dead_code", "reindent"], 2, seed=0)]
    assert len(build_chains(["rename_variables", "dead_code", "reindent"], 2, seed=0, count=2)) == 2
    chained = apply_chain(C, "c", [("rename_variables", {"strategy": "placeholder"}), "dead_code"], 0)
    assert "VAR_0" in chained.code
    with pytest.raises(MetaCompressError):
        apply_chain(C, "c", NAMES, 0, k=9)
    with pytest.raises(MetaCompressError):
        Chain(["nope"])
