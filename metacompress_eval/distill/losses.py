"""Distillation losses of the four recipes.

All take the student's logits ``s`` and the teacher's logits ``t`` (``[B, C]``), computed on the
same inputs (each model with its own tokenizer), and return a scalar to minimise.

* :func:`kd_kl` -- Compressor and AVATAR: ``KL(softmax(t/T) ‖ softmax(s/T)) · T²``. The ``T²``
  keeps gradient magnitudes comparable across temperatures (Hinton et al., 2015).
* :func:`morph_loss` -- MORPH: the distillation cross-entropy ``−Σ softmax(t/T)·log softmax(s/T)``
  at ``T = 3`` (times ``T²``) plus ``β · (1 − cos(s, t))``, a cosine term on the logit vectors that
  aligns the *direction* of the student's output with the teacher's independently of its scale.
  Cross-entropy and KL differ by the teacher's entropy, a constant, so their gradients are equal;
  the recipe keeps the cross-entropy form MORPH states.
* :func:`fidelity_loss` -- ours: KL distillation on a source x and on a follow-up x′ (each against
  the teacher's distribution on that very input) plus ``λ ·`` :func:`relation_consistency`, which asks
  the student's *change* between x and x′ to equal the teacher's change.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["kd_kl", "soft_cross_entropy", "cosine_term", "morph_loss", "relation_consistency", "fidelity_loss"]


def kd_kl(s: torch.Tensor, t: torch.Tensor, temperature: float = 2.0) -> torch.Tensor:
    """``KL(softmax(t/T) ‖ softmax(s/T)) · T²``, averaged over the batch."""
    T = float(temperature)
    return F.kl_div(F.log_softmax(s / T, dim=-1), F.softmax(t / T, dim=-1), reduction="batchmean") * T * T


def soft_cross_entropy(s: torch.Tensor, t: torch.Tensor, temperature: float = 3.0) -> torch.Tensor:
    """``−Σ softmax(t/T) · log softmax(s/T) · T²``, averaged over the batch."""
    T = float(temperature)
    return -(F.softmax(t / T, dim=-1) * F.log_softmax(s / T, dim=-1)).sum(-1).mean() * T * T


def cosine_term(s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """``1 − cos(s, t)`` of the logit vectors, averaged over the batch.

    For two classes the logits are centred first: softmax ignores a shared offset, so only the
    centred vectors carry the prediction, and two uncentred logit vectors can point the same way
    while predicting opposite labels.
    """
    s = s - s.mean(-1, keepdim=True)
    t = t - t.mean(-1, keepdim=True)
    return (1.0 - F.cosine_similarity(s, t, dim=-1, eps=1e-6)).mean()


def morph_loss(s: torch.Tensor, t: torch.Tensor, temperature: float = 3.0, cosine_weight: float = 1.0) -> torch.Tensor:
    """MORPH's loss: soft cross-entropy at ``T`` plus ``cosine_weight · (1 − cos(s, t))``."""
    return soft_cross_entropy(s, t, temperature) + cosine_weight * cosine_term(s, t)


def relation_consistency(s_x: torch.Tensor, s_y: torch.Tensor, t_x: torch.Tensor, t_y: torch.Tensor) -> torch.Tensor:
    """Squared difference between the student's and the teacher's log-probability shift from x to x′.

    ``‖(log p_S(x′) − log p_S(x)) − (log p_T(x′) − log p_T(x))‖²`` (log-probabilities centred per row,
    which removes the normaliser). Where the teacher is invariant to a transformation the target
    shift is zero and this is a plain consistency term (the student must not move); where the
    teacher does move, the student is asked to move the same way -- so the term never pulls the
    student away from its teacher, which a bare ``JSD(p_S(x), p_S(x′))`` would when the teacher
    itself flips.
    """
    def centred(z):
        lp = F.log_softmax(z, dim=-1)
        return lp - lp.mean(-1, keepdim=True)

    shift_s = centred(s_y) - centred(s_x)
    shift_t = centred(t_y) - centred(t_x)
    return ((shift_s - shift_t) ** 2).sum(-1).mean()


def fidelity_loss(s_x: torch.Tensor, s_y: torch.Tensor, t_x: torch.Tensor, t_y: torch.Tensor, *,
                  temperature: float = 2.0, consistency_weight: float = 1.0) -> torch.Tensor:
    """``KD(x) + KD(x′) + λ · relation_consistency`` (see the module docstring)."""
    return (kd_kl(s_x, t_x, temperature) + kd_kl(s_y, t_y, temperature)
            + consistency_weight * relation_consistency(s_x, s_y, t_x, t_y))
