/* HMAC-SHA-256 of every row of an Arrow binary array under one key, without the interpreter lock.
 *
 * hmac_sha256_rows(key, data, offsets, first, rows) -> bytes: RFC 2104 exactly (a key longer
 * than the 64-byte block is hashed first, then zero-padded; inner hash over
 * key ^ 0x36 and the row, outer over key ^ 0x5c and the inner digest). The two
 * padded-key states are computed once per call and copied per row. The rows are
 * those of an Arrow binary array (its buffers, offset and length, as for _sha256);
 * the result is their 32-byte digests, packed.
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <openssl/sha.h>

#define BLOCK 64

static void keyed_state(SHA256_CTX *state, const unsigned char *block, unsigned char pad) {
    unsigned char padded[BLOCK];
    for (int i = 0; i < BLOCK; i++) {
        padded[i] = block[i] ^ pad;
    }
    SHA256_Init(state);
    SHA256_Update(state, padded, BLOCK);
}

static PyObject *hmac_sha256_rows(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer key, data, offsets;
    Py_ssize_t first, rows;
    if (!PyArg_ParseTuple(args, "y*y*y*nn", &key, &data, &offsets, &first, &rows)) {
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
    unsigned char block[BLOCK] = {0};
    if (key.len > BLOCK) {
        SHA256_CTX long_key;
        SHA256_Init(&long_key);
        SHA256_Update(&long_key, key.buf, (size_t)key.len);
        SHA256_Final(block, &long_key);
    } else {
        memcpy(block, key.buf, (size_t)key.len);
    }
    SHA256_CTX inner_key, outer_key;
    keyed_state(&inner_key, block, 0x36);
    keyed_state(&outer_key, block, 0x5c);
    memset(block, 0, BLOCK);
    digests = PyBytes_FromStringAndSize(NULL, rows * SHA256_DIGEST_LENGTH);
    if (digests == NULL) {
        goto done;
    }
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(digests);
    const unsigned char *in = data.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t row = 0; row < rows; row++) {
        unsigned char inner_digest[SHA256_DIGEST_LENGTH];
        SHA256_CTX state = inner_key;
        SHA256_Update(&state, in + offset[row], (size_t)(offset[row + 1] - offset[row]));
        SHA256_Final(inner_digest, &state);
        state = outer_key;
        SHA256_Update(&state, inner_digest, SHA256_DIGEST_LENGTH);
        SHA256_Final(out + row * SHA256_DIGEST_LENGTH, &state);
    }
    Py_END_ALLOW_THREADS
    memset(&inner_key, 0, sizeof inner_key);
    memset(&outer_key, 0, sizeof outer_key);
done:
    PyBuffer_Release(&key);
    PyBuffer_Release(&data);
    PyBuffer_Release(&offsets);
    return digests;
}

static PyMethodDef methods[] = {
    {"hmac_sha256_rows", hmac_sha256_rows, METH_VARARGS, "HMAC-SHA-256 of every row, packed."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_hmac", "HMAC-SHA-256 of many rows in one call.", -1, methods,
};

PyMODINIT_FUNC PyInit__hmac(void) { return PyModule_Create(&module); }
