/*
 * Loading and saving arrays: NumPy .npy and .npz, safetensors and GGUF, and
 * drawing a graph as DOT text.
 *
 * Loaders read files from strangers: every malformed input (truncated file,
 * wrong magic, absurd lengths, offsets out of range, unknown dtypes, shapes
 * whose size overflows, duplicate names) comes back as a status with a
 * message naming the file and the problem, never as a crash or a huge
 * allocation.
 *
 * Laziness: arrays loaded from a path (.npy, stored .npz members,
 * safetensors, unquantized GGUF tensors) are nodes of a Load primitive that
 * reads its bytes from the file only when the array is evaluated, so loading
 * a large file costs no memory until the arrays are used. The file must stay
 * unchanged until then: a Load whose file changed (size, inode or
 * modification time) fails at evaluation. Loaders from memory (`_bytes`)
 * copy what they need and keep no reference to the caller's buffer.
 *
 * Savers evaluate the arrays they are given and write their elements in
 * row-major order whatever their strides. Paths are used as given (no
 * extension is added).
 *
 * Ownership: every container handed back (mx_array_map, mx_string_map,
 * mx_gguf_metadata) is new and freed by the caller with its _free function;
 * arrays and strings read out of a container are borrowed from it and live
 * as long as it does (mx_array_retain an array to keep it longer). As with
 * ops, a loader that succeeds releases what its out-pointers held before
 * (so start them at NULL); on failure it leaves them unchanged.
 *
 * Savers evaluate every array before opening the output, so arrays loaded
 * lazily from a file may be saved over that same file.
 */
#ifndef CMLX_IO_H
#define CMLX_IO_H

#include "array.h"
#include "device.h"
#include "transforms.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- an ordered map of names to arrays ---- */

typedef struct mx_array_map mx_array_map;

/* A new empty map, freed with mx_array_map_free. */
MX_API int mx_array_map_new(mx_array_map **out);
/* Releases the map and its references to its arrays. NULL is ignored. */
MX_API void mx_array_map_free(mx_array_map *m);
/* Sets name to a (retained; the caller keeps its own reference). A name
 * already present is replaced in place. */
MX_API int mx_array_map_set(mx_array_map *m, const char *name, mx_array *a);
MX_API size_t mx_array_map_size(const mx_array_map *m);
/* Entry i in insertion order (file order for loaded maps); NULL when out of
 * range. Both are borrowed from the map. */
MX_API const char *mx_array_map_key(const mx_array_map *m, size_t i);
MX_API mx_array *mx_array_map_value(const mx_array_map *m, size_t i);
/* The array named name (borrowed), or NULL when absent. */
MX_API mx_array *mx_array_map_get(const mx_array_map *m, const char *name);

/* ---- an ordered map of strings to strings (safetensors metadata) ---- */

typedef struct mx_string_map mx_string_map;

MX_API int mx_string_map_new(mx_string_map **out);
MX_API void mx_string_map_free(mx_string_map *m);
/* Copies key and value; an existing key gets the new value. */
MX_API int mx_string_map_set(mx_string_map *m, const char *key, const char *value);
MX_API size_t mx_string_map_size(const mx_string_map *m);
MX_API const char *mx_string_map_key(const mx_string_map *m, size_t i);
MX_API const char *mx_string_map_value(const mx_string_map *m, size_t i);
MX_API const char *mx_string_map_get(const mx_string_map *m, const char *key);

/* ---- .npy ---- */

/* Loads one array from a .npy file (format 1.0, 2.0 or 3.0): every MLX
 * dtype ('<V2' is bfloat16, as MLX writes it), C or Fortran order (a
 * Fortran-order file loads as a lazy transpose), big-endian data swapped
 * when read. *out is a new lazy array on stream s (NULL: default). */
MX_API int mx_load_npy(mx_array **out, const char *path, const mx_stream *s);
/* The same from len bytes in memory (copied; the result is evaluated). */
MX_API int mx_load_npy_bytes(mx_array **out, const void *data, size_t len);
/* Writes a as .npy (format 1.0, C order, little-endian; bfloat16 as '<V2'). */
MX_API int mx_save_npy(const char *path, const mx_array *a);

/* ---- .npz ---- */

/* Loads every member "<name>.npy" of a zip archive (stored or deflated, with
 * or without zip64 records) as name -> array. Stored members load lazily;
 * deflated ones are inflated now (CRC-checked). *out is a new map. */
MX_API int mx_load_npz(mx_array_map **out, const char *path, const mx_stream *s);
MX_API int mx_load_npz_bytes(mx_array_map **out, const void *data, size_t len);
/* Writes each array as member "<name>.npy"; compressed selects deflate
 * (savez_compressed) over stored (savez). Names must be non-empty. */
MX_API int mx_savez(const char *path, const mx_array_map *arrays, bool compressed);

/* ---- safetensors ---- */

/* Loads every tensor of a safetensors file as a lazy array, in the order of
 * the header. When metadata is not NULL, *metadata receives a new map of
 * the header's "__metadata__" strings (empty when there is none). Dtypes:
 * BOOL, U8..U64, I8..I64, F16, BF16, F32, F64, C64. */
MX_API int mx_load_safetensors(mx_array_map **arrays, mx_string_map **metadata, const char *path,
                               const mx_stream *s);
MX_API int mx_load_safetensors_bytes(mx_array_map **arrays, mx_string_map **metadata,
                                     const void *data, size_t len);
/* Writes the arrays (in map order) with optional metadata (NULL: none). */
MX_API int mx_save_safetensors(const char *path, const mx_array_map *arrays,
                               const mx_string_map *metadata);

/* ---- GGUF ---- */

/* GGUF metadata value types, numbered as in the file format. */
typedef enum mx_gguf_type {
    MX_GGUF_UINT8 = 0,
    MX_GGUF_INT8 = 1,
    MX_GGUF_UINT16 = 2,
    MX_GGUF_INT16 = 3,
    MX_GGUF_UINT32 = 4,
    MX_GGUF_INT32 = 5,
    MX_GGUF_FLOAT32 = 6,
    MX_GGUF_BOOL = 7,
    MX_GGUF_STRING = 8,
    MX_GGUF_ARRAY = 9,
    MX_GGUF_UINT64 = 10,
    MX_GGUF_INT64 = 11,
    MX_GGUF_FLOAT64 = 12,
} mx_gguf_type;

/* One metadata value. Signed integer types are read through i, unsigned
 * through u, FLOAT32/FLOAT64 through f, BOOL through b. A STRING has len
 * bytes at str (NUL-terminated too; it may contain NUL bytes). An ARRAY has
 * n items of elem_type (items of an ARRAY of ARRAYs are arrays themselves,
 * each with its own elem_type). */
typedef struct mx_gguf_value {
    mx_gguf_type type;
    union {
        int64_t i;
        uint64_t u;
        double f;
        bool b;
        struct {
            const char *str;
            size_t len;
        } s;
        struct {
            mx_gguf_type elem_type;
            size_t n;
            const struct mx_gguf_value *items;
        } arr;
    } v;
} mx_gguf_value;

/* An ordered map of keys to metadata values. */
typedef struct mx_gguf_metadata mx_gguf_metadata;

MX_API int mx_gguf_metadata_new(mx_gguf_metadata **out);
MX_API void mx_gguf_metadata_free(mx_gguf_metadata *m);
/* Sets key to a deep copy of v (strings and nested arrays are copied). An
 * existing key gets the new value. MX_ERR_VALUE for an ill-formed value
 * (unknown type, array items whose type is not elem_type). */
MX_API int mx_gguf_metadata_set(mx_gguf_metadata *m, const char *key, const mx_gguf_value *v);
MX_API size_t mx_gguf_metadata_size(const mx_gguf_metadata *m);
/* Entry i in file order; NULL when out of range. Borrowed from the map. */
MX_API const char *mx_gguf_metadata_key(const mx_gguf_metadata *m, size_t i);
MX_API const mx_gguf_value *mx_gguf_metadata_value(const mx_gguf_metadata *m, size_t i);
MX_API const mx_gguf_value *mx_gguf_metadata_get(const mx_gguf_metadata *m, const char *key);

/* Loads a GGUF file (version 2 or 3). Tensor shapes are the file's
 * dimensions reversed (row-major, as MLX). F32, F16, BF16, F64 and the
 * integer types load lazily as arrays of that dtype. Q4_0, Q4_1, Q8_0 and
 * Q4_K become MLX's affine-quantized triplets, as MLX's loader: the packed
 * weight (uint32, last dim * bits / 32) under the tensor's name, and float16
 * scales and biases (last dim / 32) under the name with its ".weight" suffix
 * replaced by ".scales" and ".biases" (appended when there is no such
 * suffix); bits is 4 (Q4_*) or 8 (Q8_0), group size 32. The other K-quants
 * (Q2_K, Q3_K, Q5_K, Q6_K), which MLX does not load, are dequantized to
 * float32 (exactly the values ggml computes; float16 could not hold every
 * product of the 16-bit scale and the quantized value without rounding).
 * Quantized tensors are converted now (not lazily). When metadata is not
 * NULL, *metadata receives a new map of the key/value section. */
MX_API int mx_load_gguf(mx_array_map **arrays, mx_gguf_metadata **metadata, const char *path,
                        const mx_stream *s);
MX_API int mx_load_gguf_bytes(mx_array_map **arrays, mx_gguf_metadata **metadata, const void *data,
                              size_t len);
/* Writes a GGUF v3 file of the arrays (float32, float16, bfloat16; other
 * dtypes are MX_ERR_TYPE) and metadata (NULL: none). */
MX_API int mx_save_gguf(const char *path, const mx_array_map *arrays,
                        const mx_gguf_metadata *metadata);

/* ---- graphs ---- */

/* Writes the graph that computes the outputs (every node reachable from
 * them, unevaluated or not) as a Graphviz DOT digraph: one box per
 * primitive application, one ellipse per array (named by names[i] for
 * outputs[i] when names is not NULL, else by its shape and dtype). */
MX_API int mx_export_to_dot(const char *path, mx_array *const *outputs, const char *const *names,
                            size_t n);

/* ---- function export ---- */

/* Function export writes a closure traced into its primitive graph (see
 * docs/function_format.md); import gives back a closure that rebuilds that
 * graph on new inputs, without the original code. A file holds one trace
 * per input signature (number of inputs, their dtypes and shapes; with
 * shapeless, their dtypes and ndims only: the graph is then replayed with
 * shapes inferred from the inputs). The function must be made of
 * primitives (compiled closures are traced through; custom functions and
 * already fused Compiled ops cannot be exported); arrays it captures are
 * written as constants. */
typedef struct mx_exporter mx_exporter;

/* A new exporter writing f's traces to path when closed (f is retained).
 * Free it with mx_exporter_close. */
MX_API int mx_exporter_new(mx_exporter **out, const char *path, const mx_closure *f,
                           bool shapeless);
/* Traces f for inputs (borrowed; only their dtypes and shapes matter) and
 * keeps the trace. MX_ERR_VALUE when a trace for the same signature is
 * already there, or f uses a primitive that cannot be exported. */
MX_API int mx_exporter_add(mx_exporter *e, const mx_vec *inputs);
/* mx_exporter_add where the last n_kw inputs are keyword arguments named
 * kw_names (copied; each 1 to 255 bytes, in strictly ascending strcmp
 * order); a file with names holds them per trace. */
MX_API int mx_exporter_add_kw(mx_exporter *e, const mx_vec *inputs, const char *const *kw_names,
                              int n_kw);
/* A string written with the function (a model's configuration, say):
 * len bytes copied from metadata, replacing any set before. */
MX_API int mx_exporter_set_metadata(mx_exporter *e, const char *metadata, size_t len);
/* Writes the file and frees e (whatever the status; NULL is ignored).
 * MX_ERR_VALUE when no trace was added. */
MX_API int mx_exporter_close(mx_exporter *e);
/* Frees e without writing anything (NULL is ignored). */
MX_API void mx_exporter_free(mx_exporter *e);
/* One trace of f for inputs written to path. */
MX_API int mx_export_function(const char *path, const mx_closure *f, const mx_vec *inputs,
                              bool shapeless);
/* A closure (a new reference, free with mx_closure_free) running the graph
 * of the trace whose signature matches its inputs; a call with inputs no
 * trace takes is MX_ERR_VALUE. Every field of the file is checked: a bad
 * or truncated file is MX_ERR_VALUE with a message saying what is wrong. */
MX_API int mx_import_function(mx_closure **out, const char *path);
/* Calls f (made by mx_import_function) with inputs whose last n_kw are the
 * keyword arguments kw_names (ascending): runs the trace exported with the
 * same positional count, names, dtypes and shapes. Applying f as a plain
 * closure ignores the names. outputs get new references. */
MX_API int mx_imported_apply_kw(const mx_closure *f, mx_vec *outputs, const mx_vec *inputs,
                                const char *const *kw_names, int n_kw);
/* The metadata of the file f was imported from: *metadata (NUL-terminated,
 * *len bytes before it; "" when the file has none) is owned by f and lives
 * as long as it. */
MX_API int mx_imported_metadata(const mx_closure *f, const char **metadata, size_t *len);
/* mx_import_function from a buffer (copied; data may be freed after). */
MX_API int mx_import_function_bytes(mx_closure **out, const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
