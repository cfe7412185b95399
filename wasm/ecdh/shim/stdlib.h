/* Freestanding shim for libsecp256k1 on wasm32 (no libc). Only code we never call (context
 * creation, test failures) references these; --gc-sections drops it, so the link fails if any
 * live code did. */
#ifndef VEIL_SHIM_STDLIB_H
#define VEIL_SHIM_STDLIB_H
#include <stddef.h>
void *malloc(size_t n);
void *realloc(void *p, size_t n);
void free(void *p);
void abort(void);
#endif
