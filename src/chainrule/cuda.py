"""``chainrule.cuda``: is there a GPU, and which one (torch's ``torch.cuda``, the little of it
that a program asks before choosing its device).

A GPU is used through CuPy (the ``gpu`` extra, ``pip install "chainrule[gpu]"``). CuPy installs
on machines without a GPU and fails only when it allocates, so ``is_available`` tries a small
allocation once and remembers the answer. It never raises: ``device = chainrule.device("cuda" if
chainrule.cuda.is_available() else "cpu")`` is how a portable program starts. Anything that
needs a GPU when there is none raises ``CudaUnavailableError`` with one line that says what was
asked and why it cannot be done, never a CuPy traceback.
"""

import functools


class CudaUnavailableError(RuntimeError):
    """Something asked for a GPU and there is none to use (no CuPy, or CuPy finds no GPU)."""


@functools.lru_cache(maxsize=1)
def _probe():
    """``(device count, None)`` when CuPy can use a GPU, else ``(0, why not)``."""
    try:
        import cupy
    except ImportError:
        return 0, 'CuPy is not installed (pip install "chainrule[gpu]" on a machine with an ' \
                  'NVIDIA GPU)'
    except Exception as e:  # a broken CuPy install: say so, do not crash the caller
        return 0, f"CuPy could not be imported ({_one_line(e)})"
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as e:
        return 0, f"no GPU found (cupy could not count devices: {_one_line(e)})"
    if count < 1:
        return 0, "no GPU found (cupy sees 0 devices)"
    try:
        cupy.zeros(1, dtype=cupy.float32)
    except Exception as e:
        return 0, f"no GPU found (cupy could not allocate: {_one_line(e)})"
    return count, None


def _one_line(error):
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def is_available() -> bool:
    """True when CuPy is installed and can allocate on a GPU. Never raises."""
    return _probe()[1] is None


def device_count() -> int:
    """How many GPUs CuPy can use (0 without CuPy or without a GPU)."""
    return _probe()[0]


def current_device() -> int:
    """The GPU that ``"cuda"`` without an index means: the first, as in a fresh torch process."""
    require("cuda.current_device()")
    return 0


def unavailable_reason():
    """Why there is no GPU to use, in one line, or None when there is one."""
    return _probe()[1]


def require(what):
    """CuPy, when a GPU can be used; else ``CudaUnavailableError`` naming ``what`` wanted it."""
    count, reason = _probe()
    if reason is not None:
        raise CudaUnavailableError(f"chainrule: CUDA is not available: {reason}; {what} "
                                   "needs a GPU (use device='cpu')")
    import cupy

    return cupy


def check_index(index):
    """A clear error for ``cuda:N`` beyond the GPUs there are."""
    count = device_count()
    if index >= count:
        raise CudaUnavailableError(f"chainrule: there is no GPU cuda:{index}: "
                                   f"{count} GPU{'s' if count != 1 else ''} found "
                                   f"(cuda:0 … cuda:{count - 1})")


def reset():
    """Forget the answer of the GPU probe (for tests that install or remove a CuPy)."""
    _probe.cache_clear()
