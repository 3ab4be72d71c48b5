"""The CuPy double refuses what CuPy refuses, so a test that passes on it is worth something."""

import numpy as np
import pytest
from device_double import cupy_double as cp


def test_its_arrays_refuse_to_become_numpy_arrays_implicitly():
    a = cp.asarray(np.arange(6.0))
    for convert in (np.asarray, np.array, np.exp, lambda x: np.concatenate([x])):
        with pytest.raises(TypeError):
            convert(a)


def test_mixing_a_host_array_with_a_device_array_is_refused_both_ways():
    a = cp.asarray(np.ones(3))
    with pytest.raises(cp.HostRoundTrip, match="NumPy array of shape"):
        a + np.ones(3)
    with pytest.raises(cp.HostRoundTrip):
        np.ones(3) * a
    assert (a * np.float32(2.0)).dtype == np.float64  # NumPy scalars are fine, as in CuPy


def test_printing_a_raw_device_array_is_refused():
    with pytest.raises(cp.HostRoundTrip):
        str(cp.zeros(2))


def test_it_records_who_made_an_array_and_every_copy_back():
    cp.transfers.clear()
    a = cp.zeros(3)
    assert a.made_by == __name__
    assert (a + 1).made_by == __name__
    a.get(), a.sum().item(), float(a[0])
    assert [what for what, _ in cp.transfers] == ["get", "item", "float"]
    assert all(stack[0][0] == __name__ for _, stack in cp.transfers)


def test_round_trips_inside_names_what_a_step_part_asked_for_on_its_own():
    def frames(*names):  # innermost first, as the log keeps them
        return tuple(tuple(n.rsplit(".", 1)) for n in names)

    log = [
        ("get", frames("chainrule.optim.adam.adam_update", "chainrule.optim.optimizer.step",
                       "test.main")),                               # the optimizer on its own
        ("get", frames("chainrule.devices.move", "chainrule.tensor_methods.to",
                       "chainrule.tensor_methods.cpu", "test.main")),   # the user's .cpu()
        ("get", frames("chainrule.devices.move", "chainrule.tensor_methods.to",
                       "chainrule.ops.loss.forward", "test.main")),     # a loss's own .to()
        ("float", frames("chainrule.train.trainer._loss_value", "test.main")),  # fit's loss
    ]
    lines = cp.round_trips_inside(log)
    assert len(lines) == 2
    assert "chainrule.optim.adam.adam_update" in lines[0] and "ops.loss" in lines[1]


def test_a_view_answers_a_base_that_is_not_none_but_not_a_host_array():
    a = cp.zeros((2, 3))
    assert a.base is None and a[0].base is not None
    assert not isinstance(a[0].base, np.ndarray)


def test_names_cupy_lacks_are_missing_here_too():
    assert not hasattr(cp, "errstate")
    assert not hasattr(cp, "vectorize")
