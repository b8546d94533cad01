"""Typed errors that carry where in the user's text they happened."""


class ParseError(ValueError):
    """Bad user input at `line`:`col` (both 1-based; 0 when unknown)."""

    def __init__(self, message, line=0, col=0, file=None):
        super().__init__(message)
        self.message, self.line, self.col, self.file = message, line, col, file

    def located(self, file=None, line_offset=0):
        """The same error, placed in `file` (unless it already names one), shifted by `line_offset`."""
        return type(self)(self.message, self.line + line_offset if self.line else 0, self.col,
                          self.file or file)

    def __str__(self):
        return f"{self.file or '<input>'}:{self.line}:{self.col}: {self.message}"

    def to_dict(self):
        return {"error": {"message": self.message, "line": self.line, "col": self.col}}


class DomainError(ArithmeticError):
    """A value outside a primitive's domain (log of a non-positive number, 1/0, ...)."""


class DrawError(RuntimeError):
    """The picture cannot be made (unknown file type, no `dot` program, unwritable path)."""
