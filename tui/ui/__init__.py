"""The Textual application: a thin layer over the core in ``tui/``."""
