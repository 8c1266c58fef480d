/* The benchmark's C-extension floor (benches/python/bench_call.py builds it with the system cc
 * against this interpreter's headers): what a hand-written CPython extension calling the same Go
 * export costs. `addint(a, b)` is a METH_FASTCALL function that converts two ints, releases the
 * GIL around a direct call of the fixture's `usegolib_floor_addint` (plain cgo export, Go's
 * AddInt with no envelope; its address is set once by `set_target`), and returns an int. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

typedef int64_t (*binop)(int64_t, int64_t);
static binop target;

static PyObject *addint(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "addint() takes 2 arguments");
        return NULL;
    }
    long long a = PyLong_AsLongLong(args[0]);
    if (a == -1 && PyErr_Occurred()) return NULL;
    long long b = PyLong_AsLongLong(args[1]);
    if (b == -1 && PyErr_Occurred()) return NULL;
    int64_t r;
    Py_BEGIN_ALLOW_THREADS
    r = target(a, b);
    Py_END_ALLOW_THREADS
    return PyLong_FromLongLong(r);
}

static PyObject *set_target(PyObject *self, PyObject *addr) {
    (void)self;
    void *p = PyLong_AsVoidPtr(addr);
    if (p == NULL && PyErr_Occurred()) return NULL;
    target = (binop)p;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"addint", (PyCFunction)(void (*)(void))addint, METH_FASTCALL, "addint(a, b)"},
    {"set_target", set_target, METH_O, "set_target(address of int64_t f(int64_t, int64_t))"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "_usegolib_floor", NULL, -1, methods};

PyMODINIT_FUNC PyInit__usegolib_floor(void) { return PyModule_Create(&def); }
