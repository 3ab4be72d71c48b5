"""``Parameter``: a tensor that is a learnable weight of a Module (requires grad by default)."""

from ..tensor import Tensor, _as_array


class Parameter(Tensor):
    """A leaf tensor a Module registers as a weight; optimizers change its ``.array`` in place."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        super().__init__(_as_array(data), requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
