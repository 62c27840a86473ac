//! A small, bounds-checked binary encoding for serialized artifacts: little-endian
//! integers and length-prefixed byte strings. Decoding never panics: every read checks
//! the remaining input and reports the offset where the input ran short.

use crate::artifact::ArtifactError;
use std::fmt;

/// Malformed serialized data: what was wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// What was wrong.
    pub kind: DecodeErrorKind,
    /// Byte offset in the decoded slice.
    pub offset: usize,
}

/// What was wrong with serialized data. `what` names the item being read (a literal of
/// the decoder, such as `"trap table"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// The input ended inside `what`.
    Truncated {
        /// The item being read.
        what: &'static str,
    },
    /// A length prefix of `what` is longer than the remaining input allows.
    LengthExceedsInput {
        /// The item being read.
        what: &'static str,
        /// The length read.
        len: u64,
    },
    /// `what` is not UTF-8.
    NotUtf8 {
        /// The item being read.
        what: &'static str,
    },
    /// A serialized number of `what` (an enum tag, an index) that names nothing.
    Unknown {
        /// The item being read.
        what: &'static str,
        /// The number read.
        value: u64,
    },
    /// More of `what` than the format allows.
    TooMany {
        /// The item being read.
        what: &'static str,
        /// The count read.
        count: u64,
    },
    /// Data that does not hold together; `problem` says how.
    Inconsistent {
        /// What is wrong, as a sentence fragment.
        problem: &'static str,
    },
    /// A decoded artifact is not self-consistent.
    Artifact(ArtifactError),
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeErrorKind::Truncated { what } => write!(f, "truncated {what}"),
            DecodeErrorKind::LengthExceedsInput { what, len } => {
                write!(f, "{what}: length {len} exceeds the input")
            }
            DecodeErrorKind::NotUtf8 { what } => write!(f, "{what} is not UTF-8"),
            DecodeErrorKind::Unknown { what, value } => write!(f, "unknown {what} {value}"),
            DecodeErrorKind::TooMany { what, count } => write!(f, "{count} {what}"),
            DecodeErrorKind::Inconsistent { problem } => f.write_str(problem),
            DecodeErrorKind::Artifact(e) => write!(f, "{e}"),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.kind, self.offset)
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            DecodeErrorKind::Artifact(e) => Some(e),
            _ => None,
        }
    }
}

/// Appends encoded values to a byte vector.
#[derive(Debug, Default)]
pub struct Writer {
    /// The encoded bytes.
    pub bytes: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Writer {
        Writer::default()
    }
    /// One byte.
    pub fn u8(&mut self, v: u8) {
        self.bytes.push(v);
    }
    /// A little-endian `u32`.
    pub fn u32(&mut self, v: u32) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    /// A little-endian `u64`.
    pub fn u64(&mut self, v: u64) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    /// A little-endian `i64`.
    pub fn i64(&mut self, v: i64) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    /// A length (as `u64`).
    pub fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }
    /// A length-prefixed byte string.
    pub fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        self.bytes.extend_from_slice(b);
    }
    /// A length-prefixed UTF-8 string.
    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
}

/// Reads encoded values from a slice.
#[derive(Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `data`.
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }
    /// The current offset.
    pub fn position(&self) -> usize {
        self.pos
    }
    /// Whether everything was read.
    pub fn is_empty(&self) -> bool {
        self.pos == self.data.len()
    }
    /// An error of `kind` at the current offset.
    pub fn error_of(&self, kind: DecodeErrorKind) -> DecodeError {
        DecodeError {
            kind,
            offset: self.pos,
        }
    }
    /// [`DecodeErrorKind::Inconsistent`] at the current offset.
    pub fn error(&self, problem: &'static str) -> DecodeError {
        self.error_of(DecodeErrorKind::Inconsistent { problem })
    }
    /// [`DecodeErrorKind::Unknown`] at the current offset: `value` of `what` names
    /// nothing.
    pub fn unknown(&self, what: &'static str, value: impl Into<u64>) -> DecodeError {
        self.error_of(DecodeErrorKind::Unknown {
            what,
            value: value.into(),
        })
    }
    /// The next `n` bytes.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| self.error_of(DecodeErrorKind::Truncated { what }))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    /// One byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take(1, what)?[0])
    }
    /// A little-endian `u32`.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }
    /// A little-endian `u64`.
    pub fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        let b = self.take(8, what)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
    /// A little-endian `i64`.
    pub fn i64(&mut self, what: &'static str) -> Result<i64, DecodeError> {
        Ok(self.u64(what)? as i64)
    }
    /// A length, which must not exceed the remaining input divided by `min_item_size`
    /// (so that a corrupt length cannot make the decoder allocate unbounded memory).
    pub fn len(&mut self, min_item_size: usize, what: &'static str) -> Result<usize, DecodeError> {
        let n = self.u64(what)?;
        let remaining = (self.data.len() - self.pos) as u64;
        if n.saturating_mul(min_item_size.max(1) as u64) > remaining {
            return Err(self.error_of(DecodeErrorKind::LengthExceedsInput { what, len: n }));
        }
        Ok(n as usize)
    }
    /// A length-prefixed byte string.
    pub fn bytes(&mut self, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let n = self.len(1, what)?;
        self.take(n, what)
    }
    /// A length-prefixed UTF-8 string.
    pub fn str(&mut self, what: &'static str) -> Result<&'a str, DecodeError> {
        let start = self.pos;
        let b = self.bytes(what)?;
        std::str::from_utf8(b).map_err(|_| DecodeError {
            kind: DecodeErrorKind::NotUtf8 { what },
            offset: start,
        })
    }
}
