"""Tensors, modules, a training step, fit, save and load "on the GPU", through the CuPy double:
the same numbers as on the CPU, and no copy back to the host inside a step."""

import numpy as np
import pytest
from device_double import cupy_double

import chainrule as cr
from chainrule import nn, optim
from chainrule.data import DataLoader, TensorDataset

CUDA = cr.device("cuda:0")


def arrays_of(model):
    return [p.array for p in model.parameters()]


# -- tensors ---------------------------------------------------------------------------------------
def test_a_tensor_made_on_cuda_holds_a_device_array(double):
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], device="cuda")
    assert x.device == CUDA and x.is_cuda
    assert type(x.array) is double.ndarray and x.array.made_by == "chainrule.devices"
    assert x.dtype == np.float32


def test_to_cuda_and_back_keeps_the_numbers(double):
    host = np.arange(6, dtype=np.float64).reshape(2, 3)
    x = cr.tensor(host)
    y = x.to("cuda")
    assert y.device == CUDA and x.device == cr.device("cpu")
    assert x.cuda().device == CUDA and y.to("cuda") is y and y.cuda() is y
    back = y.cpu()
    assert type(back.array) is np.ndarray
    np.testing.assert_array_equal(back.numpy(), host)
    assert y.to(x).device == cr.device("cpu")  # to(other): other's device and dtype


def test_the_gradient_of_to_goes_back_to_the_device_it_came_from(double):
    x = cr.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = (x.to("cuda") * cr.tensor([2.0, 3.0, 4.0], device="cuda")).sum()
    assert y.device == CUDA
    y.backward()
    assert x.grad.device == cr.device("cpu")
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 3.0, 4.0])
    z = cr.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    z.cpu().sum().backward()
    assert z.grad.device == CUDA


def test_factories_make_their_tensor_on_the_device(double):
    cr.manual_seed(0)
    made = [cr.zeros(2, 3, device="cuda"), cr.ones(2, device=CUDA), cr.full((2,), 1.5,
            device="cuda"), cr.arange(5, device="cuda"), cr.randn(2, 2, device="cuda"),
            cr.rand(3, device="cuda"), cr.eye(2, device="cuda"), cr.empty(2, device="cuda"),
            cr.linspace(0, 1, 3, device="cuda"), cr.randint(0, 3, (4,), device="cuda"),
            cr.randperm(3, device="cuda"), cr.zeros_like(cr.ones(2), device="cuda"),
            cr.ones_like(cr.ones(2, device="cuda")), cr.ones(2, device="cuda").new_zeros(3)]
    for t in made:
        assert t.device == CUDA and type(t.array) is double.ndarray
    cr.manual_seed(0)
    np.testing.assert_array_equal(cr.randn(2, 2).numpy(), made[4].cpu().numpy())


def test_numpy_of_a_cuda_tensor_says_to_copy_it_first(double):
    x = cr.ones(2, device="cuda")
    with pytest.raises(TypeError, match=r"cuda:0.*\.cpu\(\)"):
        x.numpy()
    with pytest.raises(TypeError, match=r"\.cpu\(\)"):
        np.asarray(x)


def test_printing_and_item_copy_back_and_say_the_device(double):
    x = cr.tensor([1.5, 2.0], device="cuda")
    assert repr(x) == repr(x.cpu())[:-1] + ", device='cuda:0')"
    assert x.sum().item() == 3.5 and float(x[0]) == 1.5 and x.tolist() == [1.5, 2.0]


def test_tensors_on_two_devices_in_one_op_is_a_clear_error(double):
    a, b = cr.ones(2, device="cuda"), cr.ones(2)
    with pytest.raises(RuntimeError, match="same device.*cuda:0.*cpu"):
        a + b
    with pytest.raises(RuntimeError, match="same device"):
        cr.ones(2, 3).matmul(cr.ones(3, device="cuda"))


# -- modules ---------------------------------------------------------------------------------------
def test_module_to_moves_parameters_buffers_and_grads_in_place(double):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    params = list(model.parameters())
    model(cr.randn(5, 3)).sum().backward()
    assert model.to("cuda") is model
    assert list(model.parameters()) == params  # the same Parameter objects, as in torch
    for p in params:
        assert p.device == CUDA and p.grad.device == CUDA
    for b in model.buffers():
        assert b.device == CUDA
    assert model.cpu() is model and all(p.device.type == "cpu" for p in params)
    assert all(b.device.type == "cpu" for b in model.buffers())


def test_state_dict_of_a_cuda_model_is_on_cuda_and_loads_into_a_cpu_model(double):
    model = nn.Linear(3, 2).cuda()
    state = model.state_dict()
    assert all(t.device == CUDA for t in state.values())
    other = nn.Linear(3, 2)
    other.load_state_dict(state)
    assert other.weight.device.type == "cpu"
    np.testing.assert_array_equal(other.weight.detach().numpy(),
                                  model.weight.detach().cpu().numpy())


# -- a training step: the same numbers as on the CPU, nothing copied back -----------------------
def _mlp_and_cnn():
    cr.manual_seed(3)
    mlp = nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 16),
                        nn.Tanh(), nn.BatchNorm1d(16), nn.Linear(16, 4))
    # the layers of tests/nn/test_conv.py and test_normalization.py, whose tests build layers on
    # the CPU and so run on the CPU only: here they train on the device
    cnn = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, padding_mode="reflect"), nn.BatchNorm2d(4),
                        nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, groups=2, bias=False),
                        nn.GELU(), nn.Dropout2d(0.1), nn.AvgPool2d(2), nn.Flatten(),
                        nn.LayerNorm(6), nn.Dropout(0.2), nn.Linear(6, 4))
    return mlp, cnn


OPTIMIZERS = [
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
    (optim.Adam, {"lr": 1e-2, "amsgrad": True}),
    (optim.AdamW, {"lr": 1e-2}),
    (optim.RMSprop, {"lr": 1e-3, "centered": True, "momentum": 0.5}),
    (optim.Adagrad, {"lr": 0.05}),
    (optim.Adadelta, {}),
    (optim.Adamax, {"lr": 1e-2}),
    (optim.NAdam, {"lr": 1e-2}),
    (optim.RAdam, {"lr": 1e-2}),
    (optim.Rprop, {"lr": 1e-2}),
]


def _train(model, device, opt_cls, kwargs, foreach, shape, loss):
    model.to(device)
    opt = opt_cls(model.parameters(), foreach=foreach, **kwargs)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=kwargs.get("lr", 1.0), total_steps=10,
                                          cycle_momentum=False)
    rng = np.random.default_rng(0)
    cr.manual_seed(11)  # the same dropout masks on both devices
    losses = []
    for _ in range(4):
        x = cr.tensor(rng.standard_normal((8, *shape)).astype(np.float32), device=device)
        y = cr.tensor(rng.integers(0, 4, 8), device=device)
        opt.zero_grad()
        out = model(x)
        value = loss(out, y)
        value.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        sched.step()
        assert value.device == device
        losses.append(value)
    return [v.item() for v in losses], [p.detach().cpu().numpy() for p in model.parameters()]


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("opt_cls, kwargs", OPTIMIZERS, ids=lambda v: getattr(v, "__name__", ""))
def test_a_training_step_on_the_device_matches_the_cpu_and_stays_there(double, opt_cls, kwargs,
                                                                       foreach):
    for which, shape, loss in ((0, (12,), nn.CrossEntropyLoss(label_smoothing=0.1)),
                               (1, (1, 8, 8), nn.NLLLoss())):
        on_cpu = _train(_mlp_and_cnn()[which], cr.device("cpu"), opt_cls, kwargs, foreach,
                        shape, loss if which == 0 else lambda o, y: loss(o.log_softmax(1), y))
        double.transfers.clear()
        on_gpu = _train(_mlp_and_cnn()[which], CUDA, opt_cls, kwargs, foreach, shape,
                        loss if which == 0 else lambda o, y: loss(o.log_softmax(1), y))
        assert cupy_double.round_trips_inside(double.transfers) == []
        assert {what for what, _ in double.transfers} <= {"item", "get"}  # the test's own
        np.testing.assert_allclose(on_gpu[0], on_cpu[0], rtol=1e-6)
        for a, b in zip(on_gpu[1], on_cpu[1]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# -- fit, DataLoader, save and load ---------------------------------------------------------------
def test_fit_moves_each_batch_to_the_model_s_device(double):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5)).astype(np.float32)
    y = rng.integers(0, 3, 60)
    histories = []
    for device in ("cpu", "cuda"):
        cr.manual_seed(0)
        model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3)).to(device)
        loader = DataLoader(TensorDataset(cr.tensor(X), cr.tensor(y)), batch_size=16,
                            shuffle=True, seed=1)
        opt = optim.Adam(model.parameters(), lr=0.01)
        double.transfers.clear()
        history = cr.train.fit(model, nn.CrossEntropyLoss(), opt, loader, val=(X, y),
                               epochs=3, verbose=0)
        assert cupy_double.round_trips_inside(double.transfers) == []
        assert all(p.device.type == device for p in model.parameters())
        histories.append(history.history)
    for key in histories[0]:
        np.testing.assert_allclose(histories[1][key], histories[0][key], rtol=1e-6)


def test_a_loader_over_device_tensors_yields_device_batches(double):
    data = TensorDataset(cr.randn(10, 3, device="cuda"), cr.arange(10, device="cuda"))
    for xb, yb in DataLoader(data, batch_size=4, shuffle=True, seed=0):
        assert xb.device == CUDA and yb.device == CUDA


def test_predict_and_evaluate_on_a_cuda_model_take_host_data(double):
    model = nn.Linear(4, 2).cuda()
    X = np.ones((5, 4), np.float32)
    out = cr.train.predict(model, X)
    assert out.shape == (5, 2)
    np.testing.assert_allclose(out, model.cpu()(cr.tensor(X)).detach().numpy(), rtol=1e-6)


def test_save_from_cuda_and_load_with_map_location(double, tmp_path):
    model = nn.Sequential(nn.Linear(3, 2)).cuda()
    cr.save(model, tmp_path / "m.safetensors")
    cr.save({"model": model.state_dict(), "step": 3}, tmp_path / "ckpt.safetensors")
    plain = cr.load(tmp_path / "m.safetensors")
    assert all(p.device.type == "cpu" for p in plain.parameters())
    moved = cr.load(tmp_path / "m.safetensors", map_location="cuda")
    assert all(p.device == CUDA for p in moved.parameters())
    ckpt = cr.load(tmp_path / "ckpt.safetensors", map_location=cr.device("cuda:0"))
    assert ckpt["step"] == 3 and all(t.device == CUDA for t in ckpt["model"].values())
    np.testing.assert_array_equal(ckpt["model"]["0.weight"].cpu().numpy(),
                                  model[0].weight.detach().cpu().numpy())
    with pytest.raises(cr.cuda.CudaUnavailableError, match="no GPU cuda:1"):
        cr.load(tmp_path / "m.safetensors", map_location="cuda:1")


def test_optimizer_state_is_on_the_device_and_saves(double, tmp_path):
    model = nn.Linear(3, 2).cuda()
    opt = optim.Adam(model.parameters(), lr=0.1)
    model(cr.ones(4, 3, device="cuda")).sum().backward()
    opt.step()
    state = opt.state_dict()["state"][0]
    assert type(state["exp_avg"]) is double.ndarray
    cr.save({"opt": opt.state_dict()}, tmp_path / "o.safetensors")
    again = optim.Adam(model.parameters(), lr=0.1)
    again.load_state_dict(cr.load(tmp_path / "o.safetensors", map_location="cuda")["opt"])
    assert type(again.state[model.weight]["exp_avg"]) is double.ndarray
