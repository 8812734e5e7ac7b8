"""MetaCompress Eval: metamorphic testing of distilled (teacher → student) code models."""

__version__ = "0.1.0"
