"""A torch name chainrule does not cover is refused in one line that names it, never with
Python's "has no attribute … Did you mean" guess; probes (hasattr, getattr with a default) still
answer "no"."""

import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn, optim
from chainrule.errors import UnsupportedError


@pytest.mark.parametrize("owner, name, shown", [
    (cr, "diag", "chainrule.diag"),
    (cr, "linalg", "chainrule.linalg"),
    (nn, "TransformerEncoder", "chainrule.nn.TransformerEncoder"),
    (F, "grid_sample", "chainrule.nn.functional.grid_sample"),
    (optim, "LBFGS", "chainrule.optim.LBFGS"),
    (cr.ones(2), "diag", "Tensor.diag"),
])
def test_a_missing_torch_name_is_named_in_one_line(owner, name, shown):
    with pytest.raises(UnsupportedError) as info:
        getattr(owner, name)
    message = str(info.value)
    assert message.startswith(shown + ":") and "\n" not in message
    assert "Did you mean" not in message
    assert not hasattr(owner, name) and getattr(owner, name, None) is None


def test_private_names_stay_plain_attribute_errors():
    with pytest.raises(AttributeError) as info:
        cr.ones(2)._not_there
    assert not isinstance(info.value, UnsupportedError)


def test_the_names_chainrule_has_are_untouched():
    assert cr.ones(2).sum().item() == 2.0 and nn.Linear and F.relu and optim.Adam
