//! What every Rust workload shares.
//!
//! The generic workloads import `env.next` and `env.mix` (bound to the exports of the same
//! names of `provider.wat`); the hand-specialized builds (feature `hand`) call these Rust
//! functions instead. Both must compute the same values: the manifest's checksums are
//! checked against both builds.

#![no_std]

/// One step of Marsaglia's xorshift64 generator (13, 7, 17): the input data of every
/// workload is a sequence of these states, starting from [`SEED`].
pub fn next(state: u64) -> u64 {
    let mut x = state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

/// Folds the 32-bit value `x` into the checksum `acc` (FNV-1a style multiply, then a
/// rotation so that high bits feed back into low ones).
pub fn mix(acc: u64, x: u32) -> u64 {
    ((acc ^ x as u64).wrapping_mul(0x0000_0100_0000_01b3)).rotate_left(5)
}

/// The generator's start state and the checksum's start value.
pub const SEED: u64 = 0x9e37_79b9_7f4a_7c15;
