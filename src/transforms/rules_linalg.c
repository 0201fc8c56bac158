/* Derivatives of the matrix product. The op has broadcast both operands to
 * full batch shapes, so a @ b has a: (..., M, K), b: (..., K, N). */
#include "rules_util.h"

static int swap_last(mx_array **out, const mx_array *a, const mx_stream *s) {
    return mx_swapaxes(out, a, -1, -2, s);
}

MXI_VJP_RULE(mxi_vjp_matmul) {
    mx_array *a = primals[0], *b = primals[1], *g = cotangents[0], *t = NULL, *p = NULL;
    int rc = MX_OK;
    for (int k = 0; k < n_argnums; k++) {
        if (argnums[k] == 0) {
            TRY(swap_last(&t, b, S));
            TRY(mx_matmul(&p, g, t, S));
        } else {
            TRY(swap_last(&t, a, S));
            TRY(mx_matmul(&p, t, g, S));
        }
        TRY(mxi_rule_unbroadcast(&out[k], p, primals[argnums[k]], S));
    }
done:
    mx_array_free(t);
    mx_array_free(p);
    return rc;
}

MXI_JVP_RULE(mxi_jvp_matmul) {
    mx_array *p = NULL;
    int rc = MX_OK;
    for (int k = 0; k < n_argnums; k++) {
        TRY(argnums[k] == 0 ? mx_matmul(&p, tangents[k], primals[1], S)
                            : mx_matmul(&p, primals[0], tangents[k], S));
        if (out[0])
            TRY(mx_add(&out[0], out[0], p, S));
        else
            out[0] = mx_array_retain(p);
    }
done:
    mx_array_free(p);
    return rc;
}

/* Both operands get the batch as their first batch axis. */
MXI_VMAP_RULE(mxi_vmap_matmul) {
    return mxi_vmap_elementwise(node, inputs, in_axes, outputs, out_axes);
}
