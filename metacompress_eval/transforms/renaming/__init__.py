"""Renaming family: ``rename_variables`` and ``rename_function`` (occurrences resolved by
:mod:`metacompress_eval.code.scopes`, never by matching text; new names occur nowhere in the snippet)."""
