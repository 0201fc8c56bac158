/*
 * cmlx base definitions: export macro, status codes, the error channel and
 * the opaque array handle shared by every other header.
 */
#ifndef CMLX_BASE_H
#define CMLX_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define MX_API __declspec(dllexport)
#elif defined(__GNUC__)
#define MX_API __attribute__((visibility("default")))
#else
#define MX_API
#endif

/*
 * Every public function that can fail returns an int status: MX_OK (0) on
 * success, otherwise one of the codes below. The message that goes with the
 * failure is kept per thread and read with mx_last_error().
 */
typedef enum mx_status {
    MX_OK = 0,
    MX_ERR_VALUE = 1,   /* bad shape, axis, argument or dtype combination */
    MX_ERR_TYPE = 2,    /* an argument of the wrong kind (dtype not allowed) */
    MX_ERR_INDEX = 3,   /* index out of range */
    MX_ERR_MEMORY = 4,  /* allocation failed or over the memory limit */
    MX_ERR_RUNTIME = 5, /* everything else: bad state, failed kernel, I/O */
} mx_status;

/* The message of the last failure on this thread ("" if none). The string is
 * owned by the library and stays valid until the next failing call on this
 * thread. */
MX_API const char *mx_last_error(void);
/* The status code of the last failure on this thread (MX_OK if none). */
MX_API int mx_last_error_code(void);
/* Forget the last failure on this thread. */
MX_API void mx_clear_error(void);

/* A lazily evaluated, reference-counted n-dimensional array. Every function
 * that hands one back gives a new reference, released with mx_array_free. */
typedef struct mx_array mx_array;

#ifdef __cplusplus
}
#endif
#endif
