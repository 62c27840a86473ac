#!/usr/bin/env bash
# Builds the dylink test programs into c/, where the .wasm and .so files are committed, so
# that tests need no toolchain: a main module (a wasi-libc program exporting everything)
# and side modules (shared libraries with a dylink.0 section). Installs clang-16, lld-16
# and wasi-libc (Debian packages) if missing.
#
#   bash dylink/programs/build.sh
#
# The flags are the issue's (docs/dylink.md), plus -O2 and --strip-debug (wasi-libc's
# archive carries debug sections).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! command -v clang-16 >/dev/null || ! command -v wasm-ld-16 >/dev/null \
    || [ ! -f /usr/lib/wasm32-wasi/libc.a ]; then
    echo "installing clang-16, lld-16 and wasi-libc" >&2
    apt-get update
    apt-get install -y clang-16 lld-16 wasi-libc
fi

cd "$here/c"
resource="$(clang-16 -print-resource-dir)"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT

# main NAME [C FILES...]: NAME.wasm from NAME.c and the other files.
main() {
    local name="$1"
    shift
    clang-16 --target=wasm32-wasi -O2 -Wall -Werror -ffile-prefix-map="$here=/programs" \
        -Wl,--export-all -Wl,--export=__stack_pointer -Wl,--export-table \
        -Wl,--growable-table -Wl,--whole-archive -lc -Wl,--no-whole-archive \
        -Wl,--strip-debug -o "$name.wasm" "$name.c" "$@"
}

# lib NAME [NEEDED.so...]: libNAME.so from libNAME.c, linked against the needed libraries.
lib() {
    local name="$1"
    shift
    clang-16 --target=wasm32-unknown-emscripten -fPIC -fvisibility=default -D__wasi__ \
        -U__EMSCRIPTEN__ -nostdinc -isystem "$resource/include" \
        -isystem /usr/include/wasm32-wasi -O2 -Wall -Werror \
        -ffile-prefix-map="$here=/programs" -c "$name.c" -o "$build/$name.o"
    wasm-ld-16 --experimental-pic -shared --strip-debug "$build/$name.o" "$@" -o "$name.so"
}

echo "clang: $(clang-16 --version | head -n 1)"
main main
# The benchmark's static baseline: libbench.c linked into the main module.
main main_static libbench.c
lib libdata
lib libfptr
lib libuser libfptr.so
lib libweak
lib libctor
lib libchain_c
lib libchain_b libchain_c.so
lib libchain_a libchain_b.so
lib libundef
lib libsig
lib libbench
# A cycle: b first on its own, then a needing b, then b again needing a.
lib libcycle_b
lib libcycle_a libcycle_b.so
lib libcycle_b libcycle_a.so

echo "built (bytes):"
for f in *.wasm *.so; do
    printf '  %-20s %8d\n' "$f" "$(stat -c %s "$f")"
done
