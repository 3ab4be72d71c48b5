"""Test settings shared by the whole suite.

Property tests draw fresh random shapes and values on every run, but only a bounded number of them
(the suite must stay fast on two cores); ``deadline=None`` because the first example of a test
pays for imports and warm-up.
"""

import os
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# ``from helpers import ...`` works however pytest was started (tests/ has no __init__.py).
sys.path.insert(0, os.path.dirname(__file__))

settings.register_profile(
    "chainrule",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# HYPOTHESIS_PROFILE=thorough draws ten times as many examples, to hunt for rare failures.
settings.register_profile("thorough", parent=settings.get_profile("chainrule"), max_examples=250)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "chainrule"))


@pytest.fixture
def rng():
    """A seeded NumPy generator for tests that need fixed random numbers."""
    return np.random.default_rng(1234)



# -- running a module again "on the GPU", through the strict CuPy double --------------------------
# A test module that says ``pytestmark = pytest.mark.usefixtures("on_each_device")`` runs twice:
# on the CPU, then with tests/device_double/cupy_double.py installed as ``cupy``; the shared
# helpers (helpers.py, optim/optim_helpers.py) then put their tensors on "cuda". Every test run on
# the double also fails if the library copied an array back to the host inside an op, a loss, the
# engine, a layer or an optimizer (the double logs every copy with the modules on the stack).
@pytest.fixture(scope="module", params=["cpu", "cuda-double"])
def on_each_device(request):
    if request.param == "cpu":
        yield "cpu"
        return
    from device_double import active, cupy_double

    from chainrule import cuda

    with cupy_double.installed():
        cuda.reset()
        active.DEVICE = "cuda:0"
        try:
            yield "cuda"
        finally:
            active.DEVICE = "cpu"
            cuda.reset()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    cupy = sys.modules.get("cupy")
    log = getattr(cupy, "transfers", None)
    if log is None:  # not on the double
        return (yield)
    log.clear()
    result = yield
    from device_double.cupy_double import round_trips_inside

    inside = round_trips_inside(log)
    assert not inside, "host round trips inside the library:\n" + "\n".join(inside)
    return result
