"""value_and_grad, checkpoint and average_gradients for Modules, as
mlx.nn."""

from functools import wraps
from typing import Any, Callable, Optional

import cmlx.core as mx
from cmlx.utils import tree_flatten, tree_map, tree_reduce, tree_unflatten



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


def _group_by_size(sizes, itemsize, communication_size):
    """Runs of consecutive indices whose bytes just reach communication_size
    (the last run may fall short)."""
    groups, current, nbytes = [], [], 0
    for i, n in enumerate(sizes):
        current.append(i)
        nbytes += n * itemsize
        if nbytes >= communication_size:
            groups.append(current)
            current, nbytes = [], 0
    if current:
        groups.append(current)
    return groups


def average_gradients(
    gradients: Any,
    group: Optional[Any] = None,
    all_reduce_size: int = 32 * 1024**2,
    communication_stream: Optional[Any] = None,
):
    """Averages the gradients (a tree, of the same structure on every
    process) over the processes of ``group`` (``None``: the global group).

    Gradients of one dtype are concatenated into arrays of about
    ``all_reduce_size`` bytes, each averaged with one ``all_sum``, and split
    back; ``all_reduce_size <= 0`` averages each array on its own.
    ``communication_stream`` is the stream the sums run on. On a group of
    one process the gradients come back as they are."""
    group = group or mx.distributed.init()
    n = group.size()
    if n == 1:
        return gradients

    def average(x):
        return mx.distributed.all_sum(x, group=group, stream=communication_stream) / n

    if all_reduce_size <= 0:
        return tree_map(average, gradients)
    flat = tree_flatten(gradients)
    if not flat:
        return gradients
    keys = [k for k, _ in flat]
    shapes = [g.shape for _, g in flat]
    sizes = [g.size for _, g in flat]
    dtypes = [g.dtype for _, g in flat]
    if not all(dt == dtypes[0] for dt in dtypes):
        return average_gradients(gradients, group, 0, communication_stream)
    out = []
    for run in _group_by_size(sizes, dtypes[0].size, all_reduce_size):
        big = average(mx.concatenate([flat[i][1].reshape(-1) for i in run]))
        cuts, total = [], 0
        for i in run[:-1]:
            total += sizes[i]
            cuts.append(total)
        for piece, i in zip(mx.split(big, cuts), run):
            out.append((keys[i], piece.reshape(shapes[i])))
    return tree_unflatten(out)


def clip_grad_norm_sharded(gradients: Any, max_norm: float, group: Optional[Any] = None):
    """Clips gradients sharded over ``group`` (as a fully sharded module's
    are) to a global norm of at most ``max_norm``: the squared norms of the
    local shards are summed over the group. Returns the clipped local
    gradients and the global norm."""
    local = tree_reduce(lambda acc, g: acc + g.square().sum(), gradients, 0.0)
    norm = mx.sqrt(mx.distributed.all_sum(local, group=group))
    scale = mx.minimum(max_norm / (norm + 1e-6), 1.0)
    return tree_map(lambda g: g * scale, gradients), norm
