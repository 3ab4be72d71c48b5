"""chainrule.onnx.export: each layer, and trained runs, checked by onnx.checker and run by
onnxruntime against chainrule's own outputs."""

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx_helpers import LAYERS, chainrule_output, inputs, run_onnx  # noqa: E402

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402
from chainrule.onnx import EXPORTERS, export  # noqa: E402


def test_every_layer_in_the_table_is_tested_here():
    assert set(EXPORTERS) == set(LAYERS)


@pytest.mark.parametrize("cls", list(LAYERS), ids=lambda c: c.__name__)
def test_each_layer_exports_and_runs_as_in_chainrule(tmp_path, cls):
    make, shape = LAYERS[cls]
    cr.manual_seed(0)
    model = nn.Sequential(make())
    x = inputs(shape)
    path = export(model, tmp_path / "m.onnx", x)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    np.testing.assert_allclose(run_onnx(path, x), chainrule_output(model, x), rtol=1e-5,
                               atol=1e-6)


def test_the_file_is_opset_13_with_the_oldest_ir_version_that_reads_it(tmp_path):
    path = export(nn.Sequential(nn.Linear(2, 3)), tmp_path / "m.onnx", inputs((1, 2)))
    proto = onnx.load(str(path))
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", 13)]
    assert proto.ir_version == 7  # onnx.helper would stamp its newest; 7 is what opset 13 needs


def test_the_batch_dimension_is_free(tmp_path):
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 3), nn.Tanh())
    path = export(model, tmp_path / "m.onnx", inputs((1, 3, 4)))
    x = inputs((7, 3, 4), seed=1)
    np.testing.assert_allclose(run_onnx(path, x), chainrule_output(model, x), rtol=1e-5,
                               atol=1e-6)


def test_a_linear_on_a_batch_of_matrices_is_a_matmul_and_add(tmp_path):
    cr.manual_seed(1)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    x = inputs((2, 5, 4))
    path = export(model, tmp_path / "m.onnx", x)
    assert [n.op_type for n in onnx.load(str(path)).graph.node] == ["MatMul", "Add", "Relu"]
    np.testing.assert_allclose(run_onnx(path, x), chainrule_output(model, x), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("start, end", [(1, 2), (2, 3), (0, -1), (1, -1)])
def test_flatten_of_any_span_matches(tmp_path, start, end):
    model = nn.Sequential(nn.Flatten(start, end))
    x = inputs((2, 3, 4, 5))
    path = export(model, tmp_path / "m.onnx", x)
    got = run_onnx(path, x)
    want = chainrule_output(model, x)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_nested_sequentials_export_their_layers_in_order(tmp_path):
    cr.manual_seed(2)
    model = nn.Sequential(nn.Sequential(nn.Linear(3, 4), nn.ELU()), nn.Linear(4, 2))
    x = inputs((3, 3))
    path = export(model, tmp_path / "m.onnx", x)
    names = {t.name for t in onnx.load(str(path)).graph.initializer}
    assert {"0.0.weight", "0.0.bias", "1.weight", "1.bias"} <= names  # state_dict's names
    np.testing.assert_allclose(run_onnx(path, x), chainrule_output(model, x), rtol=1e-5,
                               atol=1e-6)


def test_input_scaling_is_folded_in_so_the_file_takes_raw_inputs(tmp_path):
    cr.manual_seed(3)
    model = nn.Sequential(nn.Flatten(), nn.Linear(6, 2))
    mean = np.arange(6, dtype=np.float32)
    std = np.linspace(0.5, 3, 6).astype(np.float32)
    raw = inputs((4, 2, 3)) * 10
    path = export(model, tmp_path / "m.onnx", raw, input_scaling=(mean, std))
    scaled = ((raw.reshape(4, -1) - mean) / std).reshape(raw.shape).astype(np.float32)
    np.testing.assert_allclose(run_onnx(path, raw), chainrule_output(model, scaled), rtol=1e-5,
                               atol=1e-5)


def test_a_float64_model_is_exported_in_float64(tmp_path):
    cr.manual_seed(4)
    model = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid()).double()
    x = inputs((2, 3)).astype(np.float64)
    path = export(model, tmp_path / "m.onnx", x)
    got = run_onnx(path, x)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, chainrule_output(model, x), rtol=1e-12)


def test_export_leaves_the_model_in_training_mode_if_it_was(tmp_path):
    model = nn.Sequential(nn.Dropout(0.5))
    export(model, tmp_path / "m.onnx", inputs((1, 3)))
    assert model.training


class Doubler(nn.Module):
    def forward(self, x):
        return x * 2


def test_a_layer_without_an_onnx_form_is_named(tmp_path):
    model = nn.Sequential(nn.Linear(2, 2), Doubler())
    with pytest.raises(ValueError, match=r"layer '1' \(Doubler\) has no ONNX export"):
        export(model, tmp_path / "m.onnx", inputs((1, 2)))
    assert not (tmp_path / "m.onnx").exists()


def test_a_model_that_is_not_a_sequential_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"\(Doubler\) has no ONNX export"):
        export(Doubler(), tmp_path / "m.onnx", inputs((1, 2)))


def test_an_empty_example_batch_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"example_input .* shape \(0, 2\)"):
        export(nn.Sequential(nn.Linear(2, 2)), tmp_path / "m.onnx", np.zeros((0, 2)))


@pytest.mark.parametrize("make", [
    lambda: nn.Conv2d(2, 4, 3),
    lambda: nn.Conv2d(2, 4, (2, 3), padding="same", dilation=(2, 1), bias=False),
    lambda: nn.Conv2d(2, 4, 3, padding="valid", stride=(2, 1)),
    lambda: nn.Conv2d(2, 4, 3, padding=(1, 2), groups=2),
    lambda: nn.Conv2d(2, 2, 3, padding=2, padding_mode="reflect"),
    lambda: nn.Conv2d(2, 2, 3, padding=1, padding_mode="replicate"),
    lambda: nn.MaxPool2d(3, stride=2, ceil_mode=True),
    lambda: nn.MaxPool2d(2, dilation=2, padding=1),
    lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True),
    lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    lambda: nn.BatchNorm2d(2, affine=False),
], ids=["plain", "same-dilated-nobias", "valid-strided", "padded-groups", "reflect",
        "replicate", "maxpool-ceil", "maxpool-dilated", "avgpool-ceil",
        "avgpool-ceil-exclude-pad", "batchnorm-no-affine"])
def test_convolution_and_pooling_options_match_onnxruntime(tmp_path, make):
    cr.manual_seed(7)
    model = nn.Sequential(make())
    x = inputs((2, 2, 8, 7))
    path = export(model, tmp_path / "m.onnx", x)
    np.testing.assert_allclose(run_onnx(path, x), chainrule_output(model, x), rtol=1e-5,
                               atol=1e-5)


def test_a_small_cnn_matches_onnxruntime(tmp_path):
    cr.manual_seed(8)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Dropout2d(0.2), nn.Flatten(), nn.Linear(64, 10))
    model(cr.tensor(inputs((8, 1, 8, 8))))  # one training step moves the running statistics
    x = inputs((3, 1, 8, 8), seed=2)
    path = export(model, tmp_path / "m.onnx", x)
    np.testing.assert_allclose(run_onnx(path, x), chainrule_output(model, x), rtol=1e-4,
                               atol=1e-5)


@pytest.mark.parametrize("layer, opset, ir", [(nn.LayerNorm(4), 17, 8), (nn.GELU(), 20, 9)],
                         ids=["LayerNorm", "GELU"])
def test_a_layer_onnx_has_only_in_a_later_opset_raises_the_files_opset(tmp_path, layer, opset,
                                                                        ir):
    path = export(nn.Sequential(nn.Linear(3, 4), layer), tmp_path / "m.onnx", inputs((1, 3)))
    proto = onnx.load(str(path))
    assert proto.opset_import[0].version == opset and proto.ir_version == ir


@pytest.mark.parametrize("layer, message", [
    (nn.AvgPool2d(2, divisor_override=3), "AvgPool2d: divisor_override"),
    (nn.BatchNorm2d(2, track_running_stats=False), "BatchNorm2d: track_running_stats=False"),
    (nn.Conv2d(2, 2, 3, padding=1, padding_mode="circular"), "Conv2d: padding_mode='circular'"),
])
def test_a_layer_option_onnx_cannot_express_is_named(tmp_path, layer, message):
    with pytest.raises(ValueError, match=message):
        export(nn.Sequential(layer), tmp_path / "m.onnx", inputs((1, 2, 6, 6)))
    assert not (tmp_path / "m.onnx").exists()
