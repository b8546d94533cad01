"""Reading what students hand in: rows and left-hand sides (rows.py), plain and LaTeX
expressions into SymPy (scope.py, latex.py), documents around the math (documents.py), and
matrix and index-form claims (matrix.py, index.py)."""
