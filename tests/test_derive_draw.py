"""Drawing the graph, CS231n style: values above the edges (green), gradients below (red)."""
import re
import shutil

import pytest
import sympy

from conftest import S, exact, load
from derive import Graph
from derive.draw import GREEN, RED, DrawError, digraph, draw

NEURON = exact(w0=2, x0=-1, w1=-3, x1=-2, w2=-3)


def edge_labels(source):
    """(tail, head) -> (green text, red text) from DOT source."""
    out = {}
    for tail, head, label in re.findall(r"\t(\S+) -> (\S+) \[label=(.*)\]", source):
        green = re.findall(rf'<font color="{GREEN}">([^<]*)</font>', label)
        red = re.findall(rf'<font color="{RED}">([^<]*)</font>', label)
        out[(tail, head)] = (green[0] if green else None, red[0] if red else None)
    return out


def node_ids(source):
    """label text (first row) -> node id."""
    ids = {}
    for nid, label in re.findall(r"\t(n\d+) \[label=<(.*)> shape=", source):
        first = re.sub(r"<[^>]+>", "", label.split("<br/>")[0])
        ids[first] = nid
    return ids


@pytest.fixture(scope="module")
def circuit_source():
    w0, x0, w1, x1, w2 = (S(n) for n in ("w0", "x0", "w1", "x1", "w2"))
    g = Graph.from_sympy(1 / (1 + sympy.exp(-(w0 * x0 + w1 * x1 + w2))), gates=True)
    return g, digraph(g.backprop(), NEURON).source


def test_circuit_edges_carry_the_lectures_values_and_gradients(circuit_source):
    g, src = circuit_source
    edges = edge_labels(src)
    ids = {n: f"n{i}" for i, n in enumerate(g.names)}
    by_gate = {n.gate: n.name for n in g.nodes if n.gate not in ("*", "+")}
    into = lambda gate: next(v for (t, h), v in edges.items() if h == ids[by_gate[gate]])
    assert into("1/x") == ("1.37", "-0.53")
    assert into("+1") == ("0.37", "-0.53")
    assert into("exp") == ("-1.00", "-0.20")
    assert into("*-1") == ("1.00", "0.20")
    assert edges[(ids["f"], "output")] == ("0.73", "1.00")
    assert edges[(ids["w0"], ids["v1"])] == ("2.00", "-0.20")
    assert edges[(ids["x0"], ids["v1"])] == ("-1.00", "0.39")
    assert edges[(ids["w1"], ids["v2"])] == ("-3.00", "-0.39")
    assert edges[(ids["x1"], ids["v2"])] == ("-2.00", "-0.59")
    assert edges[(ids["w2"], ids["v4"])] == ("-3.00", "0.20")


def test_one_node_per_input_and_per_gate_labelled_with_the_gate(circuit_source):
    g, src = circuit_source
    ids = node_ids(src)
    assert {"w0", "x0", "w1", "x1", "w2"} <= set(ids)
    assert [k for k in ids if k in ("*", "+", "*-1", "exp", "+1", "1/x")] == ["*", "+", "*-1", "exp", "+1", "1/x"]
    assert len(re.findall(r"shape=circle", src)) == len(g.nodes)


def test_spec_nodes_show_name_and_expression_and_fanout_totals():
    g = load("reglog")
    src = digraph(g.backprop(), g.at).source
    assert "z = w·x + b" in src and "y = σ(z)" in src and "L_reg = L + λ·R" in src
    assert f'<font color="{RED}">w̄ = 0.26</font>' in src        # w feeds z and R: the sum
    edges = edge_labels(src)
    ids = {n: f"n{i}" for i, n in enumerate(g.names)}
    assert edges[(ids["w"], ids["z"])] == ("0.70", "0.19")
    assert edges[(ids["w"], ids["R"])] == ("0.70", "0.07")
    assert edges[(ids["x"], ids["z"])] == ("-1.30", None)          # x is not a wrt variable


def test_without_a_point_the_edges_are_bare():
    src = digraph(load("simple").backprop()).source
    assert GREEN not in src and RED not in src
    assert src.count("->") == 5


def test_dot_file_needs_no_graphviz_binary(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    g = load("simple")
    draw(g.backprop(), tmp_path / "g.dot", g.at)
    text = (tmp_path / "g.dot").read_text(encoding="utf-8")
    assert text.startswith("digraph backprop {") and "-12.00" in text


def test_missing_dot_binary_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DrawError, match="needs the Graphviz program 'dot'"):
        draw(load("simple").backprop(), tmp_path / "g.svg")
    assert not (tmp_path / "g.svg").exists()


def test_unknown_extension_is_a_clear_error(tmp_path):
    with pytest.raises(DrawError, match="must end in .dot"):
        draw(load("simple").backprop(), tmp_path / "g.jpeg")


@pytest.mark.parametrize("ext,magic", [("svg", b"<?xml"), ("png", b"\x89PNG"), ("pdf", b"%PDF")])
def test_render_with_dot(tmp_path, ext, magic):
    assert shutil.which("dot"), "Graphviz 'dot' is not installed (Debian: apt-get install graphviz)"
    g = load("neuron")
    draw(g.backprop(), tmp_path / f"g.{ext}", g.at)
    data = (tmp_path / f"g.{ext}").read_bytes()
    assert data.startswith(magic)
    if ext == "svg":
        assert b">0.73<" in data and b">&#45;0.59<" in data     # SVG writes - as &#45;


def test_dot_source_is_deterministic():
    g = load("reglog")
    assert digraph(g.backprop(), g.at).source == digraph(load("reglog").backprop(), g.at).source


def test_gates_picture_shows_distribute_route_switch():
    g = load("gates")
    edges = edge_labels(digraph(g.backprop(), g.at).source)
    ids = {n: f"n{i}" for i, n in enumerate(g.names)}
    assert edges[(ids["p"], ids["s"])] == ("-12.00", "2.00") and edges[(ids["m"], ids["s"])] == ("2.00", "2.00")
    assert edges[(ids["z"], ids["m"])] == ("2.00", "2.00") and edges[(ids["w"], ids["m"])] == ("-1.00", "0.00")
    assert edges[(ids["x"], ids["p"])] == ("3.00", "-8.00") and edges[(ids["y"], ids["p"])] == ("-4.00", "6.00")


# --- matrix graphs: a node per operation, shapes on the nodes, values as small matrices ---------

def matrix_edges(source):
    """(tail, head) -> (green rows, red rows) from DOT source."""
    out = {}
    for tail, head, label in re.findall(r"\t(\S+) -> (\S+) \[label=(.*)\]", source):
        rows = [re.sub(r"<[^>]+>", "", r) for r in label.split("<br/>")]
        colour = [GREEN if GREEN in r else RED if RED in r else None for r in label.split("<br/>")]
        out[(tail, head)] = ([t.strip("<>") for t, c in zip(rows, colour) if c == GREEN],
                             [t.strip("<>") for t, c in zip(rows, colour) if c == RED])
    return out


def test_matrix_graph_carries_the_lectures_l2_values_and_gradients():
    """CS231n lecture 4, f = ||W x||²: W̄ = 2q xᵀ = [[0.088, 0.176], [0.104, 0.208]], x̄ = [-0.112, 0.636]."""
    g = load("l2")
    src = digraph(g.backprop(), g.at).source
    edges = matrix_edges(src)
    assert edges[("n0", "n2")] == (["[0.10  0.50]", "[-0.30  0.80]"], ["[0.09  0.18]", "[0.10  0.21]"])
    assert edges[("n1", "n2")] == (["[0.20, 0.40]ᵀ"], ["[-0.11, 0.64]ᵀ"])
    assert edges[("n2", "n3")] == (["[0.22, 0.26]ᵀ"], ["[0.44, 0.52]ᵀ"])
    assert edges[("n3", "output")] == (["0.12"], ["1.00"])


def test_matrix_graph_has_a_node_per_operation_with_its_shape():
    src = digraph(load("mlp").backprop()).source
    ops = [[re.sub(r"<[^>]+>", "", r) for r in label.split("<br/>")]
           for label in re.findall(r"\t(?:n\d+) \[label=<(.*)> shape=box", src)]
    assert ops == [["+", "z", "H×1"], ["@", "H×1"], ["σ", "h", "H×1"], ["+", "y", "K×1"], ["@", "K×1"],
                   ["1/2·□", "L", "1×1"], ["sum", "1×1"], ["(y - t)^2", "K×1"]]
    assert 'W1<br/><font point-size="9">H×D</font>' in src
    assert GREEN not in src and RED not in src


def test_a_large_matrix_value_is_shown_by_its_norm():
    from derive import parse_spec
    g = parse_spec("W: matrix(H, D)\nx: vector(D)\nf = sum(W @ x)\n"
                   "at: W=[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], x=[1, 2, 2, 4]")
    edges = matrix_edges(digraph(g.backprop(), g.at).source)
    assert edges[("n0", "n3")] == (["‖·‖ = 2.00"], ["‖·‖ = 10.00"])     # W̄ = 1 xᵀ: four rows xᵀ
    assert edges[("n1", "n3")] == (["[1.00, 2.00, 2.00, 4.00]ᵀ"], ["[1.00, 1.00, 1.00, 1.00]ᵀ"])


@pytest.mark.parametrize("name", ["l2", "mlp", "two_layer"])
def test_every_bundled_matrix_spec_draws_to_dot(name, tmp_path):
    g = load(name)
    draw(g.backprop(), tmp_path / "g.dot", g.at or None)
    assert (tmp_path / "g.dot").read_text(encoding="utf-8").startswith("digraph backprop {")
