"""Optimizers, as mlx.optimizers. State is a tree (dicts and lists of
arrays) that mirrors the parameters, with ``step`` and the (possibly
scheduled) hyper-parameters at the top; it can be flattened, saved and
assigned back through ``optimizer.state``."""

from typing import Callable, List, Optional, Tuple, Union

import cmlx.core as mx
from cmlx.utils import tree_flatten, tree_map, tree_merge, tree_reduce, tree_unflatten

__all__ = [
    "Optimizer", "MultiOptimizer", "SGD", "RMSprop", "Adagrad", "AdaDelta", "Adam", "AdamW",
    "Adamax", "Lion", "Adafactor", "Muon", "clip_grad_norm",
]


def _empty_like_tree(tree):
    return tree_map(lambda _: {}, tree)


def _extend_state(params, state):
    """Grows ``state`` so that it has an (empty) entry for every parameter
    it lacks; existing entries are kept."""
    if isinstance(params, (list, tuple)):
        out = list(state)
        for i in range(min(len(out), len(params))):
            out[i] = _extend_state(params[i], out[i])
        out.extend(_empty_like_tree(list(params[len(out):])))
        return type(params)(out)
    if isinstance(params, dict):
        for k, v in params.items():
            state[k] = _extend_state(v, state[k]) if k in state else _empty_like_tree(v)
        return state
    return state


class Optimizer:
    """Base class: subclasses define ``init_single(param, state)`` and
    ``apply_single(grad, param, state) -> new_param``."""

    def __init__(self, schedulers=None):
        self._initialized = False
        self._state = {"step": mx.array(0, mx.uint64)}
        self._schedulers = dict(schedulers or {})

    def update(self, model, gradients: dict):
        """Applies ``gradients`` to ``model``'s parameters in place."""
        model.update(self.apply_gradients(gradients, model))

    def init(self, parameters: dict):
        """Creates the state for ``parameters`` (keeping existing entries)."""
        _extend_state(parameters, self._state)
        tree_map(lambda p, s: s or self.init_single(p, s), parameters, self._state)
        self._initialized = True

    def init_single(self, parameter: mx.array, state: dict):
        raise NotImplementedError()

    def apply_gradients(self, gradients: dict, parameters: dict):
        """Returns the updated parameters (a tree like ``gradients``)."""
        if not self._initialized:
            self.init(gradients)
        for name, sched in self._schedulers.items():
            self.state[name] = sched(self.step)
        self.state["step"] = self.step + 1
        return tree_map(self.apply_single, gradients, parameters, self.state)

    def apply_single(self, gradient: mx.array, parameter: mx.array, state: dict):
        raise NotImplementedError()

    @property
    def state(self):
        """The optimizer state tree."""
        return self._state

    @state.setter
    def state(self, state: dict):
        self._initialized = False
        self._state = state

    @property
    def step(self):
        return self.state["step"]

    @property
    def learning_rate(self):
        return self.state["learning_rate"]

    @learning_rate.setter
    def learning_rate(self, learning_rate: Union[float, mx.array]):
        self.state["learning_rate"] = mx.array(learning_rate)

    def _maybe_schedule(self, name: str, param: Union[float, Callable[[mx.array], mx.array]]):
        if callable(param):
            self._schedulers[name] = param
            value = param(self.step)
        else:
            value = mx.array(param)
        self.state[name] = value

    def _lr(self, like):
        return self.learning_rate.astype(like.dtype)


class MultiOptimizer(Optimizer):
    """Routes each parameter to the first optimizer whose filter
    ``filter(path, grad)`` accepts it; the last optimizer takes the rest."""

    def __init__(self, optimizers, filters: list = []):
        super().__init__()
        self._state = {}
        if len(filters) != len(optimizers) - 1:
            raise ValueError(f"Given {len(filters)} filters but {len(optimizers) - 1} needed.")
        self.optimizers = optimizers
        self.filters = list(filters) + [lambda *args, **kwargs: True]

    def _split_dictionary(self, gradients: dict):
        if len(self.optimizers) == 1:
            return [gradients]
        parts = [[] for _ in self.optimizers]
        for path, g in tree_flatten(gradients):
            for i, accept in enumerate(self.filters):
                if accept(path, g):
                    parts[i].append((path, g))
                    break
        return [tree_unflatten(p) if p else {} for p in parts]

    def init(self, parameters: dict):
        for opt, part in zip(self.optimizers, self._split_dictionary(parameters)):
            opt.init(part)

    def apply_gradients(self, gradients: dict, parameters: dict):
        out = {}
        for opt, part in zip(self.optimizers, self._split_dictionary(gradients)):
            out = tree_merge(out, opt.apply_gradients(part, parameters))
        return out

    @property
    def state(self):
        return {"states": [o.state for o in self.optimizers]}

    @state.setter
    def state(self, state: dict):
        if "states" not in state or len(state["states"]) != len(self.optimizers):
            raise ValueError("Invalid state provided")
        for o, s in zip(self.optimizers, state["states"]):
            o.state = s

    @property
    def learning_rate(self):
        return self.optimizers[0].learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate: Union[float, mx.array]):
        for o in self.optimizers:
            o.learning_rate = learning_rate


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional momentum, weight decay,
    dampening and Nesterov momentum."""

    def __init__(
        self,
        learning_rate: Union[float, Callable[[mx.array], mx.array]],
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
    ):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening.")
        super().__init__()
        self._maybe_schedule("learning_rate", learning_rate)
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.dampening = dampening
        self.nesterov = nesterov

    def init_single(self, parameter: mx.array, state: dict):
        state["v"] = mx.zeros_like(parameter)

    def apply_single(self, gradient: mx.array, parameter: mx.array, state: dict):
        g = gradient + self.weight_decay * parameter if self.weight_decay != 0 else gradient
        if self.momentum <= 0:
            return parameter - self._lr(g) * g
        keep = (1 - self.dampening) if self.dampening > 0 else 1
        v = self.momentum * state.get("v") + keep * g
        state["v"] = v
        step = g + self.momentum * v if self.nesterov else v
        return parameter - self._lr(g) * step


class RMSprop(Optimizer):
    r""":math:`v = \alpha v + (1-\alpha) g^2`,
    :math:`w = w - \lambda g / (\sqrt{v} + \epsilon)`."""

    def __init__(self, learning_rate: Union[float, Callable[[mx.array], mx.array]], alpha: float = 0.99, eps: float = 1e-8):
        super().__init__()
        self._maybe_schedule("learning_rate", learning_rate)
        self.alpha = alpha
        self.eps = eps
        if alpha < 0.0:
            raise ValueError(f"RMSprop alpha should be >=0, {alpha} was provided instead")
        if eps <= 0.0:
            raise ValueError(f"RMSprop epsilon should be >0, {eps} was provided instead")

    def init_single(self, parameter: mx.array, state: dict):
        state["v"] = mx.zeros_like(parameter)

    def apply_single(self, gradient: mx.array, parameter: mx.array, state: dict):
        v = self.alpha * state["v"] + (1 - self.alpha) * mx.square(gradient)
        state["v"] = v
        return parameter - self._lr(gradient) * gradient / (mx.sqrt(v) + self.eps)


class Adagrad(Optimizer):
    r""":math:`v = v + g^2`, :math:`w = w - \lambda g / (\sqrt{v} + \epsilon)`."""

    def __init__(self, learning_rate: Union[float, Callable[[mx.array], mx.array]], eps: float = 1e-8):
        super().__init__()
        self._maybe_schedule("learning_rate", learning_rate)
        self.eps = eps
        if eps <= 0.0:
            raise ValueError(f"Adagrad epsilon should be >0, {eps} was provided instead")

    def init_single(self, parameter: mx.array, state: dict):
        state["v"] = mx.zeros_like(parameter)

    def apply_single(self, gradient: mx.array, parameter: mx.array, state: dict):
        v = state["v"] + mx.square(gradient)
        state["v"] = v
        return parameter - self._lr(gradient) * gradient / (mx.sqrt(v) + self.eps)


class AdaDelta(Optimizer):
    r"""AdaDelta: running averages ``v`` of squared gradients and ``u`` of
    squared updates."""

    def __init__(self, learning_rate: Union[float, Callable[[mx.array], mx.array]], rho: float = 0.9, eps: float = 1e-6):
        super().__init__()
        self._maybe_schedule("learning_rate", learning_rate)
        self.rho = rho
        self.eps = eps
        if rho < 0.0:
            raise ValueError(f"AdaDelta rho should be >=0, {rho} was provided instead")
        if eps <= 0.0:
            raise ValueError(f"AdaDelta epsilon should be >0, {eps} was provided instead")

    def init_single(self, parameter: mx.array, state: dict):
        state["v"] = mx.zeros_like(parameter)
        state["u"] = mx.zeros_like(parameter)

    def apply_single(self, gradient: mx.array, parameter: mx.array, state: dict):
        rho, eps = self.rho, self.eps
        v = rho * state["v"] + (1 - rho) * mx.square(gradient)
        d = mx.sqrt(state["u"] + eps) / mx.sqrt(v + eps) * gradient
        state["v"] = v
        state["u"] = rho * state["u"] + (1 - rho) * mx.square(d)
        return parameter - self._lr(gradient) * d


class Adam(Optimizer):
    r"""Adam. Without ``bias_correction`` (the default, as MLX) the moments
    are used as they are."""

    def __init__(
        self,
        learning_rate: Union[float, Callable[[mx.array], mx.array]],
        betas: List[float] = [0.9, 0.999],
        eps: float = 1e-8,
        bias_correction: bool = False,
    ):
        super().__init__()
        for i, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"Adam beta{i + 1} should be in [0, 1), {b} was provided instead")
        if not 0.0 <= eps:
            raise ValueError(f"Adam epsilon should be >=0, {eps} was provided instead")
        self._maybe_schedule("learning_rate", learning_rate)
        self.betas = betas
        self.eps = eps
        self.bias_correction = bias_correction

    def init_single(self, parameter: mx.array, state: dict):
        state["m"] = mx.zeros_like(parameter)
        state["v"] = mx.zeros_like(parameter)

    def apply_single(self, gradient: mx.array, parameter: mx.array, state: dict):
        lr = self._lr(gradient)
        b1, b2 = self.betas
        m = b1 * state["m"] + (1 - b1) * gradient
        v = b2 * state["v"] + (1 - b2) * mx.square(gradient)
        state["m"] = m
        state["v"] = v
        if self.bias_correction:
            t = self.step
            c1 = (lr / (1 - mx.power(b1, t))).astype(gradient.dtype)
            c2 = mx.rsqrt(1 - mx.power(b2, t)).astype(gradient.dtype)
            return parameter - (c1 * m) / (mx.sqrt(v) * c2 + self.eps)
        return parameter - lr * m / (mx.sqrt(v) + self.eps)


class AdamW(Adam):
    r"""Adam with decoupled weight decay: the parameter is first scaled by
    :math:`1 - \lambda \cdot weight\_decay`."""

    def __init__(
        self,
        learning_rate: Union[float, Callable[[mx.array], mx.array]],
        betas: List[float] = [0.9, 0.999],
        eps: float = 1e-8,
        weight_decay: float = 0.01,
        bias_correction: bool = False,
    ):
        super().__init__(learning_rate=learning_rate, betas=betas, eps=eps, bias_correction=bias_correction)
        self.weight_decay = weight_decay

    def apply_single(self, gradient: mx.array, parameter: mx.array, state: dict):
        decayed = parameter * (1 - self._lr(gradient) * self.weight_decay)
        return super().apply_single(gradient, decayed, state)


class Adamax(Adam):
    r"""Adam with the infinity norm: :math:`v = \max(\beta_2 v, |g|)`."""

    def __init__(self, learning_rate: Union[float, Callable[[mx.array], mx.array]], betas: List[float] = [0.9, 0.999], eps: float = 1e-8):
        super().__init__(learning_rate, betas, eps)

    def apply_single(self, gradient: mx.array, parameter: mx.array, state: dict):
        b1, b2 = self.betas
        m = b1 * state["m"] + (1 - b1) * gradient
        v = mx.maximum(b2 * state["v"], mx.abs(gradient))
        state["m"] = m
        state["v"] = v
        return parameter - self._lr(gradient) * m / (v + self.eps)


class Lion(Optimizer):
    r"""Lion: the update is the sign of an interpolated momentum."""

    def __init__(self, learning_rate: Union[float, Callable[[mx.array], mx.array]], betas: List[float] = [0.9, 0.99], weight_decay: float = 0.0):
        super().__init__()
        for i, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"Lion beta{i + 1} should be in [0, 1), {b} was provided instead")
        self._maybe_schedule("learning_rate", learning_rate)
        self.betas = betas
        self.weight_decay = weight_decay

    def init_single(self, parameter: mx.array, state: dict):
        state["m"] = mx.zeros_like(parameter)

    def apply_single(self, gradient: mx.array, parameter: mx.array, state: dict):
        lr = self._lr(gradient)
        b1, b2 = self.betas
        m = state["m"]
        c = b1 * m + (1 - b1) * gradient
        state["m"] = b2 * m + (1 - b2) * gradient
        if self.weight_decay > 0:
            parameter = (1 - lr * self.weight_decay) * parameter
        return parameter - lr * mx.sign(c)


class Adafactor(Optimizer):
    r"""Adafactor: factored second moments for matrices, relative step
    sizes and update clipping."""

    def __init__(
        self,
        learning_rate: Union[float, Callable[[mx.array], mx.array], None] = None,
        eps: Tuple[float, float] = (1e-30, 1e-3),
        clip_threshold: float = 1.0,
        decay_rate: float = -0.8,
        beta_1: Optional[float] = None,
        weight_decay: float = 0.0,
        scale_parameter: bool = True,
        relative_step: bool = True,
        warmup_init: bool = False,
    ):
        super().__init__()
        if learning_rate is not None:
            self._maybe_schedule("learning_rate", learning_rate)
        self.eps = eps
        self.clip_threshold = clip_threshold
        self.decay_rate = decay_rate
        self.beta_1 = beta_1
        self.weight_decay = weight_decay
        self.scale_parameter = scale_parameter
        self.relative_step = relative_step
        self.warmup_init = warmup_init

    def init_single(self, parameter: mx.array, state: dict):
        if parameter.ndim >= 2:
            s, dt = parameter.shape, parameter.dtype
            state["exp_avg_sq_row"] = mx.zeros(s[:-1], dtype=dt)
            state["exp_avg_sq_col"] = mx.zeros(s[:-2] + s[-1:], dtype=dt)
        else:
            state["exp_avg_sq"] = mx.zeros_like(parameter)
        if self.beta_1 is not None:
            state["exp_avg"] = mx.zeros_like(parameter)

    def _compute_rms(self, inputs):
        return mx.sqrt(mx.mean(mx.square(inputs)))

    def _compute_learning_rate(self, step, parameter_rms):
        if self.relative_step:
            floor = 1e-6 * step if self.warmup_init else 1e-2
            rel = mx.minimum(floor, mx.rsqrt(step))
        else:
            rel = self.learning_rate
        rel = rel.astype(parameter_rms.dtype)
        scale = mx.maximum(self.eps[1], parameter_rms) if self.scale_parameter else 1.0
        return scale * rel

    def _approximate_exp_moving_avg(self, exp_avg_sq_row, exp_avg_sq_col):
        r = mx.rsqrt(exp_avg_sq_row / mx.mean(exp_avg_sq_row, axis=-1, keepdims=True))
        c = mx.rsqrt(exp_avg_sq_col)
        return mx.expand_dims(r, axis=-1) * mx.expand_dims(c, axis=-2)

    def apply_single(self, gradient: mx.array, parameter: mx.array, state: dict):
        step = self.step
        rms = self._compute_rms(parameter)
        lr = self._compute_learning_rate(step, rms)
        beta_2 = 1.0 - mx.power(step, self.decay_rate).astype(rms.dtype)
        sq = mx.square(gradient) + self.eps[0]
        if gradient.ndim >= 2:
            row = beta_2 * state["exp_avg_sq_row"] + (1 - beta_2) * mx.mean(sq, axis=-1)
            col = beta_2 * state["exp_avg_sq_col"] + (1 - beta_2) * mx.mean(sq, axis=-2)
            state["exp_avg_sq_row"] = row
            state["exp_avg_sq_col"] = col
            upd = self._approximate_exp_moving_avg(row, col) * gradient
        else:
            avg = beta_2 * state["exp_avg_sq"] + (1 - beta_2) * sq
            state["exp_avg_sq"] = avg
            upd = mx.rsqrt(avg) * gradient
        upd = upd / mx.maximum(1.0, self._compute_rms(upd) / self.clip_threshold)
        upd = lr * upd
        if self.beta_1 is not None:
            avg1 = self.beta_1 * state["exp_avg"] + (1 - self.beta_1) * upd
            state["exp_avg"] = avg1
            upd = avg1
        if self.weight_decay != 0:
            parameter = parameter + parameter * (-self.weight_decay * lr)
        return parameter - upd


class Muon(Optimizer):
    r"""Muon: momentum whose matrix updates are orthogonalised by a
    Newton-Schulz iteration."""

    def __init__(
        self,
        learning_rate: Union[float, Callable[[mx.array], mx.array]],
        momentum: float = 0.95,
        weight_decay: float = 0.01,
        nesterov: bool = True,
        ns_steps: int = 5,
    ):
        super().__init__()
        self._maybe_schedule("learning_rate", learning_rate)
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.nesterov = nesterov
        self.ns_steps = ns_steps

    def init_single(self, parameter: mx.array, state: dict):
        state["v"] = mx.zeros_like(parameter)

    def _zeropower_via_newtonschulz5(self, X, steps: int):
        if X.ndim != 2:
            raise ValueError(f"Expected a 2D array for Newton-Schulz iteration, got shape {X.shape} instead.")
        a, b, c = (3.4445, -4.7750, 2.0315)
        tall = X.shape[-2] > X.shape[-1]
        if tall:
            X = X.T
        X = X / (mx.sqrt(mx.sum(mx.square(X), keepdims=True)) + 1e-7)
        for _ in range(steps):
            A = X @ X.T
            B = mx.addmm(b * A, A, A, alpha=c, beta=1.0)
            X = mx.addmm(a * X, B, X, alpha=1.0, beta=1.0)
        return X.T if tall else X

    def apply_single(self, gradient: mx.array, parameter: mx.array, state: dict):
        g = gradient + self.weight_decay * parameter if self.weight_decay != 0 else gradient
        mu = self.momentum
        v = mu * state["v"] + (1 - mu) * g
        state["v"] = v
        upd = g * (1 - mu) + v * mu if self.nesterov else v
        lr = self._lr(g)
        if upd.ndim >= 2:
            shape = upd.shape
            flat = upd.reshape(shape[0], -1) if upd.ndim > 2 else upd
            upd = self._zeropower_via_newtonschulz5(flat, steps=self.ns_steps).reshape(shape)
            lr = lr * max(1, upd.shape[-2] / upd.shape[-1]) ** 0.5
        return parameter - lr * upd


def clip_grad_norm(grads, max_norm):
    """Scales ``grads`` so that their global L2 norm is at most
    ``max_norm``; returns ``(clipped, total_norm)``."""
    if max_norm < 0:
        raise ValueError(f"max_norm should be >=0, {max_norm} was provided instead")

    def sq(g):
        if g.dtype == mx.float16:
            g = g.astype(mx.float32)
        return mx.sum(mx.square(g))

    total = mx.sqrt(tree_reduce(lambda acc, g: acc + sq(g), grads, 0.0))
    factor = mx.minimum(max_norm / (total + 1e-6), 1.0)

    def scale(g):
        if mx.issubdtype(g.dtype, mx.floating):
            return (g * factor).astype(g.dtype)
        return g * factor

    return tree_map(scale, grads), total
