//! A deflate round trip with `miniz_oxide`: `size()` bytes of generated text (words drawn
//! from a small vocabulary, numbers, punctuation: compressible like prose) are compressed
//! as a zlib stream at level `level()`, decompressed again and compared; the checksum
//! folds the compressed stream and its length.

#[cfg(not(feature = "hand"))]
mod env {
    #[link(wasm_import_module = "env")]
    unsafe extern "C" {
        /// Input length in bytes.
        pub safe fn size() -> u32;
        /// Compression level, 0–10.
        pub safe fn level() -> u32;
        /// The data generator's step.
        pub safe fn next(state: u64) -> u64;
        /// The checksum fold.
        pub safe fn mix(acc: u64, x: u32) -> u64;
    }
}

#[cfg(feature = "hand")]
mod env {
    pub fn size() -> u32 {
        384 * 1024
    }
    pub fn level() -> u32 {
        6
    }
    pub use wl_common::{mix, next};
}

use miniz_oxide::deflate::compress_to_vec_zlib;
use miniz_oxide::inflate::decompress_to_vec_zlib;

const WORDS: [&str; 32] = [
    "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "be",
    "by", "on", "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have",
    "an", "had", "they", "compression", "dictionary",
];

/// `size` bytes of generated prose.
fn text(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 32);
    let mut state = wl_common::SEED;
    while out.len() < size {
        state = env::next(state);
        let r = state >> 32;
        out.extend_from_slice(WORDS[(r & 31) as usize].as_bytes());
        match (r >> 5) & 15 {
            0 => out.extend_from_slice(b". "),
            1 => out.extend_from_slice(b", "),
            2 => {
                let n = (r >> 9) % 10_000;
                out.extend_from_slice(format!(" {n} ").as_bytes());
            }
            3 => out.push(b'\n'),
            _ => out.push(b' '),
        }
    }
    out.truncate(size);
    out
}

#[unsafe(no_mangle)]
pub extern "C" fn run() -> i64 {
    let input = text(env::size() as usize);
    let compressed = compress_to_vec_zlib(&input, env::level() as u8);
    let restored = decompress_to_vec_zlib(&compressed).expect("the stream inflates");
    assert!(restored == input, "the round trip restores the input");
    let mut acc = env::mix(wl_common::SEED, compressed.len() as u32);
    for word in compressed.chunks(4) {
        let mut bytes = [0u8; 4];
        bytes[..word.len()].copy_from_slice(word);
        acc = env::mix(acc, u32::from_le_bytes(bytes));
    }
    acc as i64
}
