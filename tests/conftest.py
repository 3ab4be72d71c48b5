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

