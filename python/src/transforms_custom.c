/* checkpoint and the custom_function decorator type. */
#include "transforms.h"

#include <stdlib.h>
#include <string.h>

/* ---- checkpoint ---- */

PyObject *mxp_call_checkpoint(tfn_object *t, PyObject *args, PyObject *kwargs) {
    mx_vec inputs = {0}, outs = {0};
    mx_closure *c = NULL, *ck = NULL;
    PyObject *outbox = NULL, *result = NULL;
    if (mxp_flatten_call(args, kwargs, &inputs) < 0) goto done;
    outbox = mxp_new_outbox();
    if (!outbox) goto done;
    c = mxp_pyfn_new(t->fun, args, kwargs, outbox, CALL_TREE, OUT_LOOSE, 0, "[checkpoint]", NULL);
    if (!c) goto done;
    mxp_drop_pending();
    int rc = mx_checkpoint(&ck, c);
    if (!rc) rc = mx_closure_apply(ck, &outs, &inputs);
    if (rc) {
        mxp_raise_pending(rc);
        goto done;
    }
    mxp_drop_pending();
    int i = 0;
    result = mxp_tree_unflatten(PyList_GET_ITEM(outbox, 0), &outs, &i);
done:
    mx_closure_free(ck);
    mx_closure_free(c);
    mx_vec_clear(&inputs);
    mx_vec_clear(&outs);
    Py_XDECREF(outbox);
    return result;
}

PyObject *mxp_checkpoint(PyObject *m, PyObject *args, PyObject *kwargs) {
    (void)m;
    static char *kwlist[] = {"fun", NULL};
    PyObject *fun;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O:checkpoint", kwlist, &fun)) return NULL;
    if (mxp_check_callable(fun, "checkpoint") < 0) return NULL;
    return (PyObject *)mxp_tfn_new(T_CHECKPOINT, fun);
}

/* ---- custom_function ---- */

typedef struct {
    PyObject_HEAD PyObject *fun, *vjp, *jvp, *vmap;
} cf_object;

static int cf_traverse(PyObject *self, visitproc visit, void *arg) {
    cf_object *c = (cf_object *)self;
    Py_VISIT(c->fun);
    Py_VISIT(c->vjp);
    Py_VISIT(c->jvp);
    Py_VISIT(c->vmap);
    return 0;
}

static int cf_clear(PyObject *self) {
    cf_object *c = (cf_object *)self;
    Py_CLEAR(c->fun);
    Py_CLEAR(c->vjp);
    Py_CLEAR(c->jvp);
    Py_CLEAR(c->vmap);
    return 0;
}

static void cf_dealloc(PyObject *self) {
    PyObject_GC_UnTrack(self);
    cf_clear(self);
    Py_TYPE(self)->tp_free(self);
}

static int cf_init(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"f", NULL};
    PyObject *f;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O:custom_function", kwlist, &f)) return -1;
    if (mxp_check_callable(f, "__init__") < 0) return -1;
    cf_object *c = (cf_object *)self;
    Py_XSETREF(c->fun, Py_NewRef(f));
    return 0;
}

static PyObject *cf_set(PyObject *self, PyObject *f, PyObject **slot, const char *name) {
    if (mxp_check_callable(f, name) < 0) return NULL;
    Py_XSETREF(*slot, Py_NewRef(f));
    return Py_NewRef(self);
}

static PyObject *cf_vjp(PyObject *self, PyObject *f) {
    return cf_set(self, f, &((cf_object *)self)->vjp, "vjp");
}

static PyObject *cf_jvp(PyObject *self, PyObject *f) {
    return cf_set(self, f, &((cf_object *)self)->jvp, "jvp");
}

static PyObject *cf_vmap(PyObject *self, PyObject *f) {
    return cf_set(self, f, &((cf_object *)self)->vmap, "vmap");
}

static PyObject *cf_call(PyObject *self, PyObject *args, PyObject *kwargs) {
    cf_object *cf = (cf_object *)self;
    if (!cf->fun) {
        PyErr_SetString(PyExc_RuntimeError, "custom_function: no function");
        return NULL;
    }
    if (!cf->vjp && !cf->jvp && !cf->vmap) return PyObject_Call(cf->fun, args, kwargs);
    mx_vec inputs = {0}, outs = {0};
    mx_closure *fc = NULL, *vc = NULL, *jc = NULL, *mc = NULL, *custom = NULL;
    PyObject *outbox = NULL, *result = NULL;
    if (mxp_flatten_call(args, kwargs, &inputs) < 0) goto done;
    outbox = mxp_new_outbox();
    if (!outbox) goto done;
    fc = mxp_pyfn_new(cf->fun, args, kwargs, outbox, CALL_TREE, OUT_LOOSE, 0, "[custom_function]",
                      NULL);
    if (!fc) goto done;
    if (cf->vjp) {
        vc = mxp_pyfn_new(cf->vjp, args, kwargs, outbox, CALL_VJP, OUT_LOOSE, inputs.size,
                          "[custom vjp]", NULL);
        if (!vc) goto done;
    }
    if (cf->jvp) {
        jc = mxp_pyfn_new(cf->jvp, args, kwargs, NULL, CALL_JVP, OUT_LOOSE, inputs.size,
                          "[custom jvp]", NULL);
        if (!jc) goto done;
    }
    if (cf->vmap) {
        mc = mxp_pyfn_new(cf->vmap, args, kwargs, NULL, CALL_VMAP, OUT_LOOSE, inputs.size,
                          "[custom vmap]", NULL);
        if (!mc) goto done;
    }
    mxp_drop_pending();
    int rc = mx_custom_function_vmap(&custom, fc, vc, jc, mc);
    if (!rc) rc = mx_closure_apply(custom, &outs, &inputs);
    if (rc) {
        mxp_raise_pending(rc);
        goto done;
    }
    mxp_drop_pending();
    int i = 0;
    result = mxp_tree_unflatten(PyList_GET_ITEM(outbox, 0), &outs, &i);
done:
    mx_closure_free(custom);
    mx_closure_free(fc);
    mx_closure_free(vc);
    mx_closure_free(jc);
    mx_closure_free(mc);
    mx_vec_clear(&inputs);
    mx_vec_clear(&outs);
    Py_XDECREF(outbox);
    return result;
}

static PyMethodDef cf_methods[] = {
    {"vjp", cf_vjp, METH_O,
     "vjp($self, f)\n--\n\nDefine a custom vjp for the wrapped function.\n\n"
     "f(primals, cotangents, outputs) receives the positional arguments (the argument itself\n"
     "when there is one, else a tuple), the cotangents and the outputs shaped as the\n"
     "function's output, and returns cotangents shaped as the primals."},
    {"jvp", cf_jvp, METH_O,
     "jvp($self, f)\n--\n\nDefine a custom jvp for the wrapped function.\n\n"
     "f(primals, tangents) returns tangents shaped as the function's outputs."},
    {"vmap", cf_vmap, METH_O,
     "vmap($self, f)\n--\n\nDefine a custom vectorization for the wrapped function.\n\n"
     "The function receives the inputs and their axes (trees like the arguments, None for "
     "an input not mapped) and returns the outputs and their axes."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject mxp_custom_function_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core.custom_function",
    .tp_basicsize = sizeof(cf_object),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "custom_function(f)\n--\n\n"
              "Set up a function for custom gradient and vmap definitions.\n\n"
              "Used as a decorator: the instance calls f, and the functions given to its vjp\n"
              "and jvp decorators replace the derivatives of f under the transforms.\n"
              "Captured arrays are constants: no gradient flows to them.",
    .tp_dealloc = cf_dealloc,
    .tp_traverse = cf_traverse,
    .tp_clear = cf_clear,
    .tp_call = cf_call,
    .tp_init = cf_init,
    .tp_new = PyType_GenericNew,
    .tp_methods = cf_methods,
};
