"""value_and_grad, checkpoint and average_gradients for Modules, as
mlx.nn."""

from functools import wraps
from typing import Any, Callable, Optional

import cmlx.core as mx



def value_and_grad(model, fn: Callable):
    """Wraps ``fn(*args)`` so that calling it returns ``(value, grads)``,
    the gradients taken with respect to ``model.trainable_parameters()``."""

    def with_params(params, *args, **kwargs):
        model.update(params)
        return fn(*args, **kwargs)

    vg = mx.value_and_grad(with_params)

    @wraps(fn)
    def wrapped(*args, **kwargs):
        return vg(model.trainable_parameters(), *args, **kwargs)

    return wrapped


def checkpoint(module, fn: Optional[Callable] = None):
    """Runs ``fn`` (default: the module) with gradient checkpointing: its
    intermediates are recomputed in the backward pass instead of kept."""
    if fn is None:
        fn = module

    def with_params(params, *args, **kwargs):
        module.update(params)
        return fn(*args, **kwargs)

    ck = mx.checkpoint(with_params)

    @wraps(fn)
    def wrapped(*args, **kwargs):
        return ck(module.trainable_parameters(), *args, **kwargs)

    return wrapped


def average_gradients(
    gradients: Any,
    group: Optional[Any] = None,
    all_reduce_size: int = 32 * 1024**2,
    communication_stream: Optional[Any] = None,
):
    """Averages gradients over the processes of a distributed group. With a
    single process (the only case cmlx runs today) it returns them as is."""
    dist = getattr(mx, "distributed", None)
    if dist is None:
        return gradients
    group = group or dist.init()
    n = group.size()
    if n == 1:
        return gradients
    from cmlx.utils import tree_map

    return tree_map(lambda g: dist.all_sum(g, group=group, stream=communication_stream) / n, gradients)
