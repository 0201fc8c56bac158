/*
 * mlx.core.fast ops: argument checks in MLX's order and wording, dtype
 * promotion and casts, then one fused node (float16, bfloat16, float32), or
 * MLX's op-by-op composition (float64, and for the transforms).
 */
#include "fast.h"

#include <math.h>
#include <string.h>

#include "cmlx/dtype_info.h"
#include "nodes.h"
#include "ops_util.h"

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        rc = (expr);                                                                               \
        if (rc != MX_OK) goto done;                                                                \
    } while (0)

static void free_all(mx_array **a, int n) {
    for (int i = 0; i < n; i++) mx_array_free(a[i]);
}

static int scalar_f(mx_array **out, double v, mx_dtype dt) {
    return mx_array_from_float(out, v, dt);
}

/* ---- compositions ---- */

/* x * rsqrt(mean(x^2) + eps) (rms) or (x - mean) * rsqrt(var + eps) in
 * float32 (float64 for float64 inputs), cast to the output dtype, then
 * weight and bias in it. */
static int norm_composed(mx_array **out, mx_array *const *in, const mxi_norm_params *p, bool rms,
                         const mx_stream *s) {
    mx_dtype t = in[0]->dtype, ct = t == MX_FLOAT64 ? MX_FLOAT64 : MX_FLOAT32;
    mx_array *x = NULL, *c = NULL, *m = NULL, *e = NULL, *tmp = NULL;
    int rc;
    TRY(mx_astype(&x, in[0], ct, s));
    if (rms) {
        c = mx_array_retain(x);
    } else {
        TRY(mx_mean_axis(&m, x, -1, true, s));
        TRY(mx_subtract(&c, x, m, s));
    }
    TRY(mx_square(&tmp, c, s));
    TRY(mx_mean_axis(&m, tmp, -1, true, s));
    TRY(scalar_f(&e, p->eps, ct));
    TRY(mx_add(&m, m, e, s));
    TRY(mx_rsqrt(&m, m, s));
    TRY(mx_multiply(&tmp, c, m, s));
    TRY(mx_astype(&tmp, tmp, t, s));
    int i = 1;
    if (p->has_weight) TRY(mx_multiply(&tmp, tmp, in[i++], s));
    if (p->has_bias) TRY(mx_add(&tmp, tmp, in[i++], s));
    mxi_set_out(out, tmp);
    tmp = NULL;
done:;
    mx_array *all[] = {x, c, m, e, tmp};
    free_all(all, 5);
    return rc;
}

int mxi_fast_rms_norm_composed(mx_array **out, mx_array *const *inputs, const mxi_norm_params *p,
                               const mx_stream *s) {
    return norm_composed(out, inputs, p, true, s);
}

int mxi_fast_layer_norm_composed(mx_array **out, mx_array *const *inputs, const mxi_norm_params *p,
                                 const mx_stream *s) {
    return norm_composed(out, inputs, p, false, s);
}

/* Slices x[..., start:stop:step] along the last axis of a 4-d array. */
static int slice_last(mx_array **out, const mx_array *x, int start, int stop, int step,
                      const mx_stream *s) {
    int32_t b[4] = {0, 0, 0, start}, e[4], st[4] = {1, 1, 1, step};
    memcpy(e, x->shape, sizeof e);
    e[3] = stop;
    return mx_slice(out, x, b, e, st, 4, s);
}

int mxi_fast_rope_composed(mx_array **out, mx_array *const *inputs, const mxi_rope_params *p,
                           const mx_stream *s) {
    const mx_array *x0 = inputs[0];
    mx_dtype t = x0->dtype;
    int half = p->dims / 2, nd = x0->ndim;
    mx_array *x = NULL, *pos = NULL, *off = NULL, *inv = NULL, *th = NULL, *cs = NULL, *sn = NULL;
    mx_array *x1 = NULL, *x2 = NULL, *a = NULL, *b = NULL, *o1 = NULL, *o2 = NULL, *r = NULL;
    mx_array *rest = NULL, *tmp = NULL;
    int rc;
    if (nd == 3)
        TRY(mx_expand_dims(&x, x0, 1, s));
    else if (nd > 4)
        TRY(mx_flatten(&x, x0, 1, nd - 3, s));
    else
        x = mx_array_retain((mx_array *)x0);
    int32_t T = x->shape[2], D = x->shape[3];

    /* positions (arange(T) + offset) * scale, per batch entry when the
     * offset is a vector */
    TRY(mx_arange(&pos, 0, T, 1, MX_FLOAT32, s));
    off = mx_array_retain(inputs[1]);
    if (mx_array_size(off) > 1) {
        int ax[2] = {-1, -2};
        TRY(mx_expand_dims_axes(&off, off, ax, 2, s));
    }
    TRY(mx_add(&pos, pos, off, s));
    TRY(scalar_f(&tmp, p->scale, MX_FLOAT32));
    TRY(mx_multiply(&pos, pos, tmp, s));
    if (p->has_freqs) {
        TRY(mx_reciprocal(&inv, inputs[2], s));
    } else {
        TRY(mx_arange(&inv, 0, -half, -1, MX_FLOAT32, s));
        TRY(scalar_f(&tmp, logf(p->base) / (float)half, MX_FLOAT32));
        TRY(mx_multiply(&inv, inv, tmp, s));
        TRY(mx_exp(&inv, inv, s));
    }
    TRY(mx_expand_dims(&th, pos, -1, s));
    TRY(mx_multiply(&th, th, inv, s));
    TRY(mx_cos(&cs, th, s));
    TRY(mx_astype(&cs, cs, t, s));
    TRY(mx_sin(&sn, th, s));
    TRY(mx_astype(&sn, sn, t, s));

    if (p->traditional) {
        TRY(slice_last(&x1, x, 0, p->dims, 2, s));
        TRY(slice_last(&x2, x, 1, p->dims, 2, s));
    } else {
        TRY(slice_last(&x1, x, 0, half, 1, s));
        TRY(slice_last(&x2, x, half, p->dims, 1, s));
    }
    /* forward: (x1 c - x2 s, x1 s + x2 c); backward: (x2 s + x1 c, x2 c - x1 s) */
    if (p->forward) {
        TRY(mx_multiply(&a, x1, cs, s));
        TRY(mx_multiply(&b, x2, sn, s));
        TRY(mx_subtract(&o1, a, b, s));
        TRY(mx_multiply(&a, x1, sn, s));
        TRY(mx_multiply(&b, x2, cs, s));
        TRY(mx_add(&o2, a, b, s));
    } else {
        TRY(mx_multiply(&a, x2, sn, s));
        TRY(mx_multiply(&b, x1, cs, s));
        TRY(mx_add(&o1, a, b, s));
        TRY(mx_multiply(&a, x2, cs, s));
        TRY(mx_multiply(&b, x1, sn, s));
        TRY(mx_subtract(&o2, a, b, s));
    }
    if (p->dims < D) TRY(slice_last(&rest, x, p->dims, D, 1, s));
    if (p->traditional) {
        TRY(mx_expand_dims(&o1, o1, -1, s));
        TRY(mx_expand_dims(&o2, o2, -1, s));
        mx_array *pair[2] = {o1, o2};
        TRY(mx_concatenate(&r, (const mx_array *const *)pair, 2, -1, s));
        int32_t sh[4] = {x->shape[0], x->shape[1], T, p->dims};
        TRY(mx_reshape(&r, r, sh, 4, s));
        if (rest) {
            mx_array *parts[2] = {r, rest};
            TRY(mx_concatenate(&r, (const mx_array *const *)parts, 2, -1, s));
        }
    } else {
        mx_array *parts[3] = {o1, o2, rest};
        TRY(mx_concatenate(&r, (const mx_array *const *)parts, rest ? 3 : 2, -1, s));
    }
    TRY(mx_reshape(&r, r, x0->shape, nd, s));
    mxi_set_out(out, r);
    r = NULL;
done:;
    mx_array *all[] = {x, pos, off, inv, th, cs, sn, x1, x2, a, b, o1, o2, r, rest, tmp};
    free_all(all, (int)(sizeof all / sizeof *all));
    return rc;
}

int mxi_fast_sdpa_composed(mx_array **out, mx_array *const *inputs, const mxi_sdpa_params *p,
                           const mx_stream *s) {
    const mx_array *q0 = inputs[0];
    mx_dtype t = q0->dtype;
    int32_t nq = q0->shape[1], nkv = inputs[1]->shape[1], rep = nq / nkv;
    mx_array *q = NULL, *k = NULL, *v = NULL, *sc = NULL, *m = NULL, *tmp = NULL, *snk = NULL;
    mx_array *qi = NULL, *ki = NULL;
    int rc;
    TRY(scalar_f(&tmp, p->scale, t));
    TRY(mx_multiply(&q, tmp, q0, s));
    k = mx_array_retain(inputs[1]);
    v = mx_array_retain(inputs[2]);
    if (rep > 1) {
        int32_t hs[2] = {nkv, rep};
        TRY(mx_unflatten(&q, q, 1, hs, 2, s));
        TRY(mx_expand_dims(&k, k, 2, s));
        TRY(mx_expand_dims(&v, v, 2, s));
    }
    int nd = q->ndim;
    TRY(mx_swapaxes(&tmp, k, -1, -2, s));
    TRY(mx_matmul(&sc, q, tmp, s));
    int next = 3;
    if (p->mask != MXI_SDPA_MASK_NONE) {
        if (p->mask == MXI_SDPA_MASK_CAUSAL) {
            int32_t kl = k->shape[nd - 2], ql = q->shape[nd - 2];
            TRY(mx_arange(&qi, kl - ql, kl, 1, MX_INT32, s));
            TRY(mx_arange(&ki, 0, kl, 1, MX_INT32, s));
            TRY(mx_expand_dims(&qi, qi, 1, s));
            TRY(mx_expand_dims(&ki, ki, 0, s));
            TRY(mx_greater_equal(&m, qi, ki, s));
        } else {
            m = mx_array_retain(inputs[next++]);
            if (rep > 1 && m->ndim >= 3) {
                if (m->shape[m->ndim - 3] == 1) {
                    TRY(mx_expand_dims(&m, m, -3, s));
                } else {
                    int32_t hs[2] = {nkv, rep};
                    TRY(mx_unflatten(&m, m, -3, hs, 2, s));
                }
            }
        }
        if (m->dtype == MX_BOOL) {
            mx_finfo fi;
            TRY(mx_finfo_get(&fi, sc->dtype));
            TRY(scalar_f(&tmp, fi.min, sc->dtype));
            TRY(mx_where(&sc, m, sc, tmp, s));
        } else {
            TRY(mx_add(&sc, sc, m, s));
        }
    }
    if (p->has_sinks) {
        int ax[3] = {0, 2, 3};
        TRY(mx_expand_dims_axes(&snk, inputs[next], ax, 3, s));
        if (sc->ndim == 5) {
            int32_t hs[2] = {nkv, rep};
            TRY(mx_unflatten(&snk, snk, 1, hs, 2, s));
        }
        int32_t bs[5];
        memcpy(bs, sc->shape, (size_t)sc->ndim * sizeof(int32_t));
        bs[sc->ndim - 1] = 1;
        TRY(mx_broadcast_to(&snk, snk, bs, sc->ndim, s));
        mx_array *parts[2] = {snk, sc};
        TRY(mx_concatenate(&sc, (const mx_array *const *)parts, 2, -1, s));
    }
    TRY(mx_softmax_axis(&sc, sc, -1, true, s));
    if (p->has_sinks) {
        int32_t b[5] = {0}, e[5], st[5] = {1, 1, 1, 1, 1};
        memcpy(e, sc->shape, (size_t)sc->ndim * sizeof(int32_t));
        b[sc->ndim - 1] = 1;
        TRY(mx_slice(&sc, sc, b, e, st, sc->ndim, s));
    }
    TRY(mx_matmul(&tmp, sc, v, s));
    if (rep > 1) TRY(mx_flatten(&tmp, tmp, 1, 2, s));
    mxi_set_out(out, tmp);
    tmp = NULL;
done:;
    mx_array *all[] = {q, k, v, sc, m, tmp, snk, qi, ki};
    free_all(all, (int)(sizeof all / sizeof *all));
    return rc;
}

int mxi_fast_composed(mx_array **out, mxi_prim_kind kind, const void *params,
                      mx_array *const *inputs, const mx_stream *s) {
    switch (kind) {
    case MXI_PRIM_RMS_NORM:
        return mxi_fast_rms_norm_composed(out, inputs, params, s);
    case MXI_PRIM_LAYER_NORM:
        return mxi_fast_layer_norm_composed(out, inputs, params, s);
    case MXI_PRIM_ROPE:
        return mxi_fast_rope_composed(out, inputs, params, s);
    case MXI_PRIM_SDPA:
        return mxi_fast_sdpa_composed(out, inputs, params, s);
    default:
        return mxi_error(MX_ERR_VALUE, "[fast] primitive %d has no composition", (int)kind);
    }
}

/* ---- the ops ---- */

static bool fused_dtype(mx_dtype t) {
    return t == MX_FLOAT16 || t == MX_BFLOAT16 || t == MX_FLOAT32;
}

/* Checks a 1-d weight or bias of n entries. */
static int check_affine(const char *op, const char *what, const mx_array *w, int32_t n) {
    if (w->ndim != 1)
        return mxi_error(MX_ERR_VALUE, "[%s] %s must have 1 dimension but has %d dimensions.", op,
                         what, w->ndim);
    if (w->shape[0] != n)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] %s must have the same size as the last dimension of x (%d) but "
                         "has %d elements.",
                         op, what, (int)n, (int)w->shape[0]);
    return MX_OK;
}

/* Shared by rms_norm and layer_norm: checks, casts, then fused or composed. */
static int norm_op(const char *op, bool rms, mx_array **out, const mx_array *x,
                   const mx_array *weight, const mx_array *bias, float eps, const mx_stream *s) {
    int rc = mxi_check_inputs(op, out, &x, 1);
    if (rc) return rc;
    if (x->ndim == 0)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] Input must have at least 1 dimension but got input with 0 "
                         "dimensions.",
                         op);
    int32_t n = x->shape[x->ndim - 1];
    if (weight && (rc = check_affine(op, "weight", weight, n))) return rc;
    if (bias && (rc = check_affine(op, "bias", bias, n))) return rc;
    mx_dtype t = x->dtype;
    if (weight) {
        t = mx_promote_types(t, weight->dtype);
        if (bias) t = mx_promote_types(t, bias->dtype);
    }
    if (!mx_dtype_is_floating(t))
        return mxi_error(MX_ERR_VALUE, "[%s] Received unsupported type %s.", op, mx_dtype_name(t));
    mx_array *in[3] = {NULL, NULL, NULL};
    int n_in = 1;
    mxi_norm_params p = {eps, weight != NULL, bias != NULL};
    TRY(mxi_astype_if(&in[0], x, t, s));
    if (weight) TRY(mxi_astype_if(&in[n_in++], weight, t, s));
    if (bias) TRY(mxi_astype_if(&in[n_in++], bias, t, s));
    if (!fused_dtype(t))
        rc = norm_composed(out, in, &p, rms, s);
    else
        rc = mxi_make(out, t, x->shape, x->ndim, rms ? MXI_PRIM_RMS_NORM : MXI_PRIM_LAYER_NORM, &p,
                      sizeof p, in, n_in, s);
done:
    free_all(in, 3);
    return rc;
}

int mx_fast_rms_norm(mx_array **out, const mx_array *x, const mx_array *weight, float eps,
                     const mx_stream *s) {
    return norm_op("rms_norm", true, out, x, weight, NULL, eps, s);
}

int mx_fast_layer_norm(mx_array **out, const mx_array *x, const mx_array *weight,
                       const mx_array *bias, float eps, const mx_stream *s) {
    return norm_op("layer_norm", false, out, x, weight, bias, eps, s);
}

int mx_fast_rope_dynamic(mx_array **out, const mx_array *x, int dims, bool traditional,
                         const float *base, float scale, const mx_array *offset,
                         const mx_array *freqs, const mx_stream *s) {
    return mxi_fast_rope_dir(out, x, dims, traditional, base, scale, offset, freqs, true, s);
}

int mxi_fast_rope_dir(mx_array **out, const mx_array *x, int dims, bool traditional,
                      const float *base, float scale, const mx_array *offset, const mx_array *freqs,
                      bool forward, const mx_stream *s) {
    const mx_array *req[2] = {x, offset};
    int rc = mxi_check_inputs("rope", out, req, 2);
    if (rc) return rc;
    if (freqs && base)
        return mxi_error(MX_ERR_VALUE, "[rope] Only one of base or freqs can have a value.");
    if (!freqs && !base)
        return mxi_error(MX_ERR_VALUE, "[rope] Neither base nor freqs has a value.");
    char sb[MXI_SHAPE_STR_LEN];
    if (x->ndim < 3)
        return mxi_error(MX_ERR_VALUE,
                         "[rope] Input must have at least 3 dimensions but got input with %d "
                         "dimensions.",
                         x->ndim);
    if (!mx_dtype_is_floating(x->dtype))
        return mxi_error(MX_ERR_VALUE, "[rope] Input must be a floating type but got %s.",
                         mx_dtype_name(x->dtype));
    if (offset->ndim > 1)
        return mxi_error(MX_ERR_VALUE,
                         "[rope] offset must have at most one dimension but has shape %s.",
                         mxi_shape_str(sb, sizeof sb, offset->shape, offset->ndim));
    if (offset->size != 1 && offset->size != x->shape[0])
        return mxi_error(MX_ERR_VALUE,
                         "[rope] offset must be a scalar or vector with %d elements but has "
                         "shape %s.",
                         (int)x->shape[0],
                         mxi_shape_str(sb, sizeof sb, offset->shape, offset->ndim));
    if (!mx_dtype_is_integer(offset->dtype))
        return mxi_error(MX_ERR_VALUE, "[rope] offset must be an integer but got type %s.",
                         mx_dtype_name(offset->dtype));
    int32_t D = x->shape[x->ndim - 1];
    if (dims <= 0) return mxi_error(MX_ERR_VALUE, "[rope] dims must be positive but got %d.", dims);
    if (dims % 2 != 0) return mxi_error(MX_ERR_VALUE, "[rope] dims must be even but got %d.", dims);
    if (dims > D)
        return mxi_error(MX_ERR_VALUE,
                         "[rope] dims must not exceed the input's last dimension (%d) but got %d.",
                         (int)D, dims);
    if (freqs && (freqs->ndim != 1 || freqs->shape[0] != dims / 2))
        return mxi_error(MX_ERR_VALUE,
                         "[rope] freqs must be one dimensional with size %d but got shape %s.",
                         dims / 2, mxi_shape_str(sb, sizeof sb, freqs->shape, freqs->ndim));
    mxi_rope_params p = {dims, traditional, forward, freqs != NULL, base ? *base : 1.0f, scale};
    mx_array *in[3] = {mx_array_retain((mx_array *)x), NULL, NULL};
    TRY(mxi_astype_if(&in[1], offset, MX_INT32, s));
    if (freqs) TRY(mxi_astype_if(&in[2], freqs, MX_FLOAT32, s));
    if (!fused_dtype(x->dtype))
        rc = mxi_fast_rope_composed(out, in, &p, s);
    else
        rc = mxi_make(out, x->dtype, x->shape, x->ndim, MXI_PRIM_ROPE, &p, sizeof p, in,
                      freqs ? 3 : 2, s);
done:
    free_all(in, 3);
    return rc;
}

int mx_fast_rope(mx_array **out, const mx_array *x, int dims, bool traditional, const float *base,
                 float scale, int offset, const mx_array *freqs, const mx_stream *s) {
    mx_array *off = NULL;
    int rc = mx_array_from_int(&off, offset, MX_INT32);
    if (!rc) rc = mx_fast_rope_dynamic(out, x, dims, traditional, base, scale, off, freqs, s);
    mx_array_free(off);
    return rc;
}

#define SDPA "[scaled_dot_product_attention]"

int mx_fast_scaled_dot_product_attention(mx_array **out, const mx_array *q, const mx_array *k,
                                         const mx_array *v, float scale, const char *mask_mode,
                                         const mx_array *mask, const mx_array *sinks,
                                         const mx_stream *s) {
    const mx_array *req[3] = {q, k, v};
    int rc = mxi_check_inputs("scaled_dot_product_attention", out, req, 3);
    if (rc) return rc;
    char sa[MXI_SHAPE_STR_LEN], sb[MXI_SHAPE_STR_LEN];
    for (int i = 0; i < 3; i++)
        if (req[i]->ndim != 4)
            return mxi_error(MX_ERR_VALUE, SDPA " input with shape %s expected to be rank 4",
                             mxi_shape_str(sa, sizeof sa, req[i]->shape, req[i]->ndim));
    if (!mask_mode) mask_mode = "";
    bool causal = strcmp(mask_mode, "causal") == 0;
    if (!causal && strcmp(mask_mode, "") != 0 && strcmp(mask_mode, "array") != 0)
        return mxi_error(MX_ERR_VALUE,
                         SDPA " invalid mask option '%s'. Must be 'causal', or an array.",
                         mask_mode);
    if (causal && mask)
        return mxi_error(MX_ERR_VALUE,
                         SDPA " a mask array was given with mask mode 'causal'; pass one or the "
                              "other.");
    if (strcmp(mask_mode, "array") == 0 && !mask)
        return mxi_error(MX_ERR_VALUE, SDPA " mask mode 'array' needs a mask array.");
    if (mask && mask->ndim > 4)
        return mxi_error(MX_ERR_VALUE,
                         SDPA " the mask with shape %s expected to have at most "
                              "rank 4.",
                         mxi_shape_str(sa, sizeof sa, mask->shape, mask->ndim));
    for (int i = 1; i < 3; i++)
        if (req[i]->shape[0] != q->shape[0])
            return mxi_error(MX_ERR_VALUE,
                             SDPA " mismatching batch dimension for input with shape %s.",
                             mxi_shape_str(sa, sizeof sa, req[i]->shape, 4));
    if (q->shape[3] != k->shape[3])
        return mxi_error(MX_ERR_VALUE,
                         SDPA " query, keys expected to have matching last dimension; found "
                              "query shape %s for keys shape %s.",
                         mxi_shape_str(sa, sizeof sa, q->shape, 4),
                         mxi_shape_str(sb, sizeof sb, k->shape, 4));
    int32_t nq = q->shape[1], nkv = k->shape[1];
    if (nkv != v->shape[1])
        return mxi_error(MX_ERR_VALUE,
                         SDPA " keys, values expected to have matching n_kv_heads; found keys "
                              "with n_heads %d for values with n_heads %d.",
                         (int)nkv, (int)v->shape[1]);
    if (nkv == 0 || nq % nkv != 0)
        return mxi_error(MX_ERR_VALUE,
                         SDPA " n_heads must be a multiple of n_kv_heads, found n_heads %d for "
                              "n_kv_heads %d.",
                         (int)nq, (int)nkv);
    if (k->shape[2] != v->shape[2])
        return mxi_error(MX_ERR_VALUE,
                         SDPA " keys, values expected to have the same sequence length; found "
                              "keys shape %s for values shape %s.",
                         mxi_shape_str(sa, sizeof sa, k->shape, 4),
                         mxi_shape_str(sb, sizeof sb, v->shape, 4));
    mx_dtype t = mx_promote_types(mx_promote_types(q->dtype, k->dtype), v->dtype);
    if (!mx_dtype_is_floating(t))
        return mxi_error(MX_ERR_VALUE, SDPA " Received unsupported type %s.", mx_dtype_name(t));
    int32_t mshape[4] = {q->shape[0], nq, q->shape[2], k->shape[2]};
    mxi_sdpa_params p = {scale, causal ? MXI_SDPA_MASK_CAUSAL : MXI_SDPA_MASK_NONE, sinks != NULL};
    if (mask) {
        if (mx_promote_types(mask->dtype, t) != t)
            return mxi_error(MX_ERR_VALUE, SDPA " Mask type must promote to output type %s.",
                             mx_dtype_name(t));
        for (int i = 0; i < mask->ndim; i++) {
            int32_t d = mask->shape[mask->ndim - 1 - i];
            if (d != 1 && d != mshape[3 - i])
                return mxi_error(MX_ERR_VALUE,
                                 SDPA " the mask with shape %s cannot be broadcast to the "
                                      "scores' shape %s.",
                                 mxi_shape_str(sa, sizeof sa, mask->shape, mask->ndim),
                                 mxi_shape_str(sb, sizeof sb, mshape, 4));
        }
        p.mask = mask->dtype == MX_BOOL ? MXI_SDPA_MASK_BOOL : MXI_SDPA_MASK_ADDITIVE;
    }
    if (sinks) {
        if (mx_promote_types(sinks->dtype, t) != t)
            return mxi_error(MX_ERR_VALUE, SDPA " Type of sinks must promote to output type %s.",
                             mx_dtype_name(t));
        if (sinks->ndim != 1 || sinks->shape[0] != nq)
            return mxi_error(MX_ERR_VALUE, SDPA " Received invalid shape for sinks %s.",
                             mxi_shape_str(sa, sizeof sa, sinks->shape, sinks->ndim));
    }
    mx_array *in[5] = {NULL};
    int n_in = 3;
    TRY(mxi_astype_if(&in[0], q, t, s));
    TRY(mxi_astype_if(&in[1], k, t, s));
    TRY(mxi_astype_if(&in[2], v, t, s));
    if (mask) {
        mx_array *mc = NULL;
        TRY(mxi_astype_if(&mc, mask, mask->dtype == MX_BOOL ? MX_BOOL : t, s));
        rc = mxi_broadcast_if(&in[n_in++], mc, mshape, 4, s);
        mx_array_free(mc);
        if (rc) goto done;
    }
    if (sinks) TRY(mxi_astype_if(&in[n_in++], sinks, t, s));
    int32_t oshape[4] = {q->shape[0], nq, q->shape[2], v->shape[3]};
    if (!fused_dtype(t))
        rc = mxi_fast_sdpa_composed(out, in, &p, s);
    else
        rc = mxi_make(out, t, oshape, 4, MXI_PRIM_SDPA, &p, sizeof p, in, n_in, s);
done:
    free_all(in, 5);
    return rc;
}
