/* Derivatives of QuantizedMatmul with respect to x, as MLX: the cotangent
 * goes back through the product with the same quantized matrix, its
 * transpose flag flipped; the tangent goes through the product itself.
 * The op has broadcast x to the output's batch axes and cast it, w, the
 * scales and biases to the product's dtype, so the node's inputs serve as
 * they are. There is no derivative with respect to the packed weights (MLX
 * errors alike); the scales and biases have none here yet. */
#include "rules_util.h"

#include "primitives/params_quantized.h"

static int no_rule(bool vjp, int arg) {
    if (arg == 1 && vjp)
        return mxi_error(MX_ERR_VALUE,
                         "[QuantizedMatmul::vjp] no gradient wrt the quantized weights.");
    if (arg == 1)
        return mxi_error(MX_ERR_VALUE,
                         "[QuantizedMatmul::jvp] No JVP wrt the quantized matrix yet.");
    return mxi_error(MX_ERR_VALUE,
                     "[QuantizedMatmul::%s] no derivative wrt the scales or biases yet",
                     vjp ? "vjp" : "jvp");
}

MXI_VJP_RULE(mxi_vjp_quantized) {
    mx_array *x = primals[0];
    mxi_quant_params p = *(const mxi_quant_params *)node->params;
    p.transpose = !p.transpose;
    for (int k = 0; k < n_argnums; k++) {
        if (argnums[k] != 0) return no_rule(true, argnums[k]);
        mx_array *in[4] = {cotangents[0], primals[1], primals[2],
                           node->n_inputs > 3 ? primals[3] : NULL};
        int rc = mxi_make(&out[k], x->dtype, x->shape, x->ndim, node->kind, &p, sizeof p, in,
                          node->n_inputs, S);
        if (rc) return rc;
    }
    return MX_OK;
}

MXI_JVP_RULE(mxi_jvp_quantized) {
    for (int k = 0; k < n_argnums; k++)
        if (argnums[k] != 0) return no_rule(false, argnums[k]);
    mx_array *in[4] = {tangents[0], primals[1], primals[2], node->n_inputs > 3 ? primals[3] : NULL};
    int nd = 0;
    mx_dtype dt;
    mxi_rule_out_shape(node, 0, &nd, &dt);
    return mxi_rule_reapply(&out[0], node, in, dt);
}
