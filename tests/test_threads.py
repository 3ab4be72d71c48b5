"""``chainrule.set_num_threads`` and ``get_num_threads``: torch's thread controls, for the BLAS."""

import builtins

import pytest

import chainrule as cr


@pytest.fixture
def restore_threads():
    before = cr.get_num_threads()
    yield
    cr.set_num_threads(before)


def test_the_count_set_is_the_count_read(restore_threads):
    cr.set_num_threads(1)
    assert cr.get_num_threads() == 1
    x = cr.randn(64, 64)
    assert (x @ x).shape == (64, 64)  # products still run


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-2, ValueError), (1.5, TypeError),
                                        ("2", TypeError), (True, TypeError)])
def test_a_bad_count_is_refused_with_its_value(bad, error):
    with pytest.raises(error, match="set_num_threads.*" + repr(bad).strip("'")):
        cr.set_num_threads(bad)


def test_without_threadpoolctl_the_error_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_threadpoolctl(name, *args, **kwargs):
        if name == "threadpoolctl":
            raise ImportError("No module named 'threadpoolctl'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_threadpoolctl)
    with pytest.raises(ImportError, match=r"chainrule\[fast\]"):
        cr.set_num_threads(1)
