"""Benchmark helpers: real code inputs and randomly initialised models of realistic shape.

No weights are downloaded: a RoBERTa classifier with a chosen shape is initialised at random and a
byte-level BPE tokenizer is trained on the benchmark's own inputs. Throughput depends on the shape
and the sequence lengths, not on the weight values, so this measures the same work as a trained
model of that shape.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Benchmarks measure the working tree, also when an installed copy of the package exists.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared" / "data"

SHAPES = {
    # name: (layers, hidden, heads, intermediate, max_positions)
    "codebert-base": (12, 768, 12, 3072, 514),
    "small": (6, 384, 6, 1536, 514),
    "tiny": (2, 128, 4, 256, 258),
}


def load_functions(n: int) -> tuple[list[str], str]:
    """``n`` distinct real functions: BigCloneBench Java if present, else the demo corpus (C)."""
    bcb = SHARED / "bigclonebench" / "functions.jsonl"
    if bcb.is_file():
        # Distinct functions only: the file repeats many methods, and the engine runs a repeated
        # input once, which would flatter it against loops that run every copy.
        rows: list[str] = []
        with open(bcb) as fh:
            for line in fh:
                code = json.loads(line)["code"]
                if code not in rows:
                    rows.append(code)
                if len(rows) == n:
                    break
        return rows, "distinct BigCloneBench Java methods (shared data)"
    from metacompress_eval.demo.corpus import generate_corpus

    return [r["code"] for r in generate_corpus(max(n, 240))][:n], "demo corpus C functions (shared data absent)"


def make_model(folder: Path, shape: str, texts: list[str], vocab: int = 8000, seed: int = 0,
               drop_whitespace: bool = False) -> Path:
    """Save a random-weight RoBERTa classifier of ``shape`` with a BPE tokenizer trained on ``texts``
    (``drop_whitespace``: the tokenizer splits on whitespace and drops it, as some students' do)."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast, RobertaConfig, RobertaForSequenceClassification

    layers, hidden, heads, inter, positions = SHAPES[shape]
    torch.manual_seed(seed)
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.pre_tokenizer = (pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), byte_level]) if drop_whitespace
                         else byte_level)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=vocab, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   pad_token="<pad>", mask_token="<mask>", cls_token="<s>", sep_token="</s>",
                                   model_max_length=positions - 2)
    cfg = RobertaConfig(vocab_size=tok.get_vocab_size(), hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=heads, intermediate_size=inter, max_position_embeddings=positions,
                        pad_token_id=1, bos_token_id=0, eos_token_id=2, num_labels=2)
    RobertaForSequenceClassification(cfg).save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


def machine() -> str:
    import platform

    import torch

    return (f"{platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}, "
            f"{torch.get_num_threads()} threads")


# The published AVATAR student beside the repository (../shared/data), measured by bench_adapters.py and
# bench_published_student.py.
PUBLISHED_STUDENT = SHARED / "published-students" / "graphcodebert-clone-avatar"


def require_published_student() -> Path:
    """The published student's folder, or exit with a message naming where it was looked for."""
    if not (PUBLISHED_STUDENT / "model.bin").is_file():
        sys.exit(f"the published student is not at {PUBLISHED_STUDENT} (../shared/data)")
    return PUBLISHED_STUDENT


def add_report_options(parser) -> None:
    """``--save FILE`` (also write the JSON report) and ``--render FILE`` (print a saved one as Markdown)."""
    parser.add_argument("--save", default=None, help="also write the JSON report to this file")
    parser.add_argument("--render", default=None,
                        help="print a saved JSON report as BENCHMARKS.md Markdown and exit")


def rendered(args, markdown) -> bool:
    """With ``--render FILE``: print ``markdown(report)`` of that saved report and return True."""
    if not args.render:
        return False
    print(markdown(json.loads(Path(args.render).read_text(encoding="utf-8"))))
    return True


def emit_report(report: dict, save: str | None) -> None:
    """Print ``report`` as JSON and, with ``save``, write it there too (whole or not at all)."""
    text = json.dumps(report, indent=2)
    if save:
        tmp = Path(save).with_suffix(".tmp")
        tmp.write_text(text + "\n", encoding="utf-8")
        tmp.replace(save)
    print(text)


def measured_line(report: dict) -> str:
    """``Measured DATE on MACHINE; load average … at the start, … at the end.`` for BENCHMARKS.md."""
    load = report["load_average"]
    return (f"Measured {report['date']} on {report['machine']}; load average "
            f"{' / '.join(f'{x:.1f}' for x in load['start'])} (1/5/15 min) at the start, "
            f"{' / '.join(f'{x:.1f}' for x in load['end'])} at the end.")
