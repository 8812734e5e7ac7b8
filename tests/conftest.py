"""Shared fixtures: offline settings and tiny, locally made models."""

from __future__ import annotations

import os

# Tests never touch the network: set before transformers/datasets/evaluate are imported.
for _var, _value in {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1",
                     "HF_HUB_DISABLE_TELEMETRY": "1", "GRADIO_ANALYTICS_ENABLED": "False",
                     "TOKENIZERS_PARALLELISM": "false"}.items():
    os.environ.setdefault(_var, _value)

import json  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def metacompress_command() -> list[str]:
    """How to run this checkout's CLI: the ``metacompress`` console script when it runs this very code
    (CI installs the clean clone), else ``python -m metacompress_eval`` (a developer's stale install
    would otherwise be tested instead of the working tree)."""
    import hashlib
    import shutil
    import subprocess
    import sys

    exe = shutil.which("metacompress")
    if exe:
        probe = subprocess.run([sys.executable, "-c", "import metacompress_eval, pathlib; "
                                "print(pathlib.Path(metacompress_eval.__file__).parent)"],
                               capture_output=True, text=True, cwd="/", env={**os.environ, "PYTHONPATH": ""})
        installed = Path(probe.stdout.strip()) if probe.returncode == 0 else None

        def digest(root: Path) -> str:
            h = hashlib.sha256()
            for f in sorted(root.rglob("*.py")):
                h.update(f.relative_to(root).as_posix().encode() + f.read_bytes())
            return h.hexdigest()

        if installed is not None and installed.is_dir() and digest(installed) == digest(REPO / "metacompress_eval"):
            return [exe]
    return [sys.executable, "-m", "metacompress_eval"]


def repo_importable_env() -> dict[str, str]:
    """The environment for a CLI subprocess that loads a plugin from this checkout's ``tests`` package
    (``python:tests.models.plugin_example:...``): the ``metacompress`` console script, which CI runs, does
    not put the current folder on ``sys.path`` the way ``python -m`` does."""
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": str(REPO) + (os.pathsep + path if path else "")}


SHARED_DATA = REPO.parent / "shared" / "data"
JULIET = SHARED_DATA / "juliet-c" / "functions.jsonl"
BIGCLONEBENCH = SHARED_DATA / "bigclonebench" / "functions.jsonl"


def need_tools(*tools: str) -> None:
    """Skip the test unless every one of ``tools`` is on PATH."""
    import shutil

    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed")


@pytest.fixture
def need_gcc():
    """gcc itself (tests/verify overrides it to take clang too)."""
    need_tools("gcc")


@pytest.fixture
def need_javac():
    need_tools("javac")


@pytest.fixture
def need_node():
    need_tools("node")


@pytest.fixture
def need_go():
    need_tools("go")


def shared_rows(path: Path, n: int, predicate=None, max_chars: int = 3000) -> list[dict]:
    """Up to ``n`` rows of a shared corpus (``SHARED_DATA``) spread evenly over the file, not just its first,
    most similar, rows; only code of 1 to ``max_chars`` characters for which ``predicate`` holds."""
    if not path.is_file():
        pytest.skip(f"{path} not available")
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            code = row.get("code")
            if isinstance(code, str) and 0 < len(code) <= max_chars and (predicate is None or predicate(code)):
                rows.append(row)
    step = max(1, len(rows) // n)
    return rows[::step][:n]

C_SNIPPETS = [
    """int sum(int *values, int n) {
    int total = 0;
    for (int i = 0; i < n; i++) {
        total += values[i];
    }
    if (total > 100) {
        total = 100;
    } else {
        total = total * 2;
    }
    return total;
}""",
    """void copy(char *dst, const char *src, int size) {
    int len = strlen(src);
    if (len >= size) {
        return;
    } else {
        memcpy(dst, src, len + 1);
    }
}""",
    """char *make(int count) {
    char *buffer = malloc(count);
    int index = 0;
    while (index <= count) {
        buffer[index] = 0;
        index++;
    }
    return buffer;
}""",
    """int lookup(int *table, int idx) {
    int value;
    if (idx < 0) {
        value = -1;
    } else {
        value = table[idx];
    }
    printf("%d\\n", value);
    return value;
}""",
]


def make_tiny_model(folder: Path, *, layers: int, hidden: int, vocab: int, texts: list[str],
                    labels=("safe", "defective"), seed: int = 0, max_positions: int = 130,
                    drop_whitespace: bool = False) -> Path:
    """A randomly initialised RoBERTa classifier with its own byte-level BPE tokenizer
    (``drop_whitespace``: a tokenizer that splits on whitespace and drops it, as some students' do)."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast, RobertaConfig, RobertaForSequenceClassification

    torch.manual_seed(seed)
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.ByteLevel(
        add_prefix_space=False)]) if drop_whitespace else pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    special = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=vocab, special_tokens=special,
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.post_processor = processors.RobertaProcessing(("</s>", tok.token_to_id("</s>")), ("<s>", tok.token_to_id("<s>")))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   pad_token="<pad>", mask_token="<mask>", cls_token="<s>", sep_token="</s>",
                                   model_max_length=max_positions - 2)
    config = RobertaConfig(vocab_size=tok.get_vocab_size(), hidden_size=hidden, num_hidden_layers=layers,
                           num_attention_heads=2, intermediate_size=hidden * 2, max_position_embeddings=max_positions,
                           pad_token_id=1, bos_token_id=0, eos_token_id=2, num_labels=len(labels),
                           id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)})
    model = RobertaForSequenceClassification(config)
    # Default initialisation gives logits near 0 (every input ≈ 50/50); wider weights in the head make
    # outputs differ between inputs and between models, so relations have something to detect.
    with torch.no_grad():
        for layer in (model.classifier.dense, model.classifier.out_proj):
            layer.weight.normal_(0.0, 1.0)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def corpus_texts() -> list[str]:
    texts = []
    for i in range(60):
        for s in C_SNIPPETS:
            texts.append(s.replace("total", f"total{i % 7}").replace("value", f"val{i % 5}"))
    return texts


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory, corpus_texts) -> dict[str, Path]:
    """A teacher and a differently sized student with different tokenizers."""
    root = tmp_path_factory.mktemp("models")
    return {
        "teacher": make_tiny_model(root / "teacher", layers=2, hidden=64, vocab=400, texts=corpus_texts, seed=1),
        "student": make_tiny_model(root / "student", layers=1, hidden=32, vocab=300, texts=corpus_texts, seed=2,
                                   max_positions=66),
    }


def write_jsonl(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    return path


@pytest.fixture()
def c_dataset(tmp_path) -> Path:
    rows = [{"id": f"f{i}", "code": s, "label": i % 2} for i, s in enumerate(C_SNIPPETS * 3)]
    for i, r in enumerate(rows):
        r["id"] = f"f{i}"
    return write_jsonl(tmp_path / "data.jsonl", rows)


def process_running(pid: int) -> bool:
    """Whether process ``pid`` exists and has not ended (a zombie has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
