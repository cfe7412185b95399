/*
 * Veil's constant-time secp256k1 ECDH for WebAssembly (spec 0001 §Constant time and the
 * WebAssembly path; issue 12 item 2), on libsecp256k1 vendored in vendor/libsecp256k1/.
 *
 * One export does the work: veil_ecdh(publen) reads a 32-byte secret key at io[0..32) and a
 * public key at io[32..32+publen) (33 bytes 02/03‖x or 65 bytes 04‖x‖y), and writes x(sk·P),
 * the 32-byte big-endian x coordinate, NOT hashed, to io[0..32). It returns 1, or 0 (and
 * zeroes io[0..32)) when the key does not parse, the prefix is not one of those, or the secret
 * is zero or ≥ n. The multiply is secp256k1_ecdh → secp256k1_ecmult_const: fixed window, table
 * lookups by cmov over the whole table, no secret-dependent branches or indices.
 *
 * No libc, no imports, no heap: the context is the static secp256k1_context_no_precomp (ECDH
 * and pubkey parsing need no ecmult/ecmult_gen tables) and the only buffer is `io`. The module's
 * shadow stack is the first __global_base bytes of memory (linked with --stack-first); the
 * caller wipes it and `io` after every call (src/lib/crypto/ecdh-ct-wasm.ts).
 *
 * The build defines (scripts/build-ecdh-wasm.sh): USE_NUM_NONE, USE_FIELD_10X26,
 * USE_SCALAR_8X32 (32-bit limbs: wasm32 has native i64 products of i32 but no 64×64→128
 * multiply), USE_FIELD_INV_BUILTIN, USE_SCALAR_INV_BUILTIN, ECMULT_WINDOW_SIZE=15 and
 * ECMULT_GEN_PREC_BITS=4 (the library defaults; they size tables of code the module never
 * calls, which the linker drops), ENABLE_MODULE_ECDH, USE_EXTERNAL_DEFAULT_CALLBACKS (the two
 * callbacks below), no assembly. No USE_ENDOMORPHISM: it makes ecmult_const about 25% faster,
 * but this 2019 snapshot's GLV split predates the proof that its halves fit the 128-bit
 * wNAF ecmult_const assumes (added upstream in 2020), so we leave it off.
 */
#include "src/secp256k1.c"
#include "include/secp256k1_ecdh.h"

/* Illegal-argument and internal-error callbacks: libsecp256k1 returns 0 after calling them, and
 * the prefix/length checks below keep every ARG_CHECK true, so they never run. Doing nothing
 * (rather than trapping) keeps the module alive whatever the input. */
void secp256k1_default_illegal_callback_fn(const char *str, void *data) {
    (void)str;
    (void)data;
}
void secp256k1_default_error_callback_fn(const char *str, void *data) {
    (void)str;
    (void)data;
}

/* Inputs and output: secret key (32), public key (up to 65). */
static unsigned char io[32 + 65] __attribute__((aligned(16)));

__attribute__((export_name("veil_io")))
unsigned char *veil_io(void) {
    return io;
}

extern unsigned char __global_base;

/* End of the shadow stack region [0, __global_base) that the caller wipes. */
__attribute__((export_name("veil_stack_end")))
unsigned char *veil_stack_end(void) {
    return &__global_base;
}

/* secp256k1_ecdh "hash": the x coordinate as is (our key schedule hashes it, spec 0001). */
static int copy_x(unsigned char *output, const unsigned char *x32, const unsigned char *y32, void *data) {
    (void)y32;
    (void)data;
    memcpy(output, x32, 32);
    return 1;
}

__attribute__((export_name("veil_ecdh")))
int veil_ecdh(unsigned int publen) {
    secp256k1_pubkey pub;
    unsigned char out[32];
    int ok = 0;
    const unsigned char *p = io + 32;
    /* Exactly the SEC1 encodings keys.ts accepts; hybrid 06/07 is refused here as well. */
    if ((publen == 33 && (p[0] == 0x02 || p[0] == 0x03)) || (publen == 65 && p[0] == 0x04)) {
        ok = secp256k1_ec_pubkey_parse(secp256k1_context_no_precomp, &pub, p, publen);
        if (ok) ok = secp256k1_ecdh(secp256k1_context_no_precomp, out, &pub, io, copy_x, NULL);
    }
    if (ok) memcpy(io, out, 32);
    else memset(io, 0, 32);
    memset(io + 32, 0, 65);
    return ok;
}
