/*
 * Ops. Each builds a node of the lazy graph: it checks its arguments, works
 * out the shape and dtype of the result at once (failing here with a clear
 * error) and runs nothing until the result is evaluated.
 *
 * Conventions: results come through out-pointers placed first; the stream
 * comes last (NULL = the calling thread's default stream of the default
 * device). The result is a new reference the caller releases with
 * mx_array_free; what *out held before is released after the op is built,
 * so `mx_add(&x, x, y, NULL)` is safe. On failure *out is left unchanged.
 * Axes may be negative (counted from the end).
 */
#ifndef CMLX_OPS_H
#define CMLX_OPS_H

#include "ops_creation.h"
#include "ops_unary.h"
#include "ops_binary.h"
#include "ops_shape.h"
#include "ops_reduce.h"
#include "ops_scan.h"
#include "ops_linalg.h"
#include "ops_sort.h"
#include "ops_index.h"
#include "ops_random.h"
#include "ops_quantized.h"
#include "ops_conv.h"

#endif
