/*
 * NumPy's .npy format: magic, version, a header that is a Python dict
 * literal {'descr': ..., 'fortran_order': ..., 'shape': (...)}, then the raw
 * elements. The header is parsed by a small strict scanner (never by an
 * evaluator), bounded in length.
 */
#include "npy.h"

#include <ctype.h>
#include <stdlib.h>
#include <unistd.h>

#include "cmlx/ops.h"
#include "core/array_impl.h"

#define NPY_MAX_HEADER (1u << 20)

typedef struct npy_scan {
    const char *p, *end;
    const char *op;
} npy_scan;

static void skip_ws(npy_scan *s) {
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int bad(const npy_scan *s, const char *what) {
    return mxi_error(MX_ERR_VALUE, "[%s] malformed .npy header: %s", s->op, what);
}

static bool eat(npy_scan *s, char c) {
    skip_ws(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return true;
    }
    return false;
}

/* A quoted string without escapes (all the format uses); points into the
 * header. */
static int scan_string(npy_scan *s, const char **str, size_t *len) {
    skip_ws(s);
    if (s->p >= s->end || (*s->p != '\'' && *s->p != '"')) return bad(s, "expected a string");
    char q = *s->p++;
    const char *b = s->p;
    while (s->p < s->end && *s->p != q) {
        if (*s->p == '\\') return bad(s, "escapes are not supported");
        s->p++;
    }
    if (s->p >= s->end) return bad(s, "unterminated string");
    *str = b, *len = (size_t)(s->p - b);
    s->p++;
    return MX_OK;
}

static bool word(npy_scan *s, const char *w) {
    skip_ws(s);
    size_t n = strlen(w);
    if ((size_t)(s->end - s->p) >= n && memcmp(s->p, w, n) == 0) {
        s->p += n;
        return true;
    }
    return false;
}

typedef struct npy_info {
    mx_dtype dtype;
    int swap;
    bool fortran;
    int ndim;
    uint64_t dims[MXI_IO_MAX_NDIM];
} npy_info;

static int parse_descr(npy_scan *s, const char *d, size_t n, npy_info *info) {
    if (n < 3 || n > 4) return bad(s, "unsupported descr");
    char order = d[0], kind = d[1];
    int size = 0;
    for (size_t i = 2; i < n; i++) {
        if (!isdigit((unsigned char)d[i])) return bad(s, "unsupported descr");
        size = size * 10 + (d[i] - '0');
    }
    mx_dtype t = MX_DTYPE_NONE;
    switch (kind) {
    case 'b':
    case '?':
        t = size == 1 ? MX_BOOL : t;
        break;
    case 'u':
        t = size == 1   ? MX_UINT8
            : size == 2 ? MX_UINT16
            : size == 4 ? MX_UINT32
            : size == 8 ? MX_UINT64
                        : t;
        break;
    case 'i':
        t = size == 1   ? MX_INT8
            : size == 2 ? MX_INT16
            : size == 4 ? MX_INT32
            : size == 8 ? MX_INT64
                        : t;
        break;
    case 'f':
        t = size == 2 ? MX_FLOAT16 : size == 4 ? MX_FLOAT32 : size == 8 ? MX_FLOAT64 : t;
        break;
    case 'c':
        t = size == 8 ? MX_COMPLEX64 : t;
        break;
    case 'V':
        t = size == 2 ? MX_BFLOAT16 : t;
        break; /* MLX writes bfloat16 as '<V2' */
    default:
        break;
    }
    if (t == MX_DTYPE_NONE)
        return mxi_error(MX_ERR_TYPE, "[%s] unsupported .npy dtype '%.*s'", s->op, (int)n, d);
    bool big;
    switch (order) {
    case '<':
    case '|':
    case '=':
        big = false;
        break;
    case '>':
        big = true;
        break;
    default:
        return bad(s, "unknown byte order in descr");
    }
    info->dtype = t;
    info->swap = big ? (t == MX_COMPLEX64 ? 4 : mx_dtype_size(t)) : 0;
    if (info->swap == 1) info->swap = 0;
    return MX_OK;
}

static int parse_shape(npy_scan *s, npy_info *info) {
    if (!eat(s, '(')) return bad(s, "shape must be a tuple");
    info->ndim = 0;
    for (;;) {
        skip_ws(s);
        if (eat(s, ')')) break;
        if (s->p >= s->end || !isdigit((unsigned char)*s->p)) return bad(s, "bad shape entry");
        uint64_t v = 0;
        while (s->p < s->end && isdigit((unsigned char)*s->p)) {
            if (v > INT32_MAX)
                return mxi_error(MX_ERR_VALUE, "[%s] a dimension is too large", s->op);
            v = v * 10 + (uint64_t)(*s->p++ - '0');
        }
        if (s->p < s->end && *s->p == 'L') s->p++; /* Python 2 longs */
        if (info->ndim == MXI_IO_MAX_NDIM) return bad(s, "too many dimensions");
        info->dims[info->ndim++] = v;
        if (eat(s, ')')) break;
        if (!eat(s, ',')) return bad(s, "expected ',' in shape");
    }
    return MX_OK;
}

static int parse_header(const char *op, const char *h, size_t n, npy_info *info) {
    npy_scan s = {h, h + n, op};
    bool have_descr = false, have_order = false, have_shape = false;
    if (!eat(&s, '{')) return bad(&s, "expected '{'");
    for (;;) {
        if (eat(&s, '}')) break;
        const char *key;
        size_t klen;
        int rc = scan_string(&s, &key, &klen);
        if (rc) return rc;
        if (!eat(&s, ':')) return bad(&s, "expected ':'");
        if (klen == 5 && !memcmp(key, "descr", 5) && !have_descr) {
            const char *d;
            size_t dl;
            rc = scan_string(&s, &d, &dl);
            if (!rc) rc = parse_descr(&s, d, dl, info);
            if (rc) return rc;
            have_descr = true;
        } else if (klen == 13 && !memcmp(key, "fortran_order", 13) && !have_order) {
            if (word(&s, "True"))
                info->fortran = true;
            else if (word(&s, "False"))
                info->fortran = false;
            else
                return bad(&s, "fortran_order must be True or False");
            have_order = true;
        } else if (klen == 5 && !memcmp(key, "shape", 5) && !have_shape) {
            rc = parse_shape(&s, info);
            if (rc) return rc;
            have_shape = true;
        } else {
            return bad(&s, "unknown or repeated key");
        }
        if (eat(&s, '}')) break;
        if (!eat(&s, ',')) return bad(&s, "expected ','");
    }
    if (!have_descr || !have_order || !have_shape)
        return bad(&s, "descr, fortran_order and shape are required");
    return MX_OK;
}

int mxi_npy_array(mx_array **out, const mxi_reader *r, uint64_t base, uint64_t len,
                  const mx_stream *s) {
    const char *op = r->op;
    unsigned char pre[12];
    if (len < 10 || !mxi_reader_has(r, base, len))
        return mxi_error(MX_ERR_VALUE, "[%s] not a .npy file: too short", op);
    int rc = mxi_reader_read(r, base, pre, 10);
    if (rc) return rc;
    if (memcmp(pre, "\x93NUMPY", 6) != 0)
        return mxi_error(MX_ERR_VALUE, "[%s] not a .npy file: bad magic", op);
    int major = pre[6];
    uint64_t hlen, hstart;
    if (major == 1) {
        hlen = mxi_le16(pre + 8);
        hstart = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12) return mxi_error(MX_ERR_VALUE, "[%s] truncated .npy header", op);
        rc = mxi_reader_read(r, base, pre, 12);
        if (rc) return rc;
        hlen = mxi_le32(pre + 8);
        hstart = 12;
    } else {
        return mxi_error(MX_ERR_VALUE, "[%s] unsupported .npy format version %d", op, major);
    }
    if (hlen > NPY_MAX_HEADER || hlen > len - hstart)
        return mxi_error(MX_ERR_VALUE, "[%s] .npy header length %llu is past the end of the data",
                         op, (unsigned long long)hlen);
    char *h = malloc(hlen ? hlen : 1);
    if (!h) return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
    npy_info info = {0};
    rc = mxi_reader_read(r, base + hstart, h, hlen);
    if (!rc) rc = parse_header(op, h, hlen, &info);
    free(h);
    if (rc) return rc;
    int32_t shape[MXI_IO_MAX_NDIM];
    uint64_t nbytes;
    uint64_t dims[MXI_IO_MAX_NDIM];
    for (int i = 0; i < info.ndim; i++)
        dims[i] = info.fortran ? info.dims[info.ndim - 1 - i] : info.dims[i];
    rc = mxi_io_shape(op, dims, info.ndim, mx_dtype_size(info.dtype), shape, &nbytes);
    if (rc) return rc;
    uint64_t data = hstart + hlen;
    if (nbytes > len - data)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] .npy data is truncated: %llu bytes for the shape, %llu present", op,
                         (unsigned long long)nbytes, (unsigned long long)(len - data));
    mx_array *a = NULL;
    rc = mxi_reader_array(&a, r, base + data, nbytes, info.dtype, shape, info.ndim, info.swap, s);
    if (rc) return rc;
    if (info.fortran && info.ndim > 1) {
        rc = mx_transpose(&a, a, NULL, 0, s);
        if (rc) {
            mx_array_free(a);
            return rc;
        }
    }
    mxi_set_out(out, a);
    return MX_OK;
}

static const char *descr_of(mx_dtype t) {
    switch (t) {
    case MX_BOOL:
        return "|b1";
    case MX_UINT8:
        return "|u1";
    case MX_UINT16:
        return "<u2";
    case MX_UINT32:
        return "<u4";
    case MX_UINT64:
        return "<u8";
    case MX_INT8:
        return "|i1";
    case MX_INT16:
        return "<i2";
    case MX_INT32:
        return "<i4";
    case MX_INT64:
        return "<i8";
    case MX_FLOAT16:
        return "<f2";
    case MX_FLOAT32:
        return "<f4";
    case MX_FLOAT64:
        return "<f8";
    case MX_BFLOAT16:
        return "<V2";
    case MX_COMPLEX64:
        return "<c8";
    default:
        return "|V0";
    }
}

void mxi_npy_header(mxi_buf *b, const mx_array *a) {
    mxi_buf dict = {0};
    mxi_buf_printf(&dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                   descr_of(mx_array_dtype(a)));
    int nd = mx_array_ndim(a);
    const int32_t *sh = mx_array_shape(a);
    for (int i = 0; i < nd; i++) mxi_buf_printf(&dict, nd == 1 ? "%d," : i ? ", %d" : "%d", sh[i]);
    mxi_buf_printf(&dict, "), }");
    /* Pad with spaces and a newline so the data starts on a 64-byte
     * boundary, as NumPy does. */
    size_t pre = 10, total = pre + dict.len + 1;
    bool v2 = false;
    size_t padded = (total + 63) / 64 * 64;
    if (padded - pre > 65535) {
        v2 = true;
        pre = 12;
        padded = (pre + dict.len + 1 + 63) / 64 * 64;
    }
    size_t hlen = padded - pre;
    mxi_buf_append(b, "\x93NUMPY", 6);
    mxi_buf_u8(b, v2 ? 2 : 1);
    mxi_buf_u8(b, 0);
    if (v2)
        mxi_buf_u32(b, (uint32_t)hlen);
    else
        mxi_buf_u16(b, (uint16_t)hlen);
    mxi_buf_append(b, dict.data, dict.len);
    for (size_t i = dict.len; i + 1 < hlen; i++) mxi_buf_u8(b, ' ');
    mxi_buf_u8(b, '\n');
    if (dict.failed) b->failed = true;
    mxi_buf_free(&dict);
}

int mx_load_npy(mx_array **out, const char *path, const mx_stream *s) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[load_npy] out is NULL");
    mxi_reader r;
    int rc = mxi_reader_open_file(&r, "load_npy", path);
    if (rc) return rc;
    rc = mxi_npy_array(out, &r, 0, r.size, s);
    mxi_reader_close(&r);
    return rc;
}

int mx_load_npy_bytes(mx_array **out, const void *data, size_t len) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[load_npy] out is NULL");
    mxi_reader r;
    int rc = mxi_reader_open_mem(&r, "load_npy", data, len);
    if (rc) return rc;
    mx_array *a = NULL;
    rc = mxi_npy_array(&a, &r, 0, r.size, NULL);
    /* A Fortran-order image is a transpose node: evaluate it so the result
     * is ready, as the memory loaders promise. */
    if (!rc) rc = mx_eval(&a, 1);
    if (rc) {
        mx_array_free(a);
        return rc;
    }
    mxi_set_out(out, a);
    return MX_OK;
}

int mx_save_npy(const char *path, const mx_array *a) {
    if (!a) return mxi_error(MX_ERR_VALUE, "[save_npy] the array is NULL");
    const void *data;
    void *owned;
    int rc = mxi_io_row_major(a, &data, &owned, "save_npy");
    if (rc) return rc;
    mxi_buf h = {0};
    mxi_npy_header(&h, a);
    rc = mxi_buf_check(&h, "save_npy");
    int fd = -1;
    if (!rc) rc = mxi_open_write(&fd, path, "save_npy");
    if (!rc) rc = mxi_write_all(fd, h.data, h.len, "save_npy", path);
    if (!rc) rc = mxi_write_all(fd, data, mx_array_nbytes(a), "save_npy", path);
    if (fd >= 0) {
        int crc = mxi_close_write(fd, "save_npy", path);
        if (!rc) rc = crc;
    }
    mxi_buf_free(&h);
    free(owned);
    return rc;
}
