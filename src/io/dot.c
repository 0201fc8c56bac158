/*
 * export_to_dot: the graph behind some arrays as Graphviz DOT text. Arrays
 * are ellipses (named outputs by their name, others by shape and dtype),
 * primitive applications are boxes; edges run input -> node -> output. The
 * walk uses an explicit stack and a pointer set, so deep graphs are fine.
 */
#include <stdio.h>
#include <stdlib.h>

#include "io_util.h"
#include "core/array_impl.h"

typedef struct ptr_set {
    const void **keys;
    int64_t *ids;
    size_t cap, n;
} ptr_set;

static size_t slot_of(const ptr_set *s, const void *p) {
    size_t h = (size_t)((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull;
    size_t mask = s->cap - 1, i = h & mask;
    while (s->keys[i] && s->keys[i] != p) i = (i + 1) & mask;
    return i;
}

/* The id of p, or -1 when new (then it gets the next id). */
static int set_visit(ptr_set *s, const void *p, int64_t *id) {
    if (2 * (s->n + 1) > s->cap) {
        ptr_set g = {calloc(s->cap ? 2 * s->cap : 64, sizeof(void *)),
                     calloc(s->cap ? 2 * s->cap : 64, sizeof(int64_t)), s->cap ? 2 * s->cap : 64,
                     s->n};
        if (!g.keys || !g.ids) {
            free(g.keys);
            free(g.ids);
            return MX_ERR_MEMORY;
        }
        for (size_t i = 0; i < s->cap; i++)
            if (s->keys[i]) {
                size_t j = slot_of(&g, s->keys[i]);
                g.keys[j] = s->keys[i], g.ids[j] = s->ids[i];
            }
        free(s->keys);
        free(s->ids);
        *s = g;
    }
    size_t i = slot_of(s, p);
    if (s->keys[i]) {
        *id = s->ids[i];
        return 1;
    }
    s->keys[i] = p;
    s->ids[i] = *id = (int64_t)s->n++;
    return 0;
}

static int push(const mx_array ***stack, size_t *top, size_t *cap, const mx_array *a) {
    if (*top == *cap) {
        const mx_array **g = realloc(*stack, 2 * *cap * sizeof **stack);
        if (!g) return mxi_error(MX_ERR_MEMORY, "[export_to_dot] out of memory");
        *stack = g, *cap *= 2;
    }
    (*stack)[(*top)++] = a;
    return MX_OK;
}

static void array_label(mxi_buf *b, const mx_array *a) {
    char shape[MXI_SHAPE_STR_LEN];
    mxi_shape_str(shape, sizeof shape, a->shape, a->ndim);
    mxi_buf_printf(b, "%s %s", shape, mx_dtype_name(a->dtype));
}

int mx_export_to_dot(const char *path, mx_array *const *outputs, const char *const *names,
                     size_t n) {
    const char *op = "export_to_dot";
    if (n && !outputs) return mxi_error(MX_ERR_VALUE, "[%s] outputs is NULL", op);
    for (size_t i = 0; i < n; i++)
        if (!outputs[i]) return mxi_error(MX_ERR_VALUE, "[%s] output %zu is NULL", op, i);
    ptr_set seen = {0};
    mxi_buf b = {0}, edges = {0};
    size_t cap = 64, top = 0;
    const mx_array **stack = malloc(cap * sizeof *stack);
    int rc = stack ? MX_OK : mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
    mxi_buf_printf(&b, "digraph {\n");
    for (size_t i = 0; i < n && !rc; i++) {
        int64_t id;
        int v = set_visit(&seen, outputs[i], &id);
        if (v == MX_ERR_MEMORY) {
            rc = mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
            break;
        }
        if (v == 0) rc = push(&stack, &top, &cap, outputs[i]);
        if (names && names[i]) {
            mxi_buf_printf(&b, "  a%lld [label=\"", (long long)id);
            for (const char *c = names[i]; *c; c++) {
                if (*c == '"' || *c == '\\') mxi_buf_u8(&b, '\\');
                mxi_buf_u8(&b, (uint8_t)*c);
            }
            mxi_buf_printf(&b, "\", shape=ellipse, style=filled, fillcolor=lightblue];\n");
        } else if (v == 0) {
            mxi_buf_printf(&b, "  a%lld [label=\"", (long long)id);
            array_label(&b, outputs[i]);
            mxi_buf_printf(&b, "\", shape=ellipse, style=filled, fillcolor=lightblue];\n");
        }
    }
    while (top > 0 && !rc) {
        const mx_array *a = stack[--top];
        int64_t aid;
        set_visit(&seen, a, &aid);
        const mxi_node *node = a->node;
        if (!node) continue;
        int64_t nid;
        int v = set_visit(&seen, node, &nid);
        if (v == MX_ERR_MEMORY) {
            rc = mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
            break;
        }
        mxi_buf_printf(&edges, "  n%lld -> a%lld;\n", (long long)nid, (long long)aid);
        if (v == 1) continue;
        char desc[256];
        mxi_node_describe(node, desc, sizeof desc);
        mxi_buf_printf(&b, "  n%lld [label=\"%s\", shape=box];\n", (long long)nid, desc);
        for (int i = 0; i < node->n_inputs && !rc; i++) {
            const mx_array *in = node->inputs[i];
            int64_t iid;
            int iv = set_visit(&seen, in, &iid);
            if (iv == MX_ERR_MEMORY) {
                rc = mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
                break;
            }
            mxi_buf_printf(&edges, "  a%lld -> n%lld;\n", (long long)iid, (long long)nid);
            if (iv == 1) continue;
            mxi_buf_printf(&b, "  a%lld [label=\"", (long long)iid);
            array_label(&b, in);
            mxi_buf_printf(&b, "\", shape=ellipse];\n");
            rc = push(&stack, &top, &cap, in);
        }
    }
    mxi_buf_append(&b, edges.data, edges.len);
    mxi_buf_printf(&b, "}\n");
    if (edges.failed) b.failed = true;
    if (!rc) rc = mxi_buf_check(&b, op);
    int fd = -1;
    if (!rc) rc = mxi_open_write(&fd, path, op);
    if (!rc) rc = mxi_write_all(fd, b.data, b.len, op, path);
    if (fd >= 0) {
        int crc = mxi_close_write(fd, op, path);
        if (!rc) rc = crc;
    }
    free(stack);
    free(seen.keys);
    free(seen.ids);
    mxi_buf_free(&b);
    mxi_buf_free(&edges);
    return rc;
}
