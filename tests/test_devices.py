"""Devices on a machine without a GPU: ``device``, ``cuda.is_available``, ``.to("cpu")`` and the
one-line refusal of anything "cuda" (issue 12's names; issue 17's behaviour without CuPy)."""

import subprocess
import sys
import types

import numpy as np
import pytest

import chainrule as cr
from chainrule import cuda, nn


@pytest.fixture
def fake_cupy(monkeypatch):
    """Install a ``cupy`` whose parts fail as a real one does on a machine without a GPU."""
    def install(module):
        monkeypatch.setitem(sys.modules, "cupy", module)
        cuda.reset()
        return module

    yield install
    cuda.reset()


def _broken_cupy(count=None, allocate=None):
    def get_count():
        if isinstance(count, Exception):
            raise count
        return count

    def zeros(*args, **kwargs):
        if allocate is not None:
            raise allocate
        return object()

    runtime = types.SimpleNamespace(getDeviceCount=get_count)
    return types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime), zeros=zeros,
                                 float32=np.float32)


class CUDARuntimeError(RuntimeError):
    """The name CuPy's own error has."""


# -- device ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec, kind, index, text", [
    ("cpu", "cpu", None, "cpu"), ("cuda", "cuda", None, "cuda"), ("cuda:0", "cuda", 0, "cuda:0"),
    ("cuda:3", "cuda", 3, "cuda:3"), (1, "cuda", 1, "cuda:1"),
])
def test_device_reads_torch_spellings(spec, kind, index, text):
    d = cr.device(spec)
    assert (d.type, d.index, str(d)) == (kind, index, text)


def test_device_with_a_separate_index_and_from_a_device():
    assert cr.device("cuda", 2) == cr.device("cuda:2")
    assert cr.device(cr.device("cuda:1")) == cr.device("cuda:1")
    assert repr(cr.device("cuda", 0)) == "device(type='cuda', index=0)"
    assert repr(cr.device("cpu")) == "device(type='cpu')"


def test_devices_compare_and_hash_by_type_and_index():
    assert cr.device("cpu") == cr.device("cpu") == "cpu"
    assert cr.device("cuda") != cr.device("cuda:0")  # as in torch: no index is not index 0
    assert cr.device("cuda:0") != "cpu"
    assert len({cr.device("cuda:0"), cr.device("cuda", 0), cr.device("cpu")}) == 2


@pytest.mark.parametrize("spec, words", [
    ("tpu", "'cpu' and 'cuda'"), ("cuda:x", "cuda:N"), ("cpu:1", "index 0 only"),
    (1.5, "expected a string"), (-1, "non-negative"),
])
def test_a_device_that_is_not_one_says_what_was_wrong(spec, words):
    with pytest.raises((ValueError, TypeError), match=words):
        cr.device(spec)


# -- cuda.is_available: never raises ---------------------------------------------------------------
def test_no_cupy_means_no_cuda(fake_cupy, monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy raises ImportError
    cuda.reset()
    assert cuda.is_available() is False
    assert cuda.device_count() == 0
    assert "CuPy is not installed" in cuda.unavailable_reason()


@pytest.mark.parametrize("cupy, words", [
    (_broken_cupy(count=CUDARuntimeError("cudaErrorInsufficientDriver: CUDA driver version is "
                                         "insufficient")), "could not count devices"),
    (_broken_cupy(count=0), "0 devices"),
    (_broken_cupy(count=1, allocate=CUDARuntimeError("cudaErrorInsufficientDriver")),
     "could not allocate: CUDARuntimeError: cudaErrorInsufficientDriver"),
])
def test_a_cupy_without_a_gpu_means_no_cuda(fake_cupy, cupy, words):
    fake_cupy(cupy)
    assert cuda.is_available() is False
    assert words in cuda.unavailable_reason()


def test_the_portable_device_line_just_works_on_the_cpu():
    device = cr.device("cuda" if cr.cuda.is_available() else "cpu")
    x = cr.tensor([1.0, 2.0]).to(device)
    model = nn.Linear(2, 1).to(device)
    assert device == cr.device("cpu") and x.device == device
    assert model(x).device == device


# -- anything "cuda" without a GPU: one line naming the thing -------------------------------------
def _one_line_refusal(excinfo, thing):
    text = str(excinfo.value)
    assert "\n" not in text and "Did you mean" not in text
    assert text.startswith("chainrule: CUDA is not available: ")
    assert thing in text


@pytest.mark.parametrize("what, thing", [
    (lambda: cr.tensor([1.0]).cuda(), "'cuda'"),
    (lambda: cr.tensor([1.0]).to("cuda"), "'cuda'"),
    (lambda: cr.tensor([1.0], device="cuda:0"), "'cuda:0'"),
    (lambda: cr.zeros(2, device="cuda"), "'cuda'"),
    (lambda: cr.randn(2, device="cuda"), "'cuda'"),
    (lambda: nn.Linear(2, 1).cuda(), "'cuda'"),
    (lambda: nn.Linear(2, 1).to(cr.device("cuda")), "'cuda'"),
    (lambda: cr.cuda.current_device(), "current_device"),
])
def test_cuda_without_a_gpu_is_one_clear_line(fake_cupy, what, thing):
    fake_cupy(_broken_cupy(count=1, allocate=CUDARuntimeError("cudaErrorInsufficientDriver")))
    with pytest.raises(cuda.CudaUnavailableError) as excinfo:
        what()
    _one_line_refusal(excinfo, thing)
    assert "cupy could not allocate" in str(excinfo.value)


def test_a_model_left_where_it_was_when_cuda_is_refused(fake_cupy):
    fake_cupy(_broken_cupy(count=1, allocate=CUDARuntimeError("no driver")))
    model = nn.Linear(2, 1)
    with pytest.raises(cuda.CudaUnavailableError):
        model.cuda()
    assert all(p.device == cr.device("cpu") for p in model.parameters())


# -- the CPU spellings of torch code ---------------------------------------------------------------
def test_tensors_are_on_the_cpu_and_to_cpu_is_the_tensor_itself():
    x = cr.tensor([1.0, 2.0], device="cpu", requires_grad=True)
    assert x.device == cr.device("cpu") and x.is_cuda is False
    assert x.to("cpu") is x and x.cpu() is x and x.to(cr.device("cpu")) is x
    assert x.to(device="cpu", dtype=cr.float32) is x


def test_to_takes_a_dtype_a_device_and_dtype_or_another_tensor():
    x = cr.tensor([1.0, 2.0])
    assert x.to(cr.float64).dtype == np.float64
    assert x.to("cpu", cr.float64).dtype == np.float64
    other = cr.tensor([1, 2], dtype=cr.int64)
    assert x.to(other).dtype == np.int64 and x.to(other).device == other.device


@pytest.mark.parametrize("make", [
    lambda d: cr.zeros(2, 3, device=d), lambda d: cr.ones((2, 3), device=d),
    lambda d: cr.full((2, 3), 1.5, device=d), lambda d: cr.empty(2, 3, device=d),
    lambda d: cr.arange(6, device=d), lambda d: cr.randn(2, 3, device=d),
    lambda d: cr.rand(2, 3, device=d), lambda d: cr.eye(3, device=d),
    lambda d: cr.linspace(0, 1, 5, device=d), lambda d: cr.randint(0, 5, (3,), device=d),
    lambda d: cr.randperm(4, device=d), lambda d: cr.zeros_like(cr.ones(2), device=d),
    lambda d: cr.ones_like(cr.ones(2), device=d),
    lambda d: cr.tensor([1.0]).new_zeros(2, device=d),
])
def test_factories_take_device(make):
    assert make("cpu").device == cr.device("cpu")
    assert make(cr.device("cpu")).device == cr.device("cpu")


def test_module_to_cpu_returns_the_module_and_keeps_its_parameters():
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    params = list(model.parameters())
    assert model.to("cpu") is model and model.cpu() is model
    assert list(model.parameters()) == params
    assert model.to("cpu", cr.float64) is model and params[0].dtype == np.float64


def test_load_with_map_location_cpu(tmp_path):
    model = nn.Linear(3, 2)
    cr.save(model.state_dict(), tmp_path / "w.safetensors")
    for where in ("cpu", cr.device("cpu"), None):
        state = cr.load(tmp_path / "w.safetensors", map_location=where)
        assert all(t.device == cr.device("cpu") for t in state.values())


def test_cli_device_cpu_trains_and_cuda_is_one_line(tmp_path):
    base = [sys.executable, "-m", "chainrule", "train", "--epochs", "1", "--out",
            str(tmp_path / "run")]
    ok = subprocess.run(base + ["--device", "cpu"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    refused = subprocess.run(base + ["--device", "cuda"], capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode != 0
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chainrule: CUDA is not available: "), lines
