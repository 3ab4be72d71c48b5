"""How many threads NumPy's BLAS uses: chainrule's ``set_num_threads`` / ``get_num_threads``.

The matrix products of a layer run in NumPy's BLAS (OpenBLAS in NumPy's wheels), which starts
one thread per core. Elementwise ops stay single-threaded whatever is set here. OpenBLAS already
runs small products on one thread, so on the workloads in ``benchmarks/`` no size rule beat its
own (``benchmarks/blas_products.py``); what remains is the user's choice, as with
``torch.set_num_threads``: fewer threads on a shared machine, or one per process when several
train at once. Changing the count at run time needs threadpoolctl (``pip install
"chainrule[fast]"``); the environment variable ``OPENBLAS_NUM_THREADS`` works without it, if set
before NumPy is imported.
"""

import numbers

_limiter = None  # threadpoolctl's handle on the limit we set, kept so it can be replaced


def _threadpoolctl(what):
    try:
        import threadpoolctl
    except ImportError:
        raise ImportError(
            f"chainrule.{what} needs threadpoolctl to reach NumPy's BLAS: "
            'pip install "chainrule[fast]" (or set OPENBLAS_NUM_THREADS before starting Python)'
        ) from None
    return threadpoolctl


def set_num_threads(n):
    """Use ``n`` threads for NumPy's matrix products from now on (torch.set_num_threads)."""
    global _limiter
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"set_num_threads: n must be an integer, got {n!r}")
    if n < 1:
        raise ValueError(f"set_num_threads: n must be at least 1, got {n}")
    threadpoolctl = _threadpoolctl("set_num_threads")
    _limiter = threadpoolctl.threadpool_limits(limits=int(n), user_api="blas")


def get_num_threads():
    """How many threads NumPy's matrix products use (the largest count if there are several)."""
    threadpoolctl = _threadpoolctl("get_num_threads")
    counts = [info["num_threads"] for info in threadpoolctl.threadpool_info()
              if info.get("user_api") == "blas"]
    if not counts:
        raise RuntimeError("get_num_threads: NumPy reports no BLAS library with threads")
    return max(counts)
