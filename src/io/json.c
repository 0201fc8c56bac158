/* The strict JSON parser of json.h: recursive descent with a depth limit. */
#include "json.h"

#include <stdlib.h>
#include <string.h>

#include "io_util.h"

typedef struct parser {
    const char *p, *start, *end;
    int depth, max_depth;
    const char *op;
} parser;

static int fail(const parser *ps, const char *what) {
    return mxi_error(MX_ERR_VALUE, "[%s] invalid JSON header at byte %ld: %s", ps->op,
                     (long)(ps->p - ps->start), what);
}

static void skip_ws(parser *ps) {
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static void free_inner(mxi_json *j) {
    if (!j) return;
    free(j->str);
    for (size_t i = 0; i < j->n; i++) {
        free_inner(&j->items[i]);
        if (j->keys) free(j->keys[i]);
    }
    free(j->items);
    free(j->keys);
    free(j->klens);
}

void mxi_json_free(mxi_json *j) {
    free_inner(j);
    free(j);
}

static int hex4(parser *ps, uint32_t *v) {
    if (ps->end - ps->p < 4) return fail(ps, "short \\u escape");
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = *ps->p++;
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) return fail(ps, "bad \\u escape");
        *v = *v << 4 | (uint32_t)d;
    }
    return MX_OK;
}

static size_t put_utf8(char *o, uint32_t c) {
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | c >> 6);
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | c >> 12);
        o[1] = (char)(0x80 | (c >> 6 & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | c >> 18);
    o[1] = (char)(0x80 | (c >> 12 & 0x3F));
    o[2] = (char)(0x80 | (c >> 6 & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* The decoded string is never longer than its source text. */
static int parse_string(parser *ps, char **out, size_t *len) {
    ps->p++; /* opening quote */
    const char *q = ps->p;
    while (q < ps->end && *q != '"') q += (*q == '\\' && q + 1 < ps->end) ? 2 : 1;
    if (q >= ps->end) return fail(ps, "unterminated string");
    char *s = malloc((size_t)(q - ps->p) + 1);
    if (!s) return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", ps->op);
    size_t n = 0;
    while (*ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20) {
            free(s);
            return fail(ps, "control character in string");
        }
        if (c != '\\') {
            s[n++] = (char)c;
            ps->p++;
            continue;
        }
        ps->p++;
        char e = *ps->p++;
        uint32_t cp;
        int rc = MX_OK;
        switch (e) {
        case '"':
            s[n++] = '"';
            break;
        case '\\':
            s[n++] = '\\';
            break;
        case '/':
            s[n++] = '/';
            break;
        case 'b':
            s[n++] = '\b';
            break;
        case 'f':
            s[n++] = '\f';
            break;
        case 'n':
            s[n++] = '\n';
            break;
        case 'r':
            s[n++] = '\r';
            break;
        case 't':
            s[n++] = '\t';
            break;
        case 'u':
            rc = hex4(ps, &cp);
            if (!rc && cp >= 0xD800 && cp < 0xDC00) {
                uint32_t lo;
                if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u') {
                    rc = fail(ps, "unpaired surrogate");
                } else {
                    ps->p += 2;
                    rc = hex4(ps, &lo);
                    if (!rc && (lo < 0xDC00 || lo > 0xDFFF)) rc = fail(ps, "unpaired surrogate");
                    if (!rc) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
            } else if (!rc && cp >= 0xDC00 && cp < 0xE000) {
                rc = fail(ps, "unpaired surrogate");
            }
            if (!rc) n += put_utf8(s + n, cp);
            break;
        default:
            rc = fail(ps, "bad escape");
        }
        if (rc) {
            free(s);
            return rc;
        }
    }
    ps->p++; /* closing quote */
    s[n] = '\0';
    *out = s, *len = n;
    return MX_OK;
}

static int parse_number(parser *ps, mxi_json *j) {
    const char *b = ps->p;
    if (ps->p < ps->end && *ps->p == '-') ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') return fail(ps, "bad number");
    if (*ps->p == '0')
        ps->p++;
    else
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
    bool integral = true;
    if (ps->p < ps->end && *ps->p == '.') {
        integral = false;
        ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') return fail(ps, "bad number");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        integral = false;
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-')) ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') return fail(ps, "bad number");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
    }
    size_t n = (size_t)(ps->p - b);
    if (n > 64) return fail(ps, "number too long");
    char tmp[65];
    memcpy(tmp, b, n);
    tmp[n] = '\0';
    j->kind = MXI_JSON_NUMBER;
    j->num = strtod(tmp, NULL);
    if (integral && b[0] != '-') {
        uint64_t u = 0;
        bool ok = true;
        for (size_t i = 0; i < n; i++) {
            uint64_t d = (uint64_t)(tmp[i] - '0');
            if (u > (UINT64_MAX - d) / 10) ok = false;
            u = u * 10 + d;
        }
        j->is_uint = ok;
        j->u = ok ? u : 0;
    }
    return MX_OK;
}

static int parse_value(parser *ps, mxi_json *j);

static int add_item(parser *ps, mxi_json *j, size_t *cap, bool keyed) {
    if (j->n == *cap) {
        size_t c = *cap ? *cap * 2 : 4;
        mxi_json *it = realloc(j->items, c * sizeof *it);
        if (!it) return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", ps->op);
        j->items = it;
        if (keyed) {
            char **k = realloc(j->keys, c * sizeof *k);
            if (!k) return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", ps->op);
            j->keys = k;
            size_t *kl = realloc(j->klens, c * sizeof *kl);
            if (!kl) return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", ps->op);
            j->klens = kl;
        }
        *cap = c;
    }
    memset(&j->items[j->n], 0, sizeof j->items[0]);
    if (keyed) j->keys[j->n] = NULL;
    j->n++;
    return MX_OK;
}

static int parse_container(parser *ps, mxi_json *j, bool object) {
    if (++ps->depth > ps->max_depth) return fail(ps, "nested too deeply");
    j->kind = object ? MXI_JSON_OBJECT : MXI_JSON_ARRAY;
    ps->p++;
    size_t cap = 0;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
        ps->p++;
        ps->depth--;
        return MX_OK;
    }
    for (;;) {
        int rc = add_item(ps, j, &cap, object);
        if (rc) return rc;
        size_t i = j->n - 1;
        skip_ws(ps);
        if (object) {
            if (ps->p >= ps->end || *ps->p != '"') return fail(ps, "expected a key");
            rc = parse_string(ps, &j->keys[i], &j->klens[i]);
            if (rc) return rc;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') return fail(ps, "expected ':'");
            ps->p++;
        }
        rc = parse_value(ps, &j->items[i]);
        if (rc) return rc;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
            ps->p++;
            break;
        }
        return fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
    ps->depth--;
    return MX_OK;
}

static bool literal(parser *ps, const char *w) {
    size_t n = strlen(w);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n) != 0) return false;
    ps->p += n;
    return true;
}

static int parse_value(parser *ps, mxi_json *j) {
    skip_ws(ps);
    if (ps->p >= ps->end) return fail(ps, "unexpected end");
    switch (*ps->p) {
    case '{':
        return parse_container(ps, j, true);
    case '[':
        return parse_container(ps, j, false);
    case '"':
        j->kind = MXI_JSON_STRING;
        return parse_string(ps, &j->str, &j->len);
    case 't':
        if (!literal(ps, "true")) return fail(ps, "bad literal");
        j->kind = MXI_JSON_BOOL, j->b = true;
        return MX_OK;
    case 'f':
        if (!literal(ps, "false")) return fail(ps, "bad literal");
        j->kind = MXI_JSON_BOOL, j->b = false;
        return MX_OK;
    case 'n':
        if (!literal(ps, "null")) return fail(ps, "bad literal");
        j->kind = MXI_JSON_NULL;
        return MX_OK;
    default:
        return parse_number(ps, j);
    }
}

int mxi_json_parse(mxi_json **out, const char *text, size_t len, int max_depth, const char *op) {
    parser ps = {text, text, text + len, 0, max_depth, op};
    mxi_json *j = calloc(1, sizeof *j);
    if (!j) return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
    int rc = parse_value(&ps, j);
    if (!rc) {
        skip_ws(&ps);
        if (ps.p != ps.end) rc = fail(&ps, "text after the value");
    }
    if (rc) {
        mxi_json_free(j);
        return rc;
    }
    *out = j;
    return MX_OK;
}

const mxi_json *mxi_json_get(const mxi_json *obj, const char *key) {
    if (!obj || obj->kind != MXI_JSON_OBJECT) return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < obj->n; i++)
        if (obj->klens[i] == n && memcmp(obj->keys[i], key, n) == 0) return &obj->items[i];
    return NULL;
}

void mxi_json_write_string(struct mxi_buf *b, const char *s, size_t n) {
    mxi_buf_u8(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            mxi_buf_u8(b, '\\');
            mxi_buf_u8(b, c);
        } else if (c < 0x20) {
            mxi_buf_printf(b, "\\u%04x", c);
        } else {
            mxi_buf_u8(b, c);
        }
    }
    mxi_buf_u8(b, '"');
}
