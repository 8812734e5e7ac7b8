"""Thread selection (affinity, cgroup quota, load) and thread-count invariant training."""

import argparse
import hashlib
import math
import os

import pytest
import torch

from metacompress_eval import threads


def _cgroup(tmp_path, proc_line, files):
    proc = tmp_path / "proc-self-cgroup"
    proc.write_text(proc_line + "\n")
    for rel, text in files.items():
        path = tmp_path / "sys" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path / "sys", proc


@pytest.mark.parametrize("proc_line, files, expected", [
    # cgroup v2: the tightest quota along the path counts (here the parent's)
    ("0::/a/b", {"a/b/cpu.max": "max 100000", "a/cpu.max": "150000 100000", "cpu.max": "max 100000"}, 1.5),
    ("0::/a", {"a/cpu.max": "50000 100000"}, 0.5),
    ("0::/", {"cpu.max": "max 100000"}, None),
    ("0::/a", {}, None),  # no cpu controller files at all
    # cgroup v1, on the combined "cpu,cpuacct" mount, and unlimited (-1)
    ("4:cpu,cpuacct:/job", {"cpu,cpuacct/job/cpu.cfs_quota_us": "300000", "cpu,cpuacct/job/cpu.cfs_period_us": "100000"},
     3.0),
    ("4:cpu:/job", {"cpu/job/cpu.cfs_quota_us": "-1", "cpu/job/cpu.cfs_period_us": "100000"}, None),
    ("4:memory:/job", {"memory/job/cpu.cfs_quota_us": "100000", "memory/job/cpu.cfs_period_us": "100000"}, None),
    ("garbage", {}, None),
])
def test_cgroup_cpu_limit(tmp_path, proc_line, files, expected):
    root, proc = _cgroup(tmp_path, proc_line, files)
    assert threads.cgroup_cpu_limit(root, proc) == expected


def test_choice_never_exceeds_what_the_process_may_use(monkeypatch):
    monkeypatch.setattr(threads, "affinity_cpus", lambda: 4)
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 8)
    for quota, busy, expected in [(None, 0, 4), (1.5, 0, 2), (0.2, 0, 1), (None, 6, 2), (None, 8, 1), (None, 20, 1),
                                  (2.0, 5, 2)]:
        monkeypatch.setattr(threads, "cgroup_cpu_limit", lambda q=quota: q)
        monkeypatch.setattr(threads, "other_busy_cpus", lambda b=busy: b)
        assert threads.choose_threads("auto") == expected, (quota, busy)
        assert threads.choose_threads("cpus") == (4 if quota is None else min(4, max(1, math.ceil(quota))))
    assert threads.choose_threads(3) == 3  # an explicit number is obeyed


def test_real_machine_values_are_sane():
    assert 1 <= threads.available_cpus() <= (os.cpu_count() or 1)
    assert 0 <= threads.other_busy_cpus(samples=2, interval=0.0)
    assert 1 <= threads.choose_threads() <= threads.available_cpus()


def test_threads_argument():
    parser = argparse.ArgumentParser()
    threads.add_threads_argument(parser)
    assert parser.parse_args([]).threads == "auto"
    assert parser.parse_args(["--threads", "3"]).threads == 3
    assert parser.parse_args(["--threads", "CPUS"]).threads == "cpus"
    for bad in ("0", "-1", "two"):
        with pytest.raises(SystemExit):
            parser.parse_args(["--threads", bad])


def test_configure_and_refresh(monkeypatch):
    before = torch.get_num_threads()
    try:
        assert threads.configure_threads(1) == 1 and torch.get_num_threads() == 1
        monkeypatch.setattr(threads, "choose_threads", lambda requested=None: 2)
        assert threads.refresh_threads() == 1  # a fixed request is kept
        threads.configure_threads("auto")
        assert threads.refresh_threads() == 2
    finally:
        threads.configure_threads(before)


def _train_digest(n_threads: int, invariant: bool) -> str:
    from transformers import RobertaConfig, RobertaForSequenceClassification

    torch.set_num_threads(n_threads)
    torch.manual_seed(0)
    config = RobertaConfig(vocab_size=300, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                           intermediate_size=128, max_position_embeddings=130, type_vocab_size=1, num_labels=2)
    model = RobertaForSequenceClassification(config)
    if invariant:
        threads.make_thread_invariant(model)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(1)
    for _ in range(2):
        ids = torch.randint(5, 300, (8, 64), generator=gen)
        mask = torch.ones_like(ids)
        mask[:3, 40:] = 0
        loss = torch.nn.functional.cross_entropy(model(input_ids=ids, attention_mask=mask).logits,
                                                 torch.randint(0, 2, (8,), generator=gen))
        opt.zero_grad()
        loss.backward()
        opt.step()
    digest = hashlib.sha256()
    for value in model.state_dict().values():
        digest.update(value.numpy().tobytes())
    return digest.hexdigest()


def test_training_is_thread_count_invariant():
    before = torch.get_num_threads()
    try:
        digests = {n: _train_digest(n, invariant=True) for n in (1, 2)}
    finally:
        torch.set_num_threads(before)
    assert len(set(digests.values())) == 1, digests


def test_invariant_model_saves_an_ordinary_checkpoint(tmp_path):
    from transformers import AutoModelForSequenceClassification, RobertaConfig, RobertaForSequenceClassification

    config = RobertaConfig(vocab_size=100, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                           intermediate_size=64, max_position_embeddings=40, type_vocab_size=1, num_labels=2,
                           attention_probs_dropout_prob=0.1)
    model = threads.make_thread_invariant(RobertaForSequenceClassification(config)).eval()
    ids = torch.randint(5, 100, (3, 20))
    with torch.inference_mode():
        expected = model(input_ids=ids).logits
    model.save_pretrained(tmp_path)
    loaded = AutoModelForSequenceClassification.from_pretrained(tmp_path).eval()
    assert loaded.config.attention_probs_dropout_prob == 0.0
    assert all(type(m) is torch.nn.LayerNorm for m in loaded.modules() if isinstance(m, torch.nn.LayerNorm))
    with torch.inference_mode():
        torch.testing.assert_close(loaded(input_ids=ids).logits, expected)
