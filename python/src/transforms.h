/* Internal header of the function transforms (transforms*.c): the closure
 * that calls Python and the transformed-function object they share. */
#ifndef CMLX_PY_TRANSFORMS_H
#define CMLX_PY_TRANSFORMS_H

#include "cmlx_py.h"

typedef enum {
    CALL_TREE, /* fun(*args, **kwargs) with the arrays put into the templates */
    CALL_LIST, /* fun(*inputs) */
    CALL_VJP,  /* custom vjp: fun(primals, cotangents, outputs, **kwargs) */
    CALL_JVP,  /* custom jvp: fun(primals, tangents) */
    CALL_VMAP, /* custom vmap: fun(inputs, axes) -> (outputs, out_axes) */
} call_kind;

typedef enum {
    OUT_GRAD,   /* a scalar array */
    OUT_VAG,    /* a scalar array, or a tuple starting with one; the rest loose */
    OUT_LIST,   /* an array or a list/tuple of arrays */
    OUT_STRICT, /* a tree of arrays only */
    OUT_LOOSE,  /* a tree; leaves that are not arrays are kept but not outputs */
} out_kind;

typedef struct pyfn {
    PyObject *fun;
    PyObject *args;   /* tuple template */
    PyObject *kwargs; /* dict template or NULL */
    PyObject *outbox; /* [last output]: shared with a custom vjp; NULL: not kept */
    call_kind call;
    out_kind out;
    int n_primals; /* CALL_VJP / CALL_JVP: arrays in args and kwargs */
    /* vjp: the cotangents (borrowed, live during the call), checked against
     * the outputs here for MLX's messages */
    const mx_vec *cotangents;
    const char *tag;
    bool in_place; /* CALL_TREE: lists and dicts of args filled in place */
} pyfn;

/* A closure calling fun; outbox (may be NULL) receives each output;
 * n_primals: the arrays in args and kwargs, for CALL_VJP / CALL_JVP. *pp
 * (when pp is not NULL) gets the payload. NULL with an exception. */
mx_closure *mxp_pyfn_new(PyObject *fun, PyObject *args, PyObject *kwargs, PyObject *outbox,
                         call_kind call, out_kind out, int n_primals, const char *tag, pyfn **pp);
/* [None]: a box for the output of a closure. */
PyObject *mxp_new_outbox(void);
/* Forgets a stashed exception (before a transform starts, and after one
 * succeeds). */
void mxp_drop_pending(void);
/* Keeps the raised exception for mxp_raise_pending (a closure failing). */
void mxp_stash_exception(void);
/* Adds compile, disable_compile, enable_compile (transforms_compile.c). */
int mxp_compile_init(PyObject *module);
/* After a C transform failed: restores the Python exception that caused it,
 * or raises one made from the status. Returns NULL. */
PyObject *mxp_raise_pending(int rc);
/* "(2,3)": a shape as MLX prints it in messages. */
void mxp_shape_str(char *buf, size_t len, const mx_array *a);
int mxp_check_callable(PyObject *fun, const char *fname);
static inline const char *mxp_type_name(PyObject *o) {
    return Py_TYPE(o)->tp_name;
}
/* Flattens (args, kwargs) loosely (kwargs may be NULL). 0 or -1. */
int mxp_flatten_call(PyObject *args, PyObject *kwargs, mx_vec *inputs);

typedef enum { T_GRAD, T_VALUE_AND_GRAD, T_VMAP, T_CHECKPOINT } tkind;

typedef struct {
    PyObject_HEAD tkind kind;
    PyObject *fun;
    int *argnums; /* sorted */
    int n_argnums;
    PyObject *argnames; /* list of str (no repeats) */
    PyObject *in_axes, *out_axes;
} tfn_object;

/* A transformed function of the kind, holding fun. NULL with an exception. */
tfn_object *mxp_tfn_new(tkind kind, PyObject *fun);

typedef struct {
    int *v;
    int n, cap;
} int_vec;
int mxp_int_push(int_vec *iv, int x);

/* Calling a transformed function (transforms_grad.c, _vmap.c, _custom.c). */
PyObject *mxp_call_grad(tfn_object *t, PyObject *args, PyObject *kwargs);
PyObject *mxp_call_vmap(tfn_object *t, PyObject *args, PyObject *kwargs);
PyObject *mxp_call_checkpoint(tfn_object *t, PyObject *args, PyObject *kwargs);

/* The module functions and the custom_function type. */
PyObject *mxp_grad(PyObject *m, PyObject *args, PyObject *kwargs);
PyObject *mxp_value_and_grad(PyObject *m, PyObject *args, PyObject *kwargs);
PyObject *mxp_vjp(PyObject *m, PyObject *args, PyObject *kwargs);
PyObject *mxp_jvp(PyObject *m, PyObject *args, PyObject *kwargs);
PyObject *mxp_vmap(PyObject *m, PyObject *args, PyObject *kwargs);
PyObject *mxp_checkpoint(PyObject *m, PyObject *args, PyObject *kwargs);
extern PyTypeObject mxp_custom_function_type;

#endif
