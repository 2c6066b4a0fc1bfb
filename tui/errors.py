"""Errors the core raises for the command line and the app to report in words."""


class ReaderError(Exception):
    """A problem the user can act on; its message is meant to be shown as is."""

    exit_code = 1


class ConfigError(ReaderError):
    """feeds.yaml cannot be used. ``problems`` holds one line per problem found."""

    exit_code = 2

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class StoreError(ReaderError):
    """The data folder cannot be used (damaged, foreign, newer, unwritable)."""

    exit_code = 3


class StoreBusy(StoreError):
    """Another caucasus-reader process held the data folder's lock for too long."""
