"""Options the weights cannot tell: read from a config.json beside the weights, with their source.

Generated cases: every combination of activation × position (× LayerNorm epsilon) written to a config
beside a compact student must load as the config says (the tester's case: silu + relative_key_query
was loaded as gelu + relative_key), an explicit option still wins (with a warning), and a config value
the adapter cannot honour is refused naming the file.
"""

from __future__ import annotations

import itertools
import json

import pytest

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.models import load_model
from metacompress_eval.models.options import Option

from .tiny import write_compact_student

ACTIVATIONS = ("gelu", "gelu_new", "silu", "relu")
POSITIONS = ("relative_key", "relative_key_query")


@pytest.mark.parametrize("activation,position,eps", [(a, p, e) for (a, p), e in zip(
    itertools.product(ACTIVATIONS, POSITIONS), itertools.cycle((1e-5, 1e-12, None)))])
def test_compact_student_follows_config_beside_weights(tmp_path, tokenizer_file, activation, position, eps):
    folder, _ = write_compact_student(tmp_path / "s", tokenizer_file, members=1)
    config = {"hidden_act": activation, "position_embedding_type": position}
    if eps is not None:
        config["layer_norm_eps"] = eps
    (folder / "config.json").write_text(json.dumps(config))
    arch = load_model(str(folder), role="student").describe()["architecture"]
    assert (arch["activation"], arch["position"]) == (activation, position)
    assert arch["layer_norm_eps"] == (eps if eps is not None else 1e-5)
    sources = arch["setting_sources"]
    where = str(folder / "config.json")
    assert sources["activation"] == sources["position"] == where
    assert sources["layer_norm_eps"] == (where if eps is not None else "default")
    assert sources["num_heads"].startswith("weights")


def test_without_config_the_defaults_are_reported_as_defaults(tmp_path, tokenizer_file):
    folder, _ = write_compact_student(tmp_path / "s", tokenizer_file, members=1)
    arch = load_model(str(folder)).describe()["architecture"]
    assert (arch["activation"], arch["position"]) == ("gelu", "relative_key")
    assert arch["setting_sources"]["activation"] == arch["setting_sources"]["position"] == "default"


def test_explicit_option_wins_over_config_with_a_warning(tmp_path, tokenizer_file, capsys):
    folder, _ = write_compact_student(tmp_path / "s", tokenizer_file, members=1)
    (folder / "config.json").write_text(json.dumps({"hidden_act": "silu", "position_embedding_type": "relative_key_query"}))
    arch = load_model(str(folder), role="student", options={"activation": "relu"}).describe()["architecture"]
    assert arch["activation"] == "relu" and arch["setting_sources"]["activation"] == "option"
    assert arch["position"] == "relative_key_query"
    err = capsys.readouterr().err
    assert "--student-option activation=relu overrides hidden_act='silu'" in err and err.count("\n") == 1


@pytest.mark.parametrize("config,needle", [
    ({"hidden_act": "gelu_fast"}, "hidden_act"),
    ({"position_embedding_type": "absolute"}, "attention=absolute"),
    ({"layer_norm_eps": -1}, "layer_norm_eps"),
    ({"num_attention_heads": 2}, "disagrees with the weights"),
])
def test_config_values_the_weights_contradict_are_refused(tmp_path, tokenizer_file, config, needle):
    folder, _ = write_compact_student(tmp_path / "s", tokenizer_file, members=1)
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(MetaCompressError, match=needle) as err:
        load_model(str(folder), role="student")
    assert "\n" not in str(err.value)


def test_absolute_student_takes_heads_from_config(tmp_path, tokenizer_file):
    folder, _ = write_compact_student(tmp_path / "s", tokenizer_file, relative=False, members=1)
    (folder / "config.json").write_text(json.dumps({"num_attention_heads": 3, "hidden_act": "silu"}))
    model = load_model(str(folder), adapter="compact-roberta")
    arch = model.describe()["architecture"]
    assert arch["num_heads"] == 3 and arch["activation"] == "silu" and arch["position"] == "absolute"


@pytest.mark.parametrize("kind", [float, int])
@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "NaN", "0", "-1", "1e400", "x"])
def test_numeric_options_must_be_finite_and_positive(kind, text):
    with pytest.raises(MetaCompressError, match="must be a finite positive number|is not a"):
        Option("x", "", kind=kind).parse(text, "student")


def test_layer_norm_eps_nan_refused_before_loading(tmp_path):
    # The folder does not even exist: the option is refused before any file is read.
    with pytest.raises(MetaCompressError, match="layer_norm_eps='nan'.*finite"):
        load_model(str(tmp_path / "missing"), adapter="compact-roberta", options={"layer_norm_eps": "nan"})


@pytest.mark.parametrize("labels", ["a,a", "a,b,a", "x, x"])
def test_duplicate_label_names_refused(labels):
    with pytest.raises(MetaCompressError, match="more than once"):
        Option("labels", "", kind=list).parse(labels, "student")
