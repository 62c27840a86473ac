//! Why a serialized artifact (a precompiled module or a cache entry) cannot be used.

use stagec_environ::codec::DecodeError;
use std::fmt;

/// A serialized artifact cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtifactError {
    /// The file does not start with the artifact magic.
    BadMagic,
    /// The header is malformed.
    Header(DecodeError),
    /// Another format version.
    FormatVersion {
        /// The file's.
        found: u32,
        /// The one this engine reads.
        supported: u32,
    },
    /// Made by another engine build.
    EngineVersion {
        /// The file's engine version.
        found: String,
        /// This engine's.
        this: &'static str,
    },
    /// Compiled for another target.
    Target {
        /// The file's target.
        found: String,
        /// This host's.
        host: String,
    },
    /// The payload is shorter or longer than the header says.
    PayloadLength {
        /// The payload's length.
        actual: u64,
        /// The header's.
        header: u64,
    },
    /// The checksum does not match: the file is corrupted.
    Checksum,
    /// The payload is malformed.
    Payload(DecodeError),
    /// The payload's snapshot flag is neither 0 nor 1.
    SnapshotFlag(u8),
    /// Bytes follow the payload.
    TrailingBytes,
    /// An artifact's code range lies outside the file's code section.
    CodeOutsideFile {
        /// Offset in the payload of the artifact's code range.
        at: usize,
    },
    /// A cache entry found under another key than its own.
    OtherKey,
    /// The recipe is malformed.
    Recipe(DecodeError),
    /// Compiled without checks this engine's configuration requires.
    MissingCheck(RequiredCheck),
    /// The file holds fewer artifacts than its recipe compiles.
    TooFewArtifacts,
    /// The file holds more artifacts than its recipe compiles.
    TooManyArtifacts,
    /// An artifact's code refers to another number of fixed addresses than the
    /// compile-time state its recipe re-creates.
    FixedAddresses {
        /// Fixed addresses the code refers to.
        code: usize,
        /// Fixed addresses of the re-created state.
        state: usize,
    },
    /// The snapshot of the compile-time state does not fit.
    Snapshot(SnapshotMismatch),
}

/// A check compiled into code that an engine's configuration requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequiredCheck {
    /// [`Config::interruptible`](crate::Config::interruptible).
    InterruptionChecks,
    /// [`Config::consume_fuel`](crate::Config::consume_fuel).
    FuelAccounting,
}

/// Why a snapshot of a compilation's compile-time state does not fit its recipe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotMismatch {
    /// Fewer steps than providers instantiated.
    TooFewSteps,
    /// Another number of providers than the recipe instantiates.
    Recipe,
    /// Another number of globals or memories than the provider has.
    Provider,
    /// A provider memory cannot grow to the snapshot's size.
    CannotGrow {
        /// The snapshot's size, in pages.
        pages: u64,
    },
    /// A provider memory is smaller in the snapshot than the module makes it.
    MemorySmaller,
    /// A provider memory's contents are of another size than the memory.
    Contents,
}

impl fmt::Display for ArtifactError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArtifactError::BadMagic => f.write_str("not a stagec artifact (bad magic)"),
            ArtifactError::Header(e) => write!(f, "header: {e}"),
            ArtifactError::FormatVersion { found, supported } => {
                write!(f, "format version {found}, this engine reads {supported}")
            }
            ArtifactError::EngineVersion { found, this } => {
                write!(f, "made by {found}, this is {this}")
            }
            ArtifactError::Target { found, host } => {
                write!(f, "compiled for `{found}`, this host is `{host}`")
            }
            ArtifactError::PayloadLength { actual, header } => write!(
                f,
                "truncated or extended: payload of {actual} bytes, the header says {header}"
            ),
            ArtifactError::Checksum => f.write_str("checksum mismatch (the file is corrupted)"),
            ArtifactError::Payload(e) => write!(f, "payload: {e}"),
            ArtifactError::SnapshotFlag(flag) => {
                write!(f, "payload: unknown snapshot flag {flag}")
            }
            ArtifactError::TrailingBytes => f.write_str("trailing bytes after the payload"),
            ArtifactError::CodeOutsideFile { at } => write!(
                f,
                "payload: the code range at offset {at} lies outside the code section"
            ),
            ArtifactError::OtherKey => f.write_str("it is the entry of another key"),
            ArtifactError::Recipe(e) => write!(f, "recipe: {e}"),
            ArtifactError::MissingCheck(check) => write!(
                f,
                "it was compiled without {}, which this engine's configuration requires",
                match check {
                    RequiredCheck::InterruptionChecks => "interruption checks",
                    RequiredCheck::FuelAccounting => "fuel accounting",
                }
            ),
            ArtifactError::TooFewArtifacts => {
                f.write_str("it holds fewer artifacts than its recipe compiles")
            }
            ArtifactError::TooManyArtifacts => {
                f.write_str("it holds more artifacts than its recipe compiles")
            }
            ArtifactError::FixedAddresses { code, state } => write!(
                f,
                "its code refers to {code} fixed addresses, the re-created state has {state}"
            ),
            ArtifactError::Snapshot(e) => write!(f, "{e}"),
        }
    }
}

impl fmt::Display for SnapshotMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotMismatch::TooFewSteps => f.write_str("its snapshot has too few steps"),
            SnapshotMismatch::Recipe => f.write_str("its snapshot does not fit its recipe"),
            SnapshotMismatch::Provider => {
                f.write_str("its snapshot does not fit the provider it restores")
            }
            SnapshotMismatch::CannotGrow { pages } => {
                write!(f, "cannot grow a provider memory to {pages} pages")
            }
            SnapshotMismatch::MemorySmaller => {
                f.write_str("its snapshot has a provider memory smaller than the module's")
            }
            SnapshotMismatch::Contents => f.write_str("its snapshot's memory contents do not fit"),
        }
    }
}

impl std::error::Error for ArtifactError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ArtifactError::Header(e) | ArtifactError::Payload(e) | ArtifactError::Recipe(e) => {
                Some(e)
            }
            _ => None,
        }
    }
}
