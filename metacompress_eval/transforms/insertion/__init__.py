"""Insertion family: ``dead_code`` and ``unused_declaration`` (placement: :mod:`metacompress_eval.transforms.sites`)."""
