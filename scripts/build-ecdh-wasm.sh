#!/usr/bin/env bash
# Builds src/lib/crypto/wasm/veil-ecdh.wasm, Veil's constant-time secp256k1 ECDH (spec 0001
# §Constant time and the WebAssembly path), from wasm/ecdh/*.c and vendor/libsecp256k1/.
# Reproducible: fixed flags, source paths mapped to '.', no debug info or producers section, no
# timestamps. Needs clang and wasm-ld (Debian bookworm: apt-get install clang lld, clang 14).
#   scripts/build-ecdh-wasm.sh            writes the artifact and its .sha256 next to it
#   scripts/build-ecdh-wasm.sh OUT.wasm   writes only OUT.wasm (tests/unit/ecdh-ct-wasm-build.test.ts)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="${1:-src/lib/crypto/wasm/veil-ecdh.wasm}"
CLANG="${CLANG:-clang}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

common=(
  --target=wasm32-unknown-unknown -O2 -nostdlib -ffreestanding -std=c89 -fno-ident
  -ffunction-sections -fdata-sections -fvisibility=hidden
  -ffile-prefix-map="$root"=. -Wall -Wextra -Wno-unused-function -Wno-long-long -Werror
)
defs=(
  -DSECP256K1_BUILD -DUSE_NUM_NONE=1 -DUSE_FIELD_10X26=1 -DUSE_SCALAR_8X32=1
  -DUSE_FIELD_INV_BUILTIN=1 -DUSE_SCALAR_INV_BUILTIN=1 -DECMULT_WINDOW_SIZE=15
  -DECMULT_GEN_PREC_BITS=4 -DENABLE_MODULE_ECDH=1 -DUSE_EXTERNAL_DEFAULT_CALLBACKS=1
)
"$CLANG" "${common[@]}" -fno-builtin -c wasm/ecdh/mem.c -o "$tmp/mem.o"
"$CLANG" "${common[@]}" "${defs[@]}" -Ivendor/libsecp256k1 -Ivendor/libsecp256k1/src -Iwasm/ecdh/shim \
  -c wasm/ecdh/veil_ecdh.c -o "$tmp/veil_ecdh.o"
"$CLANG" --target=wasm32-unknown-unknown -nostdlib -fuse-ld=lld \
  -Wl,--no-entry,--gc-sections,--stack-first,-z,stack-size=16384,--initial-memory=131072,--max-memory=131072 \
  -Wl,--strip-all,--export=veil_ecdh,--export=veil_io,--export=veil_stack_end \
  "$tmp/veil_ecdh.o" "$tmp/mem.o" -o "$tmp/out.wasm"
mkdir -p "$(dirname "$out")"
cp "$tmp/out.wasm" "$out"
if [ $# -eq 0 ]; then
  (cd "$(dirname "$out")" && sha256sum "$(basename "$out")" > "$(basename "$out").sha256")
  cat "$out.sha256"
fi
ls -l "$out" | awk '{print $5 " bytes"}'
