"""Hugging Face integration: the ``metacompress`` evaluate comparison, a ``datasets`` builder for
follow-up inputs, model-card sections with badges and ``model-index`` results, and Hub upload.

Submodules are imported on demand (``metacompress_eval.hub.module``, ``.dataset``, ``.cards``,
``.push``) so that importing this package stays cheap: the start-up hook imports it in every process.
Importing it registers the evaluate module in evaluate's modules cache (see ``_startup``).
"""

from . import _startup  # noqa: F401  (registers evaluate.load("metacompress"))
