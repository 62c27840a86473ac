#!/usr/bin/env bash
# Builds every workload's .wasm (generic and hand-specialized) into rust/ and c/, where
# they are committed, so that tests and benchmarks need no toolchain. Installs what it
# needs if missing: clang-16 and lld-16 (Debian packages), Rust's wasm32-unknown-unknown
# target. Reproducible: the Rust crates' versions are pinned by rust/Cargo.lock.
#
#   bash workloads/build.sh            # everything
#   bash workloads/build.sh rust       # only the Rust workloads
#   bash workloads/build.sh c          # only the C kernels
#
# The C kernels' parameter values for the hand build are the C_PARAMS table below; the
# generic modules import them, and manifest.toml binds the same values (the test
# tests/tests/workloads.rs checks that both give the manifest's checksum).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
what="${1:-all}"

RUST_WORKLOADS=(sha256 deflate regex json png)
C_KERNELS=(matmul stencil sort interp hashtab simd_matmul simd_search)
declare -A C_PARAMS=(
    [matmul]="ROWS=256 INNER=256 COLS=288"
    [stencil]="WIDTH=512 HEIGHT=384 STEPS=60"
    [sort]="COUNT=200000 CUTOFF=12 SEED=2463534242"
    [interp]="OP_HALT=5 OP_PUSH=21 OP_LOAD=37 OP_STORE=53 OP_ADD=69 OP_SUB=85 OP_MUL=101 OP_XOR=117 OP_SHR=133 OP_DUP=149 OP_JNZ=165 ITERS=400000"
    [hashtab]="LOG_CAP=18 HASH_MUL=0x9e3779b9 KEYS=150000 LOOKUPS=600000"
    [simd_matmul]="ROWS=256 INNER=256 COLS=288"
    [simd_search]="SIZE=1048576 ROUNDS=8 NEEDLE=10"
)

need_c_toolchain() {
    if ! command -v clang-16 >/dev/null || ! command -v wasm-ld-16 >/dev/null; then
        echo "installing clang-16 and lld-16" >&2
        apt-get update
        apt-get install -y clang-16 lld-16
    fi
}

need_rust_target() {
    if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        rustup target add wasm32-unknown-unknown
    fi
}

build_rust() {
    need_rust_target
    cd "$here/rust"
    # Panic locations name source files: map the machine's paths to fixed ones, so that
    # the same toolchain builds the same bytes anywhere.
    local cargo_home="${CARGO_HOME:-$HOME/.cargo}"
    export RUSTFLAGS="--remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$here=/workloads"
    echo "rustc: $(rustc --version)"
    # Generic and hand builds in separate target directories, so neither rebuilds the other.
    cargo build --locked --release --target wasm32-unknown-unknown --workspace
    cargo build --locked --release --target wasm32-unknown-unknown --workspace \
        --features hand --target-dir target/hand
    for w in "${RUST_WORKLOADS[@]}"; do
        cp "target/wasm32-unknown-unknown/release/wl_$w.wasm" "$w.wasm"
        cp "target/hand/wasm32-unknown-unknown/release/wl_$w.wasm" "$w.hand.wasm"
    done
}

build_c() {
    need_c_toolchain
    cd "$here/c"
    echo "clang: $(clang-16 --version | head -n 1)"
    mkdir -p build
    # Wasm 2.0's bulk memory, so that loops the compiler turns into memset/memcpy become
    # memory.fill/memory.copy instead of calls to a libc that is not there.
    local flags=(--target=wasm32 -nostdlib -O2 -mbulk-memory
        -Wl,--no-entry -Wl,--export=run)
    for k in "${C_KERNELS[@]}"; do
        # The simd_* kernels use 128-bit SIMD (wasm_simd128.h).
        local simd=()
        if [[ $k == simd_* ]]; then simd=(-msimd128); fi
        # The parameters, as the symbols that may stay undefined (they become imports).
        grep -o 'PARAM_DECLARE([A-Z_0-9]*)' "$k.c" | sed 's/PARAM_DECLARE(\(.*\))/\1/' \
            > "build/$k.syms"
        clang-16 "${flags[@]}" "${simd[@]}" -Wl,--allow-undefined-file="build/$k.syms" \
            -o "$k.wasm" "$k.c"
        local defines=(-DHAND)
        for p in ${C_PARAMS[$k]}; do defines+=("-D$p"); done
        clang-16 "${flags[@]}" "${simd[@]}" "${defines[@]}" -o "$k.hand.wasm" "$k.c"
    done
}

case "$what" in
    all) build_rust; build_c ;;
    rust) build_rust ;;
    c) build_c ;;
    *) echo "usage: $0 [all|rust|c]" >&2; exit 2 ;;
esac

cd "$here"
echo "built (bytes):"
for f in rust/*.wasm c/*.wasm; do
    printf '  %-24s %8d\n' "$f" "$(stat -c %s "$f")"
done
