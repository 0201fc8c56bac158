/* C status -> Python exception, with the message from mx_last_error(). */
#include "cmlx_py.h"

PyObject *mxp_raise(int rc) {
    PyObject *type;
    switch (rc) {
    case MX_ERR_VALUE:
        type = PyExc_ValueError;
        break;
    case MX_ERR_TYPE:
        type = PyExc_TypeError;
        break;
    case MX_ERR_INDEX:
        type = PyExc_IndexError;
        break;
    case MX_ERR_MEMORY:
        type = PyExc_MemoryError;
        break;
    default:
        type = PyExc_RuntimeError;
        break;
    }
    const char *msg = mx_last_error();
    PyErr_SetString(type, msg && *msg ? msg : "cmlx operation failed");
    mx_clear_error();
    return NULL;
}

int mxp_raise_int(int rc) {
    mxp_raise(rc);
    return -1;
}
