//! The file format of compiled modules: precompiled artifacts (`stagec compile -o`) and
//! cache entries.
//!
//! ```text
//! magic "STAGECA\0" | format version u32 | engine version | target | key [32]
//! | payload length u64 | code length u64 | CRC-32 of the key and of every byte after the
//!   header u32
//! | payload | zeros up to a multiple of CODE_ALIGNMENT | code section
//! payload: recipe (see recipe.rs) | artifact count
//!          | artifacts: (code offset u64 in the code section, code length u64,
//!            artifact metadata (environ::artifact, `Artifact::encode_metadata`))*
//!          | snapshot flag | snapshot of the compile-time state (see snapshot.rs)
//! code section: each artifact's machine code, starting at a multiple of CODE_ALIGNMENT
//! ```
//!
//! The code lies page-aligned in the file, so that the loader maps it in place
//! (`stagec_runtime::code`: a private copy-on-write mapping of the file, of which only the
//! pages that relocations patch are copied) instead of copying it, as wasmtime's
//! `Module::deserialize_file` does. Calls between an artifact's own functions are resolved
//! when it is written (`Artifact::with_internal_calls_resolved`), so only relocations that
//! depend on the process (libcalls, fixed addresses of compile-time state) are left.
//!
//! Nothing in a file is trusted: the header is checked field by field (magic, format,
//! engine version, target, lengths) and the checksum over everything after it before any
//! of it is decoded, and decoding checks every length, range and index
//! ([`Artifact::decode_metadata`]) before the code is mapped or copied into memory that is
//! then made executable.

use crate::engine::Engine;
use crate::error::{ArtifactError, Result};
use crate::snapshot::Snapshot;
use stagec_environ::artifact::Artifact;
use stagec_environ::code::{Code, CodeImage};
use stagec_environ::codec::{Reader, Writer};
use std::sync::Arc;

/// The engine version written into artifacts and cache keys: the release and a hash of
/// the sources that shape compiled code (engine/build.rs).
pub(crate) const ENGINE_VERSION: &str = concat!(
    "stagec ",
    env!("CARGO_PKG_VERSION"),
    " (build ",
    env!("STAGEC_BUILD_ID"),
    ")"
);

const MAGIC: &[u8; 8] = b"STAGECA\0";
/// 2: artifacts carry call sites (for backtraces); 3: the code is a page-aligned section
/// at the end of the file, mapped in place.
const FORMAT_VERSION: u32 = 3;

/// Alignment of the code section and of each artifact's code in it: the page size of the
/// hosts the target runs on (16 KiB pages on Apple's and some Linux aarch64 hosts), so
/// that the code can be mapped from the file. A host with larger pages still loads the
/// file, copying the code.
const CODE_ALIGNMENT: usize = if cfg!(target_arch = "aarch64") {
    16384
} else {
    4096
};

fn align_up(n: usize) -> usize {
    n.next_multiple_of(CODE_ALIGNMENT)
}

/// Whether `bytes` start like a serialized stagec artifact.
pub fn is_artifact(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Serializes a compilation: its key, recipe and artifacts, in order.
pub(crate) fn write(
    engine: &Engine,
    key: &[u8; 32],
    recipe: &[u8],
    artifacts: &[Artifact],
    snapshot: Option<&Snapshot>,
) -> Vec<u8> {
    let mut payload = Writer::new();
    payload.bytes(recipe);
    payload.len(artifacts.len());
    let mut code = Vec::new();
    for a in artifacts {
        let a = a.with_internal_calls_resolved();
        code.resize(align_up(code.len()), 0);
        payload.u64(code.len() as u64);
        payload.u64(a.code.len() as u64);
        code.extend_from_slice(&a.code);
        a.encode_metadata(&mut payload);
    }
    match snapshot {
        None => payload.u8(0),
        Some(s) => {
            payload.u8(1);
            s.encode(&mut payload);
        }
    }
    let mut w = Writer::new();
    w.bytes.extend_from_slice(MAGIC);
    w.u32(FORMAT_VERSION);
    w.str(ENGINE_VERSION);
    w.str(&engine.inner.compiler.target_key());
    w.bytes.extend_from_slice(key);
    w.len(payload.bytes.len());
    w.len(code.len());
    let header_len = w.bytes.len() + 4;
    let code_start = align_up(header_len + payload.bytes.len());
    let mut body = payload.bytes;
    body.resize(code_start - header_len, 0);
    body.extend_from_slice(&code);
    w.u32(checksum(key, &body));
    w.bytes.extend_from_slice(&body);
    w.bytes
}

/// The checksum of the key and of everything after the header (payload, padding, code):
/// CRC-32 (IEEE), which catches every burst of up to 32 flipped bits and any odd number of
/// flips, at memory speed. It guards against damage, not tampering: the key (a BLAKE3
/// hash of the inputs) is what identifies content.
fn checksum(key: &[u8; 32], body: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(key);
    h.update(body);
    h.finalize()
}

/// A checked, decoded file.
pub(crate) struct Parsed {
    pub(crate) key: [u8; 32],
    pub(crate) recipe: Vec<u8>,
    pub(crate) artifacts: Vec<Artifact>,
    pub(crate) snapshot: Option<Snapshot>,
}

/// Checks and decodes a serialized compilation made by this engine for this target. The
/// artifacts' code are ranges of `image` (mapped in place when it is a file).
pub(crate) fn read(engine: &Engine, image: &Arc<dyn CodeImage>) -> Result<Parsed> {
    let bytes = image.bytes();
    if !is_artifact(bytes) {
        return Err(ArtifactError::BadMagic.into());
    }
    let mut r = Reader::new(&bytes[MAGIC.len()..]);
    let header = ArtifactError::Header;
    let format = r.u32("format version").map_err(header)?;
    if format != FORMAT_VERSION {
        return Err(ArtifactError::FormatVersion {
            found: format,
            supported: FORMAT_VERSION,
        }
        .into());
    }
    let version = r.str("engine version").map_err(header)?;
    if version != ENGINE_VERSION {
        return Err(ArtifactError::EngineVersion {
            found: version.to_string(),
            this: ENGINE_VERSION,
        }
        .into());
    }
    let target = r.str("target").map_err(header)?;
    let ours = engine.inner.compiler.target_key();
    if target != ours {
        return Err(ArtifactError::Target {
            found: target.to_string(),
            host: ours,
        }
        .into());
    }
    let key: [u8; 32] = r.take(32, "key").map_err(header)?.try_into().expect("32");
    let payload_len = r.u64("payload length").map_err(header)?;
    let code_len = r.u64("code length").map_err(header)?;
    let sum = r.u32("checksum").map_err(header)?;
    let header_len = MAGIC.len() + r.position();
    let body = &bytes[header_len..];
    // The body's length as the header says: payload, padding to the code, code.
    let expected = usize::try_from(payload_len)
        .ok()
        .and_then(|p| {
            header_len
                .checked_add(p)?
                .checked_next_multiple_of(CODE_ALIGNMENT)?
                .checked_add(usize::try_from(code_len).ok()?)
        })
        .map(|end| end - header_len);
    if expected != Some(body.len()) {
        return Err(ArtifactError::PayloadLength {
            actual: body.len() as u64,
            header: expected.map_or(u64::MAX, |e| e as u64),
        }
        .into());
    }
    if checksum(&key, body) != sum {
        return Err(ArtifactError::Checksum.into());
    }
    let code_start = bytes.len() - code_len as usize;
    let mut r = Reader::new(&body[..payload_len as usize]);
    let body_error = ArtifactError::Payload;
    let recipe = r.bytes("recipe").map_err(body_error)?.to_vec();
    let n = r.len(8, "artifacts").map_err(body_error)?;
    let mut artifacts = Vec::with_capacity(n);
    for _ in 0..n {
        let at = r.position();
        let offset = r.u64("code offset").map_err(body_error)?;
        let len = r.u64("code length").map_err(body_error)?;
        // The range must lie inside the code section (which ends the file).
        let inside = offset.checked_add(len).is_some_and(|end| end <= code_len);
        let code = inside
            .then(|| Code::in_image(image.clone(), code_start + offset as usize, len as usize))
            .flatten()
            .ok_or(ArtifactError::CodeOutsideFile { at })?;
        artifacts.push(Artifact::decode_metadata(&mut r, code).map_err(body_error)?);
    }
    let snapshot = match r.u8("snapshot flag").map_err(body_error)? {
        0 => None,
        1 => Some(Snapshot::decode(&mut r).map_err(body_error)?),
        f => return Err(ArtifactError::SnapshotFlag(f).into()),
    };
    if !r.is_empty() {
        return Err(ArtifactError::TrailingBytes.into());
    }
    Ok(Parsed {
        key,
        recipe,
        artifacts,
        snapshot,
    })
}
