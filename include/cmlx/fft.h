/* Discrete Fourier transforms (MLX's mlx.core.fft). Conventions in ops.h.
 *
 * Every function here returns a new reference in *out (the caller frees it
 * with mx_array_free); on failure *out is unchanged and the status says why.
 *
 * Dtypes, as MLX: complex transforms and rfft give complex64 whatever the
 * input (bool, integers, 16-bit floats and float64 are converted to
 * complex64; MLX has no complex128); the input of rfft is first cast to
 * float32 (the imaginary part of a complex input is dropped); irfft gives
 * float32. Transforms compute in float32 with twiddle factors computed in
 * double.
 *
 * Sizes: a transformed axis is cut to its requested size or padded with
 * zeros up to it before the transform. For rfft the size is that of the
 * real input and the result has size/2 + 1 entries along the (last) real
 * axis; for irfft it is the size of the real output, and the input is cut or
 * padded to size/2 + 1 entries along that axis (the imaginary parts of the
 * first entry, and for even sizes the last, are ignored, as NumPy).
 *
 * norm scales the result: MX_FFT_NORM_BACKWARD (the default) by 1 forward
 * and 1/n inverse, MX_FFT_NORM_ORTHO by 1/sqrt(n) both ways,
 * MX_FFT_NORM_FORWARD by 1/n forward and 1 inverse, where n is the product
 * of the transformed sizes (for irfft, of the output).
 *
 * Errors: MX_ERR_VALUE for a 0-d input, a size <= 0, duplicate axes, sizes
 * and axes of different counts, an unknown norm; MX_ERR_INDEX for an axis
 * out of range.
 */
#ifndef CMLX_FFT_H
#define CMLX_FFT_H

#include <stdbool.h>
#include <stdint.h>

#include "base.h"
#include "device.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mx_fft_norm {
    MX_FFT_NORM_BACKWARD = 0,
    MX_FFT_NORM_ORTHO = 1,
    MX_FFT_NORM_FORWARD = 2,
} mx_fft_norm;

/* For the 1-D transforms' n: the length of the axis (Python's n=None; for
 * irfft, 2 * (length - 1)). */
#define MX_FFT_N_DEFAULT INT32_MIN

/* "backward", "ortho" or "forward" (NULL: "backward") into *out;
 * MX_ERR_VALUE naming the op otherwise (op may be NULL). */
MX_API int mx_fft_norm_parse(mx_fft_norm *out, const char *name, const char *op);

/* ---- one axis ---- */

/* fft / ifft along `axis` (default in Python: -1) with n points
 * (MX_FFT_N_DEFAULT: the axis length). */
MX_API int mx_fft_fft(mx_array **out, const mx_array *a, int32_t n, int axis, mx_fft_norm norm,
                      const mx_stream *s);
MX_API int mx_fft_ifft(mx_array **out, const mx_array *a, int32_t n, int axis, mx_fft_norm norm,
                       const mx_stream *s);
/* rfft: n real points in, n/2 + 1 complex64 values out along axis. irfft:
 * n real float32 points out (MX_FFT_N_DEFAULT: 2 * (length - 1)). */
MX_API int mx_fft_rfft(mx_array **out, const mx_array *a, int32_t n, int axis, mx_fft_norm norm,
                       const mx_stream *s);
MX_API int mx_fft_irfft(mx_array **out, const mx_array *a, int32_t n, int axis, mx_fft_norm norm,
                        const mx_stream *s);

/* ---- several axes ----
 *
 * sizes (ns entries) and axes (naxes entries): NULL means Python's None.
 * For the n-D forms, axes NULL means the last ns axes when sizes are given
 * (as NumPy; MLX rejects sizes without axes), else every axis; sizes NULL
 * means the axis lengths (for irfft the last one 2 * (length - 1)). Given
 * both, ns must equal naxes. An empty axes list (non-NULL, naxes 0) gives a
 * itself, as MLX. The 2-D forms are the n-D ones with axes NULL meaning
 * (-2, -1) (Python's default; its axes=None is the n-D form). For the real
 * transforms the last axis listed is the real one. */
MX_API int mx_fft_fftn(mx_array **out, const mx_array *a, const int32_t *sizes, int ns,
                       const int *axes, int naxes, mx_fft_norm norm, const mx_stream *s);
MX_API int mx_fft_ifftn(mx_array **out, const mx_array *a, const int32_t *sizes, int ns,
                        const int *axes, int naxes, mx_fft_norm norm, const mx_stream *s);
MX_API int mx_fft_rfftn(mx_array **out, const mx_array *a, const int32_t *sizes, int ns,
                        const int *axes, int naxes, mx_fft_norm norm, const mx_stream *s);
MX_API int mx_fft_irfftn(mx_array **out, const mx_array *a, const int32_t *sizes, int ns,
                         const int *axes, int naxes, mx_fft_norm norm, const mx_stream *s);
MX_API int mx_fft_fft2(mx_array **out, const mx_array *a, const int32_t *sizes, int ns,
                       const int *axes, int naxes, mx_fft_norm norm, const mx_stream *s);
MX_API int mx_fft_ifft2(mx_array **out, const mx_array *a, const int32_t *sizes, int ns,
                        const int *axes, int naxes, mx_fft_norm norm, const mx_stream *s);
MX_API int mx_fft_rfft2(mx_array **out, const mx_array *a, const int32_t *sizes, int ns,
                        const int *axes, int naxes, mx_fft_norm norm, const mx_stream *s);
MX_API int mx_fft_irfft2(mx_array **out, const mx_array *a, const int32_t *sizes, int ns,
                         const int *axes, int naxes, mx_fft_norm norm, const mx_stream *s);

/* ---- helpers ---- */

/* The n sample frequencies (0, 1, ..., -(n/2), ..., -1) / (n * d) as a 1-D
 * float32 array (computed in double). MX_ERR_VALUE for n <= 0 or d == 0. */
MX_API int mx_fft_fftfreq(mx_array **out, int n, double d, const mx_stream *s);
/* The n/2 + 1 non-negative frequencies (0, 1, ..., n/2) / (n * d). */
MX_API int mx_fft_rfftfreq(mx_array **out, int n, double d, const mx_stream *s);

/* a rolled so that the zero frequency moves to the centre: by shape/2 along
 * each of the naxes axes (axes NULL: every axis; a 0-d a is returned as it
 * is). ifftshift undoes it, rolling by (shape+1)/2. A repeated axis is
 * rolled once per mention, as MLX. MX_ERR_INDEX for an axis out of range. */
MX_API int mx_fft_fftshift(mx_array **out, const mx_array *a, const int *axes, int naxes,
                           const mx_stream *s);
MX_API int mx_fft_ifftshift(mx_array **out, const mx_array *a, const int *axes, int naxes,
                            const mx_stream *s);

/* ---- short-time transforms (compositions of pad, take, fft) ---- */

/* The short-time Fourier transform of the last axis of x (ndim >= 1):
 * frames of n_fft samples every hop_length (MX_FFT_N_DEFAULT: n_fft / 4),
 * each multiplied by the window and transformed. window: 1-d, at most
 * n_fft long, NULL for ones(win_length) (win_length MX_FFT_N_DEFAULT:
 * n_fft); a shorter window is centred in n_fft with zeros. center pads
 * n_fft / 2 samples at both ends with pad_mode ("reflect" or NULL,
 * "constant", "edge"). onesided < 0: true for a real x, false for a complex
 * one; true keeps the n_fft / 2 + 1 non-negative frequencies of rfft (which,
 * as in MLX, drops the imaginary part of a complex x). The result
 * is complex64 of shape (..., n_freq, n_frames), n_frames = 1 +
 * (padded length - n_fft) / hop_length; a new reference the caller frees.
 * MX_ERR_VALUE for n_fft, hop_length or win_length <= 0, a window longer
 * than n_fft or not 1-d, an input shorter than n_fft, a bad pad mode. */
MX_API int mx_fft_stft(mx_array **out, const mx_array *x, int32_t n_fft, int32_t hop_length,
                       int32_t win_length, const mx_array *window, bool center,
                       const char *pad_mode, mx_fft_norm norm, int onesided, const mx_stream *s);

/* The inverse of mx_fft_stft: each frame of stft (..., n_freq, n_frames)
 * is inverse transformed (irfft with n_fft points when onesided, which
 * onesided < 0 means; else the real part of ifft), multiplied by the
 * window, overlap-added every hop_length and divided by the overlap-added
 * squared window (at least 1e-8). n_fft MX_FFT_N_DEFAULT: 2 * (n_freq - 1)
 * when onesided, else n_freq; hop_length, win_length and window as in
 * mx_fft_stft. center drops n_fft / 2 samples at the start and, when no
 * length is given, at the end. length (MX_FFT_N_DEFAULT: none) cuts or
 * zero-pads the output's last axis to that many samples (a negative length
 * gives 0, as MLX). float32 of shape (..., samples); a new reference the
 * caller frees. MX_ERR_VALUE for fewer than two dimensions, no frames,
 * n_fft or hop_length <= 0, a bad window. */
MX_API int mx_fft_istft(mx_array **out, const mx_array *stft, int32_t n_fft, int32_t hop_length,
                        int32_t win_length, const mx_array *window, bool center, mx_fft_norm norm,
                        int onesided, int32_t length, const mx_stream *s);

#ifdef __cplusplus
}
#endif
#endif
