//! The staged binary format, `.swasm` (DESIGN §3):
//!
//! ```text
//! "\0asm" 0x01 0x00 0x53 0x47                            magic, version 1, layer tag "SG"
//! ( 0x00 size:u32 name:name bytes )*                      custom sections, anywhere
//! ( 0x01 size:u32 kind:u8 name:name core-module-bytes )*  one stage section per stage
//! ```
//!
//! `size` is an unsigned LEB128 u32 counting the bytes after it; a name is a LEB128 u32
//! length and that many bytes of UTF-8; a stage's core module runs to the end of its
//! section. Stage sections delimit stages, so a reader can hand stage k to the compiler
//! before stage k + 1 has arrived ([`SwasmReader`]).

use super::{Stage, StageKind, StagedModule};
use crate::{FrontendError, StagedErrorKind as K, SwasmField};
use std::io::{ErrorKind, Read};

/// The 8-byte header of every `.swasm`.
const HEADER: [u8; 8] = *b"\0asm\x01\x00SG";
/// The header of a core module, for a better error message.
const CORE_VERSION: [u8; 4] = [0x01, 0x00, 0x00, 0x00];
/// Section ids.
const CUSTOM_SECTION: u8 = 0;
const STAGE_SECTION: u8 = 1;

/// Whether `bytes` start with the `.swasm` header.
pub fn is_swasm(bytes: &[u8]) -> bool {
    bytes.starts_with(&HEADER)
}

/// Encodes a staged module as `.swasm`: the custom sections first, then the stages.
///
/// # Panics
///
/// If a name, or a stage's section, is 4 GiB or larger (the format's sizes are u32).
pub fn encode_swasm(m: &StagedModule) -> Vec<u8> {
    let mut out = HEADER.to_vec();
    for (name, data) in &m.custom_sections {
        let mut body = Vec::with_capacity(name.len() + data.len() + 5);
        write_name(&mut body, name);
        body.extend_from_slice(data);
        write_section(&mut out, CUSTOM_SECTION, &body);
    }
    for stage in &m.stages {
        let mut body = Vec::with_capacity(stage.name.len() + stage.module.len() + 6);
        body.push(stage.kind.code());
        write_name(&mut body, &stage.name);
        body.extend_from_slice(&stage.module);
        write_section(&mut out, STAGE_SECTION, &body);
    }
    out
}

fn write_section(out: &mut Vec<u8>, id: u8, body: &[u8]) {
    out.push(id);
    write_u32(out, section_len(body.len()));
    out.extend_from_slice(body);
}

fn write_name(out: &mut Vec<u8>, name: &str) {
    write_u32(out, section_len(name.len()));
    out.extend_from_slice(name.as_bytes());
}

/// Section and name lengths are u32 in the format; nothing that large fits a wasm module.
fn section_len(len: usize) -> u32 {
    u32::try_from(len).expect("a .swasm section or name is larger than 4 GiB")
}

fn write_u32(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Parses a whole `.swasm` buffer. Only the container is checked; use
/// [`StagedModule::validate`] for the stages' modules and the structure rules.
pub fn parse_swasm(bytes: &[u8]) -> Result<StagedModule, FrontendError> {
    let mut reader = SwasmReader::new(bytes)?;
    let mut stages = Vec::new();
    while let Some(stage) = reader.next_stage()? {
        stages.push(stage);
    }
    Ok(StagedModule {
        stages,
        custom_sections: reader.custom_sections,
    })
}

/// Reads a `.swasm` from a stream one stage at a time.
///
/// The reader never reads past the section it returns: after [`SwasmReader::next_stage`]
/// returned stage k, exactly the bytes up to the end of stage k's section have been read
/// (given an unbuffered `R`), so stage k can be compiled while stage k + 1 is still in
/// transit. Custom sections met on the way are collected. After an error the reader's
/// position is unspecified.
pub struct SwasmReader<R: Read> {
    reader: R,
    /// Bytes consumed so far.
    offset: u64,
    custom_sections: Vec<(String, Vec<u8>)>,
}

impl<R: Read> SwasmReader<R> {
    /// Reads and checks the header.
    pub fn new(reader: R) -> Result<Self, FrontendError> {
        let mut this = SwasmReader {
            reader,
            offset: 0,
            custom_sections: Vec::new(),
        };
        let mut header = Vec::new();
        let read = (&mut this.reader)
            .take(HEADER.len() as u64)
            .read_to_end(&mut header)
            .map_err(|e| error(K::Read(e), 0))?;
        this.offset = read as u64;
        check_header(&header)?;
        Ok(this)
    }

    /// Reads sections up to and including the next stage section and returns its stage;
    /// `None` at the end of the input.
    pub fn next_stage(&mut self) -> Result<Option<Stage>, FrontendError> {
        loop {
            let start = self.offset;
            let Some(id) = self.read_byte()? else {
                return Ok(None);
            };
            if id != CUSTOM_SECTION && id != STAGE_SECTION {
                return Err(error(K::UnknownSection { id }, start));
            }
            let size = self.read_u32(SwasmField::SectionSize)?;
            let body_offset = self.offset;
            let body = self.read_vec(size)?;
            let mut cursor = Cursor {
                data: &body,
                pos: 0,
                base: body_offset,
            };
            if id == CUSTOM_SECTION {
                let name = cursor.read_name(SwasmField::CustomSectionName)?;
                self.custom_sections
                    .push((name, cursor.data[cursor.pos..].to_vec()));
                continue;
            }
            return read_stage(cursor, start).map(Some);
        }
    }

    /// The custom sections read so far, in order.
    pub fn custom_sections(&self) -> &[(String, Vec<u8>)] {
        &self.custom_sections
    }

    /// The number of bytes read so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The underlying reader, positioned after the last section read.
    pub fn into_inner(self) -> R {
        self.reader
    }

    /// One byte, or `None` at the end of the input.
    fn read_byte(&mut self) -> Result<Option<u8>, FrontendError> {
        let mut byte = [0u8];
        loop {
            match self.reader.read(&mut byte) {
                Ok(0) => return Ok(None),
                Ok(_) => {
                    self.offset += 1;
                    return Ok(Some(byte[0]));
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(error(K::Read(e), self.offset)),
            }
        }
    }

    fn read_u32(&mut self, field: SwasmField) -> Result<u32, FrontendError> {
        let start = self.offset;
        read_leb_u32(start, false, field, || self.read_byte())
    }

    /// Exactly `len` bytes; the input ending first is an error.
    fn read_vec(&mut self, len: u32) -> Result<Vec<u8>, FrontendError> {
        let start = self.offset;
        let mut buf = Vec::new();
        // `take` + `read_to_end` grows the buffer as bytes arrive: a huge declared size
        // costs nothing until the bytes exist.
        let read = (&mut self.reader)
            .take(u64::from(len))
            .read_to_end(&mut buf)
            .map_err(|e| error(K::Read(e), self.offset))?;
        self.offset += read as u64;
        if buf.len() < len as usize {
            return Err(error(K::SectionPastEnd { len, start }, self.offset));
        }
        Ok(buf)
    }
}

/// Checks the header, `header` being the first (up to) 8 bytes of the input.
fn check_header(header: &[u8]) -> Result<(), FrontendError> {
    let magic_len = header.len().min(4);
    if header[..magic_len] != HEADER[..magic_len] {
        return Err(error(K::BadMagic, 0));
    }
    if header.len() < HEADER.len() {
        return Err(error(K::TruncatedHeader, header.len() as u64));
    }
    if header[4..] == CORE_VERSION {
        return Err(error(K::CoreModule, 4));
    }
    if header[4..] != HEADER[4..] {
        let version = [header[4], header[5], header[6], header[7]];
        return Err(error(K::UnsupportedVersion(version), 4));
    }
    Ok(())
}

/// The body of a stage section that starts at `section_offset`.
fn read_stage(mut cursor: Cursor<'_>, section_offset: u64) -> Result<Stage, FrontendError> {
    let kind_offset = cursor.offset();
    let code = cursor.read_byte(SwasmField::StageKind)?;
    let kind = StageKind::from_code(code)
        .ok_or_else(|| error(K::UnknownStageKind { code }, kind_offset))?;
    let name = cursor.read_name(SwasmField::StageName)?;
    let module = cursor.data[cursor.pos..].to_vec();
    if module.is_empty() {
        return Err(error(K::EmptyModule { stage: name, kind }, cursor.offset()));
    }
    Ok(Stage {
        name,
        kind,
        module,
        offset: section_offset,
    })
}

/// Reads the body of one section; `base` is the body's offset in the input.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
}

impl Cursor<'_> {
    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn read_byte(&mut self, field: SwasmField) -> Result<u8, FrontendError> {
        let byte = self
            .data
            .get(self.pos)
            .copied()
            .ok_or_else(|| error(K::MissingField { field }, self.offset()))?;
        self.pos += 1;
        Ok(byte)
    }

    fn read_name(&mut self, field: SwasmField) -> Result<String, FrontendError> {
        let start = self.offset();
        let len = read_leb_u32(start, true, field.length(), || {
            let byte = self.data.get(self.pos).copied();
            self.pos += usize::from(byte.is_some());
            Ok(byte)
        })? as usize;
        let bytes = self
            .data
            .get(self.pos..)
            .and_then(|rest| rest.get(..len))
            .ok_or_else(|| error(K::NamePastSection { field, len }, start))?;
        let name = std::str::from_utf8(bytes)
            .map_err(|_| error(K::NameNotUtf8 { field }, self.offset()))?;
        self.pos += len;
        Ok(name.to_string())
    }
}

/// An unsigned LEB128 u32 as in core wasm (at most 5 bytes, unused bits zero), starting
/// at `start`; `next` gives the following byte, `None` at the end of the input or
/// section (`in_section` says which).
fn read_leb_u32(
    start: u64,
    in_section: bool,
    field: SwasmField,
    mut next: impl FnMut() -> Result<Option<u8>, FrontendError>,
) -> Result<u32, FrontendError> {
    let mut value = 0u32;
    for i in 0..5u32 {
        let offset = start + u64::from(i);
        let byte =
            next()?.ok_or_else(|| error(K::TruncatedInteger { field, in_section }, offset))?;
        if i == 4 && byte & 0xf0 != 0 {
            let kind = if byte & 0x80 != 0 {
                K::IntegerTooLong { field }
            } else {
                K::IntegerTooLarge { field }
            };
            return Err(error(kind, offset));
        }
        value |= u32::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            break;
        }
    }
    Ok(value)
}

fn error(kind: K, offset: u64) -> FrontendError {
    FrontendError::staged(kind, offset)
}
