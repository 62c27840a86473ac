//! Frontend errors: every error carries the byte offset in the module (or in the staged
//! container or text) where it was found.

use crate::staged::StageKind;
use std::fmt;

/// A module could not be parsed, is invalid, or uses a feature stagec does not compile;
/// or a staged module's container, text or structure is malformed.
#[derive(Debug)]
pub enum FrontendError {
    /// The module is malformed or invalid: wasmparser's error, message and offset intact.
    Wasm(wasmparser::BinaryReaderError),
    /// The module is valid WebAssembly but uses a feature stagec does not compile.
    Unsupported {
        /// The feature, such as `"tag imports"`.
        feature: &'static str,
        /// Byte offset in the module.
        offset: u64,
    },
    /// A module read without validation ([`parse_trusted`](crate::parse_trusted)) ends
    /// inside a section.
    UnexpectedEnd {
        /// Byte offset in the module.
        offset: u64,
    },
    /// `.swat` text that does not parse, or a stage of it that does not encode.
    Text {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// The text parser's error (its span is the byte offset in the text).
        source: wast::Error,
    },
    /// A `.swasm` container is malformed, or a staged module breaks a structure rule.
    Staged {
        /// What is wrong.
        kind: StagedErrorKind,
        /// Byte offset in the `.swasm` (0 for a rule about a `.swat` stage).
        offset: u64,
    },
    /// An error inside one stage's core module; its offset is within that module.
    InStage {
        /// The stage's name.
        stage: String,
        /// The error in the stage's module.
        source: Box<FrontendError>,
    },
}

/// What is wrong with a staged module's container or structure.
#[derive(Debug)]
pub enum StagedErrorKind {
    /// The input could not be read.
    Read(std::io::Error),
    /// The input does not start with `\0asm`.
    BadMagic,
    /// The input ends inside the 8-byte header.
    TruncatedHeader,
    /// The header is a core module's.
    CoreModule,
    /// The header has another version or layer.
    UnsupportedVersion([u8; 4]),
    /// A section id other than custom (0) or stage (1).
    UnknownSection {
        /// The id.
        id: u8,
    },
    /// The input ends inside a section.
    SectionPastEnd {
        /// The section's declared size.
        len: u32,
        /// Offset of the section's body.
        start: u64,
    },
    /// A section ends where `field` was expected.
    MissingField {
        /// The field.
        field: SwasmField,
    },
    /// The input (`in_section` false) or the section ends inside the LEB128 `field`.
    TruncatedInteger {
        /// The field.
        field: SwasmField,
        /// Whether the section, not the input, ended.
        in_section: bool,
    },
    /// The LEB128 `field` has more than 5 bytes.
    IntegerTooLong {
        /// The field.
        field: SwasmField,
    },
    /// The LEB128 `field` does not fit a u32.
    IntegerTooLarge {
        /// The field.
        field: SwasmField,
    },
    /// A stage kind other than 0, 1 or 2.
    UnknownStageKind {
        /// The kind byte.
        code: u8,
    },
    /// The name `field` of `len` bytes runs past the end of its section.
    NamePastSection {
        /// The field.
        field: SwasmField,
        /// The declared length.
        len: usize,
    },
    /// The name `field` is not UTF-8.
    NameNotUtf8 {
        /// The field.
        field: SwasmField,
    },
    /// A stage section without a module.
    EmptyModule {
        /// The stage's name.
        stage: String,
        /// The stage's kind.
        kind: StageKind,
    },
    /// [`StagedModule::references`](crate::StagedModule::references) of a stage that does
    /// not exist.
    NoSuchStage {
        /// The stage index asked for.
        index: usize,
        /// The number of stages.
        count: usize,
    },
    /// A stage imports from itself or from a later stage.
    ForwardReference {
        /// The importing stage.
        stage: String,
        /// The import's module name: the stage referenced.
        module: String,
        /// The import's field name.
        name: String,
        /// Whether `module` is the importing stage itself.
        itself: bool,
    },
    /// Stage `index` has an empty name.
    EmptyName {
        /// The stage's index.
        index: usize,
        /// The stage's kind.
        kind: StageKind,
    },
    /// Two stages have the same name.
    DuplicateName {
        /// The name.
        name: String,
        /// Index of the first stage of that name.
        first: usize,
        /// Index of the second.
        second: usize,
    },
    /// A stage after the multi stage.
    AfterMulti {
        /// The later stage.
        stage: String,
        /// Its kind.
        kind: StageKind,
        /// The multi stage.
        multi: String,
    },
    /// A pre stage after a single stage.
    PreAfterSingle {
        /// The pre stage.
        stage: String,
        /// The single stage before it.
        single: String,
    },
}

/// A field of a `.swasm` container, as named in errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwasmField {
    /// A section's size.
    SectionSize,
    /// A stage section's kind byte.
    StageKind,
    /// A stage's name.
    StageName,
    /// The length of a stage's name.
    StageNameLength,
    /// A custom section's name.
    CustomSectionName,
    /// The length of a custom section's name.
    CustomSectionNameLength,
}

impl SwasmField {
    /// The field that holds the length of this name field (itself for other fields).
    pub(crate) fn length(self) -> SwasmField {
        match self {
            SwasmField::StageName => SwasmField::StageNameLength,
            SwasmField::CustomSectionName => SwasmField::CustomSectionNameLength,
            other => other,
        }
    }
}

impl fmt::Display for SwasmField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SwasmField::SectionSize => "a section size",
            SwasmField::StageKind => "a stage kind",
            SwasmField::StageName => "stage name",
            SwasmField::StageNameLength => "the length of a stage name",
            SwasmField::CustomSectionName => "custom section name",
            SwasmField::CustomSectionNameLength => "the length of a custom section name",
        })
    }
}

impl fmt::Display for StagedErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use StagedErrorKind as K;
        match self {
            K::Read(e) => write!(f, "cannot read the input: {e}"),
            K::BadMagic => {
                f.write_str("not a staged binary: bad magic number (expected \"\\0asm\")")
            }
            K::TruncatedHeader => f.write_str("unexpected end of input in the header"),
            K::CoreModule => f.write_str(
                "this is a core module, not a staged binary (expected version 01 00 53 47)",
            ),
            K::UnsupportedVersion([a, b, c, d]) => write!(
                f,
                "unsupported staged binary version {a:02x} {b:02x} {c:02x} {d:02x} (expected \
                 01 00 53 47)"
            ),
            K::UnknownSection { id } => write!(
                f,
                "unknown section id {id:#04x} (expected 0x00 custom or 0x01 stage)"
            ),
            K::SectionPastEnd { len, start } => write!(
                f,
                "unexpected end of input in a section of {len} bytes starting at offset \
                 {start:#x}"
            ),
            K::MissingField { field } => write!(f, "unexpected end of section: expected {field}"),
            K::TruncatedInteger { field, in_section } => {
                let end = if *in_section { "section" } else { "input" };
                write!(f, "unexpected end of {end} in {field}")
            }
            K::IntegerTooLong { field } => write!(f, "integer representation too long in {field}"),
            K::IntegerTooLarge { field } => write!(f, "integer too large in {field}"),
            K::UnknownStageKind { code } => write!(
                f,
                "unknown stage kind {code:#04x} (expected 0 pre, 1 single or 2 multi)"
            ),
            K::NamePastSection { field, len } => {
                write!(f, "{field} of {len} bytes runs past the end of its section")
            }
            K::NameNotUtf8 { field } => write!(f, "{field} is not valid UTF-8"),
            K::EmptyModule { stage, kind } => {
                write!(f, "stage `{stage}` ({kind}) has an empty module")
            }
            K::NoSuchStage { index, count } => {
                write!(f, "no stage {index}: the staged module has {count} stages")
            }
            K::ForwardReference {
                stage,
                module,
                name,
                itself,
            } => {
                write!(f, "stage `{stage}` imports `{module}`.`{name}`, ")?;
                if *itself {
                    write!(f, "but that is stage `{module}` itself")?;
                } else {
                    write!(f, "but stage `{module}` comes later")?;
                }
                f.write_str(": stages may only reference earlier stages")
            }
            K::EmptyName { index, kind } => write!(f, "stage {index} ({kind}) has an empty name"),
            K::DuplicateName {
                name,
                first,
                second,
            } => write!(
                f,
                "stage name `{name}` is used twice (stages {first} and {second}): stage names \
                 must be unique"
            ),
            K::AfterMulti { stage, kind, multi } => write!(
                f,
                "stage `{stage}` ({kind}) comes after stage `{multi}` (multi): a multi stage \
                 must be last"
            ),
            K::PreAfterSingle { stage, single } => write!(
                f,
                "stage `{stage}` (pre) comes after single stage `{single}`: pre stages come \
                 first"
            ),
        }
    }
}

impl FrontendError {
    /// An error for a valid construct that stagec does not support.
    pub fn unsupported(feature: &'static str, offset: u64) -> Self {
        FrontendError::Unsupported { feature, offset }
    }

    /// A container or structure error at `offset`.
    pub(crate) fn staged(kind: StagedErrorKind, offset: u64) -> Self {
        FrontendError::Staged { kind, offset }
    }

    /// Byte offset of the error: in the module, in the `.swasm` or `.swat`, or (for an
    /// error in a stage) in that stage's module.
    pub fn offset(&self) -> u64 {
        match self {
            FrontendError::Wasm(e) => e.offset(),
            FrontendError::Unsupported { offset, .. }
            | FrontendError::UnexpectedEnd { offset }
            | FrontendError::Staged { offset, .. } => *offset,
            FrontendError::Text { source, .. } => source.span().offset() as u64,
            FrontendError::InStage { source, .. } => source.offset(),
        }
    }

    /// Whether the module is valid WebAssembly but uses a feature stagec does not
    /// compile, as opposed to being malformed or invalid.
    pub fn is_unsupported(&self) -> bool {
        match self {
            FrontendError::Unsupported { .. } => true,
            FrontendError::InStage { source, .. } => source.is_unsupported(),
            _ => false,
        }
    }

    /// The message without the offset (`Display` appends ` (at offset 0x..)`); text
    /// errors already start with `LINE:COL:`.
    pub fn message(&self) -> String {
        Message(self).to_string()
    }

    fn write_message(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrontendError::Wasm(e) => f.write_str(e.message()),
            FrontendError::Unsupported { feature, .. } => {
                write!(f, "unsupported feature: {feature}")
            }
            FrontendError::UnexpectedEnd { .. } => f.write_str("unexpected end of module"),
            FrontendError::Text {
                line,
                column,
                source,
            } => write!(f, "{line}:{column}: {}", source.message()),
            FrontendError::Staged { kind, .. } => write!(f, "{kind}"),
            FrontendError::InStage { stage, source } => {
                write!(f, "stage `{stage}`: ")?;
                source.write_message(f)
            }
        }
    }
}

/// Displays an error's message without its offset.
struct Message<'a>(&'a FrontendError);

impl fmt::Display for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write_message(f)
    }
}

impl fmt::Display for FrontendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_message(f)?;
        write!(f, " (at offset {:#x})", self.offset())
    }
}

impl std::error::Error for FrontendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FrontendError::Wasm(e) => Some(e),
            FrontendError::Text { source, .. } => Some(source),
            FrontendError::InStage { source, .. } => Some(&**source),
            FrontendError::Staged {
                kind: StagedErrorKind::Read(e),
                ..
            } => Some(e),
            FrontendError::Unsupported { .. }
            | FrontendError::UnexpectedEnd { .. }
            | FrontendError::Staged { .. } => None,
        }
    }
}

impl From<wasmparser::BinaryReaderError> for FrontendError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        FrontendError::Wasm(e)
    }
}
