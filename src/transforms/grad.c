/* grad and value_and_grad: reverse mode seeded with ones on a scalar first
 * output, over the inputs named by argnums. */
#include <stdlib.h>
#include <string.h>

#include "cmlx/ops.h"
#include "core/error.h"
#include "transforms_impl.h"

static int check_argnums(int *norm, const int *argnums, int n, int n_inputs) {
    if (n < 1 || !argnums)
        return mxi_error(MX_ERR_VALUE, "[grad] Gradient wrt no argument requested");
    for (int k = 0; k < n; k++) {
        int a = argnums[k] < 0 ? argnums[k] + n_inputs : argnums[k];
        if (a < 0 || a >= n_inputs)
            return mxi_error(MX_ERR_VALUE,
                             "[grad] Can't compute the gradient of argument index %d because the "
                             "function is called with only %d arguments.",
                             argnums[k], n_inputs);
        for (int j = 0; j < k; j++)
            if (norm[j] == a)
                return mxi_error(MX_ERR_VALUE, "[grad] Duplicate argument index %d is not allowed.",
                                 a);
        norm[k] = a;
    }
    return MX_OK;
}

int mx_value_and_grad(mx_vec *values, mx_vec *grads, const mx_closure *f, const mx_vec *inputs,
                      const int *argnums, int n_argnums) {
    if (!values || !grads || !f || !inputs) return mxi_error(MX_ERR_VALUE, "[grad] NULL argument");
    for (int i = 0; i < inputs->size; i++)
        if (!inputs->data[i]) return mxi_error(MX_ERR_VALUE, "[grad] input %d is NULL", i);
    int *norm = malloc(sizeof(int) * (size_t)(n_argnums > 0 ? n_argnums : 1));
    if (!norm) return mxi_error(MX_ERR_MEMORY, "[grad] out of memory");
    int rc = check_argnums(norm, argnums, n_argnums, inputs->size);
    mx_vec primals = {0}, call = {0}, outs = {0}, res = {0};
    for (int k = 0; k < n_argnums && !rc; k++) rc = mx_vec_append(&primals, inputs->data[norm[k]]);
    mxi_trace t = {0};
    if (!rc) rc = mxi_trace_start(&t, &primals, "grad");
    /* The function sees the tracers in place of the differentiated inputs. */
    for (int i = 0; i < inputs->size && !rc; i++) rc = mx_vec_append(&call, inputs->data[i]);
    for (int k = 0; k < n_argnums && !rc; k++) {
        mx_array_free(call.data[norm[k]]);
        call.data[norm[k]] = mx_array_retain(t.tracers.data[k]);
    }
    if (!rc) rc = mx_closure_apply(f, &outs, &call);
    if (!rc && outs.size < 1)
        rc = mxi_error(MX_ERR_VALUE, "[grad] The function must return at least one output.");
    mx_array *seed = NULL;
    if (!rc && outs.data[0]->ndim != 0) {
        char b[MXI_SHAPE_STR_LEN];
        rc = mxi_error(MX_ERR_VALUE,
                       "[grad] The function must return a scalar (a 0-d array) as its first "
                       "output, got shape %s.",
                       mxi_shape_str(b, sizeof b, outs.data[0]->shape, outs.data[0]->ndim));
    }
    if (!rc) rc = mx_ones_like(&seed, outs.data[0], outs.data[0]->dtype, NULL);
    if (!rc) rc = mxi_trace_vjp(&t, outs.data, &seed, 1, &res, "grad");
    mxi_trace_end(&t);
    mx_array_free(seed);
    mx_vec_clear(&primals);
    mx_vec_clear(&call);
    free(norm);
    if (rc) {
        mx_vec_clear(&outs);
        mx_vec_clear(&res);
        return rc;
    }
    mx_vec_clear(values);
    mx_vec_clear(grads);
    *values = outs;
    *grads = res;
    return MX_OK;
}

int mx_grad(mx_vec *grads, const mx_closure *f, const mx_vec *inputs, const int *argnums,
            int n_argnums) {
    mx_vec values = {0};
    int rc = mx_value_and_grad(&values, grads, f, inputs, argnums, n_argnums);
    mx_vec_clear(&values);
    return rc;
}

/* ---- as closures ---- */

typedef struct grad_payload {
    mx_closure *f;
    bool with_values;
    int n_argnums;
    int argnums[];
} grad_payload;

static void grad_payload_free(void *p) {
    grad_payload *g = p;
    mx_closure_free(g->f);
    free(g);
}

static int grad_call(mx_vec *outputs, const mx_vec *inputs, void *payload) {
    grad_payload *g = payload;
    mx_vec values = {0}, grads = {0};
    int rc = mx_value_and_grad(&values, &grads, g->f, inputs, g->argnums, g->n_argnums);
    for (int i = 0; i < values.size && g->with_values && !rc; i++)
        rc = mx_vec_append(outputs, values.data[i]);
    for (int i = 0; i < grads.size && !rc; i++) rc = mx_vec_append(outputs, grads.data[i]);
    mx_vec_clear(&values);
    mx_vec_clear(&grads);
    return rc;
}

static int make_grad_fn(mx_closure **out, const mx_closure *f, const int *argnums, int n,
                        bool with_values) {
    if (!out || !f) return mxi_error(MX_ERR_VALUE, "[grad] NULL argument");
    if (n < 1 || !argnums)
        return mxi_error(MX_ERR_VALUE, "[grad] Gradient wrt no argument requested");
    grad_payload *g = malloc(sizeof *g + (size_t)n * sizeof(int));
    if (!g) return mxi_error(MX_ERR_MEMORY, "[grad] out of memory");
    g->f = mx_closure_retain((mx_closure *)f);
    g->with_values = with_values;
    g->n_argnums = n;
    memcpy(g->argnums, argnums, (size_t)n * sizeof(int));
    int rc = mx_closure_new(out, grad_call, g, grad_payload_free);
    if (rc) grad_payload_free(g);
    return rc;
}

int mx_grad_fn(mx_closure **out, const mx_closure *f, const int *argnums, int n_argnums) {
    return make_grad_fn(out, f, argnums, n_argnums, false);
}

int mx_value_and_grad_fn(mx_closure **out, const mx_closure *f, const int *argnums, int n_argnums) {
    return make_grad_fn(out, f, argnums, n_argnums, true);
}
