"""Attack searches against models whose behaviour is known exactly (see keyword_model.py)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from metacompress_eval.attacks import (SKIP_MISCLASSIFIED, SKIP_NO_IDENTIFIERS, SKIP_UNPARSABLE, QueryBudget,
                                       Subject, Variant, get_attack)
from metacompress_eval.code.languages import parse
from metacompress_eval.data import SourceInput
from metacompress_eval.errors import MetaCompressError

METHODS = ["random", "mhm", "alert"]


class CountingEngine:
    """Wraps an engine and counts every model input it is asked for."""

    def __init__(self, engine):
        self.engine, self.inputs, self.calls = engine, 0, 0

    def predict(self, inputs):
        self.inputs += len(inputs)
        self.calls += 1
        return self.engine.predict(inputs)


@pytest.mark.parametrize("method", METHODS)
def test_name_keyed_model_is_flipped(method, engines, danger_sources):
    attack = get_attack(method, budget=60, seed=0)
    for source in danger_sources:
        result = attack.attack(source, engines["danger"], "c")
        assert result.status == "successful", (method, result.reason)
        assert result.adversarial_prediction == 0 and result.original_prediction == 1
        code = result.adversarial_inputs[0]
        assert not re.search(r"\bdanger\b", code)  # renamed at every occurrence
        assert parse(code, "c").error_count() == 0
        renames = result.provenance["renames"]
        assert "danger" in [r["old"] for r in renames]
        assert sum(r["occurrences"] for r in renames) == len(result.provenance["sites"])
        assert result.edits == len(renames) and 1 <= result.queries <= 60


@pytest.mark.parametrize("method", METHODS)
def test_model_ignoring_names_is_not_flipped_and_budget_is_respected(method, engines, while_sources):
    budget = 25
    attack = get_attack(method, budget=budget, seed=0)
    for source in while_sources:
        counting = CountingEngine(engines["while"])
        result = attack.attack(source, counting, "c")
        assert result.status == "failed"
        assert result.queries == counting.inputs <= budget  # the clean query included
        assert result.adversarial_inputs is None


@pytest.mark.parametrize("method", METHODS)
def test_budget_is_strict_with_clean_probs_given(method, engines, while_sources):
    for budget in (1, 2, 7):
        counting = CountingEngine(engines["while"])
        clean = engines["while"].predict([while_sources[0].inputs]).probs[0]
        result = get_attack(method, budget=budget, seed=3).attack(while_sources[0], counting, "c", clean_probs=clean)
        assert result.queries == counting.inputs + 1 <= budget


@pytest.mark.parametrize("method", METHODS)
def test_seeded_runs_repeat(method, engines, danger_sources, while_sources):
    def run(seed):
        rows = []
        for s in danger_sources[:3] + while_sources[:1]:
            row = get_attack(method, budget=20, seed=seed).attack(s, engines["danger"], "c").as_row()
            row.pop("seconds")
            rows.append(row)
        return rows

    assert run(5) == run(5)


def test_skip_reasons(engines):
    attack = get_attack("mhm", budget=10)
    wrong = SourceInput("m", ("int f(int danger) { return danger; }",), 0)  # predicted defective, gold safe
    broken = SourceInput("b", ("int f(int x { return x; ",), 0)
    bare = SourceInput("n", ("int f(void) { return 0; }",), 0)
    reasons = [attack.attack(s, engines["danger"], "c").reason for s in (wrong, broken, bare)]
    assert reasons == [SKIP_MISCLASSIFIED, SKIP_UNPARSABLE, SKIP_NO_IDENTIFIERS]
    assert all(attack.attack(s, engines["danger"], "c").status == "skipped" for s in (wrong, broken, bare))


def test_unlabelled_input_attacks_the_own_prediction(engines, danger_sources):
    source = SourceInput("u", danger_sources[0].inputs, None)
    result = get_attack("alert", budget=30).attack(source, engines["danger"], "c")
    assert result.status == "successful" and result.label == 1 and result.gold is None


def test_pair_input_attacks_the_second_function(engines, danger_sources):
    first = "int h(int a) { int b = a + 1; return b; }"
    source = SourceInput("p", (first, danger_sources[0].inputs[0]), 1)
    result = get_attack("mhm", budget=30).attack(source, engines["danger"], "c")
    assert result.status == "successful" and result.side == 1
    assert result.adversarial_inputs[0] == first
    with pytest.raises(MetaCompressError):
        get_attack("mhm", side=2).attack(source, engines["danger"], "c")


def test_other_transformation_families(engines, while_sources):
    # Renaming cannot flip the while-keyed model; turning the loop into a for loop can.
    result = get_attack("random", budget=20, transforms=("while_to_for",)).attack(while_sources[0], engines["while"], "c")
    assert result.status == "successful"
    assert [s["transformation"] for s in result.provenance["steps"]] == ["while_to_for"]
    assert "while" not in result.adversarial_inputs[0]
    with pytest.raises(MetaCompressError):
        get_attack("alert", transforms=("dead_code",))
    with pytest.raises(MetaCompressError):
        get_attack("nope")


def test_fresh_names_and_scope_aware_rendering():
    code = "int f(int n) {\n    int x = n;\n    { int x = 2; n += x; }\n    return x + n;\n}\n"
    subject = Subject(code, "c")
    names = [s.name for s in subject.symbols]
    assert names.count("x") == 2  # two distinct symbols, renamed independently
    inner = [i for i, s in enumerate(subject.symbols) if s.name == "x"][1]
    rendered = subject.render(Variant().with_rename(inner, "inner_value"))
    assert rendered.code == "int f(int n) {\n    int x = n;\n    { int inner_value = 2; n += inner_value; }\n    return x + n;\n}\n"
    assert not subject.is_fresh("n", Variant(), 0)  # a word of the snippet
    assert not subject.is_fresh("while", Variant(), 0)  # reserved
    taken = Variant().with_rename(0, "alpha")
    assert not subject.is_fresh("alpha", taken, 1) and subject.is_fresh("alpha", taken, 0)
    assert taken.with_rename(0, None) == Variant()


def test_budget_type():
    budget = QueryBudget(3)
    budget.spend(2)
    assert budget.remaining == 1
    with pytest.raises(Exception):
        budget.spend(2)
    with pytest.raises(MetaCompressError):
        QueryBudget(0)


def test_compiler_check_on_adversarial_examples(engines, danger_sources):
    from metacompress_eval.verify import compare

    result = get_attack("alert", budget=30, verify=True).attack(danger_sources[1], engines["danger"], "c")
    assert result.status == "successful"
    assert compare(danger_sources[1].inputs[0], result.adversarial_inputs[0], "c").ok


def test_alert_with_masked_language_model(tmp_path, engines, danger_sources):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast, RobertaConfig, RobertaForMaskedLM

    texts = [s.inputs[0] for s in danger_sources] * 5 + ["int value = count + total; int number;"] * 5
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=300, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   pad_token="<pad>", mask_token="<mask>", model_max_length=256)
    cfg = RobertaConfig(vocab_size=tok.get_vocab_size(), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=258, pad_token_id=1)
    RobertaForMaskedLM(cfg).save_pretrained(tmp_path / "mlm")
    fast.save_pretrained(tmp_path / "mlm")
    attack = get_attack("alert", budget=30, mlm=str(tmp_path / "mlm"))
    subject = Subject(danger_sources[0].inputs[0], "c")
    attack.prepare(subject)
    for index, subs in enumerate(attack._subs):
        assert subs and all(re.fullmatch(r"[A-Za-z_]\w*", s) and subject.is_fresh(s, Variant(), index) for s in subs)
    assert attack.attack(danger_sources[0], engines["danger"], "c").status == "successful"
    with pytest.raises(MetaCompressError):
        get_attack("alert", mlm=str(tmp_path)).prepare(subject)
