/* SHA-256 of every row of an Arrow binary array, in one call, without the interpreter lock.
 *
 * sha256_rows(data, offsets, first, rows) -> bytes: the buffers of an Arrow binary
 * array and its offset and length; row i is data[offsets[first + i]:offsets[first + i + 1]]
 * (int32 offsets); the result is the ``rows``
 * 32-byte digests, packed. OpenSSL's SHA-256 functions compute each digest (with the
 * CPU's SHA instructions where it has them; its one-shot SHA256() looks the algorithm
 * up on every call, three times slower); the loop only removes Python's per-row cost.
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED
#include <Python.h>
#include <stdint.h>
#include <openssl/sha.h>

static PyObject *sha256_rows(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer data, offsets;
    Py_ssize_t first, rows;
    if (!PyArg_ParseTuple(args, "y*y*nn", &data, &offsets, &first, &rows)) {
        return NULL;
    }
    PyObject *digests = NULL;
    if (first < 0 || rows < 0 || (first + rows + 1) * (Py_ssize_t)sizeof(int32_t) > offsets.len) {
        PyErr_SetString(PyExc_ValueError, "the offsets buffer does not hold these rows");
        goto done;
    }
    const int32_t *offset = (const int32_t *)offsets.buf + first;
    for (Py_ssize_t row = 0; row < rows; row++) {
        if (offset[row] < 0 || offset[row] > offset[row + 1] || offset[row + 1] > data.len) {
            PyErr_SetString(PyExc_ValueError, "offsets out of order or out of the data");
            goto done;
        }
    }
    digests = PyBytes_FromStringAndSize(NULL, rows * SHA256_DIGEST_LENGTH);
    if (digests == NULL) {
        goto done;
    }
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(digests);
    const unsigned char *in = data.buf;
    Py_BEGIN_ALLOW_THREADS
    SHA256_CTX state;
    for (Py_ssize_t row = 0; row < rows; row++) {
        SHA256_Init(&state);
        SHA256_Update(&state, in + offset[row], (size_t)(offset[row + 1] - offset[row]));
        SHA256_Final(out + row * SHA256_DIGEST_LENGTH, &state);
    }
    Py_END_ALLOW_THREADS
done:
    PyBuffer_Release(&data);
    PyBuffer_Release(&offsets);
    return digests;
}

static PyMethodDef methods[] = {
    {"sha256_rows", sha256_rows, METH_VARARGS, "SHA-256 of every row, packed."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_sha256", "SHA-256 of many rows in one call.", -1, methods,
};

PyMODINIT_FUNC PyInit__sha256(void) { return PyModule_Create(&module); }
