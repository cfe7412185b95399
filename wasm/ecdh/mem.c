/*
 * memcpy, memset and memcmp for libsecp256k1 on wasm32 without libc (Veil, spec 0001
 * §Constant time). Compiled with -fno-builtin in its own translation unit so the compiler cannot
 * turn these loops back into calls to themselves. memcmp is not constant time; libsecp256k1
 * uses it only on public data (it is unreferenced in the ECDH build and dropped by --gc-sections).
 */
#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--) *d++ = *s++;
    return dst;
}

void *memset(void *dst, int c, size_t n) {
    unsigned char *d = dst;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++) if (*x != *y) return *x - *y;
    return 0;
}
