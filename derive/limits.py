"""How much of a graph is written out in its inputs: beyond these, a node or gradient stays a
name (`Graph.unwritten`) and is judged through the adjoints' values."""
MAX_WRITTEN_SIZE = 20_000   # operations of one node or gradient written out in the inputs
MAX_WRITTEN_DEPTH = 160     # its nesting (a 50-layer scalar network is about 150)
