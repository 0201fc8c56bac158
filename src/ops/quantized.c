/* Quantization ops: quantize, dequantize, quantized_matmul, gather_qmm, to_fp8, from_fp8. */
#include <string.h>

#include "ops_util.h"
#include "primitives/params_quantized.h"

/* Parses the mode and fills in the defaults of group_size and bits (0 means
 * "not given"), then checks them against what the mode allows. */
static int quant_setup(const char *op, const char *mode, int group_size, int bits,
                       mxi_quant_params *p) {
    memset(p, 0, sizeof *p);
    if (!mode || !strcmp(mode, "affine"))
        p->mode = MXI_QUANT_AFFINE;
    else if (!strcmp(mode, "mxfp4"))
        p->mode = MXI_QUANT_MXFP4;
    else if (!strcmp(mode, "mxfp8"))
        p->mode = MXI_QUANT_MXFP8;
    else if (!strcmp(mode, "nvfp4"))
        p->mode = MXI_QUANT_NVFP4;
    else
        return mxi_error(MX_ERR_VALUE, "[%s] Invalid quantization mode '%s'.", op, mode);
    static const int def_group[] = {64, 32, 32, 16}, def_bits[] = {4, 4, 8, 4};
    static const char *names[] = {"affine", "mxfp4", "mxfp8", "nvfp4"};
    p->group_size = group_size ? group_size : def_group[p->mode];
    p->bits = bits ? bits : def_bits[p->mode];
    if (p->mode == MXI_QUANT_AFFINE) {
        int g = p->group_size, b = p->bits;
        if (g != 32 && g != 64 && g != 128)
            return mxi_error(MX_ERR_VALUE,
                             "[%s] The requested group size %d is not supported. The supported "
                             "group sizes are 32, 64, and 128.",
                             op, g);
        if (b < 1 || b > 8 || b == 7)
            return mxi_error(MX_ERR_VALUE,
                             "[%s] The requested number of bits %d is not supported. The "
                             "supported bits are 1, 2, 3, 4, 5, 6 and 8.",
                             op, b);
    } else {
        if (p->group_size != def_group[p->mode])
            return mxi_error(MX_ERR_VALUE,
                             "[%s] %s quantization requires group size %d but got %d.", op,
                             names[p->mode], def_group[p->mode], p->group_size);
        if (p->bits != def_bits[p->mode])
            return mxi_error(MX_ERR_VALUE,
                             "[%s] %s quantization requires bits to be %d but got %d.", op,
                             names[p->mode], def_bits[p->mode], p->bits);
    }
    return MX_OK;
}

static bool is_quant_float(mx_dtype t) {
    return t == MX_FLOAT16 || t == MX_BFLOAT16 || t == MX_FLOAT32;
}

/* An "nvfp4" global scale: one float32 element. */
static int check_global_scale(const char *op, const mx_array *gs, const mxi_quant_params *p) {
    if (!gs) return MX_OK;
    if (p->mode != MXI_QUANT_NVFP4)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] Global scale is only supported for 'nvfp4' quantization mode.", op);
    if (mx_array_size(gs) != 1) {
        char sb[MXI_SHAPE_STR_LEN];
        return mxi_error(MX_ERR_VALUE, "[%s] Global scale must be a scalar but got shape %s.", op,
                         mxi_shape_str(sb, sizeof sb, gs->shape, gs->ndim));
    }
    if (gs->dtype != MX_FLOAT32)
        return mxi_error(MX_ERR_VALUE, "[%s] Global scale must have dtype float32 but got %s.", op,
                         mx_dtype_name(gs->dtype));
    return MX_OK;
}

int mx_quantize(mx_array **wq, mx_array **scales, mx_array **biases, const mx_array *w,
                int group_size, int bits, const char *mode, const mx_stream *s) {
    return mx_quantize_scaled(wq, scales, biases, w, group_size, bits, mode, NULL, s);
}

int mx_quantize_scaled(mx_array **wq, mx_array **scales, mx_array **biases, const mx_array *w,
                       int group_size, int bits, const char *mode, const mx_array *global_scale,
                       const mx_stream *s) {
    const mx_array *ins[1] = {w};
    int rc = mxi_check_inputs("quantize", wq, ins, 1);
    if (rc) return rc;
    if (!scales) return mxi_error(MX_ERR_VALUE, "[quantize] the scales pointer is NULL");
    mxi_quant_params p;
    if ((rc = quant_setup("quantize", mode, group_size, bits, &p))) return rc;
    if ((rc = check_global_scale("quantize", global_scale, &p))) return rc;
    bool affine = p.mode == MXI_QUANT_AFFINE;
    if (affine && !biases) return mxi_error(MX_ERR_VALUE, "[quantize] the biases pointer is NULL");
    if (!mx_dtype_is_floating(w->dtype))
        return mxi_error(MX_ERR_VALUE,
                         "[quantize] Only real floating types can be quantized but w has type %s.",
                         mx_dtype_name(w->dtype));
    if (w->dtype == MX_FLOAT64)
        return mxi_error(MX_ERR_VALUE,
                         "[quantize] Only float16, bfloat16 and float32 can be quantized but w "
                         "has type float64.");
    if (w->ndim < 2)
        return mxi_error(MX_ERR_VALUE,
                         "[quantize] The matrix to be quantized must have at least 2 dimension "
                         "but it has only %d.",
                         w->ndim);
    int32_t K = w->shape[w->ndim - 1];
    if (K % p.group_size) {
        char sb[MXI_SHAPE_STR_LEN];
        return mxi_error(MX_ERR_VALUE,
                         "[quantize] The last dimension of the matrix needs to be divisible by "
                         "the quantization group size %d. However the provided matrix has shape "
                         "%s",
                         p.group_size, mxi_shape_str(sb, sizeof sb, w->shape, w->ndim));
    }
    int nd = w->ndim;
    int32_t qshape[MXI_MAX_NDIM], sshape[MXI_MAX_NDIM];
    memcpy(qshape, w->shape, (size_t)nd * sizeof *qshape);
    memcpy(sshape, w->shape, (size_t)nd * sizeof *sshape);
    qshape[nd - 1] = (int32_t)((int64_t)K * p.bits / 32);
    sshape[nd - 1] = K / p.group_size;
    mx_dtype sdt = affine ? w->dtype : MX_UINT8;
    mx_dtype dtypes[3] = {MX_UINT32, sdt, sdt};
    const int32_t *shapes[3] = {qshape, sshape, sshape};
    int ndims[3] = {nd, nd, nd};
    mx_array *outs[3] = {NULL, NULL, NULL};
    mx_array *in[2] = {(mx_array *)w, (mx_array *)global_scale};
    rc = mxi_make_node(outs, affine ? 3 : 2, dtypes, shapes, ndims, MXI_PRIM_QUANTIZE, &p, sizeof p,
                       in, global_scale ? 2 : 1, s);
    if (rc) return rc;
    mxi_set_out(wq, outs[0]);
    mxi_set_out(scales, outs[1]);
    if (biases) mxi_set_out(biases, outs[2]);
    return MX_OK;
}

/* Checks w (uint32, >= 2-d), scales and biases against each other and the
 * parameters; the shared part of dequantize and quantized_matmul. */
static int check_quantized(const char *op, const mx_array *w, const mx_array *scales,
                           const mx_array *biases, const mxi_quant_params *p) {
    bool affine = p->mode == MXI_QUANT_AFFINE;
    char sw[MXI_SHAPE_STR_LEN], ss[MXI_SHAPE_STR_LEN];
    if (affine && !biases)
        return mxi_error(MX_ERR_VALUE, "[%s] Biases must be provided for affine quantization.", op);
    if (!affine && biases) {
        static const char *names[] = {"affine", "mxfp4", "mxfp8", "nvfp4"};
        return mxi_error(MX_ERR_VALUE, "[%s] Biases must be null for quantization mode '%s'.", op,
                         names[p->mode]);
    }
    if (w->dtype != MX_UINT32)
        return mxi_error(MX_ERR_VALUE, "[%s] The weight matrix should be uint32 but received %s",
                         op, mx_dtype_name(w->dtype));
    if (affine) {
        if (!is_quant_float(scales->dtype) || !is_quant_float(biases->dtype))
            return mxi_error(MX_ERR_VALUE,
                             "[%s] Only float16, bfloat16 and float32 scales and biases are "
                             "supported but scales.dtype() == %s and biases.dtype() == %s.",
                             op, mx_dtype_name(scales->dtype), mx_dtype_name(biases->dtype));
        if (!mxi_same_shape(scales->shape, scales->ndim, biases->shape, biases->ndim))
            return mxi_error(MX_ERR_VALUE,
                             "[%s] Scales and biases should have the same shape. Received scales "
                             "with shape %s and biases with %s",
                             op, mxi_shape_str(sw, sizeof sw, scales->shape, scales->ndim),
                             mxi_shape_str(ss, sizeof ss, biases->shape, biases->ndim));
    } else if (scales->dtype != MX_UINT8) {
        return mxi_error(MX_ERR_VALUE, "[%s] Scale type must be uint8 but received type %s.", op,
                         mx_dtype_name(scales->dtype));
    }
    if (w->ndim < 2)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] The quantized matrix must have at least 2 dimension but it has "
                         "only %d.",
                         op, w->ndim);
    bool ok = scales->ndim == w->ndim;
    for (int i = 0; ok && i < w->ndim - 1; i++) ok = scales->shape[i] == w->shape[i];
    if (ok) {
        int64_t k = (int64_t)w->shape[w->ndim - 1] * 32;
        ok = k % p->bits == 0 &&
             k / p->bits == (int64_t)scales->shape[scales->ndim - 1] * p->group_size;
    }
    if (!ok)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] The shapes of the weight and scales are incompatible based on "
                         "bits and group_size. w.shape() == %s and scales.shape() == %s with "
                         "group_size=%d and bits=%d",
                         op, mxi_shape_str(sw, sizeof sw, w->shape, w->ndim),
                         mxi_shape_str(ss, sizeof ss, scales->shape, scales->ndim), p->group_size,
                         p->bits);
    return MX_OK;
}

int mx_dequantize(mx_array **out, const mx_array *w, const mx_array *scales, const mx_array *biases,
                  int group_size, int bits, const char *mode, mx_dtype dtype, const mx_stream *s) {
    return mx_dequantize_scaled(out, w, scales, biases, group_size, bits, mode, NULL, dtype, s);
}

int mx_dequantize_scaled(mx_array **out, const mx_array *w, const mx_array *scales,
                         const mx_array *biases, int group_size, int bits, const char *mode,
                         const mx_array *global_scale, mx_dtype dtype, const mx_stream *s) {
    const mx_array *ins[2] = {w, scales};
    int rc = mxi_check_inputs("dequantize", out, ins, 2);
    if (rc) return rc;
    mxi_quant_params p;
    if ((rc = quant_setup("dequantize", mode, group_size, bits, &p))) return rc;
    if ((rc = check_quantized("dequantize", w, scales, biases, &p))) return rc;
    if ((rc = check_global_scale("dequantize", global_scale, &p))) return rc;
    bool affine = p.mode == MXI_QUANT_AFFINE;
    if (dtype == MX_DTYPE_NONE)
        dtype = affine ? mx_promote_types(scales->dtype, biases->dtype) : MX_BFLOAT16;
    if (!is_quant_float(dtype))
        return mxi_error(MX_ERR_VALUE,
                         "[dequantize] The output dtype must be float16, bfloat16 or float32 but "
                         "%s was requested.",
                         mx_dtype_name(dtype));
    /* The values times the float32 global scale: float32, as MLX. */
    if (global_scale) dtype = MX_FLOAT32;
    int nd = w->ndim;
    int32_t shape[MXI_MAX_NDIM];
    memcpy(shape, w->shape, (size_t)nd * sizeof *shape);
    shape[nd - 1] = (int32_t)((int64_t)w->shape[nd - 1] * 32 / p.bits);
    mx_array *in[3] = {(mx_array *)w, (mx_array *)scales,
                       (mx_array *)(affine ? biases : global_scale)};
    mx_array *r = NULL;
    rc = mxi_make(&r, dtype, shape, nd, MXI_PRIM_DEQUANTIZE, &p, sizeof p, in,
                  affine || global_scale ? 3 : 2, s);
    if (!rc) mxi_set_out(out, r);
    return rc;
}

/* K and N of x @ w (expanded, transposed as asked) after checking x's last
 * axis against w. */
static int matmul_dims(const char *op, const mx_array *x, const mx_array *w,
                       const mxi_quant_params *p, int32_t *K, int32_t *N) {
    int wn = w->ndim;
    int32_t rows = w->shape[wn - 2];
    int32_t cols = (int32_t)((int64_t)w->shape[wn - 1] * 32 / p->bits);
    *K = p->transpose ? cols : rows, *N = p->transpose ? rows : cols;
    if (x->shape[x->ndim - 1] != *K) {
        char sw[MXI_SHAPE_STR_LEN];
        return mxi_error(MX_ERR_VALUE,
                         "[%s] Last dimension of first input with shape (..., %d) does not match "
                         "the expanded quantized matrix (%d, %d) computed from shape %s with "
                         "group_size=%d, bits=%d and transpose=%s",
                         op, x->shape[x->ndim - 1], *K, *N,
                         mxi_shape_str(sw, sizeof sw, w->shape, wn), p->group_size, p->bits,
                         p->transpose ? "true" : "false");
    }
    return MX_OK;
}

/* The output dtype of a quantized product, checked. */
static int product_dtype(const char *op, const mx_array *x, const mx_array *scales,
                         const mx_array *biases, const mxi_quant_params *p, mx_dtype *out) {
    mx_dtype dtype = x->dtype;
    if (p->mode == MXI_QUANT_AFFINE)
        dtype = mx_promote_types(mx_promote_types(x->dtype, scales->dtype), biases->dtype);
    if (!is_quant_float(dtype))
        return mxi_error(MX_ERR_VALUE,
                         "[%s] Only float16, bfloat16 and float32 inputs are supported but x has "
                         "type %s (computing in %s).",
                         op, mx_dtype_name(x->dtype), mx_dtype_name(dtype));
    *out = dtype;
    return MX_OK;
}

int mx_quantized_matmul(mx_array **out, const mx_array *x, const mx_array *w,
                        const mx_array *scales, const mx_array *biases, bool transpose,
                        int group_size, int bits, const char *mode, const mx_stream *s) {
    const char *op = "quantized_matmul";
    const mx_array *ins[3] = {x, w, scales};
    int rc = mxi_check_inputs(op, out, ins, 3);
    if (rc) return rc;
    mxi_quant_params p;
    if ((rc = quant_setup(op, mode, group_size, bits, &p))) return rc;
    p.transpose = transpose;
    if ((rc = check_quantized(op, w, scales, biases, &p))) return rc;
    bool affine = p.mode == MXI_QUANT_AFFINE;
    if (x->ndim == 0)
        return mxi_error(MX_ERR_VALUE, "[%s] x must have at least one dimension.", op);
    if (x->ndim > MXI_MAX_NDIM - 1 || w->ndim > MXI_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[%s] too many dimensions", op);
    mx_dtype dtype;
    if ((rc = product_dtype(op, x, scales, biases, &p, &dtype))) return rc;

    int wn = w->ndim;
    int32_t K, N;
    if ((rc = matmul_dims(op, x, w, &p, &K, &N))) return rc;
    /* x as (batch..., M, K); batch axes of x and w broadcast. */
    int32_t xs[MXI_MAX_NDIM];
    int xn = x->ndim;
    if (xn == 1) {
        xs[0] = 1, xs[1] = K, xn = 2;
    } else {
        memcpy(xs, x->shape, (size_t)xn * sizeof *xs);
    }
    int32_t batch[MXI_MAX_NDIM];
    int nb;
    if ((rc = mxi_broadcast_shapes(op, batch, &nb, xs, xn - 2, w->shape, wn - 2))) return rc;
    if (nb + 2 > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[%s] too many dimensions", op);
    int32_t M = xs[xn - 2];
    int32_t x_full[MXI_MAX_NDIM], w_full[MXI_MAX_NDIM], s_full[MXI_MAX_NDIM], o_full[MXI_MAX_NDIM];
    memcpy(x_full, batch, (size_t)nb * sizeof *batch);
    memcpy(o_full, batch, (size_t)nb * sizeof *batch);
    x_full[nb] = M, x_full[nb + 1] = K;
    o_full[nb] = M, o_full[nb + 1] = N;
    /* A weight without batch axes stays 2-d: the kernel reuses it. */
    int wfn = wn > 2 ? nb + 2 : 2;
    memcpy(w_full, batch, (size_t)nb * sizeof *batch);
    memcpy(s_full, batch, (size_t)nb * sizeof *batch);
    w_full[wfn - 2] = w->shape[wn - 2], w_full[wfn - 1] = w->shape[wn - 1];
    s_full[wfn - 2] = scales->shape[wn - 2], s_full[wfn - 1] = scales->shape[wn - 1];

    mx_array *cx = NULL, *rx = NULL, *bx = NULL, *bw = NULL, *bs = NULL, *bb = NULL, *r = NULL;
    mx_array *cs = NULL, *cb = NULL;
    rc = mxi_astype_if(&cx, x, dtype, s);
    if (!rc) rc = mx_reshape(&rx, cx, xs, xn, s);
    if (!rc) rc = mxi_broadcast_if(&bx, rx, x_full, nb + 2, s);
    if (!rc) rc = mxi_broadcast_if(&bw, w, w_full, wfn, s);
    if (!rc) rc = mxi_astype_if(&cs, scales, affine ? dtype : MX_UINT8, s);
    if (!rc) rc = mxi_broadcast_if(&bs, cs, s_full, wfn, s);
    if (!rc && affine) rc = mxi_astype_if(&cb, biases, dtype, s);
    if (!rc && affine) rc = mxi_broadcast_if(&bb, cb, s_full, wfn, s);
    if (!rc) {
        mx_array *in[4] = {bx, bw, bs, bb};
        rc = mxi_make(&r, dtype, o_full, nb + 2, MXI_PRIM_QUANTIZED_MATMUL, &p, sizeof p, in,
                      affine ? 4 : 3, s);
    }
    if (!rc) {
        if (x->ndim > 1) {
            mxi_set_out(out, r);
            r = NULL;
        } else {
            int32_t final[MXI_MAX_NDIM];
            memcpy(final, batch, (size_t)nb * sizeof *batch);
            final[nb] = N;
            rc = mx_reshape(out, r, final, nb + 1, s);
        }
    }
    mx_array_free(cx);
    mx_array_free(rx);
    mx_array_free(bx);
    mx_array_free(bw);
    mx_array_free(cs);
    mx_array_free(bs);
    mx_array_free(cb);
    mx_array_free(bb);
    mx_array_free(r);
    return rc;
}

/* The index array of a gather over the leading axes of a: idx cast to
 * uint32 (checked integral), or an arange shaped like those axes. */
static int gather_indices(mx_array **out, const mx_array *idx, const mx_array *a,
                          const mx_stream *s) {
    if (idx) {
        if (!mx_dtype_is_integer(idx->dtype))
            return mxi_error(MX_ERR_VALUE, "[gather_qmm] Got indices with invalid dtype. Indices "
                                           "must be integral.");
        return mxi_astype_if(out, idx, MX_UINT32, s);
    }
    int nb = a->ndim - 2;
    int64_t n = mxi_shape_size(a->shape, nb);
    mx_array *r = NULL;
    int rc = mx_arange(&r, 0, (double)n, 1, MX_UINT32, s);
    if (!rc) rc = mx_reshape(out, r, a->shape, nb, s);
    mx_array_free(r);
    return rc;
}

int mx_gather_qmm(mx_array **out, const mx_array *x, const mx_array *w, const mx_array *scales,
                  const mx_array *biases, const mx_array *lhs_indices, const mx_array *rhs_indices,
                  bool transpose, int group_size, int bits, const char *mode, bool sorted_indices,
                  const mx_stream *s) {
    const char *op = "gather_qmm";
    (void)sorted_indices;
    const mx_array *ins[3] = {x, w, scales};
    int rc = mxi_check_inputs(op, out, ins, 3);
    if (rc) return rc;
    mxi_quant_params p;
    if ((rc = quant_setup(op, mode, group_size, bits, &p))) return rc;
    p.transpose = transpose;
    if ((rc = check_quantized(op, w, scales, biases, &p))) return rc;
    bool affine = p.mode == MXI_QUANT_AFFINE;
    if (x->ndim < 2) {
        char sx[MXI_SHAPE_STR_LEN];
        return mxi_error(MX_ERR_VALUE,
                         "[%s] Input must have at least two dimensions but got input with shape "
                         "%s.",
                         op, mxi_shape_str(sx, sizeof sx, x->shape, x->ndim));
    }
    mx_dtype dtype;
    int32_t K, N;
    if ((rc = product_dtype(op, x, scales, biases, &p, &dtype))) return rc;
    if ((rc = matmul_dims(op, x, w, &p, &K, &N))) return rc;
    mx_array *li = NULL, *ri = NULL, *lb = NULL, *rb = NULL, *cx = NULL, *cs = NULL, *cb = NULL;
    mx_array *r = NULL;
    rc = gather_indices(&li, lhs_indices, x, s);
    if (!rc) rc = gather_indices(&ri, rhs_indices, w, s);
    int32_t shape[MXI_MAX_NDIM];
    int nb = 0;
    if (!rc) rc = mxi_broadcast_shapes(op, shape, &nb, li->shape, li->ndim, ri->shape, ri->ndim);
    if (!rc && nb + 2 > MXI_MAX_NDIM) rc = mxi_error(MX_ERR_VALUE, "[%s] too many dimensions", op);
    if (!rc) rc = mxi_broadcast_if(&lb, li, shape, nb, s);
    if (!rc) rc = mxi_broadcast_if(&rb, ri, shape, nb, s);
    if (!rc) rc = mxi_astype_if(&cx, x, dtype, s);
    if (!rc) rc = mxi_astype_if(&cs, scales, affine ? dtype : MX_UINT8, s);
    if (!rc && affine) rc = mxi_astype_if(&cb, biases, dtype, s);
    if (!rc) {
        shape[nb] = x->shape[x->ndim - 2], shape[nb + 1] = N;
        mx_array *in[6] = {cx, (mx_array *)w, cs, cb, lb, rb};
        if (!affine) in[3] = lb, in[4] = rb;
        rc = mxi_make(&r, dtype, shape, nb + 2, MXI_PRIM_GATHER_QMM, &p, sizeof p, in,
                      affine ? 6 : 5, s);
    }
    if (!rc) mxi_set_out(out, r);
    mx_array *all[] = {li, ri, lb, rb, cx, cs, cb};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
    return rc;
}

int mx_gather_qmm_scaled(mx_array **out, const mx_array *x, const mx_array *w,
                         const mx_array *scales, const mx_array *biases,
                         const mx_array *lhs_indices, const mx_array *rhs_indices, bool transpose,
                         int group_size, int bits, const char *mode, const mx_array *global_scale,
                         bool sorted_indices, const mx_stream *s) {
    const char *op = "gather_qmm";
    if (!global_scale)
        return mx_gather_qmm(out, x, w, scales, biases, lhs_indices, rhs_indices, transpose,
                             group_size, bits, mode, sorted_indices, s);
    const mx_array *ins[4] = {x, w, scales, global_scale};
    int rc = mxi_check_inputs(op, out, ins, 4);
    if (rc) return rc;
    mxi_quant_params p;
    if ((rc = quant_setup(op, mode, group_size, bits, &p))) return rc;
    if (p.mode != MXI_QUANT_NVFP4)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] Global scale is only supported for 'nvfp4' quantization mode.", op);
    if (global_scale->dtype != MX_FLOAT32)
        return mxi_error(MX_ERR_VALUE, "[%s] Global scale must have dtype float32 but got %s.", op,
                         mx_dtype_name(global_scale->dtype));
    if (w->ndim < 2 ||
        !mxi_same_shape(global_scale->shape, global_scale->ndim, w->shape, w->ndim - 2)) {
        char sw[MXI_SHAPE_STR_LEN], sg[MXI_SHAPE_STR_LEN];
        return mxi_error(MX_ERR_VALUE,
                         "[%s] Global scale must have one entry per expert with shape %s but got "
                         "%s.",
                         op, mxi_shape_str(sw, sizeof sw, w->shape, w->ndim > 2 ? w->ndim - 2 : 0),
                         mxi_shape_str(sg, sizeof sg, global_scale->shape, global_scale->ndim));
    }
    /* Each matrix times its gs / (448 * 6), as dequantize_scaled has it. */
    mx_array *r = NULL, *ri = NULL, *f = NULL, *ff = NULL, *fi = NULL, *fe = NULL, *fc = NULL;
    mx_array *c = NULL;
    int32_t all = -1;
    rc = mx_gather_qmm(&r, x, w, scales, biases, lhs_indices, rhs_indices, transpose, group_size,
                       bits, mode, sorted_indices, s);
    if (!rc) rc = gather_indices(&ri, rhs_indices, w, s);
    if (!rc) rc = mx_array_from_float(&c, 448.0 * 6.0, MX_FLOAT32);
    if (!rc) rc = mx_divide(&f, global_scale, c, s);
    if (!rc) rc = mx_reshape(&ff, f, &all, 1, s);
    if (!rc) rc = mx_take(&fi, ff, ri, s);
    if (!rc) {
        int32_t shape[MXI_MAX_NDIM];
        int nd = fi->ndim;
        if (nd + 2 > MXI_MAX_NDIM) {
            rc = mxi_error(MX_ERR_VALUE, "[%s] too many dimensions", op);
        } else {
            memcpy(shape, fi->shape, (size_t)nd * sizeof *shape);
            shape[nd] = shape[nd + 1] = 1;
            rc = mx_reshape(&fe, fi, shape, nd + 2, s);
        }
    }
    if (!rc) rc = mx_astype(&fc, fe, r->dtype, s);
    if (!rc) rc = mx_multiply(out, r, fc, s);
    mx_array *tmp[] = {r, ri, f, ff, fi, fe, fc, c};
    for (size_t i = 0; i < sizeof tmp / sizeof *tmp; i++) mx_array_free(tmp[i]);
    return rc;
}

int mx_to_fp8(mx_array **out, const mx_array *x, const mx_stream *s) {
    const mx_array *ins[1] = {x};
    int rc = mxi_check_inputs("to_fp8", out, ins, 1);
    if (rc) return rc;
    if (!is_quant_float(x->dtype))
        return mxi_error(MX_ERR_VALUE,
                         "[to_fp8] Only float16, bfloat16 and float32 inputs are supported but "
                         "got %s.",
                         mx_dtype_name(x->dtype));
    mx_array *in[1] = {(mx_array *)x};
    mx_array *r = NULL;
    rc = mxi_make(&r, MX_UINT8, x->shape, x->ndim, MXI_PRIM_TO_FP8, NULL, 0, in, 1, s);
    if (!rc) mxi_set_out(out, r);
    return rc;
}

int mx_from_fp8(mx_array **out, const mx_array *x, mx_dtype dtype, const mx_stream *s) {
    const mx_array *ins[1] = {x};
    int rc = mxi_check_inputs("from_fp8", out, ins, 1);
    if (rc) return rc;
    if (x->dtype != MX_UINT8)
        return mxi_error(MX_ERR_VALUE, "[from_fp8] Input must be uint8 but got %s.",
                         mx_dtype_name(x->dtype));
    if (dtype == MX_DTYPE_NONE) dtype = MX_BFLOAT16;
    if (!is_quant_float(dtype))
        return mxi_error(MX_ERR_VALUE,
                         "[from_fp8] The output dtype must be float16, bfloat16 or float32 but "
                         "%s was requested.",
                         mx_dtype_name(dtype));
    mx_array *in[1] = {(mx_array *)x};
    mx_array *r = NULL;
    rc = mxi_make(&r, dtype, x->shape, x->ndim, MXI_PRIM_FROM_FP8, NULL, 0, in, 1, s);
    if (!rc) mxi_set_out(out, r);
    return rc;
}
