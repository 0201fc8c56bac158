"""The op table's bindings: every function is callable with mlx.core's
parameter names, carries a docstring and (where its defaults are literals) a
signature; array methods come from the same rows; submodules exist."""
import inspect

import pytest

import cmlx.core as mx

FUNCTIONS = ["zeros", "ones", "full", "arange", "astype", "add", "subtract", "multiply",
             "divide", "matmul", "reshape", "transpose", "broadcast_to", "sum", "eval",
             "async_eval"]
METHODS = ["astype", "reshape", "transpose", "sum"]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_metadata(name):
    f = getattr(mx, name)
    assert callable(f)
    assert f.__name__ == name and f.__module__ == "cmlx.core"
    assert f.__doc__.startswith(name + "(") and len(f.__doc__) > 40
    if f.__text_signature__ is not None:
        inspect.signature(f)


@pytest.mark.parametrize("name", METHODS)
def test_method_metadata(name):
    m = getattr(mx.array, name)
    assert m.__name__ == name and m.__qualname__ == "array." + name
    bound = getattr(mx.zeros((2, 2)), name)
    assert bound.__self__.shape == (2, 2)


def test_signatures_match_mlx(mlx):
    # parameter names and kinds as mlx.core documents them (first line of __doc__)
    for name in FUNCTIONS:
        if name in ("arange", "eval", "async_eval"):
            continue
        ours = inspect.signature(getattr(mx, name)) if getattr(mx, name).__text_signature__ \
            else None
        theirs = getattr(mlx, name).__doc__.split("\n")[0]
        if ours is None:
            continue
        for p in ours.parameters.values():
            assert p.name in theirs, (name, p.name, theirs)


def test_signature_text():
    assert str(inspect.signature(mx.sum)) == \
        "(a, /, axis=None, keepdims=False, *, stream=None)"
    assert str(inspect.signature(mx.add)) == "(a, b, /, *, stream=None)"
    assert str(inspect.signature(mx.array.sum)) == \
        "(self, /, axis=None, keepdims=False, *, stream=None)"


def test_submodules():
    import cmlx.core.linalg  # registered in sys.modules
    for sub in ("random", "linalg", "fft", "fast"):
        m = getattr(mx, sub)
        assert m.__name__ == "cmlx.core." + sub
    assert cmlx.core.linalg is mx.linalg


def test_functions_are_not_bound_as_methods():
    class Holder:
        add = mx.add

    assert Holder().add(1, 2).item() == 3


def test_version():
    import cmlx
    assert mx.__version__ == cmlx.__version__ == "0.1.0"
