"""Errors the CLI turns into one line and exit code 2."""


def one_line(text: object) -> str:
    """Any message (a YAML error, git's stderr) on one line, as every gapaudit error is."""
    return " ".join(str(text).split())


class GapauditError(Exception):
    """A usage, configuration or I/O problem the user can fix; never a bug in gapaudit."""
