"""caucasus-reader: a terminal news reader for the South Caucasus.

The package is split in two layers. Everything directly under ``tui/`` is the
core (configuration, storage, seeds, OPML, the command line) and never imports
textual or rich; ``tui/ui/`` is the Textual application, a thin layer over it.
"""

__version__ = "0.1.0"
