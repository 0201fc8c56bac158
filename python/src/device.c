/* DeviceType, Device, Stream, StreamContext and the device/stream functions. */
#include "cmlx_py.h"

#include <string.h>

static PyObject *devtype_enum; /* DeviceType: cpu = 0, gpu = 1 */
static const char *const devtype_names[] = {"cpu", "gpu"};

static PyObject *devtype_member(mx_device_type t) {
    return PyObject_GetAttrString(devtype_enum, devtype_names[t == MX_GPU]);
}

static PyObject *device_new_obj(mx_device d) {
    mxp_device_object *o = PyObject_New(mxp_device_object, &mxp_device_type);
    if (o) o->device = d;
    return (PyObject *)o;
}

int mxp_to_device(PyObject *o, mx_device *out) {
    if (PyObject_TypeCheck(o, &mxp_device_type)) {
        *out = ((mxp_device_object *)o)->device;
        return 0;
    }
    if (devtype_enum && PyObject_TypeCheck(o, (PyTypeObject *)devtype_enum)) {
        PyObject *v = PyObject_GetAttrString(o, "value");
        if (!v) return -1;
        long t = PyLong_AsLong(v);
        Py_DECREF(v);
        out->type = t == 1 ? MX_GPU : MX_CPU;
        out->index = 0;
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "expected a Device or DeviceType, got %s", Py_TYPE(o)->tp_name);
    return -1;
}

/* ---- Device ---- */

static PyObject *device_tp_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *names[] = {"type", "index", NULL};
    PyObject *t;
    int index = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|i:Device", names, &t, &index)) return NULL;
    mx_device d;
    if (mxp_to_device(t, &d) < 0) return NULL;
    d.index = index;
    mxp_device_object *o = (mxp_device_object *)type->tp_alloc(type, 0);
    if (o) o->device = d;
    return (PyObject *)o;
}

static PyObject *device_repr(PyObject *self) {
    mx_device d = ((mxp_device_object *)self)->device;
    return PyUnicode_FromFormat("Device(%s, %d)", devtype_names[d.type == MX_GPU], d.index);
}

static PyObject *device_richcompare(PyObject *a, PyObject *b, int op) {
    if (op != Py_EQ && op != Py_NE) Py_RETURN_NOTIMPLEMENTED;
    mx_device db;
    if (mxp_to_device(b, &db) < 0) {
        PyErr_Clear();
        Py_RETURN_NOTIMPLEMENTED;
    }
    mx_device da = ((mxp_device_object *)a)->device;
    bool eq = da.type == db.type && da.index == db.index;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static Py_hash_t device_hash(PyObject *self) {
    mx_device d = ((mxp_device_object *)self)->device;
    return (Py_hash_t)(d.type * 1000003 + d.index + 1);
}

static PyObject *device_get_type(PyObject *self, void *c) {
    (void)c;
    return devtype_member(((mxp_device_object *)self)->device.type);
}
static PyObject *device_get_index(PyObject *self, void *c) {
    (void)c;
    return PyLong_FromLong(((mxp_device_object *)self)->device.index);
}

static PyGetSetDef device_getset[] = {
    {"type", device_get_type, NULL, "The DeviceType of the device.", NULL},
    {"index", device_get_index, NULL, "The index among devices of its type.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject mxp_device_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core.Device",
    .tp_basicsize = sizeof(mxp_device_object),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Device(type, index=0)\n--\n\nA device to run operations on.",
    .tp_new = device_tp_new,
    .tp_repr = device_repr,
    .tp_richcompare = device_richcompare,
    .tp_hash = device_hash,
    .tp_getset = device_getset,
};

/* ---- Stream ---- */

PyObject *mxp_stream_new(mx_stream s) {
    mxp_stream_object *o = PyObject_New(mxp_stream_object, &mxp_stream_type);
    if (o) o->stream = s;
    return (PyObject *)o;
}

static PyObject *stream_repr(PyObject *self) {
    mx_stream s = ((mxp_stream_object *)self)->stream;
    return PyUnicode_FromFormat("Stream(Device(%s, %d), %d)",
                                devtype_names[s.device.type == MX_GPU], s.device.index, s.index);
}

static PyObject *stream_richcompare(PyObject *a, PyObject *b, int op) {
    if (op != Py_EQ && op != Py_NE) Py_RETURN_NOTIMPLEMENTED;
    if (!PyObject_TypeCheck(b, &mxp_stream_type)) Py_RETURN_NOTIMPLEMENTED;
    mx_stream sa = ((mxp_stream_object *)a)->stream, sb = ((mxp_stream_object *)b)->stream;
    bool eq = sa.index == sb.index && sa.device.type == sb.device.type;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static Py_hash_t stream_hash(PyObject *self) {
    return (Py_hash_t)((mxp_stream_object *)self)->stream.index + 1;
}

static PyObject *stream_get_device(PyObject *self, void *c) {
    (void)c;
    return device_new_obj(((mxp_stream_object *)self)->stream.device);
}
static PyObject *stream_get_index(PyObject *self, void *c) {
    (void)c;
    return PyLong_FromLong(((mxp_stream_object *)self)->stream.index);
}

static PyGetSetDef stream_getset[] = {
    {"device", stream_get_device, NULL, "The device of the stream.", NULL},
    {"index", stream_get_index, NULL, "The stream's index in the process.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject mxp_stream_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core.Stream",
    .tp_basicsize = sizeof(mxp_stream_object),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A stream for running operations on a given device.",
    .tp_repr = stream_repr,
    .tp_str = stream_repr,
    .tp_richcompare = stream_richcompare,
    .tp_hash = stream_hash,
    .tp_getset = stream_getset,
};

/* ---- ThreadLocalStream ---- */

/* A stream per thread: each thread that runs work on it gets a stream of
 * its own on the device, made on first use. Threads are told apart by their
 * identifier, so a thread that reuses a finished thread's identifier reuses
 * its stream too (cmlx streams work from any thread). */
typedef struct {
    PyObject_HEAD mx_device device;
    int index;            /* among ThreadLocalStreams, for repr */
    PyObject *per_thread; /* thread ident -> Stream */
} tls_object;

static int tls_count;

static void tls_dealloc(PyObject *self) {
    Py_XDECREF(((tls_object *)self)->per_thread);
    Py_TYPE(self)->tp_free(self);
}

static PyObject *tls_repr(PyObject *self) {
    tls_object *t = (tls_object *)self;
    return PyUnicode_FromFormat("ThreadLocalStream(Device(%s, %d), %d)",
                                devtype_names[t->device.type == MX_GPU], t->device.index, t->index);
}

static PyObject *tls_get_device(PyObject *self, void *c) {
    (void)c;
    return device_new_obj(((tls_object *)self)->device);
}

static PyGetSetDef tls_getset[] = {
    {"device", tls_get_device, NULL, "The device of the stream.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject tls_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core.ThreadLocalStream",
    .tp_basicsize = sizeof(tls_object),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A stream that will be unique per thread and can be used to run operations on a "
              "given device.",
    .tp_dealloc = tls_dealloc,
    .tp_repr = tls_repr,
    .tp_str = tls_repr,
    .tp_getset = tls_getset,
};

/* The calling thread's stream of a ThreadLocalStream. */
static int tls_resolve(PyObject *o, mx_stream *out) {
    tls_object *t = (tls_object *)o;
    PyObject *key = PyLong_FromUnsignedLong(PyThread_get_thread_ident());
    if (!key) return -1;
    PyObject *s = PyDict_GetItemWithError(t->per_thread, key);
    if (!s && !PyErr_Occurred()) {
        mx_stream made;
        int rc = mx_new_stream(&made, t->device);
        if (rc) {
            Py_DECREF(key);
            return mxp_raise_int(rc);
        }
        s = mxp_stream_new(made);
        if (s && PyDict_SetItem(t->per_thread, key, s) < 0) Py_CLEAR(s);
        Py_XDECREF(s); /* the dict holds it */
    }
    Py_DECREF(key);
    if (!s) return -1;
    *out = ((mxp_stream_object *)s)->stream;
    return 0;
}

int mxp_stream_of(PyObject *o, mx_stream *out) {
    if (PyObject_TypeCheck(o, &mxp_stream_type)) {
        *out = ((mxp_stream_object *)o)->stream;
        return 1;
    }
    if (PyObject_TypeCheck(o, &tls_type)) return tls_resolve(o, out) < 0 ? -1 : 1;
    return 0;
}

static bool is_stream_like(PyObject *o) {
    return PyObject_TypeCheck(o, &mxp_stream_type) || PyObject_TypeCheck(o, &tls_type);
}

/* ---- StreamContext ---- */

typedef struct {
    PyObject_HEAD PyObject *target; /* the Stream, Device or DeviceType given */
    bool active;
    mx_device old_device;
    mx_stream old_default; /* default stream of old_device */
    mx_stream old_target;  /* default stream of the target's device */
} stream_context;

static void ctx_dealloc(PyObject *self) {
    Py_XDECREF(((stream_context *)self)->target);
    Py_TYPE(self)->tp_free(self);
}

static PyObject *ctx_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *names[] = {"s", NULL};
    PyObject *s;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:StreamContext", names, &s)) return NULL;
    mx_device d;
    if (!is_stream_like(s) && mxp_to_device(s, &d) < 0) return NULL;
    stream_context *o = (stream_context *)type->tp_alloc(type, 0);
    if (!o) return NULL;
    o->target = Py_NewRef(s);
    return (PyObject *)o;
}

static PyObject *ctx_enter(PyObject *self, PyObject *unused) {
    (void)unused;
    stream_context *c = (stream_context *)self;
    mx_stream target;
    int is_stream = mxp_stream_of(c->target, &target);
    mx_device d;
    if (is_stream < 0) return NULL;
    if (is_stream)
        d = target.device;
    else if (mxp_to_device(c->target, &d) < 0)
        return NULL;
    c->old_device = mx_default_device();
    int rc = mx_default_stream(&c->old_default, c->old_device);
    if (!rc) rc = mx_default_stream(&c->old_target, d);
    if (!rc) rc = mx_set_default_device(d);
    if (!rc && is_stream) rc = mx_set_default_stream(target);
    if (rc) {
        mx_set_default_device(c->old_device);
        return mxp_raise(rc);
    }
    c->active = true;
    Py_RETURN_NONE;
}

static PyObject *ctx_exit(PyObject *self, PyObject *args) {
    (void)args;
    stream_context *c = (stream_context *)self;
    if (c->active) {
        mx_set_default_stream(c->old_target);
        mx_set_default_stream(c->old_default);
        mx_set_default_device(c->old_device);
        c->active = false;
    }
    Py_RETURN_NONE;
}

static PyMethodDef ctx_methods[] = {
    {"__enter__", ctx_enter, METH_NOARGS, NULL},
    {"__exit__", ctx_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject stream_context_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core.StreamContext",
    .tp_basicsize = sizeof(stream_context),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "StreamContext(s)\n--\n\n"
              "A context manager for setting the current device and stream.\n\n"
              "See :func:`stream` for usage.",
    .tp_new = ctx_new,
    .tp_dealloc = ctx_dealloc,
    .tp_methods = ctx_methods,
};

/* ---- functions ---- */

static PyObject *f_default_device(PyObject *m, PyObject *unused) {
    (void)m, (void)unused;
    return device_new_obj(mx_default_device());
}

static PyObject *f_set_default_device(PyObject *m, PyObject *arg) {
    (void)m;
    mx_device d;
    if (mxp_to_device(arg, &d) < 0) return NULL;
    int rc = mx_set_default_device(d);
    if (rc) return mxp_raise(rc);
    Py_RETURN_NONE;
}

static PyObject *f_default_stream(PyObject *m, PyObject *arg) {
    (void)m;
    mx_device d;
    mx_stream s;
    if (mxp_to_device(arg, &d) < 0) return NULL;
    int rc = mx_default_stream(&s, d);
    return rc ? mxp_raise(rc) : mxp_stream_new(s);
}

static PyObject *f_new_stream(PyObject *m, PyObject *arg) {
    (void)m;
    mx_device d;
    mx_stream s;
    if (mxp_to_device(arg, &d) < 0) return NULL;
    int rc = mx_new_stream(&s, d);
    return rc ? mxp_raise(rc) : mxp_stream_new(s);
}

static PyObject *f_new_thread_local_stream(PyObject *m, PyObject *arg) {
    (void)m;
    mx_device d;
    if (mxp_to_device(arg, &d) < 0) return NULL;
    if (!mx_device_is_available(d)) {
        PyErr_Format(PyExc_ValueError, "[new_thread_local_stream] %s device %d is not available",
                     devtype_names[d.type == MX_GPU], d.index);
        return NULL;
    }
    tls_object *t = PyObject_New(tls_object, &tls_type);
    if (!t) return NULL;
    t->device = d;
    t->index = tls_count++;
    t->per_thread = PyDict_New();
    if (!t->per_thread) Py_CLEAR(t);
    return (PyObject *)t;
}

/* cmlx streams are not bound to the thread that made them: any thread may
 * evaluate on any stream, so every new stream is also "thread unsafe" in
 * MLX's sense (usable anywhere), and there are no per-thread streams to
 * clear. */
static PyObject *f_clear_streams(PyObject *m, PyObject *u) {
    (void)m, (void)u;
    Py_RETURN_NONE;
}

static PyObject *f_set_default_stream(PyObject *m, PyObject *arg) {
    (void)m;
    mx_stream s;
    int is_stream = mxp_stream_of(arg, &s);
    if (is_stream < 0) return NULL;
    if (!is_stream) {
        PyErr_Format(PyExc_TypeError, "set_default_stream() expects a Stream, got %s",
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
    int rc = mx_set_default_stream(s);
    if (rc) return mxp_raise(rc);
    Py_RETURN_NONE;
}

static PyObject *f_synchronize(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    static char *names[] = {"stream", NULL};
    PyObject *o = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:synchronize", names, &o)) return NULL;
    mx_stream buf;
    const mx_stream *s;
    if (mxp_to_stream(o, &buf, &s) < 0) return NULL;
    int rc;
    PyThreadState *ts = PyEval_SaveThread();
    rc = mx_synchronize(s);
    PyEval_RestoreThread(ts);
    if (rc) return mxp_raise(rc);
    Py_RETURN_NONE;
}

static PyObject *f_stream(PyObject *m, PyObject *arg) {
    (void)m;
    return PyObject_CallOneArg((PyObject *)&stream_context_type, arg);
}

static PyObject *f_is_available(PyObject *m, PyObject *arg) {
    (void)m;
    mx_device d;
    if (mxp_to_device(arg, &d) < 0) return NULL;
    return PyBool_FromLong(mx_device_is_available(d));
}

static PyObject *f_device_count(PyObject *m, PyObject *arg) {
    (void)m;
    mx_device d;
    if (mxp_to_device(arg, &d) < 0) return NULL;
    return PyLong_FromLong(mx_device_count(d.type));
}

/* {"device_name": ..., "architecture": ...} from the library's
 * "key=value; key=value" description. */
static PyObject *f_device_info(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *o = Py_None;
    if (!PyArg_ParseTuple(args, "|O:device_info", &o)) return NULL;
    mx_device d = mx_default_device();
    if (o != Py_None && mxp_to_device(o, &d) < 0) return NULL;
    if (!mx_device_is_available(d)) return PyDict_New();
    char buf[512];
    int rc = mx_device_info(d, buf, sizeof buf);
    if (rc) return mxp_raise(rc);
    PyObject *dict = PyDict_New();
    char *save = NULL;
    for (char *tok = strtok_r(buf, ";", &save); dict && tok; tok = strtok_r(NULL, ";", &save)) {
        while (*tok == ' ') tok++;
        char *eq = strchr(tok, '=');
        if (!eq) continue;
        *eq = '\0';
        PyObject *v = PyUnicode_FromString(eq + 1);
        if (!v || PyDict_SetItemString(dict, tok, v) < 0) Py_CLEAR(dict);
        Py_XDECREF(v);
    }
    return dict;
}

static PyMethodDef device_functions[] = {
    {"default_device", f_default_device, METH_NOARGS,
     "default_device()\n--\n\nGet the default device."},
    {"set_default_device", f_set_default_device, METH_O,
     "set_default_device(device)\n--\n\nSet the default device."},
    {"default_stream", f_default_stream, METH_O,
     "default_stream(device)\n--\n\nGet the device's default stream."},
    {"new_stream", f_new_stream, METH_O,
     "new_stream(device)\n--\n\nMake a new stream on the given device."},
    {"new_thread_local_stream", f_new_thread_local_stream, METH_O,
     "new_thread_local_stream(device)\n--\n\nMake a new stream that will be unique per thread."},
    {"new_thread_unsafe_stream", f_new_stream, METH_O,
     "new_thread_unsafe_stream(device)\n--\n\n"
     "Make a new stream that can be used in any thread.\n\n"
     "Streams made by this function can be passed to and evaluated in any thread; it is the\n"
     "caller's responsibility to avoid races between threads using it."},
    {"clear_streams", f_clear_streams, METH_NOARGS,
     "clear_streams()\n--\n\nNothing to do: cmlx keeps no per-thread streams."},
    {"set_default_stream", f_set_default_stream, METH_O,
     "set_default_stream(stream)\n--\n\n"
     "Set the default stream.\n\nThis makes the given stream the default for the stream's "
     "device. It does not change the default device."},
    {"synchronize", (PyCFunction)(void (*)(void))f_synchronize, METH_VARARGS | METH_KEYWORDS,
     "synchronize(stream=None)\n--\n\n"
     "Synchronize with the given stream (a Device means its default stream; None the "
     "default stream of the default device)."},
    {"stream", f_stream, METH_O,
     "stream(s)\n--\n\n"
     "Create a context manager to set the default device and stream.\n\n"
     "Args:\n    s: The :obj:`Stream` or :obj:`Device` to set as the default.\n\n"
     "Returns:\n    A context manager that sets the default device and stream."},
    {"is_available", f_is_available, METH_O,
     "is_available(device)\n--\n\nCheck if a back-end is available for the given device."},
    {"device_count", f_device_count, METH_O,
     "device_count(device_type)\n--\n\nGet the number of available devices of a type."},
    {"device_info", f_device_info, METH_VARARGS,
     "device_info(d=None)\n--\n\nGet information about a device as a dict."},
    {NULL, NULL, 0, NULL},
};

int mxp_device_init(PyObject *m) {
    devtype_enum = mxp_make_enum("DeviceType", devtype_names, 2);
    if (!devtype_enum || PyModule_AddObjectRef(m, "DeviceType", devtype_enum) < 0) return -1;
    for (int i = 0; i < 2; i++) {
        PyObject *member = PyObject_GetAttrString(devtype_enum, devtype_names[i]);
        if (!member || PyModule_AddObject(m, devtype_names[i], member) < 0) {
            Py_XDECREF(member);
            return -1;
        }
    }
    PyTypeObject *types[] = {&mxp_device_type, &mxp_stream_type, &stream_context_type, &tls_type};
    const char *names[] = {"Device", "Stream", "StreamContext", "ThreadLocalStream"};
    for (int i = 0; i < 4; i++)
        if (PyType_Ready(types[i]) < 0 ||
            PyModule_AddObjectRef(m, names[i], (PyObject *)types[i]) < 0)
            return -1;
    return PyModule_AddFunctions(m, device_functions);
}
