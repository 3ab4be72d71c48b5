"""The same device tests against real CuPy on a real GPU (``pytest -m gpu``).

They run wherever a GPU and CuPy are present and are skipped elsewhere, in CI too: a machine
without a GPU cannot run them, and the CuPy double (tests/device_double) covers the code paths
there. The skip says why, in pytest's -rs summary.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def cupy():
    cr.cuda.reset()
    if not cr.cuda.is_available():
        pytest.skip(f"no GPU on this machine ({cr.cuda.unavailable_reason()})")
    import cupy

    return cupy


def test_a_tensor_on_the_gpu_is_a_cupy_array(cupy):
    x = cr.tensor([1.0, 2.0], device="cuda")
    assert isinstance(x.array, cupy.ndarray) and x.device == cr.device("cuda:0")
    np.testing.assert_array_equal(x.cpu().numpy(), [1.0, 2.0])


def test_every_op_of_a_small_cnn_and_its_gradients_match_the_cpu(cupy):
    cr.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Conv2d(4, 4, 3), nn.GELU(), nn.AvgPool2d(2),
                          nn.Flatten(), nn.Dropout(0.0), nn.Linear(4, 3))
    x = np.random.default_rng(0).standard_normal((6, 1, 8, 8)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2])
    results = []
    for device in ("cpu", "cuda"):
        model.to(device)
        model.zero_grad()
        loss = nn.functional.cross_entropy(model(cr.tensor(x, device=device)),
                                           cr.tensor(y, device=device))
        loss.backward()
        results.append((loss.item(), [p.grad.cpu().numpy() for p in model.parameters()]))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-4)
    for a, b in zip(results[1][1], results[0][1]):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("opt_cls", [optim.SGD, optim.Adam, optim.RMSprop])
def test_training_on_the_gpu_follows_the_cpu(cupy, opt_cls):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((64, 10)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    weights = []
    for device in ("cpu", "cuda"):
        cr.manual_seed(0)
        model = nn.Sequential(nn.Linear(10, 16), nn.Tanh(), nn.Linear(16, 3)).to(device)
        opt = opt_cls(model.parameters(), lr=0.01)
        cr.train.fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=2, batch_size=16,
                     shuffle=False, verbose=0)
        weights.append([p.cpu().detach().numpy() for p in model.parameters()])
    for a, b in zip(weights[1], weights[0]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_the_gpu_benchmark_runs(cupy):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch sees no GPU (a CUDA build of torch is needed)")
    script = Path(__file__).parents[1] / "benchmarks" / "gpu.py"
    done = subprocess.run([sys.executable, str(script), "--quick"], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "chainrule speed / torch" in done.stdout
