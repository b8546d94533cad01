"""`barprop --version`."""
import argparse


class Version(argparse.Action):
    """`--version`: barprop's version (from the installed metadata) on the CLI's stdout."""

    def __init__(self, option_strings, dest, **kw):
        kw.setdefault("help", "print barprop's version and exit")
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kw)

    def __call__(self, parser, namespace, values, option_string=None):
        import sys
        from ..platforms.bundle import version
        out = getattr(parser, "streams", (None,))[0]
        (out or sys.stdout).write(f"barprop {version()}\n")
        parser.exit(0)
