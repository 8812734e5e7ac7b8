"""Expressions family: ``operand_swap``, ``boolean_literal``, ``increment_form``,
``compound_assignment_expansion``, ``redundant_parentheses``."""
