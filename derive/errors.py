"""Typed errors that carry where in the user's text they happened."""


class ParseError(ValueError):
    """Bad user input at `line`:`col` (both 1-based; 0 when unknown); in a notebook `cell` (from
    1) holds the line, counted in that cell."""

    def __init__(self, message, line=0, col=0, file=None, cell=None):
        super().__init__(message)
        self.message, self.line, self.col, self.file, self.cell = message, line, col, file, cell

    def located(self, file=None, line_offset=0):
        """The same error, placed in `file` (unless it already names one), shifted by `line_offset`."""
        return type(self)(self.message, self.line + line_offset if self.line else 0, self.col,
                          self.file or file, self.cell)

    def __str__(self):
        if self.cell is not None:
            return f"{self.file or '<input>'}: cell {self.cell}, line {self.line}: {self.message}"
        return f"{self.file or '<input>'}:{self.line}:{self.col}: {self.message}"

    def to_dict(self):
        where = {"cell": self.cell} if self.cell is not None else {}
        return {"error": {"message": self.message, **where, "line": self.line, "col": self.col}}


class DomainError(ArithmeticError):
    """A value outside a primitive's domain (log of a non-positive number, 1/0, ...)."""


class DrawError(RuntimeError):
    """The picture cannot be made (unknown file type, no `dot` program, unwritable path)."""
