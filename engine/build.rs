//! Computes the build id: a hash of the sources of every crate that decides what compiled
//! code looks like or how it is loaded. It is part of the engine version written into
//! serialized artifacts and cache keys, so that an engine rebuilt from changed sources
//! never loads code its predecessor made.

use std::path::{Path, PathBuf};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dirs = [
        "frontend/src",
        "environ/src",
        "codegen/src",
        "runtime/src",
        "runtime/csrc",
        "engine/src",
    ];
    let mut files = Vec::new();
    for dir in dirs {
        let dir = root.join(dir);
        println!("cargo:rerun-if-changed={}", dir.display());
        collect(&dir, &mut files);
    }
    files.sort();
    // FNV-1a, 64 bits: stable across toolchains (unlike std's hasher).
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for file in &files {
        // The CLI does not affect compiled code.
        if file.components().any(|c| c.as_os_str() == "bin") {
            continue;
        }
        if let Ok(rel) = file.strip_prefix(&root) {
            feed(rel.to_string_lossy().as_bytes());
        }
        feed(&std::fs::read(file).unwrap_or_default());
    }
    println!("cargo:rustc-env=STAGEC_BUILD_ID={hash:016x}");
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}
