/*
 * The Walsh-Hadamard transform along the last axis. A row of n = m * 2^k
 * elements is an (m, 2^k) matrix: the fast butterflies run along its rows,
 * then the m x m base matrix mixes its columns (the transform is the
 * Kronecker product H_m (x) H_{2^k}, the order MLX uses). Rows are copied
 * into the output in float32 (float64 for float64), transformed in place
 * and rounded once.
 */
#include <string.h>

#include "copy.h"
#include "strided.h"

#include "core/allocator.h"
#include "core/array_impl.h"
#include "core/error.h"
#include "core/threadpool.h"
#include "primitives/params_linalg.h"

/* Base matrices: row j lists the signs with which the inputs enter output
 * j. They are the Paley-type matrices MLX uses, so results match bit for
 * bit in exact arithmetic. */
static const char *const h12[12] = {
    "+-++++++++++", "--+-+-+-+-+-", "+++-++----++", "+---+--+-++-", "+++++-++----", "+-+---+--+-+",
    "++--+++-++--", "+--++---+--+", "++----+++-++", "+--+-++---+-", "++++----+++-", "+-+--+-++---",
};
static const char *const h20[20] = {
    "+----+----++--++-++-", "-+----+---+++---+-++", "--+----+---+++-+-+-+", "---+----+---+++++-+-",
    "----+----++--++-++-+", "-+++++-----+--+++--+", "+-+++-+---+-+--+++--", "++-++--+---+-+--+++-",
    "+++-+---+---+-+--+++", "++++-----++--+-+--++", "--++-+-++-+-----++++", "---++-+-++-+---+-+++",
    "+---++-+-+--+--++-++", "++---++-+----+-+++-+", "-++---++-+----+++++-", "-+--+--++-+----+----",
    "+-+-----++-+----+---", "-+-+-+---+--+----+--", "--+-+++------+----+-", "+--+--++------+----+",
};
static const char *const h28[28] = {
    "+------++----++-+--+-+--++--", "-+-----+++-----+-+--+-+--++-", "--+-----+++---+-+-+----+--++",
    "---+-----+++---+-+-+-+--+--+", "----+-----+++---+-+-+++--+--", "-----+-----++++--+-+--++--+-",
    "------++----++-+--+-+--++--+", "--++++-+-------++--+++-+--+-", "---++++-+-----+-++--+-+-+--+",
    "+---+++--+----++-++--+-+-+--", "++---++---+----++-++--+-+-+-", "+++---+----+----++-++--+-+-+",
    "++++--------+-+--++-++--+-+-", "-++++--------+++--++--+--+-+", "-+-++-++--++--+--------++++-",
    "+-+-++--+--++--+--------++++", "-+-+-++--+--++--+----+---+++", "+-+-+-++--+--+---+---++---++",
    "++-+-+-++--+------+--+++---+", "-++-+-+-++--+------+-++++---", "+-++-+---++--+------+-++++--",
    "-++--++-+-++-+++----++------", "+-++--++-+-++-+++-----+-----", "++-++---+-+-++-+++-----+----",
    "-++-++-+-+-+-+--+++-----+---", "--++-++++-+-+----+++-----+--", "+--++-+-++-+-+----+++-----+-",
    "++--++-+-++-+-+----++------+",
};

static const char *const *base_matrix(int64_t m) {
    return m == 12 ? h12 : m == 20 ? h20 : m == 28 ? h28 : NULL;
}

#define HADAMARD_ROW(NAME, T)                                                                      \
    static void NAME(T *restrict x, T *restrict tmp, int64_t m, int64_t p, T scale, bool tr) {     \
        for (int64_t r = 0; r < m; r++) {                                                          \
            T *row = x + r * p;                                                                    \
            for (int64_t h = 1; h < p; h *= 2)                                                     \
                for (int64_t i = 0; i < p; i += 2 * h)                                             \
                    for (int64_t j = i; j < i + h; j++) {                                          \
                        T u = row[j], v = row[j + h];                                              \
                        row[j] = u + v;                                                            \
                        row[j + h] = u - v;                                                        \
                    }                                                                              \
        }                                                                                          \
        const char *const *hm = base_matrix(m);                                                    \
        if (hm) {                                                                                  \
            for (int64_t c = 0; c < m; c++) {                                                      \
                T *o = tmp + c * p;                                                                \
                for (int64_t j = 0; j < p; j++) o[j] = 0;                                          \
                for (int64_t r = 0; r < m; r++) {                                                  \
                    const T *in = x + r * p;                                                       \
                    if ((tr ? hm[r][c] : hm[c][r]) == '+')                                         \
                        for (int64_t j = 0; j < p; j++) o[j] += in[j];                             \
                    else                                                                           \
                        for (int64_t j = 0; j < p; j++) o[j] -= in[j];                             \
                }                                                                                  \
            }                                                                                      \
            memcpy(x, tmp, (size_t)(m * p) * sizeof(T));                                           \
        }                                                                                          \
        for (int64_t i = 0; i < m * p; i++) x[i] *= scale;                                         \
    }
HADAMARD_ROW(hadamard_row_f32, float)
HADAMARD_ROW(hadamard_row_f64, double)

typedef struct hadamard_job {
    char *out;       /* rows of n elements of the output dtype */
    mx_dtype dtype;  /* output dtype */
    int64_t n, m, p; /* n = m * p */
    double scale;
    bool transposed;
    int rc;
} hadamard_job;

static void hadamard_rows(void *ctx, int64_t r0, int64_t r1) {
    hadamard_job *j = ctx;
    bool f64 = j->dtype == MX_FLOAT64, narrow = j->dtype != MX_FLOAT32 && !f64;
    size_t wsz = f64 ? 8 : 4;
    /* Working rows (narrow dtypes widen to float32) and the base-matrix
     * scratch. */
    char *work = mxi_alloc((size_t)j->n * wsz * 2);
    if (!work) {
        j->rc = MX_ERR_MEMORY;
        return;
    }
    char *tmp = work + (size_t)j->n * wsz;
    int64_t osz = mx_dtype_size(j->dtype);
    for (int64_t r = r0; r < r1; r++) {
        char *row = j->out + r * j->n * osz;
        char *x = narrow ? work : row;
        if (narrow) mxi_convert_contiguous(x, MX_FLOAT32, row, j->dtype, j->n);
        if (f64)
            hadamard_row_f64((double *)x, (double *)tmp, j->m, j->p, j->scale, j->transposed);
        else
            hadamard_row_f32((float *)x, (float *)tmp, j->m, j->p, (float)j->scale, j->transposed);
        if (narrow) mxi_convert_contiguous(row, j->dtype, x, MX_FLOAT32, j->n);
    }
    mxi_free(work, (size_t)j->n * wsz * 2);
}

int mxi_cpu_hadamard(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_hadamard_params *prm = node->params;
    mx_array *x = inputs[0], *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc != MX_OK) return rc;
    if (out->size == 0) return MX_OK;
    rc = mxi_copy_to_contiguous(mxi_data(out), out->dtype, mxi_data(x), x->dtype, x->shape,
                                x->strides, x->ndim);
    if (rc != MX_OK) return rc;
    int64_t n = out->ndim ? out->shape[out->ndim - 1] : 1, m = 1;
    for (int64_t b = 28; b >= 12; b -= 8)
        if (n % b == 0 && ((n / b) & (n / b - 1)) == 0) {
            m = b;
            break;
        }
    hadamard_job j = {mxi_data(out), out->dtype,           n,    m, n / m,
                      prm->scale,    prm->transposed != 0, MX_OK};
    int64_t rows = (int64_t)out->size / n;
    int64_t grain = MXI_ELEMWISE_GRAIN / n;
    mxi_parallel_for(rows, grain > 0 ? grain : 1, hadamard_rows, &j);
    if (j.rc != MX_OK) return mxi_error(j.rc, "[hadamard_transform] out of memory for a row");
    return MX_OK;
}
