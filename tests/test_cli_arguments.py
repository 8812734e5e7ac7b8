"""Arguments that would fail deep inside a run are refused when the command line is read."""

from __future__ import annotations

import contextlib
import io

import pytest
from hypothesis import given, settings, strategies as st

from metacompress_eval import cli
from metacompress_eval.cli import build_parser, main
from metacompress_eval.cli.options import MAX_SEED
from metacompress_eval.threads import MAX_THREADS

SEEDED = ["demo", "evaluate", "attack", "distill", "transform", "dataset"]


def _parse(argv):
    return build_parser().parse_known_args(argv)[0]


@pytest.mark.parametrize("command", SEEDED)
@pytest.mark.parametrize("value", ["-1", str(MAX_SEED + 1), "99999999999999999999", "1.5", "x", ""])
def test_every_seeded_command_refuses_a_seed_out_of_range(command, value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _parse([command, f"--seed={value}"])
    assert exit_info.value.code == 2
    assert "--seed" in capsys.readouterr().err


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=MAX_SEED))
def test_seeds_in_range_are_read_as_given(value):
    assert _parse(["demo", f"--seed={value}"]).seed == value


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.integers(max_value=-1), st.integers(min_value=MAX_SEED + 1)))
def test_seeds_out_of_range_are_refused(value):
    with pytest.raises(SystemExit):
        _parse(["demo", f"--seed={value}"])


@pytest.mark.parametrize("value", ["0", "-1", str(MAX_THREADS + 1), "99999", "abc"])
def test_thread_counts_out_of_range_are_refused(value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _parse(["demo", f"--threads={value}"])
    assert exit_info.value.code == 2
    assert "--threads" in capsys.readouterr().err


@pytest.mark.parametrize("value,expected", [("1", 1), (str(MAX_THREADS), MAX_THREADS), ("auto", "auto"), ("cpus", "cpus")])
def test_thread_counts_in_range_are_accepted(value, expected):
    assert _parse(["demo", f"--threads={value}"]).threads == expected


CHUNKED = {"transform": ["--language", "c", "in.jsonl", "out.jsonl"],
           "evaluate": ["--teacher", "t", "--student", "s", "--data", "d.jsonl"]}


@pytest.mark.parametrize("command", sorted(CHUNKED))
@settings(max_examples=15, deadline=None)
@given(value=st.integers(max_value=0))
def test_chunk_sizes_below_one_are_refused_in_one_line(command, value):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main([command, *CHUNKED[command], f"--chunk-sources={value}"]) == 2
    assert err.getvalue().splitlines() == [f"metacompress: error: --chunk-sources must be at least 1, "
                                                    f"not {value}"]


def _interrupted(*args, **kwargs):
    raise KeyboardInterrupt


INTERRUPTED = {  # command line → what its interruption says after "interrupted"
    ("demo",): "; finished model outputs are cached — rerun the same command to resume",
    ("evaluate", *CHUNKED["evaluate"]): "; finished model outputs are cached — rerun the same command to resume",
    ("attack", "--model", "m", "--data", "d.jsonl", "--out", "o"):
        "; finished model outputs are cached — rerun the same command to resume",
    ("transform", *CHUNKED["transform"]): "; no output was written — rerun the same command",
    ("verify", "--language", "c", "in.jsonl"): "",  # no cache: nothing to promise
    ("dataset", "--data", "d.jsonl", "--out", "o"): "",
}


@pytest.mark.parametrize("argv", sorted(INTERRUPTED))
def test_an_interruption_says_what_a_rerun_of_that_command_does(argv, monkeypatch, capsys):
    """Only the commands that cache model outputs promise a resume; the others say no more than is true."""
    command = next(c for c in cli.COMMANDS if c.NAME == argv[0])
    monkeypatch.setattr(command, "run", _interrupted)
    assert main(list(argv)) == 130
    assert capsys.readouterr().err.splitlines() == ["metacompress: interrupted" + INTERRUPTED[argv]]


ATTACKING = {"evaluate": ["evaluate", *CHUNKED["evaluate"]], "attack": ["attack", "--model", "m", "--data", "d.jsonl"]}


@pytest.mark.parametrize("attacks,message", [
    ("mhm,mhm", "--attacks names mhm more than once; each attack runs once"),
    ("random, mhm,random,mhm,alert", "--attacks names random, mhm more than once; each attack runs once"),
    (",", "--attacks names no attack; give one or more of: random, mhm, alert"),
    ("", "--attacks names no attack; give one or more of: random, mhm, alert"),
    ("mhm,nope,nope", "unknown attack(s) nope; choose from: random, mhm, alert"),
])
def test_an_attack_list_names_each_known_method_once(attacks, message, capsys):
    """A repeated method would run twice and count its adversarial examples twice; an empty list ran none."""
    assert main([*ATTACKING["evaluate"], f"--attacks={attacks}"]) == 2
    assert capsys.readouterr().err.splitlines() == [f"metacompress: error: {message}"]


@pytest.mark.parametrize("command,option,least", [
    ("evaluate", "--attack-max-sources", 1), ("evaluate", "--attack-budget", 1), ("evaluate", "--batch-size", 1),
    ("attack", "--budget", 1), ("attack", "--batch-size", 1), ("attack", "--side", 0)])
@settings(max_examples=8, deadline=None)
@given(below=st.integers(min_value=1, max_value=10**6))
def test_attack_integer_settings_below_their_least_value_are_refused_in_one_line(command, option, least, below):
    """--attack-max-sources 0 attacked every source and -3 all but the last three (a slice)."""
    value = least - below
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main([*ATTACKING[command], "--attacks=mhm" if command == "evaluate" else "--method=mhm",
                     f"{option}={value}"]) == 2
    assert err.getvalue().splitlines() == [f"metacompress: error: {option} must be at least {least}, not {value}"]


@pytest.mark.parametrize("field,value", [("max_sources", 0), ("max_sources", -3), ("budget", 0), ("batch_size", 0),
                                         ("side", -1), ("max_sources", 1.5), ("budget", True)])
def test_attack_settings_refuse_what_the_options_refuse(field, value):
    from metacompress_eval.attacks import AttackSettings
    from metacompress_eval.errors import MetaCompressError

    with pytest.raises(MetaCompressError, match=f"attack setting {field} must be a whole number"):
        AttackSettings(methods=("mhm",), **{field: value})
    with pytest.raises(MetaCompressError, match="names mhm more than once"):
        AttackSettings(methods=("mhm", "random", "mhm"))
    with pytest.raises(MetaCompressError, match="names no attack"):
        AttackSettings(methods=())
    assert AttackSettings(methods=("mhm",), max_sources=1, side=0).max_sources == 1


@pytest.mark.parametrize("where", ["build_parser", "_quiet_libraries"])
def test_an_interruption_while_starting_is_one_line(where, monkeypatch, capsys):
    """Ctrl-C while the command line is being built (its imports take seconds: scipy, torch) ends with exit
    130 and one line, not a KeyboardInterrupt traceback."""
    monkeypatch.setattr(cli, where, _interrupted)
    assert main(["verify", "--language", "c", "in.jsonl"]) == 130
    assert capsys.readouterr().err.splitlines() == ["metacompress: interrupted while starting; nothing was written"]


SLOW_START = {
    # SIGINT while `python -m metacompress_eval` imports its command line (before main exists)
    "import": ("import importlib.abc, sys, time\n"
               "class Slow(importlib.abc.MetaPathFinder):\n"
               "    def find_spec(self, name, path, target=None):\n"
               "        if name == 'metacompress_eval.cli':\n"
               "            print('ready', flush=True); time.sleep(30)\n"
               "sys.meta_path.insert(0, Slow())\n"),
    # ... and while main builds the parser
    "parser": ("import time, metacompress_eval.cli as c\n"
               "def slow(*a, **k):\n    print('ready', flush=True); time.sleep(30)\n"
               "c.build_parser = slow\n"),
}


@pytest.mark.parametrize("moment", sorted(SLOW_START))
def test_sigint_while_starting_is_one_line(moment):
    """A real SIGINT at each moment of start-up: exit 130 and one line."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    code = SLOW_START[moment] + ("import runpy, sys\nsys.argv = ['metacompress', '--help']\n"
                                 "runpy.run_module('metacompress_eval', run_name='__main__')\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and err.splitlines() == ["metacompress: interrupted while starting; nothing was written"]
