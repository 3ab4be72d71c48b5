"""chainrule.viz: the computational graph as DOT text and pictures."""

import re
import shutil

import pytest
from system_programs import require_system_program

import chainrule as cr
from chainrule import nn, trace, viz

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def add_mul():
    x, y, z = (cr.tensor(v, requires_grad=True) for v in (-2.0, 5.0, -4.0))
    tr = trace.trace(lambda: (x + y) * z, names={"x": x, "y": y, "z": z})
    return tr.output, tr


def nodes(dot, shape):
    return re.findall(rf"\[label=\"([^\"]*)\", shape={shape}", dot)


def test_variables_are_ellipses_and_ops_are_boxes():
    f, tr = add_mul()
    dot = viz.to_dot(f, trace=tr)
    assert len(nodes(dot, "ellipse")) == 5  # x, y, q, z, f
    assert sorted(nodes(dot, "box")) == ["Add", "Mul"]
    assert len(re.findall(r"->", dot)) == 6


def test_labels_carry_values_and_gradients():
    f, tr = add_mul()
    labels = nodes(viz.to_dot(f, trace=tr), "ellipse")
    assert r"x\nvalue -2\ngrad -4" in labels
    assert r"q\nvalue 3\ngrad -4" in labels  # an intermediate: its gradient comes from the trace
    assert r"f\nvalue -12\ngrad 1" in labels


def test_without_trace_leaves_show_their_grad():
    x = cr.tensor(2.0, requires_grad=True)
    f = x * x
    f.backward()
    assert "grad 4" in viz.to_dot(f)


@pytest.mark.parametrize("build, constants", [
    (lambda x: 2 * x + 1, ["1", "2"]),
    (lambda x: 6 / x - 0.5, ["0.5", "6"]),
    (lambda x: x / 4, ["4"]),
])
def test_constants_stay_in_the_picture_after_backward(build, constants):
    x = cr.tensor(3.0, requires_grad=True)
    f = build(x)
    before = sorted(nodes(viz.to_dot(f), "plaintext"))
    f.backward()  # frees the values the ops saved, the constants among them
    assert sorted(nodes(viz.to_dot(f), "plaintext")) == before == constants


@pytest.mark.parametrize("build, constants", [
    (lambda x: (x - 5) ** 2, ["2", "5"]),
    (lambda x: x ** 3, ["3"]),
    (lambda x: 2 ** x, ["2"]),
])
def test_powers_keep_their_constant_in_the_picture_after_backward(build, constants):
    x = cr.tensor(3.0, requires_grad=True)
    f = build(x)
    f.backward()
    assert sorted(nodes(viz.to_dot(f), "plaintext")) == constants


@pytest.mark.parametrize("build, constants", [
    (lambda x: x + 1, ["1"]),  # 1e8 + 1 rounds to 1e8 in float32: out − x would say 0
    (lambda x: x * 3 - 2, ["2", "3"]),
    (lambda x: x / 1e-38, ["1e-38"]),  # the quotient is inf in float32: x / out would say 0
])
def test_constants_are_drawn_as_given_not_recovered_from_the_output(build, constants):
    x = cr.tensor(1e8, requires_grad=True)
    f = build(x)
    f.backward()
    assert sorted(nodes(viz.to_dot(f), "plaintext")) == constants


def test_a_broadcast_constant_is_drawn_as_the_number_given():
    v = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    f = (v + 1).sum()
    f.backward()
    assert nodes(viz.to_dot(f), "plaintext") == ["1"]


def test_a_number_given_to_maximum_is_drawn():
    v = cr.tensor([1.0, -2.0], requires_grad=True)
    assert nodes(viz.to_dot(v.maximum(0)), "plaintext") == ["0"]

def test_values_and_grads_can_be_hidden():
    f, tr = add_mul()
    dot = viz.to_dot(f, show_values=False, show_grads=False, trace=tr)
    assert "value" not in dot and "grad" not in dot


def test_to_dot_rejects_a_non_tensor():
    with pytest.raises(TypeError, match="expected a chainrule Tensor"):
        viz.to_dot([1.0, 2.0])


def test_render_without_graphviz_names_the_install_commands(monkeypatch, tmp_path):
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    f, _ = add_mul()
    with pytest.raises(viz.GraphvizNotFoundError) as info:
        viz.render(f, tmp_path / "g.png")
    assert "apt-get install graphviz" in str(info.value)
    assert "pip install graphviz" in str(info.value)


def test_render_writes_png_and_svg(tmp_path):
    require_system_program("Graphviz's dot", shutil.which("dot") is not None)
    f, tr = add_mul()
    viz.render(f, tmp_path / "g.png", trace=tr)
    viz.render(f, tmp_path / "g.svg", trace=tr)
    assert (tmp_path / "g.png").read_bytes().startswith(PNG_MAGIC)
    assert "<svg" in (tmp_path / "g.svg").read_text()


def test_draw_graph_writes_png_without_graphviz(tmp_path):
    f, tr = add_mul()
    viz.draw_graph(f, tmp_path / "g.png", trace=tr)
    assert (tmp_path / "g.png").read_bytes().startswith(PNG_MAGIC)


def test_draw_graph_shows_both_arrows_of_an_input_used_twice(tmp_path):
    pytest.importorskip("matplotlib")
    x = cr.tensor(3.0, requires_grad=True)
    ax = viz.draw_graph(x * x, names={"x": x})
    arrows = [(a.xy, a.xyann, a.arrow_patch.get_connectionstyle().rad)
              for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
    assert len(arrows) == 3  # x → Mul twice, Mul → output
    assert len(set(arrows)) == 3  # no arrow hidden under another


def test_layout_places_inputs_left_of_their_op():
    f, tr = add_mul()
    elements = viz._graph(f, True, True, None, tr, 4)
    pos = viz._layout(elements)
    for e in elements:
        for src in e.inputs:
            assert pos[src][0] < pos[e.key][0]


def test_module_to_dot_has_one_box_per_layer_with_shapes_and_parameters():
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    dot = viz.module_to_dot(model, (2,))
    boxes = nodes(dot, "box")
    assert len(boxes) == 3
    assert "output (N, 4)" in boxes[0] and "12 parameters" in boxes[0]  # 2·4 weights + 4 biases
    assert "Tanh" in boxes[1] and "0 parameters" in boxes[1]
    assert "output (N, 1)" in boxes[2] and "5 parameters" in boxes[2]  # 4·1 + 1
    assert "forward" not in model[0].__dict__  # the recording hook is removed again


class _Double(cr.Function):
    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, g):
        return 2 * g


def test_any_graph_draws_broadcasting_branching_and_user_functions(tmp_path):
    a = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = cr.tensor([10.0, 20.0], requires_grad=True)
    h = a + b  # b is broadcast over the rows
    f = (_Double.apply(h) * h).sum()  # h is used twice: the paths branch and meet
    f.backward()
    dot = viz.to_dot(f)
    assert sorted(nodes(dot, "box")) == ["Add", "Mul", "Sum", "_Double"]
    # a→Add, b→Add, Add→h, h→_Double, _Double→d, d→Mul, h→Mul (the branch), Mul→m, m→Sum, Sum→f
    assert len(re.findall(r"->", dot)) == 10
    viz.draw_graph(f, tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes()[:8] == PNG_MAGIC


def test_without_names_variables_get_the_letters_an_unnamed_trace_gives_them():
    x, y, z = (cr.tensor(v, requires_grad=True) for v in (-2.0, 5.0, -4.0))
    tr = trace.trace(lambda: (x + y) * z)  # no names: the trace picks letters
    f = tr.output
    labels = {line.split("\\n")[0] for line in nodes(viz.to_dot(f), "ellipse")}
    assert labels == {tr.name_of(t) for t in (x, y, z, f)} | {"q"} == {"a", "b", "c", "q", "f"}


def test_a_name_given_with_trace_name_is_kept_and_others_get_letters():
    x = trace.name(cr.tensor(3.0, requires_grad=True), "weight")
    w = cr.tensor(2.0, requires_grad=True)
    labels = [line.split("\\n")[0] for line in nodes(viz.to_dot(x * w), "ellipse")]
    assert labels == ["weight", "a", "f"]


def test_the_scalar_output_shows_its_gradient_1_once_backward_ran():
    x = cr.tensor(-2.0, requires_grad=True)
    f = x * 3
    root = lambda: nodes(viz.to_dot(f), "ellipse")[-1]  # noqa: E731
    assert root() == "f\\nvalue -6"  # no backward yet: no gradient anywhere
    f.backward()
    assert root() == "f\\nvalue -6\\ngrad 1"
    g = x * cr.tensor([1.0, 2.0])
    g.backward(cr.tensor([5.0, 7.0]))  # a non-scalar's upstream was the caller's: not shown
    assert "grad" not in nodes(viz.to_dot(g), "ellipse")[-1]


def test_draw_graph_without_names_shows_names_and_the_root_gradient(tmp_path):
    x, y, z = (cr.tensor(v, requires_grad=True) for v in (-2.0, 5.0, -4.0))
    f = (x + y) * z
    f.backward()
    ax = viz.draw_graph(f, tmp_path / "g.png")
    texts = [t.get_text() for t in ax.texts]
    assert {"a", "b", "c", "q", "f", "grad 1"} <= set(texts)
    assert (tmp_path / "g.png").read_bytes()[:8] == PNG_MAGIC
