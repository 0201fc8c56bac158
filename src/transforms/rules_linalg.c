/* Derivatives of the matrix product. The op has broadcast both operands to
 * full batch shapes, so a @ b has a: (..., M, K), b: (..., K, N). */
#include "rules_util.h"

#include "ops/nodes.h"
#include "primitives/params_linalg.h"

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

/* AddMM: out = alpha * a @ b + beta * c, inputs (a, b, c) with c already
 * broadcast to the output's shape. */
MXI_VJP_RULE(mxi_vjp_addmm) {
    const mxi_addmm_params *p = node->params;
    mx_array *a = primals[0], *b = primals[1], *g = cotangents[0], *t = NULL, *m = NULL;
    int rc = MX_OK;
    for (int k = 0; k < n_argnums; k++) {
        if (argnums[k] == 2) {
            TRY(mxi_rule_scale(&out[k], g, p->beta, S));
            continue;
        }
        if (argnums[k] == 0) {
            TRY(swap_last(&t, b, S));
            TRY(mx_matmul(&m, g, t, S));
        } else {
            TRY(swap_last(&t, a, S));
            TRY(mx_matmul(&m, t, g, S));
        }
        TRY(mxi_rule_scale(&out[k], m, p->alpha, S));
    }
done:
    mx_array_free(t);
    mx_array_free(m);
    return rc;
}

MXI_JVP_RULE(mxi_jvp_addmm) {
    const mxi_addmm_params *p = node->params;
    mx_array *m = NULL, *sc = NULL;
    int rc = MX_OK;
    for (int k = 0; k < n_argnums; k++) {
        if (argnums[k] == 2) {
            TRY(mxi_rule_scale(&sc, tangents[k], p->beta, S));
        } else {
            TRY(argnums[k] == 0 ? mx_matmul(&m, tangents[k], primals[1], S)
                                : mx_matmul(&m, primals[0], tangents[k], S));
            TRY(mxi_rule_scale(&sc, m, p->alpha, S));
        }
        if (out[0])
            TRY(mx_add(&out[0], out[0], sc, S));
        else
            out[0] = mx_array_retain(sc);
    }
done:
    mx_array_free(m);
    mx_array_free(sc);
    return rc;
}

MXI_VMAP_RULE(mxi_vmap_addmm) {
    return mxi_vmap_elementwise(node, inputs, in_axes, outputs, out_axes);
}

/* The transform is linear: its jvp is itself, its vjp the transposed
 * transform with the same scale. */
static int hadamard_apply(mx_array **out, const mxi_node *node, mx_array *x, bool flip) {
    const mxi_hadamard_params *p = node->params;
    return mxi_hadamard(out, x, p->scale, flip ? !p->transposed : p->transposed != 0,
                        &node->stream);
}

MXI_VJP_RULE(mxi_vjp_hadamard) {
    (void)primals, (void)argnums, (void)n_argnums;
    return hadamard_apply(&out[0], node, cotangents[0], true);
}

MXI_JVP_RULE(mxi_jvp_hadamard) {
    (void)primals, (void)argnums, (void)n_argnums;
    return hadamard_apply(&out[0], node, tangents[0], false);
}

/* The mapped axis goes to the front, away from the transformed last axis. */
MXI_VMAP_RULE(mxi_vmap_hadamard) {
    return mxi_vmap_elementwise(node, inputs, in_axes, outputs, out_axes);
}
