"""Layout family: whitespace, braces and comments (``reindent``, ``brace_style``, ``blank_lines``,
``comment_insert``, ``comment_remove``); the shared machinery is in :mod:`.base`."""
