"""Writes tests/data/quants.gguf and its expected values with the PyPI gguf
package (pip install gguf numpy): every metadata value type including
nested arrays; tensors F32, F16, BF16 and every quantized type cmlx reads,
K-quant blocks made of random bytes with finite scales. The expected
dequantized values (gguf.quants.dequantize) go to quants_expected.npz.

Run from this directory: python3 make_gguf_fixtures.py
"""
import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q, GGUFValueType as V, quants

rng = np.random.default_rng(7)
w = gguf.GGUFWriter("quants.gguf", arch="test")
w.add_uint8("t.u8", 200)
w.add_int8("t.i8", -100)
w.add_uint16("t.u16", 60000)
w.add_int16("t.i16", -30000)
w.add_uint32("t.u32", 4000000000)
w.add_int32("t.i32", -2000000000)
w.add_float32("t.f32", 1.5)
w.add_bool("t.bool", True)
w.add_string("t.str", "h\u00e9llo")
w.add_uint64("t.u64", 2**63 + 5)
w.add_int64("t.i64", -(2**62))
w.add_float64("t.f64", -2.25)
w.add_array("t.arr_i32", [1, -2, 3])
w.add_array("t.arr_str", ["a", "", "ccc"])
w.add_key_value("t.nested", [[1, 2], [3]], V.ARRAY, sub_type=V.ARRAY)

expected = {}
f32 = rng.standard_normal((3, 64)).astype(np.float32)
w.add_tensor("plain.f32", f32)
expected["plain.f32"] = f32
f16 = rng.standard_normal((2, 32)).astype(np.float16)
w.add_tensor("plain.f16", f16)
expected["plain.f16"] = f16.astype(np.float32)
bf = quants.quantize(rng.standard_normal((4, 32)).astype(np.float32), Q.BF16)
w.add_tensor("plain.bf16", bf, raw_dtype=Q.BF16)
expected["plain.bf16"] = quants.dequantize(bf, Q.BF16)

for qt in (Q.Q4_0, Q.Q4_1, Q.Q8_0):
    x = rng.standard_normal((4, 64)).astype(np.float32)
    q = quants.quantize(x, qt)
    w.add_tensor(f"blk.{qt.name}.weight", q, raw_dtype=qt)
    expected[f"blk.{qt.name}.weight"] = quants.dequantize(q, qt)

for qt in (Q.Q2_K, Q.Q3_K, Q.Q4_K, Q.Q5_K, Q.Q6_K):
    block, size = gguf.GGML_QUANT_SIZES[qt]
    nblk = 6
    raw = rng.integers(0, 256, size=(nblk, size), dtype=np.uint8)
    # Put small finite float16 scales where each format keeps d (and dmin).
    d = rng.uniform(0.001, 0.05, size=(nblk, 2)).astype(np.float16).view(np.uint8)
    if qt in (Q.Q4_K, Q.Q5_K):
        raw[:, 0:4] = d
    elif qt == Q.Q2_K:
        raw[:, size - 4:size] = d
    else:
        raw[:, size - 2:size] = d[:, 0:2]
    raw = raw.reshape(2, 3 * size)  # two rows of 768 elements
    name = f"kq.{qt.name}"
    w.add_tensor(name, raw, raw_dtype=qt)
    expected[name] = quants.dequantize(raw, qt)

w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
np.savez("quants_expected.npz", **expected)
