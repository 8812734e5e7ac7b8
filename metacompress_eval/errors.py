"""User-facing errors.

Every problem caused by the user's input (a missing column, a folder that is not a model, mismatched
label sets, ...) is raised as :class:`MetaCompressError`. The CLI prints its message and exits with
status 2 instead of showing a traceback.
"""


class MetaCompressError(Exception):
    """An error whose message is meant for the user, not a bug in the tool."""


class WorkerDied(MetaCompressError):
    """A worker process ended without finishing its work (killed, out of memory?): a runtime failure,
    not a bug; the CLI says it in one line with what a rerun of the command does."""
