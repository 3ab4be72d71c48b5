"""chainrule.onnx.load: models written by torch.onnx and by hand in Keras' layout come in as a
Sequential that computes what they compute; chainrule → ONNX → chainrule is the same model."""

import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
torch = pytest.importorskip("torch")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx_helpers import LAYERS, chainrule_output, inputs  # noqa: E402

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402
from chainrule.onnx import export, load  # noqa: E402


def torch_to_onnx(net, x, path, opset=13):
    """torch's TorchScript exporter (dynamo=False): the default one needs onnxscript."""
    net.eval()
    with warnings.catch_warnings():  # that it is the legacy exporter; what it could not fold
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", "Constant folding", UserWarning)
        torch.onnx.export(net, (torch.from_numpy(x),), str(path), dynamo=False,
                          opset_version=opset, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    with torch.no_grad():
        return net(torch.from_numpy(x)).numpy()


@pytest.mark.parametrize("opset", [13, 17])
def test_a_torch_mlp_comes_in_and_gives_torchs_outputs(tmp_path, opset):
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(12, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8),
        torch.nn.LeakyReLU(0.05), torch.nn.Linear(8, 6), torch.nn.ELU(0.8), torch.nn.Dropout(0.3),
        torch.nn.Linear(6, 6), torch.nn.Sigmoid(), torch.nn.Linear(6, 5), torch.nn.Tanh(),
        torch.nn.Linear(5, 4), torch.nn.LogSoftmax(dim=1))
    x = inputs((9, 3, 4))
    expected = torch_to_onnx(net, x, tmp_path / "t.onnx", opset)
    model = load(tmp_path / "t.onnx")
    assert [type(m).__name__ for m in model][:3] == ["Flatten", "Linear", "ReLU"]
    np.testing.assert_allclose(chainrule_output(model, x), expected, rtol=1e-5, atol=1e-6)
    # and the weights are the same tensors, under the same layer positions
    torch_linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    ours = [m for m in model if isinstance(m, nn.Linear)]
    for t, c in zip(torch_linears, ours):
        np.testing.assert_array_equal(c.weight.array, t.weight.detach().numpy())
        np.testing.assert_array_equal(c.bias.array, t.bias.detach().numpy())


def test_a_torch_cnn_comes_in_and_gives_torchs_outputs(tmp_path):
    torch.manual_seed(3)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.BatchNorm2d(4),
        torch.nn.MaxPool2d(2), torch.nn.Conv2d(4, 6, 3, padding=1, padding_mode="reflect",
                                               groups=2),
        torch.nn.SiLU(), torch.nn.AvgPool2d(2, ceil_mode=True), torch.nn.Dropout2d(0.2),
        torch.nn.Flatten(), torch.nn.Linear(24, 10), torch.nn.BatchNorm1d(10),
        torch.nn.Softplus(), torch.nn.Linear(10, 3))
    net.train()
    with torch.no_grad():  # move the running statistics away from 0 and 1
        net(torch.randn(16, 1, 8, 8) * 2 + 1)
    x = inputs((5, 1, 8, 8))
    expected = torch_to_onnx(net, x, tmp_path / "cnn.onnx")
    model = load(tmp_path / "cnn.onnx")
    assert [type(m).__name__ for m in model] == [
        "Conv2d", "ReLU", "BatchNorm2d", "MaxPool2d", "Conv2d", "SiLU", "AvgPool2d", "Flatten",
        "Linear", "BatchNorm1d", "Softplus", "Linear"]  # torch leaves eval-mode Dropout out
    # (a BatchNorm right after a Conv would come in folded into the Conv: torch's exporter
    # merges the two, so this one follows the ReLU)
    assert model[4].padding_mode == "reflect" and model[4].groups == 2
    np.testing.assert_allclose(chainrule_output(model, x), expected, rtol=1e-4, atol=1e-5)


def test_torchs_layer_norm_and_gelu_of_later_opsets_come_in(tmp_path):
    torch.manual_seed(4)
    net = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.LayerNorm(8),
                              torch.nn.GELU(approximate="tanh"), torch.nn.Linear(8, 2))
    x = inputs((4, 6))
    expected = torch_to_onnx(net, x, tmp_path / "ln.onnx", opset=20)
    model = load(tmp_path / "ln.onnx")
    assert [type(m).__name__ for m in model] == ["Linear", "LayerNorm", "GELU", "Linear"]
    np.testing.assert_allclose(chainrule_output(model, x), expected, rtol=1e-4, atol=1e-5)


def test_a_torch_linear_on_a_batch_of_matrices_comes_in_from_matmul_and_add(tmp_path):
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Softmax(dim=-1))
    x = inputs((2, 5, 4))
    expected = torch_to_onnx(net, x, tmp_path / "t.onnx")
    ops = [n.op_type for n in onnx.load(str(tmp_path / "t.onnx")).graph.node]
    assert "MatMul" in ops and "Gemm" not in ops
    np.testing.assert_allclose(chainrule_output(load(tmp_path / "t.onnx"), x), expected,
                               rtol=1e-5, atol=1e-6)


def test_an_imported_model_can_be_trained_further(tmp_path):
    torch.manual_seed(2)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    torch_to_onnx(net, inputs((2, 3)), tmp_path / "t.onnx")
    model = load(tmp_path / "t.onnx")
    loss = model(cr.tensor(inputs((5, 3)))).sum()
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


def keras_style_graph(path, w1, b1, w2, b2):
    """What tf2onnx writes for Flatten → Dense(relu) → Dense(softmax): Reshape, MatMul + Add."""
    nodes = [
        helper.make_node("Reshape", ["image", "flat_shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "dense/kernel"], ["mm1"]),
        helper.make_node("Add", ["mm1", "dense/bias"], ["z1"]),
        helper.make_node("Relu", ["z1"], ["h1"]),
        helper.make_node("MatMul", ["h1", "dense_1/kernel"], ["mm2"]),
        helper.make_node("Add", ["mm2", "dense_1/bias"], ["z2"]),
        helper.make_node("Softmax", ["z2"], ["probs"], axis=-1),
    ]
    weights = [numpy_helper.from_array(a, n) for a, n in [
        (np.array([-1, 16], np.int64), "flat_shape"), (w1, "dense/kernel"), (b1, "dense/bias"),
        (w2, "dense_1/kernel"), (b2, "dense_1/bias")]]
    graph = helper.make_graph(
        nodes, "keras", [helper.make_tensor_value_info("image", TensorProto.FLOAT, [None, 4, 4])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [None, 3])], weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.save(model, str(path))


def test_a_keras_style_graph_of_matmul_and_add_comes_in(tmp_path):
    rng = np.random.default_rng(3)
    w1, b1 = rng.normal(size=(16, 5)).astype(np.float32), rng.normal(size=5).astype(np.float32)
    w2, b2 = rng.normal(size=(5, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32)
    keras_style_graph(tmp_path / "k.onnx", w1, b1, w2, b2)
    model = load(tmp_path / "k.onnx")
    assert [type(m).__name__ for m in model] == ["Flatten", "Linear", "ReLU", "Linear",
                                                 "Softmax"]
    x = inputs((6, 4, 4))
    z = np.maximum(x.reshape(6, 16) @ w1 + b1, 0) @ w2 + b2
    expected = np.exp(z - z.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(chainrule_output(model, x), expected, rtol=1e-5, atol=1e-6)


def describe(model):
    return [(type(m).__name__, m.config()) for m in model]


# Dropout2d is Dropout in eval form, and ONNX has one Dropout: it comes back as Dropout.
COMES_BACK_AS = {nn.Dropout2d: "Dropout"}


@pytest.mark.parametrize("cls", list(LAYERS), ids=lambda c: c.__name__)
def test_the_round_trip_through_onnx_gives_the_same_model(tmp_path, cls):
    make, shape = LAYERS[cls]
    cr.manual_seed(5)
    model = nn.Sequential(make())
    x = inputs(shape)
    back = load(export(model, tmp_path / "m.onnx", x))
    want = describe(model)
    if cls in COMES_BACK_AS:
        want = [(COMES_BACK_AS[cls], config) for _, config in want]
    assert describe(back) == want
    ours = dict(model.state_dict())
    ours.pop("0.num_batches_tracked", None)  # a training count, not part of the function
    theirs = dict(back.state_dict())
    theirs.pop("0.num_batches_tracked", None)
    assert list(theirs) == list(ours)
    for name, value in ours.items():
        np.testing.assert_array_equal(theirs[name].array, value.array, err_msg=name)
    np.testing.assert_array_equal(chainrule_output(back, x), chainrule_output(model, x))


def test_a_small_cnn_round_trips(tmp_path):
    cr.manual_seed(6)
    model = nn.Sequential(
        nn.Conv2d(1, 4, (2, 3), padding="same", dilation=(1, 2)), nn.BatchNorm2d(4), nn.ReLU(),
        nn.MaxPool2d(2), nn.Conv2d(4, 4, 3, padding=1, padding_mode="reflect", groups=2),
        nn.SiLU(), nn.AvgPool2d(3, ceil_mode=True), nn.Flatten(), nn.Dropout(0.1),
        nn.Linear(16, 8), nn.LayerNorm(8), nn.GELU(approximate="tanh"), nn.Linear(8, 3))
    x = inputs((3, 1, 8, 8))
    back = load(export(model, tmp_path / "m.onnx", x))
    assert describe(back) == describe(model)
    np.testing.assert_array_equal(chainrule_output(back, x), chainrule_output(model, x))


def write_graph(path, nodes, weights=(), opset=13, outputs=4):
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, outputs])],
        [numpy_helper.from_array(np.asarray(a, np.float32), n) for n, a in weights])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 7
    onnx.save(model, str(path))
    return path


def test_an_operator_without_a_layer_is_refused_by_name(tmp_path):
    path = write_graph(tmp_path / "g.onnx", [helper.make_node("Abs", ["x"], ["y"], name="abs1")])
    with pytest.raises(ValueError, match=r"Abs node 'abs1': this operator has no chainrule layer"):
        load(path)


def test_a_torch_layer_chainrule_lacks_is_refused_by_its_operator(tmp_path):
    torch.manual_seed(6)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.AdaptiveAvgPool2d(1))
    torch_to_onnx(net, inputs((1, 1, 5, 5)), tmp_path / "c.onnx")
    with pytest.raises(ValueError, match=r"load: GlobalAveragePool node .* no chainrule layer"):
        load(tmp_path / "c.onnx")


def test_a_graph_that_branches_is_refused(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["a"]), helper.make_node("Tanh", ["x"], ["b"]),
             helper.make_node("Add", ["a", "b"], ["y"], name="join")]
    with pytest.raises(ValueError, match=r"Tanh node .* takes \['x'\] but the chain's tensor"):
        load(write_graph(tmp_path / "g.onnx", nodes))


def test_a_gemm_with_a_transposed_input_is_refused(tmp_path):
    nodes = [helper.make_node("Gemm", ["x", "w"], ["y"], name="g", transA=1)]
    with pytest.raises(ValueError, match="transA=1"):
        load(write_graph(tmp_path / "g.onnx", nodes, [("w", np.ones((4, 2)))], outputs=2))


def test_gemm_alpha_beta_and_an_untransposed_weight_are_folded_into_the_linear(tmp_path):
    rng = np.random.default_rng(7)
    w, b = rng.normal(size=(4, 3)), rng.normal(size=3)
    nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["y"], alpha=0.5, beta=2.0)]
    model = load(write_graph(tmp_path / "g.onnx", nodes, [("w", w), ("b", b)], outputs=3))
    x = inputs((2, 4))
    np.testing.assert_allclose(chainrule_output(model, x),
                               0.5 * x @ w.astype(np.float32) + 2 * b.astype(np.float32),
                               rtol=1e-5, atol=1e-6)


def test_a_file_that_is_not_onnx_is_refused(tmp_path):
    (tmp_path / "junk.onnx").write_bytes(b"\x00\x01 not a model")
    with pytest.raises(ValueError, match="junk.onnx is not a valid ONNX model"):
        load(tmp_path / "junk.onnx")


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(ValueError, match="missing.onnx"):
        load(tmp_path / "missing.onnx")


def test_a_scaling_that_leads_into_no_linear_is_refused(tmp_path):
    nodes = [helper.make_node("Sub", ["x", "m"], ["a"], name="sub"),
             helper.make_node("Div", ["a", "s"], ["b"]), helper.make_node("Relu", ["b"], ["y"])]
    path = write_graph(tmp_path / "g.onnx", nodes, [("m", np.zeros(4)), ("s", np.ones(4))])
    with pytest.raises(ValueError, match=r"Sub node 'sub': only \(x − mean\)/std before a Linear"):
        load(path)
