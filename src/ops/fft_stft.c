/*
 * stft and istft, composed as MLX does: frames are gathered from the padded
 * signal with one index array (take along the last axis), transformed with
 * the FFT ops, and the inverse overlap-adds with scatter_add, so both are
 * differentiable and batchable through those ops' rules.
 */
#include <stdlib.h>
#include <string.h>

#include "cmlx/fft.h"
#include "ops_util.h"

/* The frame start + offset indices, (n_frames, n_fft) int32. */
static int frame_indices(mx_array **out, int32_t n_frames, int32_t n_fft, int32_t hop) {
    size_t n = (size_t)n_frames * (size_t)n_fft;
    int32_t *buf = malloc((n ? n : 1) * sizeof *buf);
    if (!buf) return mxi_error(MX_ERR_MEMORY, "[stft] out of memory");
    for (int32_t f = 0; f < n_frames; f++)
        for (int32_t j = 0; j < n_fft; j++) buf[(size_t)f * n_fft + j] = f * hop + j;
    int32_t shape[2] = {n_frames, n_fft};
    int rc = mx_array_from_data(out, buf, shape, 2, MX_INT32);
    free(buf);
    return rc;
}

/* The window (given, or ones(win_length)) centred in n_fft samples. */
static int make_window(mx_array **out, const char *op, const mx_array *window, int32_t win_length,
                       int32_t n_fft, const mx_stream *s) {
    mx_array *w = NULL;
    int rc;
    if (window) {
        if (window->ndim != 1)
            return mxi_error(MX_ERR_VALUE, "[%s] window must be a one-dimensional array.", op);
        w = mx_array_retain((mx_array *)window);
    } else {
        if (win_length <= 0)
            return mxi_error(MX_ERR_VALUE, "[%s] win_length must be positive.", op);
        rc = mx_ones(&w, &win_length, 1, MX_FLOAT32, s);
        if (rc) return rc;
    }
    int32_t len = w->shape[0];
    if (len > n_fft) {
        mx_array_free(w);
        return mxi_error(MX_ERR_VALUE, "[%s] window length must not exceed n_fft.", op);
    }
    rc = MX_OK;
    if (len < n_fft) {
        int32_t lo = (n_fft - len) / 2, hi = n_fft - len - lo;
        int ax = 0;
        rc = mx_pad(&w, w, &ax, 1, &lo, &hi, NULL, "constant", s);
    }
    if (rc) {
        mx_array_free(w);
        return rc;
    }
    mx_array_free(*out);
    *out = w;
    return MX_OK;
}

int mx_fft_stft(mx_array **out, const mx_array *x, int32_t n_fft, int32_t hop_length,
                int32_t win_length, const mx_array *window, bool center, const char *pad_mode,
                mx_fft_norm norm, int onesided, const mx_stream *s) {
    int rc = mxi_check_inputs("stft", out, &x, 1);
    if (rc) return rc;
    if (x->ndim < 1)
        return mxi_error(MX_ERR_VALUE, "[stft] Input must have at least one dimension.");
    if (n_fft <= 0) return mxi_error(MX_ERR_VALUE, "[stft] n_fft must be positive.");
    if (hop_length == MX_FFT_N_DEFAULT) hop_length = n_fft / 4;
    if (hop_length <= 0) return mxi_error(MX_ERR_VALUE, "[stft] hop_length must be positive.");
    if (win_length == MX_FFT_N_DEFAULT) win_length = n_fft;
    if (norm != MX_FFT_NORM_BACKWARD && norm != MX_FFT_NORM_ORTHO && norm != MX_FFT_NORM_FORWARD)
        return mxi_error(MX_ERR_VALUE, "[stft] Invalid norm. Expected one of {'backward', 'ortho', "
                                       "'forward'}.");
    if (!pad_mode) pad_mode = "reflect";
    if (center && strcmp(pad_mode, "reflect") && strcmp(pad_mode, "constant") &&
        strcmp(pad_mode, "edge"))
        return mxi_error(MX_ERR_VALUE,
                         "[stft] Invalid pad_mode '%s'. Expected one of {'reflect', "
                         "'constant', 'edge'}.",
                         pad_mode);
    bool cplx = mx_dtype_is_complex(x->dtype);
    bool one = onesided < 0 ? !cplx : onesided != 0;
    mx_array *w = NULL, *xp = NULL, *idx = NULL, *fr = NULL, *r = NULL;
    rc = make_window(&w, "stft", window, win_length, n_fft, s);
    if (!rc && center) {
        int32_t p = n_fft / 2;
        int ax = x->ndim - 1;
        rc = mx_pad(&xp, x, &ax, 1, &p, &p, NULL, pad_mode, s);
    } else if (!rc) {
        xp = mx_array_retain((mx_array *)x);
    }
    int32_t len = rc ? 0 : xp->shape[xp->ndim - 1];
    if (!rc && len < n_fft)
        rc = mxi_error(MX_ERR_VALUE, "[stft] Input is too short for the given n_fft.");
    if (!rc) rc = frame_indices(&idx, 1 + (len - n_fft) / hop_length, n_fft, hop_length);
    if (!rc) rc = mx_take_axis(&fr, xp, idx, -1, s); /* (..., n_frames, n_fft) */
    if (!rc) rc = mx_multiply(&fr, fr, w, s);
    /* One-sided output is rfft, also of a complex x (its imaginary part is
     * dropped, as MLX does). */
    if (!rc && one) {
        rc = mx_fft_rfft(&r, fr, n_fft, -1, norm, s);
    } else if (!rc) {
        rc = mx_fft_fft(&r, fr, n_fft, -1, norm, s);
    }
    if (!rc) rc = mx_swapaxes(&r, r, -1, -2, s);
    mx_array_free(w);
    mx_array_free(xp);
    mx_array_free(idx);
    mx_array_free(fr);
    if (rc) {
        mx_array_free(r);
        return rc;
    }
    mx_array_free(*out);
    *out = r;
    return MX_OK;
}

/* y[..., start:start + n] along the last axis, zero-padded when y is
 * shorter. */
static int cut_last(mx_array **y, int32_t start, int32_t n, const mx_stream *s) {
    int nd = (*y)->ndim;
    int32_t len = (*y)->shape[nd - 1];
    int32_t st[MXI_MAX_NDIM], sp[MXI_MAX_NDIM], sd[MXI_MAX_NDIM];
    for (int i = 0; i < nd; i++) {
        st[i] = 0;
        sp[i] = (*y)->shape[i];
        sd[i] = 1;
    }
    int32_t stop = (int64_t)start + n < len ? start + n : len;
    st[nd - 1] = start < len ? start : len;
    sp[nd - 1] = stop;
    int rc = mx_slice(y, *y, st, sp, sd, nd, s);
    int32_t have = stop - st[nd - 1];
    if (!rc && have < n) {
        int ax = nd - 1, z = 0, hi = n - have;
        rc = mx_pad(y, *y, &ax, 1, &z, &hi, NULL, "constant", s);
    }
    return rc;
}

int mx_fft_istft(mx_array **out, const mx_array *stft, int32_t n_fft, int32_t hop_length,
                 int32_t win_length, const mx_array *window, bool center, mx_fft_norm norm,
                 int onesided, int32_t length, const mx_stream *s) {
    int rc = mxi_check_inputs("istft", out, &stft, 1);
    if (rc) return rc;
    if (stft->ndim < 2)
        return mxi_error(MX_ERR_VALUE,
                         "[istft] Input must have at least two dimensions (freq, frames).");
    int nd = stft->ndim;
    int32_t n_freq = stft->shape[nd - 2], n_frames = stft->shape[nd - 1];
    bool one = onesided != 0; /* default (< 0): one-sided */
    if (n_fft == MX_FFT_N_DEFAULT) n_fft = one ? 2 * (n_freq - 1) : n_freq;
    if (n_fft <= 0) return mxi_error(MX_ERR_VALUE, "[istft] n_fft must be positive.");
    if (hop_length == MX_FFT_N_DEFAULT) hop_length = n_fft / 4;
    if (hop_length <= 0) return mxi_error(MX_ERR_VALUE, "[istft] hop_length must be positive.");
    if (win_length == MX_FFT_N_DEFAULT) win_length = n_fft;
    if (norm != MX_FFT_NORM_BACKWARD && norm != MX_FFT_NORM_ORTHO && norm != MX_FFT_NORM_FORWARD)
        return mxi_error(MX_ERR_VALUE,
                         "[istft] Invalid norm. Expected one of {'backward', 'ortho', "
                         "'forward'}.");
    if (n_frames == 0) return mxi_error(MX_ERR_VALUE, "[istft] Input has no frames.");
    int64_t total = (int64_t)n_fft + (int64_t)hop_length * (n_frames - 1);
    if (total > INT32_MAX) return mxi_error(MX_ERR_VALUE, "[istft] Output too long.");
    int32_t L = (int32_t)total;
    mx_array *w = NULL, *F = NULL, *fr = NULL, *idx = NULL, *y = NULL, *env = NULL, *w2 = NULL;
    mx_array *c = NULL;
    rc = make_window(&w, "istft", window, win_length, n_fft, s);
    if (!rc) rc = mx_swapaxes(&F, stft, -1, -2, s); /* (..., n_frames, n_freq) */
    if (!rc && one) {
        rc = mx_fft_irfft(&fr, F, n_fft, -1, norm, s);
    } else if (!rc) {
        rc = mx_fft_ifft(&fr, F, n_fft, -1, norm, s);
        if (!rc) rc = mx_real(&fr, fr, s);
    }
    if (!rc) rc = mx_multiply(&fr, fr, w, s);
    /* Overlap-add of the frames and of the squared window. */
    if (!rc) rc = frame_indices(&idx, n_frames, n_fft, hop_length);
    if (!rc) {
        int32_t flat = n_frames * n_fft;
        int32_t shape[MXI_MAX_NDIM];
        for (int i = 0; i < nd - 1; i++) shape[i] = 1;
        shape[nd - 2] = flat;
        rc = mx_reshape(&idx, idx, shape, nd - 1, s);
        if (!rc) rc = mx_flatten(&fr, fr, -2, -1, s);
        for (int i = 0; !rc && i < nd - 2; i++) shape[i] = fr->shape[i];
        shape[nd - 2] = L;
        if (!rc) rc = mx_zeros(&y, shape, nd - 1, fr->dtype, s);
        if (!rc) rc = mx_scatter_add_axis(&y, y, idx, fr, -1, s);
        if (!rc) rc = mx_square(&w2, w, s);
        int32_t reps[1] = {n_frames};
        if (!rc) rc = mx_tile(&w2, w2, reps, 1, s);
        if (!rc) rc = mx_reshape(&idx, idx, &flat, 1, s);
        if (!rc) rc = mx_zeros(&env, &L, 1, w2->dtype, s);
        if (!rc) rc = mx_scatter_add_axis(&env, env, idx, w2, 0, s);
        if (!rc) rc = mx_array_from_float(&c, 1e-8, MX_FLOAT32);
        if (!rc) rc = mx_maximum(&env, env, c, s);
        if (!rc) rc = mx_divide(&y, y, env, s);
    }
    if (!rc) {
        int32_t start = center ? n_fft / 2 : 0;
        int32_t n = length != MX_FFT_N_DEFAULT ? (length < 0 ? 0 : length)
                                               : L - (center ? 2 * (n_fft / 2) : 0);
        rc = cut_last(&y, start, n, s);
    }
    if (!rc) rc = mxi_astype_if(&y, y, MX_FLOAT32, s);
    mx_array *all[] = {w, F, fr, idx, env, w2, c};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mx_array_free(all[i]);
    if (rc) {
        mx_array_free(y);
        return rc;
    }
    mx_array_free(*out);
    *out = y;
    return MX_OK;
}
