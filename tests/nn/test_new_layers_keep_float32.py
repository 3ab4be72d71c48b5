"""The layers and functions added for PyTorch programs keep float32 float32 (forward and
gradient), and a Sequential of them is saved and rebuilt from the file alone."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn

rng = np.random.default_rng(0)
images = rng.standard_normal((2, 4, 6, 6)).astype(np.float32)
rows = rng.standard_normal((5, 4)).astype(np.float32)
probs = np.full((5, 4), 0.25, dtype=np.float32)

CASES = {
    "conv2d": (lambda x: nn.Conv2d(4, 2, 3, padding="same", groups=2)(x), images),
    "max_pool2d": (lambda x: F.max_pool2d(x, 3, 2, padding=1, ceil_mode=True), images),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 3, 2, padding=1, count_include_pad=False), images),
    "dropout2d": (lambda x: F.dropout2d(x, 0.5), images),
    "pad_constant": (lambda x: F.pad(x, (1, 2, 0, 1), value=1.5), images),
    "pad_reflect": (lambda x: F.pad(x, (1, 2, 0, 1), mode="reflect"), images),
    "batch_norm_train": (lambda x: nn.BatchNorm2d(4)(x), images),
    "batch_norm_eval": (lambda x: nn.BatchNorm2d(4).eval()(x), images),
    "layer_norm": (lambda x: nn.LayerNorm(4)(x), rows),
    "gelu": (F.gelu, rows),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), rows),
    "silu": (F.silu, rows),
    "softplus": (lambda x: F.softplus(x, 2.0, 1.0), rows),
    "l1": (lambda x: F.l1_loss(x, rows[::-1].copy()), rows),
    "smooth_l1": (lambda x: F.smooth_l1_loss(x, rows[::-1].copy(), beta=0.5), rows),
    "huber": (lambda x: F.huber_loss(x, rows[::-1].copy()), rows),
    "kl_div": (lambda x: F.kl_div(x, probs, reduction="batchmean"), rows),
    "cross_entropy_options": (lambda x: F.cross_entropy(
        x, np.array([0, 1, 2, 3, 1]), weight=cr.tensor([1.0, 2.0, 1.0, 0.5]), ignore_index=1,
        label_smoothing=0.1), rows),
    "nll_weighted": (lambda x: F.nll_loss(x, np.array([0, 1, 2, 3, 1]),
                                          weight=cr.tensor([1.0, 2.0, 1.0, 0.5])), rows),
    "normalize": (F.normalize, rows),
    "cosine_similarity": (lambda x: F.cosine_similarity(x, rows[::-1].copy()), rows),
}


@pytest.mark.parametrize("name", CASES)
def test_float32_stays_float32(name):
    fn, data = CASES[name]
    x = cr.tensor(data, requires_grad=True)
    y = fn(x)
    assert y.dtype == np.float32, f"{name} gives {y.dtype}"
    y.sum().backward()
    assert x.grad.dtype == np.float32, f"{name}'s gradient is {x.grad.dtype}"


def test_embedding_keeps_float32():
    layer = nn.Embedding(5, 3)
    y = layer(cr.tensor([[1, 2], [4, 4]]))
    y.sum().backward()
    assert y.dtype == np.float32 and layer.weight.grad.dtype == np.float32


def test_a_sequential_of_the_new_layers_is_saved_and_rebuilt(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.SiLU(),
                          nn.MaxPool2d(2), nn.Dropout2d(0.2), nn.AvgPool2d(2), nn.Flatten(),
                          nn.Linear(16, 8), nn.GELU("tanh"), nn.LayerNorm(8), nn.Softplus(2.0))
    x = cr.tensor(rng.standard_normal((3, 1, 8, 8)).astype(np.float32))
    model(x)  # one training step moves the running statistics
    cr.save(model, tmp_path / "cnn.safetensors")
    loaded = cr.load(tmp_path / "cnn.safetensors")
    assert repr(loaded) == repr(model)
    model.eval()
    loaded.eval()
    np.testing.assert_array_equal(loaded(x).array, model(x).array)
