"""Errors the CLI turns into one line and exit code 2."""


class GapauditError(Exception):
    """A usage, configuration or I/O problem the user can fix; never a bug in gapaudit."""
