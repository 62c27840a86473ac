//! Module bytes given in binary or text format.

use crate::error::Result;

/// The binary form of module bytes given in binary or text format.
pub(crate) fn to_binary(bytes: &[u8]) -> Result<Vec<u8>> {
    // Anything that cannot be text is given to the binary decoder, for an error with an
    // offset.
    let text = std::str::from_utf8(bytes)
        .ok()
        .filter(|t| !t.trim().is_empty());
    if bytes.starts_with(b"\0asm") || text.is_none() {
        Ok(bytes.to_vec())
    } else {
        Ok(wat::parse_bytes(bytes)?.into_owned())
    }
}
