"""Which device the shared test helpers put their tensors on: "cpu", or "cuda" while the
``on_each_device`` fixture (tests/conftest.py) runs a module again on the CuPy double."""

import chainrule as cr

DEVICE = "cpu"


def put(array, **kwargs):
    """A tensor of ``array`` on the device under test."""
    return cr.tensor(array, device=DEVICE, **kwargs)


def host(t):
    """A tensor's numbers as a NumPy array, copied back explicitly as a user would."""
    return t.detach().cpu().numpy()


def check_on_device(t, what):
    """``t`` (a result of the code under test) is where the test's inputs were."""
    assert t.device == cr.device(DEVICE), f"{what} is on {t.device}, its inputs on {DEVICE}"
