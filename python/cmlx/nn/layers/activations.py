"""Activation functions and their Module wrappers, as mlx.nn."""

import math
from typing import Any

import cmlx.core as mx
from cmlx.nn.layers.base import Module

_SQRT_2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def sigmoid(x):
    r"""Element-wise logistic sigmoid :math:`1 / (1 + e^{-x})`."""
    return mx.sigmoid(x)


def relu(x):
    r"""Rectified linear unit :math:`\max(x, 0)`."""
    return mx.maximum(x, 0)


def relu2(x):
    r"""Squared ReLU :math:`\max(x, 0)^2`."""
    return mx.square(mx.maximum(x, 0))


def relu6(x):
    r"""ReLU clipped at 6: :math:`\min(\max(x, 0), 6)`."""
    return mx.minimum(mx.maximum(x, 0), 6.0)


def leaky_relu(x, negative_slope=0.01):
    r""":math:`\max(a x, x)` with ``a = negative_slope``."""
    return mx.maximum(negative_slope * x, x)


def log_softmax(x, axis=-1):
    r"""Log of the softmax along ``axis``, computed stably."""
    shifted = x - mx.stop_gradient(mx.max(x, axis=axis, keepdims=True))
    return shifted - mx.logsumexp(shifted, axis=axis, keepdims=True)


def elu(x, alpha=1.0):
    r""":math:`x` for positive inputs, :math:`\alpha (e^x - 1)` otherwise."""
    return mx.where(mx.greater(x, 0), x, alpha * (mx.exp(x) - 1))


def softmax(x, axis=-1):
    r"""Softmax along ``axis``."""
    return mx.softmax(x, axis=axis)


def softplus(x):
    r""":math:`\log(1 + e^x)`."""
    return mx.logaddexp(x, 0)


def softsign(x):
    r""":math:`x / (1 + |x|)`."""
    return mx.divide(x, 1 + mx.abs(x))


def softshrink(x, lambd: float = 0.5):
    r"""Shrinks toward zero by ``lambd``; zero inside ``[-lambd, lambd]``."""
    return mx.where(mx.greater(mx.abs(x), lambd), x - mx.sign(x) * lambd, 0)


def celu(x, alpha=1.0):
    r""":math:`\max(0, x) + \min(0, \alpha (e^{x/\alpha} - 1))`."""
    return mx.maximum(x, 0.0) + alpha * (mx.exp(mx.minimum(x, 0.0) / alpha) - 1)


def silu(x):
    r"""Sigmoid linear unit :math:`x \sigma(x)`."""
    return x * mx.sigmoid(x)


def log_sigmoid(x):
    r""":math:`\log \sigma(x) = -\mathrm{softplus}(-x)`."""
    return -softplus(-x)


def gelu(x) -> mx.array:
    r"""Gaussian error linear unit :math:`x \Phi(x)` with the exact CDF."""
    return x * (1 + mx.erf(x / _SQRT_2)) / 2


def gelu_approx(x):
    r"""GELU with the tanh approximation."""
    return 0.5 * x * (1 + mx.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * mx.power(x, 3))))


def gelu_fast_approx(x):
    r"""GELU approximated by :math:`x \sigma(1.702 x)`."""
    return x * mx.sigmoid(1.702 * x)


def glu(x: mx.array, axis: int = -1) -> mx.array:
    r"""Gated linear unit: splits ``x`` in two halves ``a, b`` along
    ``axis`` and returns :math:`a \sigma(b)`."""
    a, b = mx.split(x, 2, axis=axis)
    return a * mx.sigmoid(b)


def step(x: mx.array, threshold: float = 0.0):
    r"""1 where ``x >= threshold``, else 0."""
    return mx.where(mx.greater_equal(x, threshold), 1, 0)


def selu(x):
    r"""Scaled ELU (``alpha = 1.67326``, ``scale = 1.0507``)."""
    return elu(x, 1.67326) * 1.0507


def prelu(x: mx.array, alpha: mx.array) -> mx.array:
    r""":math:`\max(0, x) + \alpha \min(0, x)` with a learned ``alpha``."""
    return mx.maximum(0, x) + alpha * mx.minimum(0, x)


def mish(x: mx.array) -> mx.array:
    r""":math:`x \tanh(\mathrm{softplus}(x))`."""
    return x * mx.tanh(softplus(x))


def hardswish(x):
    r""":math:`x \min(\max(x + 3, 0), 6) / 6`."""
    return x * mx.minimum(mx.maximum(x + 3, 0), 6) / 6


def hard_tanh(x, min_val=-1.0, max_val=1.0):
    r"""Clips ``x`` to ``[min_val, max_val]``."""
    return mx.minimum(mx.maximum(x, min_val), max_val)


def hard_shrink(x, lambd=0.5):
    r"""``x`` where ``|x| > lambd``, else 0."""
    return mx.where(mx.greater(mx.abs(x), lambd), x, 0)


def softmin(x, axis=-1):
    r"""Softmax of ``-x`` along ``axis``."""
    return mx.softmax(-x, axis=axis)


def tanh(x):
    r"""Hyperbolic tangent."""
    return mx.tanh(x)


class GLU(Module):
    r"""Gated linear unit along ``axis``. See :func:`glu`."""

    def __init__(self, axis: int = -1):
        super().__init__()
        self.axis = axis

    def __call__(self, x) -> Any:
        return glu(x=x, axis=self.axis)


class Sigmoid(Module):
    r"""See :func:`sigmoid`."""

    def __call__(self, x):
        return sigmoid(x)


class Mish(Module):
    r"""See :func:`mish`."""

    def __call__(self, x):
        return mish(x)


class ReLU(Module):
    r"""See :func:`relu`."""

    def __call__(self, x):
        return relu(x)


class ReLU2(Module):
    r"""See :func:`relu2`."""

    def __call__(self, x):
        return relu2(x)


class ReLU6(Module):
    r"""See :func:`relu6`."""

    def __call__(self, x):
        return relu6(x)


class LeakyReLU(Module):
    r"""See :func:`leaky_relu`."""

    def __init__(self, negative_slope=1e-2):
        super().__init__()
        self._negative_slope = negative_slope

    def __call__(self, x):
        return leaky_relu(x, self._negative_slope)


class ELU(Module):
    r"""See :func:`elu`."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self._alpha = alpha

    def __call__(self, x):
        return elu(x, self._alpha)


class Softmax(Module):
    r"""See :func:`softmax` (last axis)."""

    def __call__(self, x):
        return softmax(x)


class Softplus(Module):
    r"""See :func:`softplus`."""

    def __call__(self, x):
        return softplus(x)


class Softsign(Module):
    r"""See :func:`softsign`."""

    def __call__(self, x):
        return softsign(x)


class Softshrink(Module):
    r"""See :func:`softshrink`."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def __call__(self, x):
        return softshrink(x, self.lambd)


class CELU(Module):
    r"""See :func:`celu`."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self._alpha = alpha

    def __call__(self, x):
        return celu(x, self._alpha)


class SiLU(Module):
    r"""See :func:`silu`."""

    def __call__(self, x):
        return silu(x)


class LogSoftmax(Module):
    r"""See :func:`log_softmax` (last axis)."""

    def __call__(self, x):
        return log_softmax(x)


class LogSigmoid(Module):
    r"""See :func:`log_sigmoid`."""

    def __call__(self, x):
        return log_sigmoid(x)


class PReLU(Module):
    r"""Parametric ReLU with ``num_parameters`` learned slopes starting at
    ``init``. See :func:`prelu`."""

    def __init__(self, num_parameters=1, init=0.25):
        super().__init__()
        self.weight = mx.full([num_parameters], init)

    def __call__(self, x: mx.array):
        return prelu(x, self.weight)


class GELU(Module):
    r"""GELU; ``approx`` is ``'none'`` (exact), ``'precise'``/``'tanh'``
    (:func:`gelu_approx`) or ``'fast'`` (:func:`gelu_fast_approx`)."""

    _APPROX = ["none", "precise", "tanh", "fast"]

    def __init__(self, approx="none"):
        super().__init__()
        if approx not in self._APPROX:
            raise ValueError(
                f"The approximation should be in {self._APPROX} but '{approx}' was given"
            )
        self._approx = approx

    def __call__(self, x):
        if self._approx == "none":
            return gelu(x)
        if self._approx == "fast":
            return gelu_fast_approx(x)
        return gelu_approx(x)


class Tanh(Module):
    r"""See :func:`tanh`."""

    def __call__(self, x):
        return tanh(x)


class Hardswish(Module):
    r"""See :func:`hardswish`."""

    def __call__(self, x):
        return hardswish(x)


class Step(Module):
    r"""See :func:`step`."""

    def __init__(self, threshold: float = 0.0):
        super().__init__()
        self.threshold = threshold

    def __call__(self, x: mx.array):
        return step(x, self.threshold)


class SELU(Module):
    r"""See :func:`selu`."""

    def __call__(self, x):
        return selu(x)


class HardTanh(Module):
    r"""See :func:`hard_tanh`."""

    def __call__(self, x):
        return hard_tanh(x)


class HardShrink(Module):
    r"""See :func:`hard_shrink`."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def __call__(self, x):
        return hard_shrink(x, self.lambd)


class Softmin(Module):
    r"""See :func:`softmin` (last axis)."""

    def __call__(self, x):
        return softmin(x)
