#!/usr/bin/env bash
# Builds the WASI program suite into c/ and rust/, where the .wasm files are committed, so
# that tests need no toolchain. Installs what it needs if missing: clang-16, lld-16,
# wasi-libc and the wasm32 compiler runtime (Debian packages), Rust's wasm32-wasip1
# target. Reproducible: the Rust crates' versions are pinned by rust/Cargo.lock and the
# machine's paths are remapped to fixed ones.
#
#   bash wasi/programs/build.sh          # everything
#   bash wasi/programs/build.sh c        # only the C programs
#   bash wasi/programs/build.sh rust     # only the Rust programs
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
what="${1:-all}"

C_PROGRAMS=(hello args_env stdin clocks random exit trap buffering fileio sandbox misc primes)
# Symbols a C program may leave undefined (they become imports from module `env`).
declare -A C_UNDEFINED=([primes]="LIMIT")
RUST_PROGRAMS=(markdown gzip jsonq sqlite fsops)

need_c_toolchain() {
    if ! command -v clang-16 >/dev/null || ! command -v wasm-ld-16 >/dev/null \
        || ! command -v llvm-ar-16 >/dev/null || [ ! -f /usr/lib/wasm32-wasi/libc.a ] \
        || [ ! -f /usr/lib/llvm-16/lib/clang/16/lib/wasi/libclang_rt.builtins-wasm32.a ]; then
        echo "installing clang-16, lld-16, wasi-libc and libclang-rt-16-dev-wasm32" >&2
        apt-get update
        apt-get install -y clang-16 lld-16 llvm-16 wasi-libc libclang-rt-16-dev-wasm32
    fi
}

need_rust_target() {
    if ! rustup target list --installed | grep -qx wasm32-wasip1; then
        rustup target add wasm32-wasip1
    fi
}

build_c() {
    need_c_toolchain
    cd "$here/c"
    echo "clang: $(clang-16 --version | head -n 1)"
    mkdir -p build
    for p in "${C_PROGRAMS[@]}"; do
        local extra=()
        if [ -n "${C_UNDEFINED[$p]:-}" ]; then
            printf '%s\n' ${C_UNDEFINED[$p]} > "build/$p.syms"
            extra=(-Wl,--allow-undefined-file="build/$p.syms")
        fi
        clang-16 --target=wasm32-wasi -O2 -Wall -Werror -Wl,--strip-debug "${extra[@]}" \
            -ffile-prefix-map="$here=/programs" -o "$p.wasm" "$p.c"
    done
}

build_rust() {
    need_rust_target
    need_c_toolchain
    cd "$here/rust"
    local cargo_home="${CARGO_HOME:-$HOME/.cargo}"
    export CARGO_TARGET_DIR="$here/rust/target"
    export RUSTFLAGS="--remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$here=/programs"
    # SQLite's C amalgamation (libsqlite3-sys) is compiled by clang-16 against Debian's
    # wasi-libc headers; Rust links it with its own wasi-libc.
    export CC_wasm32_wasip1=clang-16 AR_wasm32_wasip1=llvm-ar-16
    export CFLAGS_wasm32_wasip1="--target=wasm32-wasi -ffile-prefix-map=$cargo_home=/cargo"
    echo "rustc: $(rustc --version)"
    cargo build --locked --release --target wasm32-wasip1 --workspace
    for p in "${RUST_PROGRAMS[@]}"; do
        cp "target/wasm32-wasip1/release/$p.wasm" "$p.wasm"
    done
}

case "$what" in
    all) build_c; build_rust ;;
    c) build_c ;;
    rust) build_rust ;;
    *) echo "usage: $0 [all|c|rust]" >&2; exit 2 ;;
esac

cd "$here"
echo "built (bytes):"
for f in c/*.wasm rust/*.wasm; do
    printf '  %-24s %8d\n' "$f" "$(stat -c %s "$f")"
done
