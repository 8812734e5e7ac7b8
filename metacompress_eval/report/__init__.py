"""Report rendering: Markdown text, PNG figures and a terminal summary from the analysis."""

from .markdown import render_markdown
from .plots import write_plots
from .summary import print_summary

__all__ = ["print_summary", "render_markdown", "write_plots"]
