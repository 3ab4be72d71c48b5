"""logic_gate: the truth tables for the perceptron and delta rule."""

import numpy as np
import pytest

from chainrule.data import logic_gate

RULES = {"and": np.logical_and, "or": np.logical_or, "xor": np.logical_xor,
         "nand": lambda a, b: ~np.logical_and(a, b)}


@pytest.mark.parametrize("name", sorted(RULES))
def test_labels_follow_the_gate_on_every_row(name):
    X, y = logic_gate(name)
    assert X.shape == (4, 2) and X.dtype == np.float32 and y.shape == (4,)
    expected = RULES[name](X[:, 0] > 0, X[:, 1] > 0).astype(np.int64)
    np.testing.assert_array_equal(y, expected)


def test_rows_cover_all_four_input_pairs():
    X, _ = logic_gate("and")
    assert sorted(map(tuple, X.tolist())) == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_bipolar_encoding_uses_minus_one_for_false():
    X, y = logic_gate("or", bipolar=True)
    X01, y01 = logic_gate("or")
    np.testing.assert_array_equal(X, 2 * X01 - 1)
    np.testing.assert_array_equal(y, 2 * y01 - 1)


def test_unknown_gate_is_rejected_with_the_choices():
    with pytest.raises(ValueError, match="'and'"):
        logic_gate("xnor")
