"""A hundred common PyTorch tutorial idioms, each run as written under torch and under chainrule
(the module bound to the name ``torch``), and the results compared (issue 12's rule: rename the
import, nothing else).

Run as a script to list the idioms that fail instead of stopping at the first:
``python tests/test_torch_idioms.py``.
"""
# ruff: noqa: E501 - a table of one-line programs reads better unbroken

import numpy as np
import pytest
import torch as real_torch

import chainrule

SETUP = """
x = torch.tensor([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]])
v = torch.tensor([1.0, 2.0, 3.0])
i = torch.tensor([2, 0, 1])
"""

# (name, code that sets ``out``); ``shape:`` first compares only shapes and dtypes (random draws)
IDIOMS = [
    ("tensor dtype long", "out = torch.tensor([1, 2], dtype=torch.long)"),
    ("tensor dtype float32", "out = torch.tensor([1, 2], dtype=torch.float32)"),
    ("tensor().float()", "out = torch.tensor([1, 2]).float()"),
    ("tensor().long()", "out = torch.tensor([1.7, 2.2]).long()"),
    ("tensor().double()", "out = torch.tensor([1.5]).double()"),
    ("tensor().bool()", "out = torch.tensor([0, 2]).bool()"),
    ("to(torch.float64)", "out = x.to(torch.float64)"),
    ("to(dtype=)", "out = x.to(dtype=torch.float16)"),
    ("type(torch.float64)", "out = x.type(torch.float64)"),
    ("x.dtype == torch.float32", "out = x.dtype == torch.float32"),
    ("is_floating_point", "out = x.is_floating_point(), torch.is_floating_point(i)"),
    ("zeros", "out = torch.zeros(2, 3)"),
    ("zeros tuple", "out = torch.zeros((2, 3), dtype=torch.int64)"),
    ("ones", "out = torch.ones(3)"),
    ("full", "out = torch.full((2, 2), 7.0)"),
    ("arange", "out = torch.arange(5)"),
    ("arange float", "out = torch.arange(0, 1, 0.25)"),
    ("linspace", "out = torch.linspace(-1, 1, 5)"),
    ("eye", "out = torch.eye(3)"),
    ("zeros_like", "out = torch.zeros_like(x)"),
    ("ones_like", "out = torch.ones_like(i)"),
    ("full_like", "out = torch.full_like(x, 2.5)"),
    ("empty shape", "shape: out = torch.empty(2, 3)"),
    ("rand shape", "shape: out = torch.rand(2, 3)"),
    ("randn shape", "shape: out = torch.randn(4)"),
    ("randn_like shape", "shape: out = torch.randn_like(x)"),
    ("rand_like shape", "shape: out = torch.rand_like(x)"),
    ("randint shape", "shape: out = torch.randint(0, 10, (3,))"),
    ("randperm sorted", "out = torch.sort(torch.randperm(6)).values"),
    ("manual_seed", "torch.manual_seed(0); out = 1"),
    ("from_numpy", "out = torch.from_numpy(np.arange(3.0))"),
    ("as_tensor", "out = torch.as_tensor(np.arange(3))"),
    ("is_tensor", "out = torch.is_tensor(x), torch.is_tensor(3)"),
    ("numel", "out = torch.numel(x), x.numel()"),
    ("shape", "out = x.shape"),
    ("size()", "out = x.size()"),
    ("size(1)", "out = x.size(1)"),
    ("shape[0]", "out = x.shape[0]"),
    ("Size compare", "out = x.shape == torch.Size([2, 3])"),
    ("dim", "out = x.dim(), x.ndim"),
    ("view(-1)", "out = x.view(-1)"),
    ("view(2, -1)", "out = x.view(3, -1)"),
    ("reshape", "out = x.reshape(-1, 2)"),
    ("torch.flatten", "out = torch.flatten(x)"),
    ("flatten(1)", "out = torch.zeros(2, 3, 4).flatten(1).shape"),
    ("squeeze", "out = torch.squeeze(torch.zeros(1, 3, 1)).shape"),
    ("squeeze dim", "out = torch.zeros(1, 3, 1).squeeze(-1).shape"),
    ("unsqueeze", "out = v.unsqueeze(0).shape"),
    ("None index", "out = v[None, :].shape"),
    ("T", "out = x.T"),
    ("t()", "out = x.t()"),
    ("transpose", "out = x.transpose(0, 1)"),
    ("permute", "out = torch.zeros(2, 3, 4).permute(2, 0, 1).shape"),
    ("cat", "out = torch.cat([x, x], dim=0)"),
    ("cat dim 1", "out = torch.cat((x, x), 1)"),
    ("stack", "out = torch.stack([v, v])"),
    ("unbind", "out = torch.unbind(x, 1)"),
    ("chunk", "out = torch.chunk(v, 3)"),
    ("split", "out = x.split(1, dim=1)"),
    ("max", "out = torch.max(x)"),
    ("max dim", "out = torch.max(x, 1)"),
    ("max values", "out = x.max(dim=1).values"),
    ("max indices", "_, out = torch.max(x, 1)"),
    ("argmax dim", "out = x.argmax(dim=1)"),
    ("argmax", "out = torch.argmax(x)"),
    ("min", "out = x.min()"),
    ("sum dim", "out = x.sum(dim=1)"),
    ("sum keepdim", "out = x.sum(1, keepdim=True)"),
    ("mean", "out = torch.mean(x)"),
    ("mean dim", "out = x.mean(0)"),
    ("std", "out = x.std()"),
    ("var dim", "out = torch.var(x, 1)"),
    ("prod", "out = v.prod()"),
    ("cumsum", "out = torch.cumsum(v, dim=0)"),
    ("sort", "out = torch.sort(v, descending=True)"),
    ("argsort", "out = torch.argsort(x, dim=1)"),
    ("topk", "out = torch.topk(v, 2)"),
    ("abs", "out = torch.abs(x)"),
    ("exp log", "out = torch.log(torch.exp(v))"),
    ("sqrt", "out = torch.sqrt(v)"),
    ("pow", "out = torch.pow(v, 2)"),
    ("clamp", "out = torch.clamp(x, min=0)"),
    ("clamp max", "out = x.clamp(-1, 1)"),
    ("where", "out = torch.where(x > 0, x, torch.zeros_like(x))"),
    ("sigmoid", "out = torch.sigmoid(v)"),
    ("tanh", "out = torch.tanh(v)"),
    ("relu", "out = torch.relu(x)"),
    ("softmax", "out = torch.softmax(x, dim=1)"),
    ("F.softmax", "out = F.softmax(x, dim=-1)"),
    ("matmul", "out = torch.matmul(x, v)"),
    ("@", "out = x @ x.T"),
    ("mm", "out = torch.mm(x, x.t())"),
    ("bmm", "out = torch.bmm(torch.ones(2, 2, 3), torch.ones(2, 3, 4))"),
    ("outer", "out = torch.outer(v, v)"),
    ("dot", "out = torch.dot(v, v)"),
    ("einsum", "out = torch.einsum('ij,j->i', x, v)"),
    ("floor_divide", "out = torch.floor_divide(i, 2), i // 2"),
    ("eq sum item", "out = (i == torch.tensor([2, 1, 1])).sum().item()"),
    ("eq float mean", "out = (i == torch.tensor([2, 1, 1])).float().mean()"),
    ("allclose", "out = torch.allclose(v, v + 1e-9)"),
    ("equal", "out = torch.equal(v, v.clone())"),
    ("isnan", "out = torch.isnan(torch.tensor([1.0, float('nan')]))"),
    ("isfinite any", "out = torch.isfinite(v).all()"),
    ("masked_fill", "out = x.masked_fill(x < 0, 0.0)"),
    ("masked_fill_", "y = x.clone(); y.masked_fill_(y < 0, -1.0); out = y"),
    ("boolean index", "out = x[x > 0]"),
    ("index tensor", "out = v[i]"),
    ("gather", "out = x.gather(1, torch.tensor([[0], [2]]))"),
    ("item", "out = v.sum().item()"),
    ("tolist", "out = x.tolist()"),
    ("numpy", "out = x.numpy()"),
    ("detach numpy", "out = (v * 2).detach().cpu().numpy()"),
    ("clone", "out = x.clone()"),
    ("new_zeros", "out = x.new_zeros(2)"),
    ("new_ones", "out = x.new_ones((1, 2))"),
    ("new_tensor", "out = x.new_tensor([1, 2])"),
    ("backward", "w = torch.ones(3, requires_grad=True); (w * v).sum().backward(); out = w.grad"),
    ("requires_grad_", "w = torch.zeros(2).requires_grad_(); out = w.requires_grad"),
    ("no_grad", "w = torch.ones(3, requires_grad=True)\nwith torch.no_grad():\n    out = (w * 2).requires_grad"),
    ("no_grad decorator", "@torch.no_grad()\ndef f(a):\n    return a * 2\nout = f(torch.ones(2, requires_grad=True)).requires_grad"),
    ("inference_mode", "with torch.inference_mode():\n    out = (torch.ones(2, requires_grad=True) * 2).requires_grad"),
    ("set_grad_enabled", "with torch.set_grad_enabled(False):\n    out = (torch.ones(2, requires_grad=True) * 2).requires_grad"),
    ("get_default_dtype", "out = torch.get_default_dtype() == torch.float32"),
    ("default dtype float64", "torch.set_default_dtype(torch.float64)\ntry:\n    out = torch.tensor([1.5]) * 2, torch.zeros(1).dtype == torch.float64\nfinally:\n    torch.set_default_dtype(torch.float32)"),
    ("in-place add_", "y = x.clone(); y.add_(1); out = y"),
    ("in-place mul_", "y = x.clone(); y.mul_(2); out = y"),
    ("zero_", "y = x.clone(); y.zero_(); out = y"),
    ("fill_", "y = x.clone(); y.fill_(3); out = y"),
    ("nn.Linear shape", "out = nn.Linear(3, 2)(x).shape"),
    ("Sequential", "m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)); out = m(x).shape"),
    ("parameters count", "m = nn.Linear(3, 2); out = sum(p.numel() for p in m.parameters())"),
    ("named_parameters", "out = [n for n, _ in nn.Linear(3, 2).named_parameters()]"),
    ("state_dict keys", "out = list(nn.Sequential(nn.Linear(3, 2)).state_dict())"),
    ("weight.data.normal_", "m = nn.Linear(3, 2); m.weight.data.normal_(0, 0.01); out = m.weight.shape"),
    ("MSELoss", "out = nn.MSELoss()(x, torch.zeros_like(x))"),
    ("CrossEntropyLoss", "out = nn.CrossEntropyLoss()(x, torch.tensor([0, 2]))"),
    ("F.cross_entropy", "out = F.cross_entropy(x, torch.tensor([1, 1]), reduction='sum')"),
    ("BCEWithLogitsLoss", "out = nn.BCEWithLogitsLoss()(v, torch.tensor([1.0, 0.0, 1.0]))"),
    ("F.one_hot", "out = F.one_hot(i, 3)"),
    ("F.relu", "out = F.relu(x)"),
    ("F.log_softmax", "out = F.log_softmax(x, dim=1)"),
    ("SGD step", "w = torch.ones(3, requires_grad=True); opt = torch.optim.SGD([w], lr=0.1)\n"
                 "(w * v).sum().backward(); opt.step(); out = w.detach()"),
    ("tril", "out = torch.tril(torch.ones(3, 3))"),
    ("triu diagonal", "out = torch.triu(torch.ones(3, 3), diagonal=1)"),
    ("masked_select", "out = x.masked_select(x > 0)"),
    ("nonzero", "out = torch.nonzero(x > 0)"),
    ("where of a condition", "out = torch.where(x > 0)"),
    ("any all", "out = torch.any(x > 4), torch.all(x > -10)"),
    ("any dim", "out = (x > 0).any(dim=1), (x > 0).all(1)"),
    ("logical ops", "out = torch.logical_and(x > 0, x < 4), torch.logical_not(x > 0), "
                    "torch.logical_or(x > 0, x < -3)"),
    ("round floor ceil", "out = torch.round(x / 4), torch.floor(x / 4), torch.ceil(x / 4)"),
    ("prediction by round", "out = torch.sigmoid(x).round()"),
    ("count_nonzero", "out = torch.count_nonzero(x > 0)"),
    ("unique", "out = torch.unique(torch.tensor([3, 1, 3]), return_counts=True)"),
    ("bincount", "out = torch.bincount(torch.tensor([0, 1, 1]))"),
    ("add mul div sub", "out = torch.add(x, 1), torch.mul(x, 2), torch.div(x, 2), "
                        "torch.sub(x, 1, alpha=2)"),
    ("neg true_divide", "out = torch.neg(x), torch.true_divide(x, 2)"),
    ("rsqrt reciprocal", "out = torch.rsqrt(v), v.reciprocal()"),
    ("log2 log10", "out = torch.log2(v), torch.log10(v)"),
    ("clamp_min max", "out = torch.clamp_min(x, 0), x.clamp_max(0)"),
    ("hstack vstack", "out = torch.hstack([v, v]), torch.vstack([v, v]), torch.hstack([x, x])"),
    ("sigmoid threshold long", "out = (torch.sigmoid(x) > 0.5).long()"),
    ("index pairs", "out = x[[0, 1], [2, 0]]"),
    ("masked assignment", "y = x.clone(); y[y < 0] = 0; out = y"),
    ("init.zeros_", "out = torch.nn.init.zeros_(torch.empty(2))"),
    ("std keepdim", "out = torch.std(x, dim=1, keepdim=True)"),
    ("F.normalize", "out = F.normalize(x, dim=1)"),
    ("F.pad", "out = F.pad(x, (1, 1))"),
    ("eval/train", "m = nn.Dropout(0.5); m.eval(); out = m(v)"),
]


def run_idiom(module, code):
    """Run ``code`` with ``module`` as ``torch``; the value it leaves in ``out``."""
    scope = {"torch": module, "nn": module.nn, "F": module.nn.functional, "np": np}
    exec(SETUP, scope)  # noqa: S102 - the idioms are this file's own code
    exec(code, scope)  # noqa: S102
    return scope["out"]


def plain(value, shapes_only=False):
    """The value as plain Python/NumPy data, the same for both libraries' results."""
    if isinstance(value, (real_torch.Tensor, chainrule.Tensor)):
        array = value.detach().numpy() if isinstance(value, real_torch.Tensor) else value.array
        return ("tensor", array.shape, str(array.dtype),
                None if shapes_only else array.tolist())
    if isinstance(value, np.ndarray):
        return ("array", value.shape, str(value.dtype), value.tolist())
    if isinstance(value, (tuple, list)):
        return [plain(v, shapes_only) for v in value]
    return value


def compare(code):
    shapes_only = code.startswith("shape:")
    code = code.removeprefix("shape:").strip()
    expected = plain(run_idiom(real_torch, code), shapes_only)
    got = plain(run_idiom(chainrule, code), shapes_only)
    if got != expected:
        np.testing.assert_allclose(_numbers(got), _numbers(expected), rtol=1e-6, atol=1e-7)
        assert _skeleton(got) == _skeleton(expected)


def _numbers(value):
    """The floats in a plain value, flattened, for a comparison within rounding."""
    if isinstance(value, tuple) and value and value[0] in ("tensor", "array"):
        return np.ravel(np.asarray(value[3], dtype=float)).tolist() if value[3] is not None else []
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return [float(value)] if isinstance(value, (int, float)) else []


def _skeleton(value):
    """A plain value without its numbers: kinds, shapes and dtypes."""
    if isinstance(value, tuple) and value and value[0] in ("tensor", "array"):
        return value[:3]
    if isinstance(value, list):
        return [_skeleton(v) for v in value]
    return type(value).__name__ if isinstance(value, (int, float)) else value


@pytest.mark.parametrize("code", [code for _, code in IDIOMS], ids=[name for name, _ in IDIOMS])
def test_idiom_runs_as_in_torch(code):
    compare(code)


if __name__ == "__main__":
    failures = []
    for name, code in IDIOMS:
        try:
            compare(code)
        except Exception as e:  # noqa: BLE001 - a report of every failure is the point
            failures.append((name, f"{type(e).__name__}: {str(e).splitlines()[0][:100]}"))
    for name, why in failures:
        print(f"FAIL {name}: {why}")
    print(f"{len(IDIOMS) - len(failures)} of {len(IDIOMS)} idioms run as in torch")
