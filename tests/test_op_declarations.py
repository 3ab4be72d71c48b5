"""Every op says what tools need to know about it, and follows Function's one convention."""

import ast
import importlib
import inspect
import pkgutil

import pytest

import chainrule.ops
from chainrule.autograd.array_function import DECLARATIONS
from chainrule.autograd.array_function import ArrayFunction as Function
from chainrule.autograd.function import Function as UserFunction

for module in pkgutil.iter_modules(chainrule.ops.__path__):
    importlib.import_module(f"chainrule.ops.{module.name}")


def library_ops():
    found, todo = [], [Function]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("chainrule.") and sub is not UserFunction:
                found.append(sub)  # the public Function is a base for users, not an op
    return sorted(set(found), key=lambda c: c.__name__)


OPS = library_ops()


def test_the_library_has_its_ops():
    names = {op.__name__ for op in OPS}
    assert {"Add", "MatMul", "Sum", "Softmax", "CrossEntropy", "Gather"} <= names


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.__name__)
def test_every_op_declares_what_tools_need_to_know(op):
    missing = set(DECLARATIONS) - op.declared
    assert not missing, f"{op.__name__} does not declare {sorted(missing)}"
    assert isinstance(op.elementwise, bool) and isinstance(op.moves_elements, bool)
    assert isinstance(op.number_operands, bool)
    assert op.infix is None or isinstance(op.infix, str)
    assert op.elementwise or not op.moves_elements, "only an elementwise op moves elements"


def positional_inputs(op):
    params = list(inspect.signature(op.forward).parameters.values())[1:]  # after ctx
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return None  # Concatenate / Stack: as many as given
    return len([p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD])


def returned_entries(op):
    """The lengths of the tuples ``backward`` returns (1 for a bare value)."""
    source = inspect.getsource(op.backward)
    tree = ast.parse("\n".join(line[4:] for line in source.splitlines()))  # dedent the method
    lengths = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Return) and node.value is not None:
            lengths.add(len(node.value.elts) if isinstance(node.value, ast.Tuple) else 1)
    return lengths


@pytest.mark.parametrize("op", [op for op in OPS if "backward" in op.__dict__],
                         ids=lambda op: op.__name__)
def test_backward_returns_one_entry_per_positional_input(op):
    n = positional_inputs(op)
    if n is None:
        return
    lengths = returned_entries(op)
    assert lengths, f"{op.__name__}.backward returns nothing"
    # a bare return of a tuple built elsewhere is 1 here: allowed only when it is a variable
    assert lengths <= {n, 1}, f"{op.__name__}: forward takes {n}, backward returns {lengths}"
    if n > 1:
        assert n in lengths or lengths == {1}


@pytest.mark.parametrize("op", [op for op in OPS if "backward" in op.__dict__],
                         ids=lambda op: op.__name__)
def test_backward_asks_needs_grad_not_the_inputs(op):
    source = inspect.getsource(op.backward)
    assert "ctx.inputs" not in source and "needs_input_grad" not in source


def test_an_op_that_declares_nothing_gets_the_defaults_and_is_listed_as_undeclared():
    class Twice(Function):
        @staticmethod
        def forward(ctx, x):
            return 2 * x

    assert Twice.declared == frozenset() and not Twice.elementwise and Twice.infix is None


def test_a_misspelt_declaration_is_an_error():
    with pytest.raises(TypeError, match="Typo: an op declares elementwise.*not elementwize"):
        class Typo(Function, elementwize=True):
            pass
