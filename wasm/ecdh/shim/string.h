/* Freestanding shim for libsecp256k1 on wasm32 (no libc): the three functions it calls, defined in mem.c. */
#ifndef VEIL_SHIM_STRING_H
#define VEIL_SHIM_STRING_H
#include <stddef.h>
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
#endif
