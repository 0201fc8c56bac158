/*
 * cmlx.core.distributed: the Group type and the callers of the op table's
 * "distributed.*" rows (is_available, init and the collectives).
 */
#include "cmlx_py.h"

#include "cmlx/distributed.h"
#include "kinds.h"

typedef struct {
    PyObject_HEAD mx_distributed_group *g; /* owned */
} group_object;

static void group_dealloc(PyObject *self) {
    mx_distributed_group_free(((group_object *)self)->g);
    Py_TYPE(self)->tp_free(self);
}

/* Wraps g (stolen). */
static PyObject *group_wrap(mx_distributed_group *g);

static PyObject *group_rank(PyObject *self, PyObject *unused) {
    (void)unused;
    return PyLong_FromLong(mx_distributed_group_rank(((group_object *)self)->g));
}

static PyObject *group_size(PyObject *self, PyObject *unused) {
    (void)unused;
    return PyLong_FromLong(mx_distributed_group_size(((group_object *)self)->g));
}

static PyObject *group_split(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"color", "key", NULL};
    PyObject *color_o, *key_o = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O:split", kwlist, &color_o, &key_o)) return NULL;
    int color, key = -1;
    if (mxp_to_int(color_o, &color, "color") < 0) return NULL;
    if (key_o && mxp_to_int(key_o, &key, "key") < 0) return NULL;
    mx_distributed_group *out = NULL;
    int rc = mx_distributed_group_split(&out, ((group_object *)self)->g, color, key);
    if (rc) return mxp_raise(rc);
    return group_wrap(out);
}

static PyMethodDef group_methods[] = {
    {"rank", group_rank, METH_NOARGS, "rank($self, /)\n--\n\nGet the rank of this process."},
    {"size", group_size, METH_NOARGS, "size($self, /)\n--\n\nGet the size of the group."},
    {"split", (PyCFunction)(void (*)(void))group_split, METH_VARARGS | METH_KEYWORDS,
     "split($self, /, color, key=-1)\n--\n\n"
     "Split the group to subgroups based on the provided color.\n\n"
     "Processes that use the same color go to the same group. The ``key`` argument defines "
     "the rank in the new group: the smaller the key the smaller the rank. A negative key "
     "keeps the rank in the current group.\n\n"
     "Args:\n    color (int): A value to group processes into subgroups.\n"
     "    key (int, optional): A key to optionally change the rank ordering of the "
     "processes."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject group_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core.distributed.Group",
    .tp_basicsize = sizeof(group_object),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A group of independent processes that can communicate.",
    .tp_dealloc = group_dealloc,
    .tp_methods = group_methods,
};

static PyObject *group_wrap(mx_distributed_group *g) {
    group_object *o = PyObject_New(group_object, &group_type);
    if (!o) {
        mx_distributed_group_free(g);
        return NULL;
    }
    o->g = g;
    return (PyObject *)o;
}

/* None (the global group) or a Group. */
static int to_group(PyObject *o, const mx_distributed_group **g) {
    if (o == Py_None) {
        *g = NULL;
        return 0;
    }
    if (!PyObject_TypeCheck(o, &group_type)) {
        PyErr_Format(PyExc_TypeError, "group must be a Group or None, not %s", Py_TYPE(o)->tp_name);
        return -1;
    }
    *g = ((group_object *)o)->g;
    return 0;
}

PyObject *mxp_op_dist_is_available(PyObject *const *slots, const mx_stream *s) {
    (void)s;
    const char *name = mxk_to_str(slots[0], "backend");
    if (!name) return NULL;
    bool b;
    int rc = mx_distributed_is_available(&b, name);
    if (rc) return mxp_raise(rc);
    return PyBool_FromLong(b);
}

PyObject *mxp_op_dist_init(PyObject *const *slots, const mx_stream *s) {
    (void)s;
    bool strict;
    if (mxp_to_bool(slots[0], &strict) < 0) return NULL;
    const char *name = mxk_to_str(slots[1], "backend");
    if (!name) return NULL;
    /* slots[2], all_gather_factory, only serves the JACCL backend. */
    if (slots[2] != Py_None && !PyCallable_Check(slots[2])) {
        PyErr_SetString(PyExc_TypeError, "all_gather_factory must be callable or None");
        return NULL;
    }
    mx_distributed_group *g = NULL;
    /* A backend may wait for its peers to connect. */
    PyThreadState *ts = PyEval_SaveThread();
    int rc = mx_distributed_init(&g, strict, name);
    PyEval_RestoreThread(ts);
    if (rc) return mxp_raise(rc);
    return group_wrap(g);
}

typedef int (*collective_fn)(mx_array **, const mx_array *, const mx_distributed_group *,
                             const mx_stream *);

static PyObject *collective(collective_fn f, PyObject *const *slots, const mx_stream *s) {
    const mx_distributed_group *g;
    if (to_group(slots[1], &g) < 0) return NULL;
    mx_array *x = mxk_arr(slots[0]);
    if (!x) return NULL;
    mx_array *out = NULL;
    int rc = f(&out, x, g, s);
    mx_array_free(x);
    return mxk_result(rc, out);
}

PyObject *mxp_op_dist_all_sum(PyObject *const *slots, const mx_stream *s) {
    return collective(mx_distributed_all_sum, slots, s);
}
PyObject *mxp_op_dist_all_max(PyObject *const *slots, const mx_stream *s) {
    return collective(mx_distributed_all_max, slots, s);
}
PyObject *mxp_op_dist_all_min(PyObject *const *slots, const mx_stream *s) {
    return collective(mx_distributed_all_min, slots, s);
}
PyObject *mxp_op_dist_all_gather(PyObject *const *slots, const mx_stream *s) {
    return collective(mx_distributed_all_gather, slots, s);
}
PyObject *mxp_op_dist_sum_scatter(PyObject *const *slots, const mx_stream *s) {
    return collective(mx_distributed_sum_scatter, slots, s);
}

PyObject *mxp_op_dist_send(PyObject *const *slots, const mx_stream *s) {
    int dst;
    const mx_distributed_group *g;
    if (mxp_to_int(slots[1], &dst, "dst") < 0 || to_group(slots[2], &g) < 0) return NULL;
    mx_array *x = mxk_arr(slots[0]);
    if (!x) return NULL;
    mx_array *out = NULL;
    int rc = mx_distributed_send(&out, x, dst, g, s);
    mx_array_free(x);
    return mxk_result(rc, out);
}

PyObject *mxp_op_dist_recv(PyObject *const *slots, const mx_stream *s) {
    int32_t shape[MXP_MAX_NDIM];
    int ndim = mxp_to_shape(slots[0], shape, "shape");
    mx_dtype dtype;
    int src;
    const mx_distributed_group *g;
    if (ndim < 0 || mxp_to_dtype(slots[1], &dtype, false) < 0 ||
        mxp_to_int(slots[2], &src, "src") < 0 || to_group(slots[3], &g) < 0)
        return NULL;
    mx_array *out = NULL;
    int rc = mx_distributed_recv(&out, shape, ndim, dtype, src, g, s);
    return mxk_result(rc, out);
}

PyObject *mxp_op_dist_recv_like(PyObject *const *slots, const mx_stream *s) {
    int src;
    const mx_distributed_group *g;
    if (mxp_to_int(slots[1], &src, "src") < 0 || to_group(slots[2], &g) < 0) return NULL;
    mx_array *x = mxk_arr(slots[0]);
    if (!x) return NULL;
    mx_array *out = NULL;
    int rc = mx_distributed_recv_like(&out, x, src, g, s);
    mx_array_free(x);
    return mxk_result(rc, out);
}

int mxp_distributed_init(PyObject *module) {
    if (PyType_Ready(&group_type) < 0) return -1;
    PyObject *sub = PyObject_GetAttrString(module, "distributed");
    if (!sub) return -1;
    int rc = PyModule_AddObjectRef(sub, "Group", (PyObject *)&group_type);
    Py_DECREF(sub);
    return rc;
}
