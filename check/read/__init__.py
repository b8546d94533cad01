"""Reading what students hand in, one pipeline for `check` and `grade`:

- rows.py       the entry: `rows(text, fmt, name)`; document -> blocks -> rows -> classified
- documents.py  the document around the math: Markdown (markdown-it-py), notebooks, LaTeX
                documents, `.py` code; a format per block; `# part:` markers
- plain.py      plain lines into rows; IME characters, bullets, labels and prose around the math
- latex_rows.py a LaTeX block into rows (`\\`, environments, separators, annotations)
- row.py        the one Row and Target
- classify.py   what a left-hand side names (`target`), numpy's adjoint names, name keys
- scope.py      names in an expression (leaf, forward name, adjoint, product, Euler's e, Leibniz)
                and the plain spellings rewritten for the grammar (numpy, masks, function powers)
- latex.py      the LaTeX expression reader's public face: latex_names (TeX scanning, names),
                latex_lexer (tokens; latex_constructs, latex_tokens), latex_parse (grammar into
                SymPy); latex_cases (`cases` as a sum of Iverson brackets)
- matrix.py, index.py  claims against matrix graphs, index form
"""
