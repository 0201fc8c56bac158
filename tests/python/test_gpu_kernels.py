"""fast.metal_kernel, cuda_kernel, precompiled_cuda_kernel on the CPU back-end:
the arguments are checked as MLX checks them, then running a Metal kernel, or
asking for a CUDA one, raises RuntimeError (MLX's CPU build does the same)."""

import pytest

import cmlx.core as mx

try:
    import mlx.core as rmx
except ImportError:  # pragma: no cover
    rmx = None

PEERS = [mx] + ([rmx] if rmx is not None else [])


def metal(m):
    return m.fast.metal_kernel(
        name="copy", input_names=["a", "b"], output_names=["o"], source="o[0] = a[0];"
    )


def good_call(m):
    return dict(
        inputs=[m.ones(3), 2.0],
        output_shapes=[(3,)],
        output_dtypes=[m.float32],
        grid=(3, 1, 1),
        threadgroup=(3, 1, 1),
    )


@pytest.mark.parametrize("m", PEERS)
def test_metal_run_needs_backend(m):
    with pytest.raises(RuntimeError, match="No Metal back-end"):
        metal(m)(**good_call(m))
    assert mx.array_equal(mx.ones(2) + 1, mx.full((2,), 2.0))  # still working


@pytest.mark.parametrize("m", PEERS)
@pytest.mark.parametrize(
    "field,value",
    [
        ("inputs", lambda m: [m.ones(3)]),
        ("output_shapes", lambda m: [(3,), (2,)]),
        ("output_dtypes", lambda m: [m.float32, m.int32]),
    ],
)
def test_metal_wrong_counts(m, field, value):
    kw = good_call(m)
    kw[field] = value(m)
    with pytest.raises(ValueError):
        metal(m)(**kw)


@pytest.mark.parametrize("m", PEERS)
def test_metal_wrong_calls(m):
    k = metal(m)
    kw = good_call(m)
    del kw["grid"]
    with pytest.raises(TypeError):
        k(**kw)
    with pytest.raises(TypeError):
        k([m.ones(3)])
    with pytest.raises(TypeError):
        m.fast.metal_kernel(name="k", input_names="a", output_names=["o"], source="")
    with pytest.raises(ValueError, match="math_mode"):
        m.fast.metal_kernel(
            name="k", input_names=[], output_names=["o"], source="",
            compile_options={"math_mode": "x"},
        )


def test_metal_grid_checked():
    kw = good_call(mx)
    kw["grid"] = (0, 1, 1)
    with pytest.raises(ValueError):
        metal(mx)(**kw)
    kw["grid"] = (1, 1)
    with pytest.raises(TypeError):
        metal(mx)(**kw)
    assert "copy" in repr(metal(mx))


@pytest.mark.parametrize("m", PEERS)
def test_cuda_kernel_needs_backend(m):
    with pytest.raises(RuntimeError, match="No CUDA back-end"):
        m.fast.cuda_kernel(name="k", input_names=["a"], output_names=["o"], source="")


def test_cuda_kernel_wrong_calls():
    with pytest.raises(TypeError):
        mx.fast.cuda_kernel(name="k", input_names=["a"], output_names=[1], source="")
    with pytest.raises(TypeError):
        mx.fast.cuda_kernel("k", ["a"])


@pytest.mark.parametrize("m", PEERS)
def test_precompiled(m):
    kw = dict(
        name="k",
        compiled_source=b"",
        inputs=[m.ones(3)],
        output_shapes=[(3,)],
        output_dtypes=[m.float32],
        scalars=[1, 2.0],
        grid=(1, 1, 1),
        threadgroup=(1, 1, 1),
    )
    with pytest.raises(RuntimeError, match="No CUDA back-end"):
        m.fast.precompiled_cuda_kernel(**kw)
    with pytest.raises(TypeError):
        m.fast.precompiled_cuda_kernel("k", b"")


def test_precompiled_arguments_checked():
    kw = dict(
        name="k", compiled_source=b"", inputs=[mx.ones(3)], output_shapes=[(3,)],
        output_dtypes=[mx.float32, mx.float32], scalars=[], grid=(1, 1, 1),
        threadgroup=(1, 1, 1),
    )
    with pytest.raises(ValueError):
        mx.fast.precompiled_cuda_kernel(**kw)
