"""Every ``>>>`` example in the package's docstrings runs and prints what it shows."""

import doctest
import importlib
import pkgutil

import pytest

import chainrule

MODULES = sorted(["chainrule"] + [m.name for m in pkgutil.walk_packages(chainrule.__path__,
                                                                         "chainrule.")])


@pytest.mark.parametrize("name", [m for m in MODULES if m != "chainrule.__main__"])
def test_the_docstring_examples_of_each_module_hold(name):
    result = doctest.testmod(importlib.import_module(name), verbose=False)
    assert result.failed == 0
