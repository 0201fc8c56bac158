/*
 * .npz: a zip archive of .npy members (NumPy's savez / savez_compressed).
 *
 * Reading trusts nothing: the end-of-central-directory record is searched
 * in the last 64 KiB only, zip64 records are read where the 32-bit fields
 * overflow, every member's local header and data must lie inside the file
 * and members may not overlap (the zip-bomb trick), and a deflated member
 * may not claim more than deflate's maximum ratio of its compressed size.
 * Stored members become lazy loads of their region of the file; deflated
 * ones are inflated now and their CRC checked.
 */
#include <stdlib.h>
#include <stdio.h>
#include <zlib.h>

#include "maps.h"
#include "npy.h"
#include "core/array_impl.h"

#define SIG_LOCAL     0x04034b50u
#define SIG_CENTRAL   0x02014b50u
#define SIG_EOCD      0x06054b50u
#define SIG_EOCD64    0x06064b50u
#define SIG_LOCATOR64 0x07064b50u

/* deflate cannot expand data by more than about 1032:1. */
#define MAX_DEFLATE_RATIO 1032u

typedef struct member {
    uint64_t local, data, csize, usize;
    uint32_t crc;
    uint16_t method;
    const char *name; /* into the central directory copy */
    size_t name_len;
} member;

static int bad(const mxi_reader *r, const char *what) {
    return mxi_error(MX_ERR_VALUE, "[%s] not a valid .npz (zip) file: %s", r->op, what);
}

static int find_eocd(const mxi_reader *r, uint64_t *entries, uint64_t *cd_off, uint64_t *cd_size) {
    if (r->size < 22) return bad(r, "too short");
    uint64_t tail = r->size < 22 + 65535 ? r->size : 22 + 65535;
    unsigned char *t = malloc(tail);
    if (!t) return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", r->op);
    int rc = mxi_reader_read(r, r->size - tail, t, tail);
    if (rc) {
        free(t);
        return rc;
    }
    long at = -1;
    for (long i = (long)tail - 22; i >= 0; i--) {
        if (mxi_le32(t + i) == SIG_EOCD && (uint64_t)i + 22 + mxi_le16(t + i + 20) <= tail) {
            at = i;
            break;
        }
    }
    if (at < 0) {
        free(t);
        return bad(r, "no end of central directory record");
    }
    const unsigned char *e = t + at;
    *entries = mxi_le16(e + 10);
    *cd_size = mxi_le32(e + 12);
    *cd_off = mxi_le32(e + 16);
    uint64_t eocd_pos = r->size - tail + (uint64_t)at;
    free(t);
    if (*entries == 0xFFFF || *cd_size == 0xFFFFFFFFu || *cd_off == 0xFFFFFFFFu) {
        unsigned char loc[20], z[56];
        if (eocd_pos < 20) return bad(r, "missing zip64 locator");
        rc = mxi_reader_read(r, eocd_pos - 20, loc, 20);
        if (rc) return rc;
        if (mxi_le32(loc) != SIG_LOCATOR64) return bad(r, "missing zip64 locator");
        rc = mxi_reader_read(r, mxi_le64(loc + 8), z, 56);
        if (rc) return rc;
        if (mxi_le32(z) != SIG_EOCD64) return bad(r, "bad zip64 end record");
        *entries = mxi_le64(z + 32);
        *cd_size = mxi_le64(z + 40);
        *cd_off = mxi_le64(z + 48);
    }
    if (!mxi_reader_has(r, *cd_off, *cd_size))
        return bad(r, "the central directory is outside the file");
    if (*entries > *cd_size / 46) return bad(r, "more entries than the directory can hold");
    return MX_OK;
}

/* Reads the zip64 extra field's replacements for the saturated fields. */
static int zip64_extra(const mxi_reader *r, const unsigned char *x, size_t n, member *m,
                       bool need_u, bool need_c, bool need_o) {
    size_t i = 0;
    while (i + 4 <= n) {
        uint16_t id = mxi_le16(x + i), len = mxi_le16(x + i + 2);
        if (i + 4 + len > n) return bad(r, "extra field past its record");
        if (id == 1) {
            const unsigned char *p = x + i + 4, *end = p + len;
            if (need_u) {
                if (p + 8 > end) return bad(r, "short zip64 field");
                m->usize = mxi_le64(p), p += 8;
            }
            if (need_c) {
                if (p + 8 > end) return bad(r, "short zip64 field");
                m->csize = mxi_le64(p), p += 8;
            }
            if (need_o) {
                if (p + 8 > end) return bad(r, "short zip64 field");
                m->local = mxi_le64(p);
            }
            return MX_OK;
        }
        i += 4 + (size_t)len;
    }
    if (need_u || need_c || need_o) return bad(r, "saturated sizes without a zip64 field");
    return MX_OK;
}

static int cmp_member(const void *a, const void *b) {
    const member *x = a, *y = b;
    return x->local < y->local ? -1 : x->local > y->local;
}

static int inflate_member(const mxi_reader *r, const member *m, unsigned char **out) {
    if (m->usize > m->csize * (uint64_t)MAX_DEFLATE_RATIO + 64)
        return bad(r, "a member claims an impossible compression ratio");
    if (m->csize > UINT32_MAX || m->usize > UINT32_MAX)
        return mxi_error(MX_ERR_VALUE, "[%s] deflated members over 4 GiB are not supported", r->op);
    unsigned char *in = malloc(m->csize ? m->csize : 1);
    unsigned char *dst = malloc(m->usize ? m->usize : 1);
    if (!in || !dst) {
        free(in);
        free(dst);
        return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", r->op);
    }
    int rc = mxi_reader_read(r, m->data, in, m->csize);
    if (rc) {
        free(in);
        free(dst);
        return rc;
    }
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK) {
        free(in);
        free(dst);
        return mxi_error(MX_ERR_MEMORY, "[%s] cannot start zlib", r->op);
    }
    z.next_in = in;
    z.avail_in = (uInt)m->csize;
    z.next_out = dst;
    z.avail_out = (uInt)m->usize;
    int zr = inflate(&z, Z_FINISH);
    uint64_t got = z.total_out;
    inflateEnd(&z);
    free(in);
    if (zr != Z_STREAM_END || got != m->usize) {
        free(dst);
        return bad(r, "a deflated member does not inflate to its recorded size");
    }
    if ((uint32_t)crc32(0L, dst, (uInt)m->usize) != m->crc) {
        free(dst);
        return bad(r, "a member's CRC does not match");
    }
    *out = dst;
    return MX_OK;
}

static int load_members(mx_array_map *map, const mxi_reader *r, const mx_stream *s) {
    uint64_t entries = 0, cd_off = 0, cd_size = 0;
    int rc = find_eocd(r, &entries, &cd_off, &cd_size);
    if (rc) return rc;
    unsigned char *cd = malloc(cd_size ? cd_size : 1);
    member *ms = calloc(entries ? entries : 1, sizeof *ms);
    if (!cd || !ms) {
        free(cd);
        free(ms);
        return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", r->op);
    }
    rc = mxi_reader_read(r, cd_off, cd, cd_size);
    uint64_t pos = 0;
    for (uint64_t i = 0; i < entries && !rc; i++) {
        member *m = &ms[i];
        if (cd_size - pos < 46 || mxi_le32(cd + pos) != SIG_CENTRAL) {
            rc = bad(r, "bad central directory entry");
            break;
        }
        const unsigned char *e = cd + pos;
        uint16_t flags = mxi_le16(e + 8);
        m->method = mxi_le16(e + 10);
        m->crc = mxi_le32(e + 16);
        m->csize = mxi_le32(e + 20);
        m->usize = mxi_le32(e + 24);
        uint64_t nl = mxi_le16(e + 28), xl = mxi_le16(e + 30), cl = mxi_le16(e + 32);
        m->local = mxi_le32(e + 42);
        if (cd_size - pos - 46 < nl + xl + cl) {
            rc = bad(r, "central directory entry past its end");
            break;
        }
        m->name = (const char *)e + 46;
        m->name_len = nl;
        rc = zip64_extra(r, e + 46 + nl, xl, m, m->usize == 0xFFFFFFFFu, m->csize == 0xFFFFFFFFu,
                         m->local == 0xFFFFFFFFu);
        if (rc) break;
        pos += 46 + nl + xl + cl;
        if (flags & 1)
            rc = mxi_error(MX_ERR_VALUE, "[%s] encrypted members are not supported", r->op);
        else if (m->method != 0 && m->method != 8)
            rc = mxi_error(MX_ERR_VALUE, "[%s] compression method %d is not supported", r->op,
                           m->method);
        else if (m->method == 0 && m->csize != m->usize)
            rc = bad(r, "a stored member's sizes differ");
        if (rc) break;
        unsigned char lh[30];
        rc = mxi_reader_read(r, m->local, lh, 30);
        if (rc) break;
        if (mxi_le32(lh) != SIG_LOCAL) {
            rc = bad(r, "bad local header");
            break;
        }
        m->data = m->local + 30 + mxi_le16(lh + 26) + mxi_le16(lh + 28);
        if (!mxi_reader_has(r, m->data, m->csize)) {
            rc = bad(r, "a member's data is past the end of the file");
            break;
        }
    }
    /* Members may not share bytes. */
    if (!rc && entries > 1) {
        member *sorted = malloc(entries * sizeof *sorted);
        if (!sorted) {
            rc = mxi_error(MX_ERR_MEMORY, "[%s] out of memory", r->op);
        } else {
            memcpy(sorted, ms, entries * sizeof *sorted);
            qsort(sorted, entries, sizeof *sorted, cmp_member);
            for (uint64_t i = 1; i < entries && !rc; i++)
                if (sorted[i].local < sorted[i - 1].data + sorted[i - 1].csize)
                    rc = bad(r, "members overlap");
            free(sorted);
        }
    }
    for (uint64_t i = 0; i < entries && !rc; i++) {
        member *m = &ms[i];
        if (m->name_len < 4 || memcmp(m->name + m->name_len - 4, ".npy", 4) != 0) {
            rc = mxi_error(MX_ERR_VALUE, "[%s] member \"%.*s\" is not a .npy file", r->op,
                           (int)(m->name_len > 200 ? 200 : m->name_len), m->name);
            break;
        }
        mx_array *a = NULL;
        if (m->method == 0) {
            rc = mxi_npy_array(&a, r, m->data, m->usize, s);
        } else {
            unsigned char *raw = NULL;
            rc = inflate_member(r, m, &raw);
            if (!rc) {
                mxi_reader mr;
                mxi_reader_open_mem(&mr, r->op, raw, m->usize);
                rc = mxi_npy_array(&a, &mr, 0, m->usize, s);
                /* Fortran-order members are transposes of copies: finish
                 * them now, the inflated bytes are about to go. */
                if (!rc && mx_array_get_status(a) != MX_ARRAY_AVAILABLE) rc = mx_eval(&a, 1);
                free(raw);
            }
        }
        if (!rc)
            rc = mxi_array_map_add_new(map, r->op, m->name, m->name_len - 4, a);
        else
            mx_array_free(a);
    }
    free(ms);
    free(cd);
    return rc;
}

static int load_npz(mx_array_map **out, mxi_reader *r, const mx_stream *s) {
    mx_array_map *map = NULL;
    int rc = mx_array_map_new(&map);
    if (!rc) rc = load_members(map, r, s);
    if (rc) {
        mx_array_map_free(map);
        return rc;
    }
    mx_array_map_free(*out);
    *out = map;
    return MX_OK;
}

int mx_load_npz(mx_array_map **out, const char *path, const mx_stream *s) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[load_npz] out is NULL");
    mxi_reader r;
    int rc = mxi_reader_open_file(&r, "load_npz", path);
    if (rc) return rc;
    rc = load_npz(out, &r, s);
    mxi_reader_close(&r);
    return rc;
}

int mx_load_npz_bytes(mx_array_map **out, const void *data, size_t len) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[load_npz] out is NULL");
    mxi_reader r;
    int rc = mxi_reader_open_mem(&r, "load_npz", data, len);
    if (rc) return rc;
    return load_npz(out, &r, NULL);
}

/* ---- writing ---- */

typedef struct written {
    uint32_t crc, csize, usize, offset;
    uint16_t method;
} written;

static void local_or_central(mxi_buf *b, bool central, const written *w, const char *name,
                             size_t nlen) {
    mxi_buf_u32(b, central ? SIG_CENTRAL : SIG_LOCAL);
    if (central) mxi_buf_u16(b, 20); /* made by: version 2.0 */
    mxi_buf_u16(b, 20);              /* needed */
    mxi_buf_u16(b, 0);               /* flags */
    mxi_buf_u16(b, w->method);
    mxi_buf_u16(b, 0);      /* time: 00:00 */
    mxi_buf_u16(b, 0x0021); /* date: 1980-01-01, so output is reproducible */
    mxi_buf_u32(b, w->crc);
    mxi_buf_u32(b, w->csize);
    mxi_buf_u32(b, w->usize);
    mxi_buf_u16(b, (uint16_t)nlen);
    mxi_buf_u16(b, 0); /* extra */
    if (central) {
        mxi_buf_u16(b, 0); /* comment */
        mxi_buf_u16(b, 0); /* disk */
        mxi_buf_u16(b, 0); /* internal attributes */
        mxi_buf_u32(b, 0644u << 16);
        mxi_buf_u32(b, w->offset);
    }
    mxi_buf_append(b, name, nlen);
}

/* Deflates the .npy image (header then data) into out. */
static int deflate_image(mxi_buf *out, const mxi_buf *hdr, const void *data, size_t n) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return mxi_error(MX_ERR_MEMORY, "[savez] cannot start zlib");
    const unsigned char *parts[2] = {hdr->data, data};
    size_t lens[2] = {hdr->len, n};
    unsigned char chunk[1 << 16];
    int rc = MX_OK;
    for (int p = 0; p < 2 && !rc; p++) {
        const unsigned char *src = parts[p];
        size_t left = lens[p];
        do {
            uInt take = left > (1u << 30) ? (1u << 30) : (uInt)left;
            z.next_in = (unsigned char *)src;
            z.avail_in = take;
            src += take;
            left -= take;
            int flush = (p == 1 && left == 0) ? Z_FINISH : Z_NO_FLUSH;
            /* zlib's usual pattern: call until it leaves output room. */
            do {
                z.next_out = chunk;
                z.avail_out = sizeof chunk;
                if (deflate(&z, flush) == Z_STREAM_ERROR) {
                    rc = mxi_error(MX_ERR_RUNTIME, "[savez] zlib failed");
                    break;
                }
                mxi_buf_append(out, chunk, sizeof chunk - z.avail_out);
            } while (z.avail_out == 0);
        } while (left > 0 && !rc);
    }
    deflateEnd(&z);
    if (!rc) rc = mxi_buf_check(out, "savez");
    return rc;
}

int mx_savez(const char *path, const mx_array_map *arrays, bool compressed) {
    if (!arrays) return mxi_error(MX_ERR_VALUE, "[savez] the array map is NULL");
    size_t n = mx_array_map_size(arrays);
    for (size_t i = 0; i < n; i++)
        if (!mx_array_map_key(arrays, i)[0])
            return mxi_error(MX_ERR_VALUE, "[savez] array names must not be empty");
    written *ws = calloc(n ? n : 1, sizeof *ws);
    if (!ws) return mxi_error(MX_ERR_MEMORY, "[savez] out of memory");
    int fd = -1;
    int rc = mxi_io_eval_map(arrays, "savez");
    if (!rc) rc = mxi_open_write(&fd, path, "savez");
    uint64_t offset = 0;
    char name[4096];
    for (size_t i = 0; i < n && !rc; i++) {
        const mx_array *a = mx_array_map_value(arrays, i);
        int nl = snprintf(name, sizeof name, "%s.npy", mx_array_map_key(arrays, i));
        if (nl < 0 || (size_t)nl >= sizeof name) {
            rc = mxi_error(MX_ERR_VALUE, "[savez] an array name is too long");
            break;
        }
        const void *data;
        void *owned;
        rc = mxi_io_row_major(a, &data, &owned, "savez");
        if (rc) break;
        size_t nbytes = mx_array_nbytes(a);
        mxi_buf hdr = {0}, z = {0}, local = {0};
        mxi_npy_header(&hdr, a);
        rc = mxi_buf_check(&hdr, "savez");
        uint64_t usize = (uint64_t)hdr.len + nbytes;
        if (!rc && (usize >= 0xFFFFFFFFu || offset >= 0xFFFFFFFFu))
            rc = mxi_error(MX_ERR_VALUE, "[savez] archives over 4 GiB are not supported");
        written *w = &ws[i];
        if (!rc) {
            uLong crc = crc32(0L, hdr.data, (uInt)hdr.len);
            crc = crc32(crc, data, (uInt)nbytes);
            w->crc = (uint32_t)crc;
            w->usize = (uint32_t)usize;
            w->offset = (uint32_t)offset;
            w->method = compressed ? 8 : 0;
            if (compressed) rc = deflate_image(&z, &hdr, data, nbytes);
            w->csize = compressed ? (uint32_t)z.len : w->usize;
        }
        if (!rc) {
            local_or_central(&local, false, w, name, (size_t)nl);
            rc = mxi_buf_check(&local, "savez");
        }
        if (!rc) rc = mxi_write_all(fd, local.data, local.len, "savez", path);
        if (!rc && compressed) rc = mxi_write_all(fd, z.data, z.len, "savez", path);
        if (!rc && !compressed) {
            rc = mxi_write_all(fd, hdr.data, hdr.len, "savez", path);
            if (!rc) rc = mxi_write_all(fd, data, nbytes, "savez", path);
        }
        offset += local.len + w->csize;
        mxi_buf_free(&hdr);
        mxi_buf_free(&z);
        mxi_buf_free(&local);
        free(owned);
    }
    if (!rc) {
        mxi_buf cd = {0};
        for (size_t i = 0; i < n; i++) {
            int nl = snprintf(name, sizeof name, "%s.npy", mx_array_map_key(arrays, i));
            local_or_central(&cd, true, &ws[i], name, (size_t)nl);
        }
        if (offset + cd.len >= 0xFFFFFFFFu || n >= 0xFFFF)
            rc = mxi_error(MX_ERR_VALUE, "[savez] archives over 4 GiB or 65535 members are not "
                                         "supported");
        uint32_t cd_len = (uint32_t)cd.len;
        mxi_buf_u32(&cd, SIG_EOCD);
        mxi_buf_u16(&cd, 0);
        mxi_buf_u16(&cd, 0);
        mxi_buf_u16(&cd, (uint16_t)n);
        mxi_buf_u16(&cd, (uint16_t)n);
        mxi_buf_u32(&cd, cd_len);
        mxi_buf_u32(&cd, (uint32_t)offset);
        mxi_buf_u16(&cd, 0);
        if (!rc) rc = mxi_buf_check(&cd, "savez");
        if (!rc) rc = mxi_write_all(fd, cd.data, cd.len, "savez", path);
        mxi_buf_free(&cd);
    }
    if (fd >= 0) {
        int crc = mxi_close_write(fd, "savez", path);
        if (!rc) rc = crc;
    }
    free(ws);
    return rc;
}
