/*
 * einsum and einsum_path. Subscripts are parsed into terms of letters (an
 * ellipsis becomes letters the subscripts do not use, taken from the end of
 * the unused ones so shorter ellipses align to the right); a greedy search
 * picks the pairwise contraction order (the rule MLX and opt_einsum use:
 * shrink the most, then the cheapest, outer products last); each step then
 * takes diagonals of repeated letters, sums letters no one else needs, and
 * is a batched matrix product when something is contracted or a broadcast
 * multiply and sum otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops_util.h"

#define MAX_LABELS   52
#define MAX_TERM     64
#define MAX_OPERANDS 64

typedef uint64_t labelset;

typedef struct term {
    int n;
    int8_t lab[MAX_TERM];
} term;

static int label_of(char c) {
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= 'A' && c <= 'Z') return 26 + (c - 'A');
    return -1;
}

static labelset set_of(const term *t) {
    labelset s = 0;
    for (int i = 0; i < t->n; i++) s |= (labelset)1 << t->lab[i];
    return s;
}

static int popcount(labelset s) {
    return __builtin_popcountll(s);
}

/* ---- parsing ---- */

typedef struct parsed {
    int n;    /* operands */
    term *in; /* n terms */
    term out;
    int64_t dim[MAX_LABELS]; /* broadcast size per label */
} parsed;

/* One subscript (without ','/'->'): letters and at most one "...",
 * expanded with ell letters. ndim < 0 means "the output": its ellipsis
 * takes *max_ell letters. */
static int parse_term(term *t, const char *op, const char *s, size_t len, int ndim,
                      const char *spare, int nspare, int *max_ell, int index) {
    int before = 0, after = 0, ell = -1;
    for (size_t i = 0; i < len; i++) {
        if (label_of(s[i]) >= 0) {
            if (ell >= 0)
                after++;
            else
                before++;
            continue;
        }
        if (s[i] != '.' || i + 2 >= len || s[i + 1] != '.' || s[i + 2] != '.')
            return mxi_error(MX_ERR_VALUE, "[%s] subscripts must be letters, but got '%c'", op,
                             s[i]);
        if (ell >= 0)
            return mxi_error(MX_ERR_VALUE, "[%s] only one ellipsis per subscript is allowed", op);
        ell = before;
        i += 2;
    }
    int nell = 0;
    if (ell >= 0) {
        if (ndim >= 0) {
            nell = ndim - before - after;
            if (nell < 0)
                return mxi_error(MX_ERR_VALUE,
                                 "[%s] operand %d has %d dimensions, too few for "
                                 "its subscript's %d letters and ellipsis",
                                 op, index, ndim, before + after);
            if (nell > *max_ell) *max_ell = nell;
        } else {
            nell = *max_ell;
        }
        if (nell > nspare)
            return mxi_error(MX_ERR_VALUE, "[%s] not enough unused letters for the ellipsis", op);
    }
    if (before + after + nell > MAX_TERM)
        return mxi_error(MX_ERR_VALUE, "[%s] too many subscripts", op);
    t->n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            for (int k = 0; k < nell; k++)
                t->lab[t->n++] = (int8_t)label_of(spare[nspare - nell + k]);
            i += 2;
        } else {
            t->lab[t->n++] = (int8_t)label_of(s[i]);
        }
    }
    return MX_OK;
}

static int parse(parsed *p, const char *op, const char *subscripts, const mx_array *const *operands,
                 int n) {
    if (!subscripts) return mxi_error(MX_ERR_VALUE, "[%s] subscripts must not be NULL", op);
    if (n < 1) return mxi_error(MX_ERR_VALUE, "[%s] at least one operand is required", op);
    if (n > MAX_OPERANDS)
        return mxi_error(MX_ERR_VALUE, "[%s] at most %d operands are supported", op, MAX_OPERANDS);
    for (int i = 0; i < n; i++)
        if (!operands || !operands[i])
            return mxi_error(MX_ERR_VALUE, "[%s] operand %d is NULL", op, i);
    /* Spaces are ignored. */
    size_t len = strlen(subscripts);
    char *s = malloc(len + 1);
    if (!s) return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
    size_t m = 0;
    for (size_t i = 0; i < len; i++)
        if (subscripts[i] != ' ') s[m++] = subscripts[i];
    s[m] = 0;
    p->n = n;
    p->in = calloc((size_t)n, sizeof(term));
    if (!p->in) {
        free(s);
        return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
    }
    int rc = MX_OK;
    char *arrow = strstr(s, "->");
    char implicit[MAX_LABELS + 4];
    const char *rhs;
    size_t lhs_len;
    if (arrow) {
        lhs_len = (size_t)(arrow - s);
        rhs = arrow + 2;
    } else {
        /* The letters used once, in alphabetical (ASCII) order, after the
         * ellipsis if there is one. */
        lhs_len = m;
        int count[MAX_LABELS] = {0};
        bool dots = false;
        for (size_t i = 0; i < m; i++) {
            int l = label_of(s[i]);
            if (l >= 0) count[l]++;
            if (s[i] == '.') dots = true;
        }
        size_t k = 0;
        if (dots) memcpy(implicit, "...", 3), k = 3;
        for (char c = 'A'; c <= 'Z'; c++)
            if (count[label_of(c)] == 1) implicit[k++] = c;
        for (char c = 'a'; c <= 'z'; c++)
            if (count[label_of(c)] == 1) implicit[k++] = c;
        implicit[k] = 0;
        rhs = implicit;
    }
    /* Letters free for ellipses, a-z then A-Z. */
    bool used[MAX_LABELS] = {false};
    for (size_t i = 0; i < m; i++)
        if (label_of(s[i]) >= 0) used[label_of(s[i])] = true;
    char spare[MAX_LABELS];
    int nspare = 0;
    for (char c = 'a'; c <= 'z'; c++)
        if (!used[label_of(c)]) spare[nspare++] = c;
    for (char c = 'A'; c <= 'Z'; c++)
        if (!used[label_of(c)]) spare[nspare++] = c;

    /* Inputs, split on ',' keeping empty (scalar) subscripts. */
    int count = 1;
    for (size_t i = 0; i < lhs_len; i++) count += s[i] == ',';
    if (count != n) {
        rc = mxi_error(MX_ERR_VALUE,
                       "[%s] number of operands, %d, does not match number of "
                       "input subscripts, %d",
                       op, n, count);
        goto done;
    }
    int max_ell = 0;
    size_t start = 0;
    for (int i = 0; i < n && !rc; i++) {
        size_t end = start;
        while (end < lhs_len && s[end] != ',') end++;
        rc = parse_term(&p->in[i], op, s + start, end - start, operands[i]->ndim, spare, nspare,
                        &max_ell, i);
        start = end + 1;
    }
    if (!rc) rc = parse_term(&p->out, op, rhs, strlen(rhs), -1, spare, nspare, &max_ell, -1);
    if (rc) goto done;

    for (int l = 0; l < MAX_LABELS; l++) p->dim[l] = 0;
    labelset seen = 0;
    for (int i = 0; i < n && !rc; i++) {
        const term *t = &p->in[i];
        const mx_array *a = operands[i];
        if (t->n != a->ndim) {
            rc = mxi_error(MX_ERR_VALUE,
                           "[%s] invalid number of subscripts %d for input %d with "
                           "%d dimensions",
                           op, t->n, i, a->ndim);
            break;
        }
        int64_t local[MAX_LABELS] = {0};
        for (int j = 0; j < t->n; j++) {
            int l = t->lab[j];
            int64_t d = a->shape[j];
            if (local[l] && local[l] - 1 != d) {
                rc = mxi_error(MX_ERR_VALUE,
                               "[%s] dimensions of repeated subscripts do not have "
                               "the same size (%lld != %lld)",
                               op, (long long)(local[l] - 1), (long long)d);
                break;
            }
            local[l] = d + 1;
            if (seen >> l & 1) {
                int64_t have = p->dim[l];
                if (d != 1 && have != 1 && have != d) {
                    rc = mxi_error(MX_ERR_VALUE,
                                   "[%s] cannot broadcast dimension %d of input %d "
                                   "(size %lld) to size %lld",
                                   op, j, i, (long long)d, (long long)have);
                    break;
                }
                if (d > have) p->dim[l] = d;
            } else {
                p->dim[l] = d;
                seen |= (labelset)1 << l;
            }
        }
    }
    if (rc) goto done;
    labelset out_seen = 0;
    for (int j = 0; j < p->out.n; j++) {
        int l = p->out.lab[j];
        if (out_seen >> l & 1) {
            rc = mxi_error(MX_ERR_VALUE, "[%s] repeat indices not allowed in output", op);
            goto done;
        }
        if (!(seen >> l & 1)) {
            rc = mxi_error(MX_ERR_VALUE,
                           "[%s] output subscript '%c' does not appear in the "
                           "inputs",
                           op, l < 26 ? 'a' + l : 'A' + l - 26);
            goto done;
        }
        out_seen |= (labelset)1 << l;
    }
done:
    free(s);
    if (rc) {
        free(p->in);
        p->in = NULL;
    }
    return rc;
}

/* ---- the path ---- */

typedef struct step {
    int npos;
    int pos[MAX_OPERANDS]; /* ascending positions in the shrinking operand list */
    term out;              /* the result's letters */
} step;

typedef struct plan {
    int nsteps;
    step *steps;
    uint64_t naive_cost, opt_cost;
    int naive_scaling, opt_scaling;
} plan;

static uint64_t set_size(labelset s, const int64_t *dim) {
    uint64_t v = 1;
    for (int l = 0; l < MAX_LABELS; l++)
        if (s >> l & 1) v *= (uint64_t)dim[l];
    return v;
}

/* Work of one contraction over letters `all`: the size of the full index
 * space times max(terms - 1, 1), plus one if something is summed. */
static uint64_t flop_count(labelset all, bool inner, int nterms, const int64_t *dim) {
    uint64_t f = nterms - 1 > 1 ? (uint64_t)(nterms - 1) : 1;
    return set_size(all, dim) * (f + (inner ? 1 : 0));
}

/* Letters of a term sorted by size (then letter), as an intermediate's
 * layout. */
static void term_from_set(term *t, labelset s, const int64_t *dim) {
    t->n = 0;
    for (int l = 0; l < MAX_LABELS; l++)
        if (s >> l & 1) t->lab[t->n++] = (int8_t)l;
    for (int i = 1; i < t->n; i++)
        for (int j = i; j > 0 && dim[t->lab[j]] < dim[t->lab[j - 1]]; j--) {
            int8_t x = t->lab[j];
            t->lab[j] = t->lab[j - 1];
            t->lab[j - 1] = x;
        }
}

typedef struct candidate {
    int64_t removed;
    uint64_t cost;
    labelset out;
    int dims, x, y;
} candidate;

static int make_plan(plan *pl, const parsed *p) {
    int n = p->n;
    labelset out = set_of(&p->out), all = 0;
    for (int i = 0; i < n; i++) all |= set_of(&p->in[i]);
    pl->naive_scaling = popcount(all);
    pl->naive_cost = flop_count(all, (all & ~out) != 0, n, p->dim);
    pl->steps = calloc((size_t)n, sizeof(step));
    if (!pl->steps) return mxi_error(MX_ERR_MEMORY, "[einsum] out of memory");
    pl->nsteps = 0;
    if (n <= 2) {
        step *st = &pl->steps[pl->nsteps++];
        st->npos = n;
        for (int k = 0; k < n; k++) st->pos[k] = k;
        st->out = p->out;
        pl->opt_cost = pl->naive_cost;
        pl->opt_scaling = pl->naive_scaling;
        return MX_OK;
    }
    uint64_t memory_limit = set_size(out, p->dim);
    for (int i = 0; i < n; i++) {
        uint64_t v = set_size(set_of(&p->in[i]), p->dim);
        if (v > memory_limit) memory_limit = v;
    }
    labelset *sets = malloc((size_t)n * sizeof(labelset));
    candidate *cands = malloc((size_t)n * (size_t)n * sizeof(candidate));
    if (!sets || !cands) {
        free(sets);
        free(cands);
        return mxi_error(MX_ERR_MEMORY, "[einsum] out of memory");
    }
    for (int i = 0; i < n; i++) sets[i] = set_of(&p->in[i]);
    int live = n, ncand = 0;
    uint64_t cost = 0;
    int scaling = 0;
    bool first = true;
    for (int it = 0; it < n - 1; it++) {
        /* New pairs: all of them at first, then those with the newest term. */
        for (int pass = 0; pass < 2; pass++) {
            if (pass == 1 && ncand > 0) break;
            for (int x = 0; x < live; x++)
                for (int y = x + 1; y < live; y++) {
                    if (!first && y != live - 1) continue;
                    if (pass == 0 && !(sets[x] & sets[y])) continue;
                    labelset both = sets[x] | sets[y], keep = out;
                    for (int k = 0; k < live; k++)
                        if (k != x && k != y) keep |= sets[k];
                    labelset res = both & keep;
                    uint64_t size = set_size(res, p->dim);
                    if (size > memory_limit) continue;
                    uint64_t c = flop_count(both, popcount(both) > popcount(res), 2, p->dim);
                    if (cost + c > pl->naive_cost) continue;
                    cands[ncand++] = (candidate){
                        (int64_t)(set_size(sets[x], p->dim) + set_size(sets[y], p->dim) - size),
                        c,
                        res,
                        popcount(both),
                        x,
                        y};
                }
        }
        first = false;
        if (ncand == 0) {
            /* Everything left in one naive step. */
            step *st = &pl->steps[pl->nsteps++];
            st->npos = live;
            for (int k = 0; k < live; k++) st->pos[k] = k;
            labelset rest = 0;
            for (int k = 0; k < live; k++) rest |= sets[k];
            cost += flop_count(rest, (rest & ~out) != 0, live, p->dim);
            if (popcount(rest) > scaling) scaling = popcount(rest);
            break;
        }
        int best = 0;
        for (int k = 1; k < ncand; k++)
            if (cands[k].removed > cands[best].removed ||
                (cands[k].removed == cands[best].removed && cands[k].cost < cands[best].cost))
                best = k;
        candidate b = cands[best];
        if (b.dims > scaling) scaling = b.dims;
        cost += b.cost;
        step *st = &pl->steps[pl->nsteps++];
        st->npos = 2;
        st->pos[0] = b.x, st->pos[1] = b.y;
        term_from_set(&st->out, b.out, p->dim);
        /* The list loses x and y and gains the result at its end. */
        int w = 0;
        for (int k = 0; k < live; k++)
            if (k != b.x && k != b.y) sets[w++] = sets[k];
        sets[w++] = b.out;
        live = w;
        int nc = 0;
        for (int k = 0; k < ncand; k++) {
            candidate c = cands[k];
            if (c.x == b.x || c.x == b.y || c.y == b.x || c.y == b.y) continue;
            c.x -= (c.x > b.x) + (c.x > b.y);
            c.y -= (c.y > b.x) + (c.y > b.y);
            cands[nc++] = c;
        }
        ncand = nc;
    }
    pl->steps[pl->nsteps - 1].out = p->out;
    pl->opt_cost = cost;
    pl->opt_scaling = scaling;
    free(sets);
    free(cands);
    return MX_OK;
}

int mx_einsum_path(int *path, int *step_sizes, int *nsteps, char *text, size_t text_len,
                   const char *subscripts, const mx_array *const *operands, int n) {
    parsed p;
    int rc = parse(&p, "einsum_path", subscripts, operands, n);
    if (rc) return rc;
    plan pl = {0};
    rc = make_plan(&pl, &p);
    if (!rc) {
        int w = 0;
        for (int i = 0; i < pl.nsteps; i++) {
            const step *st = &pl.steps[i];
            if (step_sizes) step_sizes[i] = st->npos;
            for (int k = 0; k < st->npos; k++)
                if (path) path[w++] = st->pos[k];
        }
        if (nsteps) *nsteps = pl.nsteps;
        if (text && text_len)
            snprintf(text, text_len,
                     "  Complete contraction:  %s\n         Naive scaling:  %d\n"
                     "     Optimized scaling:  %d\n      Naive FLOP count:  %llu\n"
                     "  Optimized FLOP count:  %llu\n",
                     subscripts, pl.naive_scaling, pl.opt_scaling,
                     (unsigned long long)pl.naive_cost, (unsigned long long)pl.opt_cost);
    }
    free(pl.steps);
    free(p.in);
    return rc;
}

/* ---- running the steps ---- */

typedef struct operand {
    mx_array *a;
    term t;
} operand;

/* Takes the diagonal of every letter repeated within one operand. */
static int collapse_repeats(operand *o, const mx_stream *s) {
    for (;;) {
        int i = -1, j = -1;
        for (int x = 0; x < o->t.n && i < 0; x++)
            for (int y = x + 1; y < o->t.n; y++)
                if (o->t.lab[x] == o->t.lab[y]) {
                    i = x, j = y;
                    break;
                }
        if (i < 0) return MX_OK;
        mx_array *d = NULL;
        int rc = mx_diagonal(&d, o->a, 0, i, j, s);
        if (rc) return rc;
        mx_array_free(o->a);
        o->a = d;
        int8_t l = o->t.lab[i];
        int w = 0;
        for (int k = 0; k < o->t.n; k++)
            if (k != i && k != j) o->t.lab[w++] = o->t.lab[k];
        o->t.lab[w++] = l;
        o->t.n = w;
    }
}

/* Sums the letters of o that appear nowhere else (`others`). */
static int sum_singles(operand *o, labelset others, const mx_stream *s) {
    int axes[MAX_TERM], na = 0, w = 0;
    for (int k = 0; k < o->t.n; k++) {
        if (others >> o->t.lab[k] & 1)
            o->t.lab[w++] = o->t.lab[k];
        else
            axes[na++] = k;
    }
    if (!na) return MX_OK;
    o->t.n = w;
    mx_array *r = NULL;
    int rc = mx_sum_axes(&r, o->a, axes, na, false, s);
    if (rc) return rc;
    mx_array_free(o->a);
    o->a = r;
    return MX_OK;
}

static int find(const term *t, int l) {
    for (int k = 0; k < t->n; k++)
        if (t->lab[k] == l) return k;
    return -1;
}

/* a and b (labels ta, tb) as one batched matrix product: result letters are
 * batch (in both, kept), then a's kept, then b's kept. */
static int dot_step(mx_array **out, term *rt, const operand *A, const operand *B, labelset keep,
                    const int64_t *dim, const mx_stream *s) {
    int pa[MAX_TERM], pb[MAX_TERM], na = 0, nb = 0;
    int32_t sa[MAX_TERM], sb[MAX_TERM], rs[MAX_TERM];
    int nr = 0;
    labelset setb = set_of(&B->t);
    int64_t batch = 1, M = 1, K = 1, N = 1;
    int32_t bsz[MAX_TERM];
    int nbatch = 0;
    rt->n = 0;
    /* batch letters */
    for (int k = 0; k < A->t.n; k++) {
        int l = A->t.lab[k];
        if ((keep >> l & 1) && (setb >> l & 1)) {
            pa[na++] = k, pb[nb++] = find(&B->t, l);
            bsz[nbatch++] = (int32_t)dim[l];
            batch *= dim[l];
            rt->lab[rt->n++] = (int8_t)l, rs[nr++] = (int32_t)dim[l];
        }
    }
    /* a's kept letters */
    for (int k = 0; k < A->t.n; k++) {
        int l = A->t.lab[k];
        if ((keep >> l & 1) && !(setb >> l & 1)) {
            pa[na++] = k;
            M *= A->a->shape[k];
            rt->lab[rt->n++] = (int8_t)l, rs[nr++] = A->a->shape[k];
        }
    }
    int cstart = na;
    /* contracted letters, in a's order */
    for (int k = 0; k < A->t.n; k++) {
        int l = A->t.lab[k];
        if (!(keep >> l & 1)) {
            pa[na++] = k;
            pb[nb++] = find(&B->t, l);
            K *= dim[l];
        }
    }
    (void)cstart;
    for (int k = 0; k < B->t.n; k++) {
        int l = B->t.lab[k];
        if ((keep >> l & 1) && find(&A->t, l) < 0) {
            pb[nb++] = k;
            N *= B->a->shape[k];
            rt->lab[rt->n++] = (int8_t)l, rs[nr++] = B->a->shape[k];
        }
    }
    if (batch * M > INT32_MAX || K > INT32_MAX || N > INT32_MAX)
        return mxi_error(MX_ERR_VALUE, "[einsum] an intermediate is too large");
    /* Broadcast shared letters to their full size, then lay out. */
    for (int k = 0; k < A->t.n; k++) {
        int l = A->t.lab[k];
        sa[k] = (setb >> l & 1) ? (int32_t)dim[l] : A->a->shape[k];
    }
    for (int k = 0; k < B->t.n; k++) {
        int l = B->t.lab[k];
        sb[k] = find(&A->t, l) >= 0 ? (int32_t)dim[l] : B->a->shape[k];
    }
    int32_t a3[MAX_TERM + 2], b3[MAX_TERM + 2];
    memcpy(a3, bsz, (size_t)nbatch * sizeof(int32_t));
    memcpy(b3, bsz, (size_t)nbatch * sizeof(int32_t));
    a3[nbatch] = (int32_t)M, a3[nbatch + 1] = (int32_t)K;
    b3[nbatch] = (int32_t)K, b3[nbatch + 1] = (int32_t)N;
    mx_array *t[7] = {NULL};
    int rc = mx_broadcast_to(&t[0], A->a, sa, A->t.n, s);
    if (!rc) rc = mx_broadcast_to(&t[1], B->a, sb, B->t.n, s);
    if (!rc) rc = mx_transpose(&t[2], t[0], pa, na, s);
    if (!rc) rc = mx_transpose(&t[3], t[1], pb, nb, s);
    if (!rc) rc = mx_reshape(&t[4], t[2], a3, nbatch + 2, s);
    if (!rc) rc = mx_reshape(&t[5], t[3], b3, nbatch + 2, s);
    if (!rc) rc = mx_matmul(&t[6], t[4], t[5], s);
    if (!rc) rc = mx_reshape(out, t[6], rs, nr, s);
    for (int i = 0; i < 7; i++) mx_array_free(t[i]);
    return rc;
}

/* The operands multiplied with broadcasting and the letters outside `keep`
 * summed: letters in order of first appearance. */
static int naive_step(mx_array **out, term *rt, operand *ops, int n, labelset keep,
                      const mx_stream *s) {
    term all = {0};
    for (int i = 0; i < n; i++)
        for (int k = 0; k < ops[i].t.n; k++)
            if (find(&all, ops[i].t.lab[k]) < 0) all.lab[all.n++] = ops[i].t.lab[k];
    mx_array *acc = NULL;
    int rc = MX_OK;
    for (int i = 0; i < n && !rc; i++) {
        /* Missing letters as trailing unit axes, then into `all`'s order. */
        int32_t shape[MAX_TERM];
        const term *t = &ops[i].t;
        memcpy(shape, ops[i].a->shape, (size_t)t->n * sizeof(int32_t));
        int perm[MAX_TERM], extra = t->n;
        for (int k = t->n; k < all.n; k++) shape[k] = 1;
        for (int k = 0; k < all.n; k++) {
            int at = find(t, all.lab[k]);
            perm[k] = at >= 0 ? at : extra++;
        }
        mx_array *r = NULL, *x = NULL;
        rc = mx_reshape(&r, ops[i].a, shape, all.n, s);
        if (!rc) rc = mx_transpose(&x, r, perm, all.n, s);
        mx_array_free(r);
        if (!rc) {
            if (acc) {
                mx_array *m = NULL;
                rc = mx_multiply(&m, acc, x, s);
                mx_array_free(acc);
                acc = m;
            } else {
                acc = mx_array_retain(x);
            }
        }
        mx_array_free(x);
    }
    int axes[MAX_TERM], na = 0;
    rt->n = 0;
    for (int k = 0; k < all.n; k++) {
        if (keep >> all.lab[k] & 1)
            rt->lab[rt->n++] = all.lab[k];
        else
            axes[na++] = k;
    }
    if (!rc && na) {
        mx_array *r = NULL;
        rc = mx_sum_axes(&r, acc, axes, na, false, s);
        mx_array_free(acc);
        acc = r;
    }
    if (!rc)
        mxi_set_out(out, acc);
    else
        mx_array_free(acc);
    return rc;
}

/* Brings x (letters from) into the letter order of `to`. */
static int reorder(mx_array **x, const term *from, const term *to, const mx_stream *s) {
    int perm[MAX_TERM];
    bool same = true;
    for (int k = 0; k < to->n; k++) {
        perm[k] = find(from, to->lab[k]);
        same &= perm[k] == k;
    }
    if (same) return MX_OK;
    mx_array *r = NULL;
    int rc = mx_transpose(&r, *x, perm, to->n, s);
    if (!rc) {
        mx_array_free(*x);
        *x = r;
    }
    return rc;
}

int mx_einsum(mx_array **out, const char *subscripts, const mx_array *const *operands, int n,
              const mx_stream *s) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[einsum] out must not be NULL");
    parsed p;
    int rc = parse(&p, "einsum", subscripts, operands, n);
    if (rc) return rc;
    plan pl = {0};
    rc = make_plan(&pl, &p);
    operand *list = rc ? NULL : calloc((size_t)n, sizeof(operand));
    if (!rc && !list) rc = mxi_error(MX_ERR_MEMORY, "[einsum] out of memory");
    int live = 0;
    for (int i = 0; i < n && !rc; i++) {
        list[i].a = mx_array_retain((mx_array *)operands[i]);
        list[i].t = p.in[i];
        live++;
    }
    for (int si = 0; si < pl.nsteps && !rc; si++) {
        const step *st = &pl.steps[si];
        const int *idx = st->pos;
        int ni = st->npos;
        /* What the step's result must keep: its output letters. */
        labelset keep = set_of(&st->out);
        operand *in[MAX_OPERANDS];
        for (int k = 0; k < ni; k++) in[k] = &list[idx[k]];
        for (int k = 0; k < ni && !rc; k++) rc = collapse_repeats(in[k], s);
        for (int k = 0; k < ni && !rc; k++) {
            labelset others = keep;
            for (int q = 0; q < ni; q++)
                if (q != k) others |= set_of(&in[q]->t);
            rc = sum_singles(in[k], others, s);
        }
        if (rc) break;
        mx_array *r = NULL;
        term rt;
        bool dot = ni == 2 && (set_of(&in[0]->t) & ~keep) != 0;
        if (dot) {
            rc = dot_step(&r, &rt, in[0], in[1], keep, p.dim, s);
        } else {
            operand tmp[MAX_OPERANDS];
            for (int k = 0; k < ni; k++) tmp[k] = *in[k];
            rc = naive_step(&r, &rt, tmp, ni, keep, s);
        }
        if (!rc) rc = reorder(&r, &rt, &st->out, s);
        if (rc) {
            mx_array_free(r);
            break;
        }
        /* Drop the used operands (positions ascend) and append the result. */
        bool used[MAX_OPERANDS] = {false};
        for (int k = 0; k < ni; k++) used[idx[k]] = true;
        int w = 0;
        for (int k = 0; k < live; k++) {
            if (used[k])
                mx_array_free(list[k].a);
            else
                list[w++] = list[k];
        }
        list[w].a = r;
        list[w].t = st->out;
        live = w + 1;
    }
    if (!rc) {
        mxi_set_out(out, list[0].a);
        list[0].a = NULL;
        live = 0;
    }
    for (int k = 0; k < live; k++) mx_array_free(list[k].a);
    free(list);
    free(pl.steps);
    free(p.in);
    return rc;
}
