/*
 * Convolutions: every public form is one Convolution node (or a crop of the
 * input and one node). Checks follow MLX's order and wording.
 */
#include <string.h>

#include "ops_util.h"
#include "primitives/params_conv.h"

/* "(1, 2)" for a list of ints. */
static char *ints_str(char *buf, size_t len, const int *v, int n) {
    int32_t tmp[MXI_CONV_MAX_DIMS + 8];
    if (n > (int)(sizeof tmp / sizeof tmp[0])) n = (int)(sizeof tmp / sizeof tmp[0]);
    for (int i = 0; i < n; i++) tmp[i] = v[i];
    return mxi_shape_str(buf, len, tmp, n);
}

/* Expands a per-axis list: n == 0 gives dflt everywhere, n == 1 repeats it. */
static int expand_list(const char *what, const int *v, int n, int dflt, int nd, int *out,
                       const int *other, int n_other) {
    if (n <= 1) {
        for (int i = 0; i < nd; i++) out[i] = n ? v[0] : dflt;
        return MX_OK;
    }
    if (n != nd) {
        char a[MXI_SHAPE_STR_LEN], b[MXI_SHAPE_STR_LEN];
        if (other)
            return mxi_error(MX_ERR_VALUE, "[conv] Invalid %s %s | %s for %dD convolution.", what,
                             ints_str(a, sizeof a, v, n), ints_str(b, sizeof b, other, n_other),
                             nd);
        return mxi_error(MX_ERR_VALUE, "[conv] Invalid %s %s for %dD convolution.", what,
                         ints_str(a, sizeof a, v, n), nd);
    }
    memcpy(out, v, (size_t)nd * sizeof(int));
    return MX_OK;
}

static int check_positive(const char *what, const char *name, const int *v, int nd) {
    for (int i = 0; i < nd; i++) {
        if (v[i] <= 0) {
            char a[MXI_SHAPE_STR_LEN];
            return mxi_error(MX_ERR_VALUE, "[conv] %s sizes must be positive. Got %s %s.", what,
                             name, ints_str(a, sizeof a, v, nd));
        }
    }
    return MX_OK;
}

static int check_arrays(const mx_array *in, const mx_array *wt, int groups) {
    if (groups <= 0)
        return mxi_error(MX_ERR_VALUE, "[conv] groups must be a positive integer, got %d.", groups);
    if (groups != 1 && in->ndim != 3 && in->ndim != 4)
        return mxi_error(MX_ERR_VALUE,
                         "[conv] Can only handle groups != 1 in 1D or 2D convolutions.");
    int nd = in->ndim - 2;
    if (nd < 1 || nd > MXI_CONV_MAX_DIMS)
        return mxi_error(MX_ERR_VALUE,
                         "[conv] Only works for inputs with 1-3 spatial dimensions. The inputs "
                         "must be in the format [N, ..., C_in]");
    if (!mx_issubdtype(in->dtype, MX_FLOATING))
        return mxi_error(MX_ERR_VALUE,
                         "[conv] Invalid input array with type %s. Convolution currently only "
                         "supports floating point types",
                         mx_dtype_name(in->dtype));
    if (wt->ndim != nd + 2)
        return mxi_error(MX_ERR_VALUE,
                         "[conv] Invalid weight array with %d dimensions for %dD convolution. "
                         "Expected an array with %d dimensions following the format "
                         "[C_out, ..., C_in].",
                         wt->ndim, nd, nd + 2);
    char a[MXI_SHAPE_STR_LEN], b[MXI_SHAPE_STR_LEN];
    int32_t cin = in->shape[nd + 1], cout = wt->shape[0], wcin = wt->shape[nd + 1];
    if (cin % groups)
        return mxi_error(MX_ERR_VALUE,
                         "[conv] The input channels must be divisible by the number of groups. "
                         "Got input with shape %s and %d groups.",
                         mxi_shape_str(a, sizeof a, in->shape, in->ndim), groups);
    if (groups > 1 && cout % groups)
        return mxi_error(MX_ERR_VALUE,
                         "[conv] If groups > 1, the output channels must be divisible by the "
                         "number of groups. Got %d output channels and %d groups.",
                         cout, groups);
    if ((int64_t)groups * wcin != cin) {
        if (groups == 1)
            return mxi_error(MX_ERR_VALUE,
                             "[conv] Expect the input channels in the input and weight array to "
                             "match but got shapes - input: %s and weight: %s",
                             mxi_shape_str(a, sizeof a, in->shape, in->ndim),
                             mxi_shape_str(b, sizeof b, wt->shape, wt->ndim));
        return mxi_error(MX_ERR_VALUE,
                         "[conv] Given groups=%d and weights of shape %s, expected to have %lld "
                         "input channels but got %d input channels instead.",
                         groups, mxi_shape_str(b, sizeof b, wt->shape, wt->ndim),
                         (long long)groups * wcin, cin);
    }
    return MX_OK;
}

int mx_conv_general(mx_array **out, const mx_array *input, const mx_array *weight,
                    const int *stride, int n_stride, const int *padding_lo, const int *padding_hi,
                    int n_padding, const int *kernel_dilation, int n_kernel_dilation,
                    const int *input_dilation, int n_input_dilation, int groups, bool flip,
                    const mx_stream *s) {
    const mx_array *ins[2] = {input, weight};
    int rc = mxi_check_inputs("conv_general", out, ins, 2);
    if (rc) return rc;
    if ((n_stride && !stride) || (n_padding && !padding_lo) ||
        (n_kernel_dilation && !kernel_dilation) || (n_input_dilation && !input_dilation) ||
        n_stride < 0 || n_padding < 0 || n_kernel_dilation < 0 || n_input_dilation < 0)
        return mxi_error(MX_ERR_VALUE, "[conv] a parameter list is NULL or has a negative length");
    if (!padding_hi) padding_hi = padding_lo;
    rc = check_arrays(input, weight, groups);
    if (rc) return rc;
    int nd = input->ndim - 2;

    int st[MXI_CONV_MAX_DIMS], lo[MXI_CONV_MAX_DIMS], hi[MXI_CONV_MAX_DIMS];
    int kd[MXI_CONV_MAX_DIMS], id[MXI_CONV_MAX_DIMS];
    if ((rc = expand_list("strides", stride, n_stride, 1, nd, st, NULL, 0)) ||
        (rc = expand_list("padding", padding_lo, n_padding, 0, nd, lo, padding_hi, n_padding)) ||
        (rc = expand_list("padding", padding_hi, n_padding, 0, nd, hi, padding_lo, n_padding)) ||
        (rc = expand_list("kernel dilation", kernel_dilation, n_kernel_dilation, 1, nd, kd, NULL,
                          0)) ||
        (rc =
             expand_list("input dilation", input_dilation, n_input_dilation, 1, nd, id, NULL, 0)) ||
        (rc = check_positive("Stride", "strides", st, nd)) ||
        (rc = check_positive("Kernel dilation", "kernel dilation", kd, nd)) ||
        (rc = check_positive("Input dilation", "input dilation", id, nd)))
        return rc;

    mx_dtype dtype = mx_promote_types(input->dtype, weight->dtype);
    mx_array *x = NULL, *w = NULL;
    if ((rc = mxi_astype_if(&x, input, dtype, s)) || (rc = mxi_astype_if(&w, weight, dtype, s)))
        goto done;

    /* Negative padding crops the input (before any input dilation), as MLX. */
    bool crop = false;
    int32_t start[MXI_CONV_MAX_DIMS + 2] = {0}, stop[MXI_CONV_MAX_DIMS + 2],
                                      step[MXI_CONV_MAX_DIMS + 2];
    for (int i = 0; i < nd + 2; i++) stop[i] = x->shape[i], step[i] = 1;
    for (int i = 0; i < nd; i++) {
        if (lo[i] < 0) start[i + 1] = -lo[i], lo[i] = 0, crop = true;
        if (hi[i] < 0) stop[i + 1] += hi[i], hi[i] = 0, crop = true;
        if (stop[i + 1] < 0) stop[i + 1] = 0;
    }
    if (crop && (rc = mx_slice(&x, x, start, stop, step, nd + 2, s))) goto done;

    int32_t shape[MXI_CONV_MAX_DIMS + 2];
    shape[0] = x->shape[0];
    shape[nd + 1] = w->shape[0];
    for (int i = 0; i < nd; i++) {
        int64_t n = x->shape[i + 1];
        int64_t dilated = n > 0 ? (n - 1) * id[i] + 1 : 0;
        int64_t padded = dilated + lo[i] + hi[i];
        int64_t wsize = (int64_t)(w->shape[i + 1] - 1) * kd[i] + 1;
        if (padded < wsize) {
            char a[MXI_SHAPE_STR_LEN], b[MXI_SHAPE_STR_LEN], c[MXI_SHAPE_STR_LEN],
                d[MXI_SHAPE_STR_LEN];
            rc = mxi_error(MX_ERR_VALUE,
                           "[conv] Spatial dimensions of input after padding cannot be smaller "
                           "than weight spatial dimensions. Got error at axis %d for input with "
                           "shape %s, padding low %s, padding high %s, and weight of shape %s.",
                           i + 1, mxi_shape_str(a, sizeof a, x->shape, x->ndim),
                           ints_str(b, sizeof b, lo, nd), ints_str(c, sizeof c, hi, nd),
                           mxi_shape_str(d, sizeof d, w->shape, w->ndim));
            goto done;
        }
        int64_t o = (padded - wsize) / st[i] + 1;
        if (o > INT32_MAX) {
            rc = mxi_error(MX_ERR_VALUE, "[conv] output dimension %lld is too large", (long long)o);
            goto done;
        }
        shape[i + 1] = (int32_t)o;
    }

    mxi_conv_params p;
    memset(&p, 0, sizeof p);
    p.ndim = nd;
    p.groups = groups;
    p.flip = flip;
    for (int i = 0; i < nd; i++) {
        p.stride[i] = st[i];
        p.pad_lo[i] = lo[i];
        p.pad_hi[i] = hi[i];
        p.kernel_dilation[i] = kd[i];
        p.input_dilation[i] = id[i];
    }
    mx_array *xw[2] = {x, w};
    rc = mxi_make(out, dtype, shape, nd + 2, MXI_PRIM_CONVOLUTION, &p, sizeof p, xw, 2, s);
done:
    mx_array_free(x);
    mx_array_free(w);
    return rc;
}

/* The output length of one spatial axis for parameters p (0 when the
 * padded input is shorter than the kernel). */
static int64_t conv_out_len(const mxi_conv_params *p, int d, int64_t n, int64_t k) {
    int64_t dilated = n > 0 ? (n - 1) * p->input_dilation[d] + 1 : 0;
    int64_t r = dilated + p->pad_lo[d] + p->pad_hi[d] - ((k - 1) * p->kernel_dilation[d] + 1);
    return r >= 0 ? r / p->stride[d] + 1 : 0;
}

int mxi_conv_make(mx_array **out, mx_array *x, mx_array *w, const mxi_conv_params *p,
                  const int32_t *spatial, const mx_stream *s) {
    const mx_array *ins[2] = {x, w};
    int rc = mxi_check_inputs("conv", out, ins, 2);
    if (rc) return rc;
    if (!p || !spatial) return mxi_error(MX_ERR_VALUE, "[conv] NULL parameters");
    int nd = p->ndim;
    bool ok = nd >= 1 && nd <= MXI_CONV_MAX_DIMS && x->ndim == nd + 2 && w->ndim == nd + 2 &&
              x->dtype == w->dtype && mx_issubdtype(x->dtype, MX_FLOATING) && p->groups >= 1 &&
              (p->flip == 0 || p->flip == 1);
    /* every field the kernel reads, as the op would set it */
    for (int d = 0; ok && d < MXI_CONV_MAX_DIMS; d++) {
        if (d < nd)
            ok = p->stride[d] >= 1 && p->kernel_dilation[d] >= 1 && p->input_dilation[d] >= 1 &&
                 spatial[d] == conv_out_len(p, d, x->shape[d + 1], w->shape[d + 1]);
        else
            ok = !p->stride[d] && !p->pad_lo[d] && !p->pad_hi[d] && !p->kernel_dilation[d] &&
                 !p->input_dilation[d];
    }
    if (ok) {
        int64_t cin = x->shape[nd + 1], cout = w->shape[0];
        ok = cin % p->groups == 0 && cout % p->groups == 0 &&
             (int64_t)w->shape[nd + 1] * p->groups == cin;
    }
    if (!ok) {
        char a[MXI_SHAPE_STR_LEN], b[MXI_SHAPE_STR_LEN];
        return mxi_error(MX_ERR_VALUE,
                         "[conv] the convolution parameters do not fit the input %s (%s) and "
                         "weight %s (%s)",
                         mxi_shape_str(a, sizeof a, x->shape, x->ndim), mx_dtype_name(x->dtype),
                         mxi_shape_str(b, sizeof b, w->shape, w->ndim), mx_dtype_name(w->dtype));
    }
    int32_t shape[MXI_CONV_MAX_DIMS + 2];
    shape[0] = x->shape[0];
    memcpy(shape + 1, spatial, (size_t)nd * sizeof(int32_t));
    shape[nd + 1] = w->shape[0];
    mx_array *xw[2] = {x, w};
    return mxi_make(out, x->dtype, shape, nd + 2, MXI_PRIM_CONVOLUTION, p, sizeof *p, xw, 2, s);
}

int mx_conv1d(mx_array **out, const mx_array *input, const mx_array *weight, int stride,
              int padding, int dilation, int groups, const mx_stream *s) {
    int one = 1;
    return mx_conv_general(out, input, weight, &stride, 1, &padding, &padding, 1, &dilation, 1,
                           &one, 1, groups, false, s);
}

int mx_conv2d(mx_array **out, const mx_array *input, const mx_array *weight, const int stride[2],
              const int padding[2], const int dilation[2], int groups, const mx_stream *s) {
    static const int ones[2] = {1, 1}, zeros[2] = {0, 0};
    return mx_conv_general(out, input, weight, stride ? stride : ones, 2, padding ? padding : zeros,
                           padding ? padding : zeros, 2, dilation ? dilation : ones, 2, ones, 2,
                           groups, false, s);
}

int mx_conv3d(mx_array **out, const mx_array *input, const mx_array *weight, const int stride[3],
              const int padding[3], const int dilation[3], int groups, const mx_stream *s) {
    static const int ones[3] = {1, 1, 1}, zeros[3] = {0, 0, 0};
    return mx_conv_general(out, input, weight, stride ? stride : ones, 3, padding ? padding : zeros,
                           padding ? padding : zeros, 3, dilation ? dilation : ones, 3, ones, 3,
                           groups, false, s);
}

/* The transposed convolution as MLX builds it: a stride-1 convolution of the
 * input dilated by the stride with the flipped kernel, padded so that each
 * output length is (L - 1) * stride - 2 * padding + wsize + output_padding. */
static int conv_transpose(mx_array **out, const mx_array *input, const mx_array *weight, int nd,
                          const int *stride, const int *padding, const int *dilation,
                          const int *output_padding, int groups, const mx_stream *s) {
    const mx_array *ins[2] = {input, weight};
    int rc = mxi_check_inputs("conv_transpose", out, ins, 2);
    if (rc) return rc;
    int lo[MXI_CONV_MAX_DIMS], hi[MXI_CONV_MAX_DIMS], ones[MXI_CONV_MAX_DIMS];
    for (int i = 0; i < nd; i++) {
        /* A weight of the wrong rank is reported by conv_general. */
        int64_t k = weight->ndim == nd + 2 ? weight->shape[i + 1] : 1;
        int64_t wsize = 1 + (int64_t)dilation[i] * (k - 1);
        int64_t l = wsize - padding[i] - 1, h = l + output_padding[i];
        if (l < INT32_MIN || l > INT32_MAX || h < INT32_MIN || h > INT32_MAX)
            return mxi_error(MX_ERR_VALUE, "[conv_transpose] padding out of range");
        lo[i] = (int)l, hi[i] = (int)h, ones[i] = 1;
    }
    return mx_conv_general(out, input, weight, ones, nd, lo, hi, nd, dilation, nd, stride, nd,
                           groups, true, s);
}

int mx_conv_transpose1d(mx_array **out, const mx_array *input, const mx_array *weight, int stride,
                        int padding, int dilation, int output_padding, int groups,
                        const mx_stream *s) {
    return conv_transpose(out, input, weight, 1, &stride, &padding, &dilation, &output_padding,
                          groups, s);
}

int mx_conv_transpose2d(mx_array **out, const mx_array *input, const mx_array *weight,
                        const int stride[2], const int padding[2], const int dilation[2],
                        const int output_padding[2], int groups, const mx_stream *s) {
    static const int ones[2] = {1, 1}, zeros[2] = {0, 0};
    return conv_transpose(out, input, weight, 2, stride ? stride : ones, padding ? padding : zeros,
                          dilation ? dilation : ones, output_padding ? output_padding : zeros,
                          groups, s);
}

int mx_conv_transpose3d(mx_array **out, const mx_array *input, const mx_array *weight,
                        const int stride[3], const int padding[3], const int dilation[3],
                        const int output_padding[3], int groups, const mx_stream *s) {
    static const int ones[3] = {1, 1, 1}, zeros[3] = {0, 0, 0};
    return conv_transpose(out, input, weight, 3, stride ? stride : ones, padding ? padding : zeros,
                          dilation ? dilation : ones, output_padding ? output_padding : zeros,
                          groups, s);
}

int mx_convolve(mx_array **out, const mx_array *a, const mx_array *v, const char *mode,
                const mx_stream *s) {
    const mx_array *ins[2] = {a, v};
    int rc = mxi_check_inputs("convolve", out, ins, 2);
    if (rc) return rc;
    if (a->ndim != 1 || v->ndim != 1)
        return mxi_error(MX_ERR_VALUE, "[convolve] Inputs must be 1D.");
    if (a->size == 0 || v->size == 0)
        return mxi_error(MX_ERR_VALUE, "[convolve] Inputs cannot be empty.");
    if (!mode) mode = "full";
    int m = strcmp(mode, "full") == 0    ? 0
            : strcmp(mode, "same") == 0  ? 1
            : strcmp(mode, "valid") == 0 ? 2
                                         : -1;
    if (m < 0) return mxi_error(MX_ERR_VALUE, "[convolve] Invalid mode.");
    /* The longer array is the signal, the shorter the kernel. */
    const mx_array *sig = a, *ker = v;
    if (v->shape[0] > a->shape[0]) sig = v, ker = a;
    int32_t n = ker->shape[0];
    int lo = m == 0 ? n - 1 : m == 1 ? n - 1 - (n - 1) / 2 : 0;
    int hi = m == 0 ? n - 1 : m == 1 ? (n - 1) / 2 : 0;
    int32_t sshape[3] = {1, sig->shape[0], 1}, kshape[3] = {1, n, 1};
    mx_array *x = NULL, *w = NULL, *y = NULL;
    int one = 1;
    if (!(rc = mx_reshape(&x, sig, sshape, 3, s)) && !(rc = mx_reshape(&w, ker, kshape, 3, s)) &&
        !(rc = mx_conv_general(&y, x, w, &one, 1, &lo, &hi, 1, &one, 1, &one, 1, 1, true, s))) {
        int32_t oshape[1] = {y->shape[1]};
        rc = mx_reshape(out, y, oshape, 1, s);
    }
    mx_array_free(x);
    mx_array_free(w);
    mx_array_free(y);
    return rc;
}
