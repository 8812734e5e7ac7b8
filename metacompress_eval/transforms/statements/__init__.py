"""Statements family: ``swap_statements``."""
