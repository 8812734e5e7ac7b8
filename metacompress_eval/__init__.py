"""MetaCompress Eval: metamorphic testing of distilled (teacher → student) code models."""

__version__ = "0.1.0"

#: Project home, linked from model cards, dataset cards and the evaluate module card (also in pyproject.toml).
HOMEPAGE = "https://github.com/metacompress/metacompress-eval"
