/* Import checks of function files for kinds with parameters beyond a shape
 * rule (function_checks.c). */
#ifndef MXI_FUNCTION_CHECKS_H
#define MXI_FUNCTION_CHECKS_H

#include "transforms/compile_impl.h"

/* Whether mxi_fn_check_kind knows the rules of kind k. */
bool mxi_fn_checked_kind(mxi_prim_kind k);

/* Checks op (number k of its trace) on stand-ins `in` of its inputs (the
 * input slots' dtypes and shapes) against its output slots `out`, and
 * checks its parameter blob is the one the op's constructor makes.
 * MX_ERR_VALUE naming the op when the parameters do not fit. */
int mxi_fn_check_kind(mxi_cop *op, mx_array *const *in, const mxi_cslot *out, int k);

#endif
