"""The device tests run with the CuPy double installed (``double`` fixture)."""

import pytest
from device_double import cupy_double

from chainrule import cuda


@pytest.fixture
def double():
    with cupy_double.installed() as module:
        cuda.reset()
        try:
            yield module
        finally:
            cuda.reset()
