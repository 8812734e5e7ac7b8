"""Adversarial attacks: searches over semantics-preserving transformations that change a prediction.

* :class:`RandomAttack` (``random``) — random renaming / random transformation choice, the baseline;
* :class:`MHMAttack` (``mhm``) — Metropolis–Hastings sampling over identifier substitutions;
* :class:`ALERTAttack` (``alert``) — natural substitutes (masked LM or corpus statistics), greedy
  search by identifier importance, then a genetic search.

Shared types live in :mod:`.base` (goal, budget, oracle, results), measures in :mod:`.measures`,
the teacher/student suite in :mod:`.suite`. See ``docs/attacks.md``.
"""

from .alert import ALERTAttack
from .base import (FAILED, SKIP_MISCLASSIFIED, SKIP_NO_IDENTIFIERS, SKIP_UNPARSABLE, SKIPPED, SUCCESSFUL, Attack,
                   AttackGoal, AttackResult, BudgetExhausted, Oracle, QueryBudget, Subject, Variant)
from .export import write_adversarial
from .mhm import MHMAttack
from .random_search import RandomAttack
from .suite import ATTACKS, AttackSettings, AttackSuiteResult, attack_names, checked_methods, get_attack, make_attack, run_attack_suite, run_attacks

__all__ = [
    "ALERTAttack", "ATTACKS", "Attack", "AttackGoal", "AttackResult", "AttackSettings", "AttackSuiteResult",
    "BudgetExhausted", "FAILED", "MHMAttack", "Oracle", "QueryBudget", "RandomAttack", "SKIPPED",
    "SKIP_MISCLASSIFIED", "SKIP_NO_IDENTIFIERS", "SKIP_UNPARSABLE", "SUCCESSFUL", "Subject", "Variant",
    "attack_names", "checked_methods", "get_attack", "make_attack", "run_attack_suite", "run_attacks", "write_adversarial",
]
