/* Derivatives of the FFT primitive. Every variant is linear, so its jvp is
 * the primitive applied to the tangent. The vjp is the adjoint, with complex
 * cotangents read as d/dRe + i d/dIm (the convention of MLX):
 *   complex: the transform in the other direction, same scale;
 *   real forward (float32 -> half spectrum): the cotangent zero-padded to
 *     the full length of the last axis, the complex inverse transform with
 *     the same scale, its real part;
 *   real inverse (half spectrum -> float32): the real forward transform of
 *     the cotangent with the same scale, entries 1..ceil(n/2)-1 of the last
 *     axis doubled (they stand for two conjugate entries of the full
 *     spectrum; the zero and, for even n, the n/2 frequency do not). */
#include "rules_util.h"

#include <stdlib.h>
#include <string.h>

#include "ops/ops_util.h"
#include "primitives/params_fft.h"

static size_t params_size(const mxi_fft_params *p) {
    return sizeof(mxi_fft_params) + sizeof(int32_t) * (size_t)p->naxes;
}

static mxi_fft_params *params_copy(const mxi_node *node) {
    const mxi_fft_params *p = node->params;
    mxi_fft_params *q = malloc(params_size(p));
    if (q)
        memcpy(q, p, params_size(p));
    else
        mxi_error(MX_ERR_MEMORY, "[fft] out of memory");
    return q;
}

/* The FFT primitive with parameters q on x, output shape `shape`. */
static int fft_make(mx_array **out, const mxi_node *node, const mxi_fft_params *q, mx_array *x,
                    const int32_t *shape, mx_dtype dt) {
    return mxi_make(out, dt, shape, x->ndim, MXI_PRIM_FFT, q, params_size(q), &x, 1, &node->stream);
}

/* Weights 1, 2, ..., 2, 1 (or ..., 2 for odd n) of length n/2 + 1 along
 * axis `axis` of an nd-dimensional array. */
static int half_weights(mx_array **out, int nd, int axis, int32_t n) {
    int32_t m = n / 2 + 1, shape[MXI_MAX_NDIM];
    float *w = malloc(sizeof(float) * (size_t)m);
    if (!w) return mxi_error(MX_ERR_MEMORY, "[fft] out of memory");
    for (int32_t k = 0; k < m; k++) w[k] = (k == 0 || (n % 2 == 0 && k == m - 1)) ? 1.0f : 2.0f;
    for (int d = 0; d < nd; d++) shape[d] = d == axis ? m : 1;
    int rc = mx_array_from_data(out, w, shape, nd, MX_FLOAT32);
    free(w);
    return rc;
}

MXI_VJP_RULE(mxi_vjp_fft) {
    (void)argnums, (void)n_argnums;
    mx_array *x = primals[0], *g = cotangents[0], *t = NULL, *u = NULL, *w = NULL;
    mxi_fft_params *q = params_copy(node);
    if (!q) return MX_ERR_MEMORY;
    int rc = MX_OK, last = q->axes[q->naxes - 1], nd = x->ndim;
    if (!q->real) {
        q->inverse = !q->inverse;
        TRY(fft_make(&out[0], node, q, g, x->shape, MX_COMPLEX64));
    } else if (!q->inverse) {
        int32_t low[MXI_MAX_NDIM] = {0}, high[MXI_MAX_NDIM] = {0};
        high[last] = x->shape[last] - g->shape[last];
        TRY(mx_pad(&t, g, NULL, nd, low, high, NULL, "constant", S));
        q->real = 0;
        q->inverse = 1;
        TRY(fft_make(&u, node, q, t, x->shape, MX_COMPLEX64));
        TRY(mx_real(&out[0], u, S));
    } else {
        q->inverse = 0;
        TRY(fft_make(&t, node, q, g, x->shape, MX_COMPLEX64));
        TRY(half_weights(&w, nd, last, g->shape[last]));
        TRY(mx_multiply(&out[0], t, w, S));
    }
done:
    free(q);
    mx_array_free(t), mx_array_free(u), mx_array_free(w);
    return rc;
}

MXI_JVP_RULE(mxi_jvp_fft) {
    (void)primals, (void)argnums, (void)n_argnums;
    int nd = 0;
    mx_dtype dt;
    mxi_rule_out_shape(node, 0, &nd, &dt);
    return mxi_rule_reapply(&out[0], node, tangents, dt);
}

/* The mapped axis goes to the front; the transformed axes shift by one. */
MXI_VMAP_RULE(mxi_vmap_fft) {
    mxi_fft_params *q = params_copy(node);
    if (!q) return MX_ERR_MEMORY;
    for (int i = 0; i < q->naxes; i++) q->axes[i]++;
    int rc = mxi_vmap_with_params(node, inputs, in_axes, 1, q, params_size(q), outputs, out_axes);
    free(q);
    return rc;
}
