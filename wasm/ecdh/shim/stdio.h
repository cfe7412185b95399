/* Freestanding shim for libsecp256k1 on wasm32 (no libc); see stdlib.h. */
#ifndef VEIL_SHIM_STDIO_H
#define VEIL_SHIM_STDIO_H
typedef struct veil_file FILE;
extern FILE *stderr;
int fprintf(FILE *f, const char *fmt, ...);
#endif
