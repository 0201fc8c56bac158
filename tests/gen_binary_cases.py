#!/usr/bin/env python3
"""Generates tests/test_binary_cases.inc: MLX's outputs of the elementwise
binary ops on grids of edge values, one grid per dtype (every pair of the
dtype's values), and isclose/allclose on pairs of dtypes.

Run with MLX 0.32 installed:  python3 tests/gen_binary_cases.py > tests/test_binary_cases.inc

Where cmlx follows NumPy instead of MLX the expected values are patched
here, each with its reason: float remainder zeros take the divisor's sign;
shift counts outside [0, bits) give NumPy's answers; MIN // -1 (which traps
in MLX for int32/int64) gives MIN with remainder 0.
"""
import mlx.core as mx, numpy as np, struct, sys, math
inf, nan = float('inf'), float('nan')
DT = ['bool','uint8','uint16','uint32','uint64','int8','int16','int32','int64','float16','float32','float64','bfloat16','complex64']
VALS = {
 'bool': [False, True],
 'uint8': [0,1,2,7,8,100,255],
 'uint16': [0,1,3,16,17,1000,65535],
 'uint32': [0,1,3,31,32,100000,2**32-1],
 'uint64': [0,1,3,63,64,10**12,2**64-1],
 'int8': [0,1,-1,7,-8,8,-128,127],
 'int16': [0,1,-1,15,16,-300,-32768,32767],
 'int32': [0,1,-1,31,32,-100000,-2**31,2**31-1],
 'int64': [0,1,-1,63,64,-10**12,-2**63,2**63-1],
 'float16': [0.0,-0.0,1.5,-2.75,3.0,inf,-inf,nan],
 'float32': [0.0,-0.0,0.1,1.5,-2.75,7.0,inf,-inf,nan],
 'float64': [0.0,-0.0,0.1,1.5,-2.75,7.0,inf,-inf,nan],
 'bfloat16': [0.0,-0.0,1.5,-2.75,3.0,inf,-inf,nan],
 'complex64': [0j, 1+2j, -1.5+0.5j, 3-4j, complex(inf,0), complex(nan,0), 2+2j],
}
def mxdt(n): return getattr(mx, n if n != 'bool' else 'bool_')
def grid(dt):
    v = VALS[dt]
    a = [x for x in v for y in v]; b = [y for x in v for y in v]
    return a, b
def mkarr(vals, dt):
    if dt == 'uint64': return mx.array(np.array(vals, dtype=np.uint64))
    if dt == 'int64': return mx.array(np.array(vals, dtype=np.int64))
    return mx.array(vals, dtype=mxdt(dt))
def tobytes(arr):
    arr = mx.contiguous(arr) if hasattr(mx,'contiguous') else arr
    if arr.dtype == mx.bfloat16:
        return bytes(np.array(arr.view(mx.uint16)).tobytes())
    return bytes(np.array(arr).tobytes())
def sign_fix_zero(out_np, b_np):
    # MLX's float remainder keeps the sign of the dividend's zero; NumPy (and cmlx) give zero the divisor's sign.
    o = out_np.copy()
    z = (o == 0)
    o[z] = np.copysign(np.zeros_like(o[z]), b_np[z])
    return o
ISINT = lambda dt: dt.startswith('int') or dt.startswith('uint')
SIGNED = lambda dt: dt.startswith('int')
WIDTH = lambda dt: {'uint8':8,'uint16':16,'uint32':32,'uint64':64,'int8':8,'int16':16,'int32':32,'int64':64}[dt]
cases = []
def add_case(op, dt, outdt, data):
    cases.append((op, dt, outdt, data))
OPS = ['add','subtract','multiply','divide','floor_divide','remainder','power','maximum','minimum','logaddexp','arctan2',
       'bitwise_and','bitwise_or','bitwise_xor','left_shift','right_shift','logical_and','logical_or','logical_xor',
       'equal','not_equal','less','less_equal','greater','greater_equal']
for dt in DT:
    a, b = grid(dt)
    A, B = mkarr(a, dt), mkarr(b, dt)
    for op in OPS:
        if op in ('bitwise_and','bitwise_or','bitwise_xor') and not (ISINT(dt) or dt=='bool'): continue
        if op in ('left_shift','right_shift') and not ISINT(dt): continue
        if op in ('remainder',) and dt == 'complex64': continue
        if op == 'arctan2' and dt == 'complex64': continue
        if op in ('logaddexp','arctan2','divide') and (ISINT(dt) or dt=='bool'): continue  # cast to float by the op
        if op in ('add','subtract','multiply','divide') and dt in ('int32',): pass
        if ISINT(dt) and op in ('floor_divide','remainder'):
            # MLX traps on MIN // -1 (int32/int64): compute with the kernel rule, MIN and 0.
            mn = -2**(WIDTH(dt)-1) if SIGNED(dt) else None
            safe_b = [y if not (SIGNED(dt) and x == mn and y == -1) else 1 for x, y in zip(a, b)]
            out = getattr(mx, op)(A, mkarr(safe_b, dt))
            o = np.array(out).copy()
            for i,(x,y) in enumerate(zip(a,b)):
                if SIGNED(dt) and x == mn and y == -1:
                    o[i] = mn if op == 'floor_divide' else 0
            add_case(op, dt, dt, o.tobytes()); continue
        if op in ('left_shift','right_shift'):
            out = np.array(getattr(mx, op)(A, B)).copy()
            w = WIDTH(dt)
            for i,(x,y) in enumerate(zip(a,b)):
                if y < 0 or y >= w:  # NumPy's answers (MLX masks the count as x86 does)
                    out[i] = 0 if op == 'left_shift' else (-1 if (SIGNED(dt) and x < 0) else 0)
            add_case(op, dt, dt, out.tobytes()); continue
        out = getattr(mx, op)(A, B)
        outdt = str(out.dtype).split('.')[-1]
        if op == 'remainder' and dt in ('float16','float32','float64','bfloat16'):
            o32 = np.array(out.astype(mx.float32) if dt=='bfloat16' else out)
            bb = np.array(B.astype(mx.float32) if dt=='bfloat16' else B)
            fixed = sign_fix_zero(o32, bb)
            if dt != 'bfloat16':
                ref = np.remainder(np.array(A), np.array(B))
                same = (ref == fixed) | (np.isnan(ref) & np.isnan(fixed))
                assert same.all() and (np.signbit(ref) == np.signbit(fixed))[ref == 0].all(), (dt, a, b, ref, fixed)
            if dt == 'bfloat16':
                out = mx.array(fixed).astype(mx.bfloat16)
            else:  # straight from NumPy: mx.array would round float64 to float32
                add_case(op, dt, outdt, fixed.astype(np.dtype(dt)).tobytes()); continue
        add_case(op, dt, outdt, tobytes(out))
w = sys.stdout.write
w('/* Generated by tests/gen_binary_cases.py from MLX %s; do not edit. */\n' % mx.__version__)
for dt in DT:
    a, b = grid(dt)
    w('static const char *const grid_%s[2] = {\n    "%s",\n    "%s"};\n' % (dt, tobytes(mkarr(a, dt)).hex(), tobytes(mkarr(b, dt)).hex()))
w('static const mlx_case mlx_cases[] = {\n')
for op, dt, outdt, data in cases:
    w('    {"%s", MX_%s, MX_%s, grid_%s,\n     "%s"},\n' % (op, dt.upper(), outdt.upper(), dt, data.hex()))
w('};\n')

# ---- isclose and allclose over dtype pairs ----
def arr(v, dt):
    if dt in ('uint64','int64'): return mx.array(np.array(v, dtype=getattr(np, dt)))
    return mx.array(v, dtype=getattr(mx, dt if dt != 'bool' else 'bool_'))
def fnum(x):
    return repr(float(x)).replace('inf', 'INFINITY').replace('nan', 'NAN')
def cnum(x):
    x = complex(x)
    return '{%s, %s}' % (fnum(x.real), fnum(x.imag))
ISC = [
 # a, adt, b, bdt, rtol, atol, equal_nan
 ([1.0,1.0,nan,inf,inf,-inf,1e-9,0.0,-0.0], 'float32', [1.00001,1.0001,nan,inf,-inf,-inf,0.0,1e-8,0.0], 'float32', 1e-5, 1e-8, False),
 ([1.0,nan,nan,inf], 'float32', [1.0,nan,1.0,inf], 'float32', 1e-5, 1e-8, True),
 ([0.0,0.0,1.0], 'float64', [0.7,1.0,1.0+1e-6], 'float64', 0.0, 0.7, False),
 ([0.0,0.0], 'float64', [1.0,0.7], 'float64', 0.7, 0.0, False),
 ([0.0], 'float64', [0.7], 'float32', 0.0, 0.7, False),
 ([0.0], 'float32', [0.7], 'float64', 0.0, 0.7, False),
 ([1.0,1.0,2.0], 'float16', [1.001,1.0,2.002], 'float16', 1e-5, 1e-8, False),
 ([1.0,1.0], 'float16', [1.001,1.0], 'float32', 1e-3, 0.0, False),
 ([1.0,100.0], 'bfloat16', [1.01,101.0], 'bfloat16', 1e-2, 0.0, False),
 ([1,2,100,-5], 'int32', [1,3,99,-5], 'int32', 1e-5, 1e-8, False),
 ([100], 'int8', [-100], 'int8', 0.0, 250.0, False),
 ([1], 'uint8', [3], 'uint8', 0.0, 1.0, False),
 ([1], 'uint8', [3], 'uint8', 0.0, 300.0, False),
 ([-100,-100], 'int16', [-128,-127], 'int8', 1.0, 0.0, False),
 ([65535], 'uint16', [inf], 'float16', 1e-5, 1e-8, False),
 ([True,False,True], 'bool', [False,False,True], 'bool', 0.0, 0.5, False),
 ([True,False], 'bool', [False,False], 'bool', 0.0, 1.0, False),
 ([1+1j, complex(inf,0), complex(inf,1), complex(nan,1), 3+4j], 'complex64', [1+1.000001j, complex(inf,0), complex(inf,1), complex(1,nan), 3+4.0001j], 'complex64', 1e-5, 1e-8, True),
 ([1+1j, complex(nan,1)], 'complex64', [1+1j, complex(1,nan)], 'complex64', 1e-5, 1e-8, False),
 ([2**40+1, 5], 'int64', [2**40, 5.5], 'float32', 0.0, 0.1, False),
 ([1.0, 1.0], 'float32', [1.5, 1.5], 'float32', -1.0, -1.0, False),
 ([1.0, inf], 'float32', [3, 3], 'int32', 1.0, 0.0, False),
]
print('static const isc_case isc_cases[] = {')
for a, adt, b, bdt, rtol, atol, en in ISC:
    r = mx.isclose(arr(a, adt), arr(b, bdt), rtol=rtol, atol=atol, equal_nan=en)
    ac = mx.allclose(arr(a, adt), arr(b, bdt), rtol=rtol, atol=atol, equal_nan=en).item()
    print('    {MX_%s, %d, {%s}, MX_%s, {%s}, %r, %r, %s, "%s", %s},' % (adt.upper(), len(a), ', '.join(cnum(x) for x in a), bdt.upper(), ', '.join(cnum(x) for x in b), rtol, atol, 'true' if en else 'false', ''.join('1' if x else '0' for x in r.tolist()), 'true' if ac else 'false'))
print('};')
