"""A state_dict crosses between torch and chainrule through the ``safetensors`` package: saved by
``safetensors.torch.save_file`` it loads into the same chainrule model, and saved by chainrule it
loads with ``safetensors.torch.load_file`` into the torch model; both give the same outputs."""

import numpy as np
import pytest
import torch

import chainrule as cr

safetensors_torch = pytest.importorskip("safetensors.torch")

IMAGES = np.random.default_rng(0).standard_normal((4, 1, 8, 8)).astype(np.float32)


def small_cnn(nn):
    """The same network in torch.nn or chainrule.nn: convolution, batch norm (buffers), Linear."""
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 10))


def trained_torch_cnn():
    """A torch network whose batch-norm statistics moved off their start (one training pass)."""
    torch.manual_seed(0)
    net = small_cnn(torch.nn)
    net(torch.tensor(IMAGES) * 3 + 1)
    return net.eval()


def test_a_state_dict_saved_by_safetensors_torch_loads_into_chainrule(tmp_path):
    net = trained_torch_cnn()
    path = tmp_path / "from_torch.safetensors"
    safetensors_torch.save_file(net.state_dict(), str(path))

    ours = small_cnn(cr.nn)
    ours.load_state_dict(cr.load(path))
    ours.eval()
    assert list(ours.state_dict()) == list(net.state_dict())
    with torch.no_grad():
        expected = net(torch.tensor(IMAGES)).numpy()
    np.testing.assert_allclose(ours(cr.tensor(IMAGES)).detach().numpy(), expected,
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("what", ["state_dict", "module"])
def test_a_state_dict_saved_by_chainrule_loads_with_safetensors_torch(tmp_path, what):
    net = trained_torch_cnn()
    ours = small_cnn(cr.nn)
    ours.load_state_dict({k: cr.tensor(v.numpy()) for k, v in net.state_dict().items()})
    ours.eval()
    path = tmp_path / "from_chainrule.safetensors"
    cr.save(ours.state_dict() if what == "state_dict" else ours, path)

    fresh = small_cnn(torch.nn).eval()
    fresh.load_state_dict(safetensors_torch.load_file(str(path)))
    for name, value in net.state_dict().items():
        loaded = fresh.state_dict()[name]
        assert loaded.dtype == value.dtype, name
        assert torch.equal(loaded, value), name
    with torch.no_grad():
        theirs = fresh(torch.tensor(IMAGES)).numpy()
    np.testing.assert_allclose(ours(cr.tensor(IMAGES)).detach().numpy(), theirs,
                               rtol=1e-5, atol=1e-6)
