"""Writes the .npy/.npz fixtures of tests/test_io_npy.c with NumPy and MLX.

Run from this directory: python3 make_npy_fixtures.py
"""
import numpy as np

np.save("np_f_order.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
np.save("np_be_i4.npy", np.arange(5, dtype=">i4"))
np.save("np_be_f8.npy", np.array([1.5, -2.25, 3.0], dtype=">f8"))
np.save("np_be_c8.npy", np.array([1 + 2j, -3.5j], dtype=">c8"))
np.save("np_be_f2.npy", np.array([1.0, 2.0, -0.5], dtype=">f2"))
np.save("np_scalar.npy", np.float64(2.5))
np.save("np_empty.npy", np.zeros((0, 3), dtype=np.int16))
np.save("np_bool.npy", np.array([True, False, True]))
np.save("np_f4_2x3.npy", np.arange(6, dtype=np.float32).reshape(2, 3))
np.save("np_u8_1.npy", np.array([7], dtype=np.uint64))
with open("np_v2.npy", "wb") as f:
    np.lib.format.write_array(f, np.arange(4, dtype=np.int64), version=(2, 0))
np.savez("np_plain.npz", a=np.arange(6, dtype=np.float32).reshape(2, 3), b=np.array([1, -2], dtype=np.int8))
np.savez_compressed("np_comp.npz", a=np.arange(100, dtype=np.float64), b=np.array([True, False]))
try:
    import mlx.core as mx

    mx.save("mlx_bf16.npy", mx.array([1.5, 2.0, 3.0], dtype=mx.bfloat16))
    mx.save("mlx_f_order.npy", mx.arange(6).reshape(2, 3).T)
except ImportError:
    pass

try:
    import mlx.core as mx

    names = ["bool_", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
             "float16", "bfloat16", "float32", "complex64"]  # MLX does not write F64
    arrs = {n: (mx.arange(6) % 2 if n == "bool_" else mx.arange(6)).astype(getattr(mx, n)).reshape(2, 3)
            for n in names}
    arrs["complex64"] = arrs["complex64"] + 1j * mx.arange(6).reshape(2, 3)
    mx.save_safetensors("mlx_all.safetensors", arrs, metadata={"format": "mlx", "note": "caf\u00e9"})
except ImportError:
    pass
