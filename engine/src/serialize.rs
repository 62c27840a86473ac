//! The file format of compiled modules: precompiled artifacts (`stagec compile -o`) and
//! cache entries.
//!
//! ```text
//! magic "STAGECA\0" | format version u32 | engine version | target | key [32]
//! | payload length u64 | CRC-32C of key and payload u32 | payload
//! payload: recipe (see recipe.rs) | artifact count | artifacts (runtime::artifact)
//!          | snapshot flag | snapshot of the compile-time state (see snapshot.rs)
//! ```
//!
//! Nothing in a file is trusted: the header is checked field by field (magic, format,
//! engine version, target) and the payload's checksum before any of it is decoded, and
//! decoding checks every length, range and index ([`Artifact::decode`]) before the code is
//! copied into memory that is then made executable.

use crate::engine::Engine;
use crate::error::{ArtifactError, Result};
use crate::snapshot::Snapshot;
use stagec_environ::artifact::Artifact;
use stagec_environ::codec::{Reader, Writer};

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
const FORMAT_VERSION: u32 = 1;

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
    for a in artifacts {
        a.encode(&mut payload);
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
    w.u32(checksum(key, &payload.bytes));
    w.bytes.extend_from_slice(&payload.bytes);
    w.bytes
}

/// The checksum of the key and the payload: CRC-32 (IEEE), which catches every burst of
/// up to 32 flipped bits and any odd number of flips, at memory speed. It guards against
/// damage, not tampering: the key (SHA-256 of the inputs) is what identifies content.
fn checksum(key: &[u8; 32], payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(key);
    h.update(payload);
    h.finalize()
}

/// A checked, decoded file.
pub(crate) struct Parsed {
    pub(crate) key: [u8; 32],
    pub(crate) recipe: Vec<u8>,
    pub(crate) artifacts: Vec<Artifact>,
    pub(crate) snapshot: Option<Snapshot>,
}

/// Checks and decodes a serialized compilation made by this engine for this target.
pub(crate) fn read(engine: &Engine, bytes: &[u8]) -> Result<Parsed> {
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
    let len = r.u64("payload length").map_err(header)?;
    let sum = r.u32("checksum").map_err(header)?;
    let start = MAGIC.len() + r.position();
    let payload = &bytes[start..];
    if payload.len() as u64 != len {
        return Err(ArtifactError::PayloadLength {
            actual: payload.len() as u64,
            header: len,
        }
        .into());
    }
    if checksum(&key, payload) != sum {
        return Err(ArtifactError::Checksum.into());
    }
    let mut r = Reader::new(payload);
    let body = ArtifactError::Payload;
    let recipe = r.bytes("recipe").map_err(body)?.to_vec();
    let n = r.len(8, "artifacts").map_err(body)?;
    let mut artifacts = Vec::with_capacity(n);
    for _ in 0..n {
        artifacts.push(Artifact::decode(&mut r).map_err(body)?);
    }
    let snapshot = match r.u8("snapshot flag").map_err(body)? {
        0 => None,
        1 => Some(Snapshot::decode(&mut r).map_err(body)?),
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
