"""Where a tensor's numbers live: ``device("cpu")`` (NumPy) or ``device("cuda:0")`` (CuPy).

torch's ``torch.device``, with the same spelling: ``device("cuda")``, ``device("cuda:1")``,
``device("cuda", 1)``, ``.type``, ``.index``, and ``str()`` that gives the spelling back. The
device of an array is read from the array itself (a NumPy array is on the CPU, a CuPy array on
the GPU it was made on), so a tensor never keeps a second record that could disagree.

``move(array, device)`` is the one place arrays cross between host and GPU memory: the
``device=`` of the constructors, ``Tensor.to``, ``Module.to``, ``load(map_location=)`` and the
DataLoader all go through it.
"""

import numpy as np

from .backend import get_array_module

TYPES = ("cpu", "cuda")


class device:  # noqa: N801 - torch's name
    """A place for tensors: ``device("cpu")``, ``device("cuda")``, ``device("cuda:0")``."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002 - torch's argument name
        if isinstance(type, device):
            if index is not None:
                raise ValueError(f"device: {type!r} already says its index; pass no index")
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type  # device(0) is the first GPU, as in torch
        elif isinstance(type, str):
            type, index = _parse(type, index)
        else:
            raise TypeError(f"device: expected a string such as 'cpu' or 'cuda:0', got "
                            f"{type.__class__.__name__} {type!r:.40}")
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
                raise ValueError(f"device: the index must be a non-negative integer, got "
                                 f"{index!r}")
            if type == "cpu" and index != 0:
                raise ValueError(f"device: the CPU has index 0 only, got 'cpu:{index}'")
            index = int(index)
        self.type = type
        self.index = index

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except (ValueError, TypeError):
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


def _parse(text, index):
    kind, colon, number = text.strip().partition(":")
    if kind not in TYPES:
        raise ValueError(f"device: chainrule runs on {' and '.join(repr(t) for t in TYPES)} "
                         f"(optionally 'cuda:N'), not {text!r}")
    if colon:
        if index is not None:
            raise ValueError(f"device: {text!r} already says its index; pass no index")
        if not number.isdigit():
            raise ValueError(f"device: expected 'cuda:N' with N a number, got {text!r}")
        index = int(number)
    return kind, index


CPU = device("cpu")


def as_device(spec):
    """``spec`` (a device, a string such as ``"cuda:0"``, a GPU number) as a ``device``."""
    return spec if isinstance(spec, device) else device(spec)


def device_of(array):
    """The device that holds ``array``: the CPU for NumPy data, ``cuda:N`` for a CuPy array."""
    if get_array_module(array) is np:
        return CPU
    return device("cuda", array.device.id)


def same_place(array, target):
    """True when ``array`` is already where ``target`` (a device) says; ``"cuda"`` without an
    index means the current GPU, which is GPU 0 here as in a fresh torch process."""
    here = device_of(array)
    if here.type != target.type:
        return False
    return target.index is None or here.index == target.index or (
        here.index is None and target.index == 0)


def move(array, target):
    """``array`` on the device ``target`` (a ``device``): itself when it is already there, else
    a copy made there. Copying to the CPU is the one way numbers come back from a GPU."""
    if same_place(array, target):
        return array
    if target.type == "cpu":
        return array.get()  # CuPy's explicit copy to the host
    from . import cuda

    cupy = cuda.require(f"moving a tensor to '{target}'")
    index = 0 if target.index is None else target.index
    cuda.check_index(index)
    with cupy.cuda.Device(index):
        return cupy.asarray(array)


def place(array, spec):
    """``array`` moved to the device ``spec`` names (a device, "cuda:0", …); None keeps it
    where it is. The ``device=`` argument of every constructor goes through here."""
    return array if spec is None else move(array, as_device(spec))


def to_host(array):
    """A NumPy array with ``array``'s numbers: itself on the CPU, a copy from a GPU. For
    printing, saving and ``.numpy()``, the places where numbers are meant to leave the device."""
    if type(array) is np.ndarray or get_array_module(array) is np:
        return array
    return array.get()
