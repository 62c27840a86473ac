//! SHA-256 (the `sha2` crate, portable implementation) over `size()` bytes of generated
//! data, fed to the hasher `chunk()` bytes per `update`, `rounds()` times; each round's
//! digest is folded into the checksum and into the first bytes of the next round's input.

#[cfg(not(feature = "hand"))]
mod env {
    #[link(wasm_import_module = "env")]
    unsafe extern "C" {
        /// Input length in bytes.
        pub safe fn size() -> u32;
        /// Bytes per `Sha256::update` call.
        pub safe fn chunk() -> u32;
        /// How many times the input is hashed.
        pub safe fn rounds() -> u32;
        /// The data generator's step.
        pub safe fn next(state: u64) -> u64;
        /// The checksum fold.
        pub safe fn mix(acc: u64, x: u32) -> u64;
    }
}

#[cfg(feature = "hand")]
mod env {
    pub fn size() -> u32 {
        1 << 20
    }
    pub fn chunk() -> u32 {
        4096
    }
    pub fn rounds() -> u32 {
        4
    }
    pub use wl_common::{mix, next};
}

use sha2::{Digest, Sha256};

#[unsafe(no_mangle)]
pub extern "C" fn run() -> i64 {
    let size = env::size() as usize;
    let chunk = env::chunk() as usize;
    let mut data = vec![0u8; size];
    let mut state = wl_common::SEED;
    for word in data.chunks_mut(8) {
        state = env::next(state);
        word.copy_from_slice(&state.to_le_bytes()[..word.len()]);
    }
    let mut acc = wl_common::SEED;
    for _ in 0..env::rounds() {
        let mut hasher = Sha256::new();
        for piece in data.chunks(chunk) {
            hasher.update(piece);
        }
        let digest = hasher.finalize();
        for (i, word) in digest.chunks(4).enumerate() {
            acc = env::mix(acc, u32::from_le_bytes(word.try_into().unwrap()));
            if let Some(b) = data.get_mut(i) {
                *b ^= word[0];
            }
        }
    }
    acc as i64
}
