"""Hand-built classifiers whose behaviour is known exactly: "defective" iff a keyword token occurs.

A one-layer RoBERTa with hand-set weights and a word-level tokenizer whose vocabulary holds only the
special tokens and the keyword (every other word becomes ``<unk>``):

* embeddings: the keyword's embedding is ``[s, -s, 0, 0]``, every other token's ``[0, 0, s, -s]``
  (positions and token types zero), so after the embedding LayerNorm dimension 0 is ``sqrt(2)`` for
  the keyword and 0 for everything else;
* attention: query and key weights are zero, so every token attends uniformly to all tokens: the
  ``<s>`` position receives the *mean* over the input, whose dimension 0 is positive iff the keyword
  occurs; value/output projections are the identity, the feed-forward block is zeroed;
* head: ``tanh(1e5 * x0 - 3)`` → logits ``[-4 h, 4 h]``: "defective" with p ≈ 1 when the keyword
  occurs (one occurrence among a few hundred tokens suffices), "safe" with p ≈ 1 otherwise.

With keyword ``danger`` (an identifier) renaming flips the model; with ``while`` (a keyword) no
renaming can.
"""

from __future__ import annotations

from pathlib import Path


def make_keyword_model(folder: Path, keyword: str, max_positions: int = 514) -> Path:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast, RobertaConfig, RobertaForSequenceClassification

    special = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    vocab = {t: i for i, t in enumerate(special + [keyword])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   pad_token="<pad>", mask_token="<mask>", cls_token="<s>", sep_token="</s>",
                                   model_max_length=max_positions - 2)
    h = 4
    config = RobertaConfig(vocab_size=len(vocab), hidden_size=h, num_hidden_layers=1, num_attention_heads=1,
                           intermediate_size=4, max_position_embeddings=max_positions, pad_token_id=1,
                           bos_token_id=0, eos_token_id=2, num_labels=2, id2label={0: "safe", 1: "defective"},
                           label2id={"safe": 0, "defective": 1}, hidden_dropout_prob=0.0,
                           attention_probs_dropout_prob=0.0)
    model = RobertaForSequenceClassification(config)
    s = 1.0
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        emb = model.roberta.embeddings
        emb.word_embeddings.weight[:] = torch.tensor([0.0, 0.0, s, -s])
        emb.word_embeddings.weight[vocab[keyword]] = torch.tensor([s, -s, 0.0, 0.0])
        emb.LayerNorm.weight.fill_(1.0)
        layer = model.roberta.encoder.layer[0]
        layer.attention.self.value.weight.copy_(torch.eye(h))
        layer.attention.output.dense.weight.copy_(torch.eye(h))
        layer.attention.output.LayerNorm.weight.fill_(1.0)
        layer.output.LayerNorm.weight.fill_(1.0)
        head = model.classifier
        head.dense.weight[0, 0] = 1e5
        head.dense.bias[0] = -3.0
        head.out_proj.weight[0, 0] = -4.0
        head.out_proj.weight[1, 0] = 4.0
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder
