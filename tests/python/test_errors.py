"""C status codes become Python exceptions (ValueError, TypeError,
IndexError, MemoryError, RuntimeError) with the library's message, and the
process keeps working after every one."""
import pytest

import cmlx.core as mx


@pytest.mark.parametrize("fn,exc,msg", [
    (lambda: mx.zeros((2, 3)) + mx.zeros((4,)), ValueError, "broadcast"),
    (lambda: mx.reshape(mx.zeros(6), (4, 2)), ValueError, "reshape"),
    (lambda: mx.zeros((-1, 2)), ValueError, "negative"),
    (lambda: mx.sum(mx.zeros((2, 2)), axis=5), IndexError, "axis"),
    (lambda: mx.transpose(mx.zeros((2, 2)), (0, 2)), IndexError, "axis"),
    (lambda: mx.matmul(mx.zeros((2, 3), mx.int32), mx.zeros((3, 2), mx.int32)), ValueError,
     "matmul"),
    (lambda: mx.arange(0, 1, 0), ValueError, "step"),
    (lambda: mx.astype(mx.zeros(2), "float32"), TypeError, "Dtype"),
    (lambda: mx.ones(2, mx.float32, mx.cpu), TypeError, "positional"),
])
def test_error_mapping(fn, exc, msg):
    with pytest.raises(exc, match=msg):
        fn()
    assert (mx.ones(2) + 1).tolist() == [2, 2]


def test_error_messages_name_the_op():
    with pytest.raises(ValueError) as e:
        mx.reshape(mx.zeros(6), (4, 2))
    assert str(e.value).startswith("[reshape]")


def test_many_errors_in_a_row():
    for _ in range(1000):
        with pytest.raises(ValueError):
            mx.add(mx.zeros(2), mx.zeros(3))
    assert mx.add(mx.zeros(2), 1).tolist() == [1, 1]
