/*
 * Memory API, as MLX's: a caching allocator with active, peak and cache
 * figures and limits. All sizes are in bytes.
 */
#ifndef CMLX_MEMORY_H
#define CMLX_MEMORY_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes held by live buffers (not counting the cache). */
MX_API size_t mx_get_active_memory(void);
/* The highest active memory since start or the last reset. */
MX_API size_t mx_get_peak_memory(void);
MX_API void mx_reset_peak_memory(void);
/* Bytes kept in the cache for reuse. */
MX_API size_t mx_get_cache_memory(void);
/* The memory limit: an allocation that would take active memory past it
 * first empties the cache, then fails with MX_ERR_MEMORY. */
MX_API size_t mx_get_memory_limit(void);
/* Sets the memory limit and returns the previous one. */
MX_API size_t mx_set_memory_limit(size_t limit);
/* Sets the cache limit (0 disables the cache) and returns the previous one. */
MX_API size_t mx_set_cache_limit(size_t limit);
/* Kept for MLX compatibility; has no effect on the CPU. Returns the previous
 * value. */
MX_API size_t mx_set_wired_limit(size_t limit);
/* Returns all cached buffers to the system. */
MX_API void mx_clear_cache(void);

#ifdef __cplusplus
}
#endif
#endif
