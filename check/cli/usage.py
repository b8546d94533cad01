"""The command line's own error: bad usage (exit 2)."""


class UsageError(Exception):
    """Arguments that do not fit the command (printed as a usage error, exit 2)."""
