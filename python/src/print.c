/*
 * repr/str of an array in MLX's format: "array([1, 2.5], dtype=float32)",
 * numbers as C++ streams print them (6 significant digits, %g), True/False
 * for bool, "1+2j" for complex, rows of matrices aligned under the first, and
 * axes longer than 6 summarised as 3 leading, "...", 3 trailing entries.
 */
#include "cmlx_py.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    char *s;
    size_t len, cap;
    bool failed;
} strbuf;

static void put(strbuf *b, const char *s, size_t n) {
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = PyMem_RawRealloc(b->s, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->s = p, b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void puts_(strbuf *b, const char *s) {
    put(b, s, strlen(s));
}

static void put_g(strbuf *b, double v) {
    char tmp[64];
    int n = snprintf(tmp, sizeof tmp, "%g", v);
    put(b, tmp, (size_t)n);
}

static void put_elem(strbuf *b, mx_dtype t, const char *p) {
    char tmp[64];
    int n = 0;
    switch (t) {
    case MX_BOOL:
        puts_(b, *(const bool *)p ? "True" : "False");
        return;
    case MX_UINT8:
        n = snprintf(tmp, sizeof tmp, "%u", *(const uint8_t *)p);
        break;
    case MX_UINT16:
        n = snprintf(tmp, sizeof tmp, "%u", *(const uint16_t *)p);
        break;
    case MX_UINT32:
        n = snprintf(tmp, sizeof tmp, "%u", *(const uint32_t *)p);
        break;
    case MX_UINT64:
        n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)*(const uint64_t *)p);
        break;
    case MX_INT8:
        n = snprintf(tmp, sizeof tmp, "%d", *(const int8_t *)p);
        break;
    case MX_INT16:
        n = snprintf(tmp, sizeof tmp, "%d", *(const int16_t *)p);
        break;
    case MX_INT32:
        n = snprintf(tmp, sizeof tmp, "%d", *(const int32_t *)p);
        break;
    case MX_INT64:
        n = snprintf(tmp, sizeof tmp, "%lld", (long long)*(const int64_t *)p);
        break;
    case MX_FLOAT16:
        put_g(b, mx_half_to_float(*(const uint16_t *)p));
        return;
    case MX_BFLOAT16:
        put_g(b, mx_bfloat16_to_float(*(const uint16_t *)p));
        return;
    case MX_FLOAT32:
        put_g(b, *(const float *)p);
        return;
    case MX_FLOAT64:
        put_g(b, *(const double *)p);
        return;
    case MX_COMPLEX64: {
        const mx_complex64 *c = (const mx_complex64 *)p;
        put_g(b, c->real);
        if (!(c->imag < 0)) puts_(b, "+");
        put_g(b, c->imag);
        puts_(b, "j");
        return;
    }
    default:
        puts_(b, "?");
        return;
    }
    put(b, tmp, (size_t)n);
}

enum { EDGE = 3 }; /* entries shown at each end of a summarised axis */

static void put_subarray(strbuf *b, mx_array *a, const char *p, int dim) {
    const int32_t n = mx_array_shape(a)[dim];
    mx_dtype t = mx_array_dtype(a);
    const int64_t step = mx_array_strides(a)[dim] * mx_dtype_size(t);
    bool last = dim == mx_array_ndim(a) - 1;
    char prefix[MXP_MAX_NDIM + 8];
    int np = last ? 0 : 7 + dim;
    memset(prefix, ' ', (size_t)np);
    prefix[np] = '\0';
    const char *postfix = last ? ", " : ",\n";
    puts_(b, "[");
    for (int32_t i = 0; i < n; i++, p += step) {
        if (i) puts_(b, prefix);
        if (i == EDGE && n > 2 * EDGE) {
            puts_(b, "...");
            p += step * (n - 2 * EDGE - 1);
            i = n - EDGE - 1;
        } else if (last) {
            put_elem(b, t, p);
        } else {
            put_subarray(b, a, p, dim + 1);
        }
        if (i != n - 1) puts_(b, postfix);
    }
    puts_(b, "]");
}

static PyObject *repr_of(mx_array *a) {
    if (mxp_eval_nogil(a) < 0) return NULL;
    const char *p = mx_array_data(a);
    if (!p && mx_array_size(a)) return mxp_raise(mx_last_error_code());
    strbuf b = {NULL, 0, 0, false};
    PyThreadState *ts = mx_array_size(a) > 4096 ? PyEval_SaveThread() : NULL;
    puts_(&b, "array(");
    if (mx_array_ndim(a) == 0)
        put_elem(&b, mx_array_dtype(a), p);
    else
        put_subarray(&b, a, p, 0);
    puts_(&b, ", dtype=");
    puts_(&b, mx_dtype_name(mx_array_dtype(a)));
    puts_(&b, ")");
    if (ts) PyEval_RestoreThread(ts);
    PyObject *r = b.failed ? PyErr_NoMemory() : PyUnicode_FromStringAndSize(b.s, (Py_ssize_t)b.len);
    PyMem_RawFree(b.s);
    return r;
}

PyObject *mxp_array_repr(PyObject *self) {
    mx_array *a = mx_array_retain(mxp_arr(self)); /* kept while the GIL is released */
    PyObject *r = repr_of(a);
    mx_array_free(a);
    return r;
}
