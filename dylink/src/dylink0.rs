//! The `dylink.0` custom section of a shared library (Emscripten's and LLVM's dynamic
//! linking convention, `tool-conventions/DynamicLinking.md`): how much memory and how many
//! table slots the library needs and at which alignments, the libraries it needs, and the
//! flags of its exported and imported symbols.
//!
//! The section is a sequence of subsections `id:u8 size:varuint32 payload[size]`; unknown
//! subsection ids are skipped (the convention allows new ones). Every malformation is a
//! [`Dylink0Error`] naming the byte offset in the module where it was found.

use crate::error::{Dylink0Error, Dylink0Problem};

/// The name of the custom section.
pub const SECTION_NAME: &str = "dylink.0";

const MEM_INFO: u8 = 1;
const NEEDED: u8 = 2;
const EXPORT_INFO: u8 = 3;
const IMPORT_INFO: u8 = 4;
const RUNTIME_PATH: u8 = 5;

/// Symbol flags of `export_info` and `import_info` (LLVM's `WASM_SYMBOL_*`).
pub mod flags {
    /// A weak symbol: an undefined weak symbol resolves to 0 when nothing defines it.
    pub const BINDING_WEAK: u32 = 0x1;
    /// A symbol local to its object file.
    pub const BINDING_LOCAL: u32 = 0x2;
    /// Hidden visibility.
    pub const VISIBILITY_HIDDEN: u32 = 0x4;
    /// An undefined symbol.
    pub const UNDEFINED: u32 = 0x10;
    /// Exported.
    pub const EXPORTED: u32 = 0x20;
    /// The symbol's name differs from the import's field name.
    pub const EXPLICIT_NAME: u32 = 0x40;
    /// Not to be stripped.
    pub const NO_STRIP: u32 = 0x80;
    /// A thread-local symbol.
    pub const TLS: u32 = 0x100;
}

/// `mem_info`: what the loader must allocate for the library.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemInfo {
    /// Bytes of linear memory (data and bss).
    pub memory_size: u32,
    /// log2 of the memory's alignment.
    pub memory_alignment: u32,
    /// Table slots.
    pub table_size: u32,
    /// log2 of the table slots' alignment.
    pub table_alignment: u32,
}

/// An `export_info` entry: flags of an exported symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportInfo {
    /// The symbol (and export) name.
    pub name: String,
    /// `flags::*` bits.
    pub flags: u32,
}

/// An `import_info` entry: flags of an imported symbol (LLVM writes them for weak ones).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportInfo {
    /// The import's module (`env`, `GOT.mem`, `GOT.func`).
    pub module: String,
    /// The import's field (the symbol name).
    pub field: String,
    /// `flags::*` bits.
    pub flags: u32,
}

/// A parsed `dylink.0` section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DylinkInfo {
    /// Memory and table requirements (all zero when the subsection is absent).
    pub mem_info: MemInfo,
    /// Libraries to load first (`DT_NEEDED`), in order.
    pub needed: Vec<String>,
    /// Flags of exported symbols.
    pub export_info: Vec<ExportInfo>,
    /// Flags of imported symbols.
    pub import_info: Vec<ImportInfo>,
    /// Directories searched for `needed` (`DT_RUNPATH`; `$ORIGIN` is the library's own).
    pub runtime_path: Vec<String>,
}

impl DylinkInfo {
    /// Whether the import `module`.`field` is declared weak.
    pub fn is_weak_import(&self, module: &str, field: &str) -> bool {
        self.import_info
            .iter()
            .any(|i| i.module == module && i.field == field && i.flags & flags::BINDING_WEAK != 0)
    }

    /// Parses the contents of a `dylink.0` section that starts at byte `offset` of its
    /// module (offsets in errors are module offsets).
    pub fn parse(data: &[u8], offset: usize) -> Result<DylinkInfo, Dylink0Error> {
        let mut info = DylinkInfo::default();
        let mut r = Reader {
            data,
            pos: 0,
            base: offset,
        };
        while !r.at_end() {
            let start = r.offset();
            let id = r.u8()?;
            let size = r.u32()?;
            let payload_start = r.pos;
            let end = payload_start
                .checked_add(size as usize)
                .filter(|&e| e <= data.len())
                .ok_or(r.error_at(start, Dylink0Problem::Truncated))?;
            let mut sub = Reader {
                data: &data[..end],
                pos: payload_start,
                base: offset,
            };
            let overrun = |e: Dylink0Error| match e.problem {
                Dylink0Problem::Truncated if end < data.len() => Dylink0Error {
                    offset: start,
                    problem: Dylink0Problem::SubsectionOverrun { id, declared: size },
                },
                _ => e,
            };
            sub.subsection(id, &mut info).map_err(overrun)?;
            if sub.pos != end {
                let used = (sub.pos - payload_start) as u32;
                return Err(r.error_at(
                    start,
                    Dylink0Problem::SubsectionSize {
                        id,
                        declared: size,
                        used,
                    },
                ));
            }
            r.pos = end;
        }
        Ok(info)
    }

    /// The `dylink.0` section of module `bytes`, if it has one. It must be the module's
    /// first section ([`Dylink0Problem::NotFirst`] otherwise) and appear once.
    pub fn of_module(bytes: &[u8]) -> Result<Option<DylinkInfo>, Dylink0Error> {
        let mut found = None;
        let mut first = true;
        for payload in wasmparser::Parser::new(0).parse_all(bytes) {
            let payload = payload.map_err(|e| Dylink0Error {
                offset: e.offset() as usize,
                problem: Dylink0Problem::Module(e.message().to_string()),
            })?;
            use wasmparser::Payload;
            match payload {
                Payload::Version { .. } => continue,
                Payload::CustomSection(c) if c.name() == SECTION_NAME => {
                    let offset = c.data_offset() as usize;
                    if !first {
                        return Err(Dylink0Error {
                            offset,
                            problem: Dylink0Problem::NotFirst,
                        });
                    }
                    found = Some(DylinkInfo::parse(c.data(), offset)?);
                }
                // Function bodies are not sections of their own.
                Payload::CodeSectionEntry(_) => continue,
                _ => {}
            }
            first = false;
        }
        Ok(found)
    }
}

/// The names of the flags set in `flags` (`weak`, `undefined`, ...), space-separated.
fn flag_names(flags: u32) -> String {
    let names = [
        (flags::BINDING_WEAK, "weak"),
        (flags::BINDING_LOCAL, "local"),
        (flags::VISIBILITY_HIDDEN, "hidden"),
        (flags::UNDEFINED, "undefined"),
        (flags::EXPORTED, "exported"),
        (flags::EXPLICIT_NAME, "explicit-name"),
        (flags::NO_STRIP, "no-strip"),
        (flags::TLS, "tls"),
    ];
    let known = names.iter().fold(0, |all, (bit, _)| all | bit);
    let mut out: Vec<String> = names
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, name)| name.to_string())
        .collect();
    if flags & !known != 0 {
        out.push(format!("{:#x}", flags & !known));
    }
    out.join(" ")
}

/// The section as `stagec inspect` prints it: one line per field, lists indented.
impl std::fmt::Display for DylinkInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = &self.mem_info;
        writeln!(
            f,
            "mem_info: memory {} bytes at 2^{}, table {} slots at 2^{}",
            m.memory_size, m.memory_alignment, m.table_size, m.table_alignment
        )?;
        let list = |f: &mut std::fmt::Formatter<'_>, name: &str, items: Vec<String>| {
            writeln!(f, "{name}: {}", items.len())?;
            items.iter().try_for_each(|i| writeln!(f, "  {i}"))
        };
        list(f, "needed", self.needed.clone())?;
        list(f, "runtime_path", self.runtime_path.clone())?;
        let exports = self
            .export_info
            .iter()
            .map(|e| format!("{} [{}]", e.name, flag_names(e.flags)))
            .collect();
        list(f, "export_info", exports)?;
        let imports = self
            .import_info
            .iter()
            .map(|i| format!("{}.{} [{}]", i.module, i.field, flag_names(i.flags)))
            .collect();
        list(f, "import_info", imports)
    }
}

/// A cursor over section bytes; `base` is the module offset of `data[0]`.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl Reader<'_> {
    fn at_end(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn offset(&self) -> usize {
        self.base + self.pos
    }

    fn error_at(&self, pos: usize, problem: Dylink0Problem) -> Dylink0Error {
        Dylink0Error {
            offset: pos,
            problem,
        }
    }

    fn truncated(&self) -> Dylink0Error {
        self.error_at(self.offset(), Dylink0Problem::Truncated)
    }

    fn u8(&mut self) -> Result<u8, Dylink0Error> {
        let b = *self.data.get(self.pos).ok_or_else(|| self.truncated())?;
        self.pos += 1;
        Ok(b)
    }

    /// An unsigned LEB128 of at most 32 bits.
    fn u32(&mut self) -> Result<u32, Dylink0Error> {
        let start = self.offset();
        let mut result: u64 = 0;
        for shift in (0..35).step_by(7) {
            let b = self.u8()?;
            result |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return u32::try_from(result)
                    .map_err(|_| self.error_at(start, Dylink0Problem::IntegerTooLarge));
            }
        }
        Err(self.error_at(start, Dylink0Problem::IntegerTooLarge))
    }

    fn string(&mut self) -> Result<String, Dylink0Error> {
        let len = self.u32()? as usize;
        let start = self.offset();
        let end = self
            .pos
            .checked_add(len)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| self.error_at(start, Dylink0Problem::Truncated))?;
        let s = std::str::from_utf8(&self.data[self.pos..end])
            .map_err(|_| self.error_at(start, Dylink0Problem::InvalidUtf8))?;
        self.pos = end;
        Ok(s.to_string())
    }

    /// Reads the payload of subsection `id` into `info` (an unknown one is skipped).
    fn subsection(&mut self, id: u8, info: &mut DylinkInfo) -> Result<(), Dylink0Error> {
        let sub = self;
        match id {
            MEM_INFO => {
                info.mem_info = MemInfo {
                    memory_size: sub.u32()?,
                    memory_alignment: sub.u32()?,
                    table_size: sub.u32()?,
                    table_alignment: sub.u32()?,
                };
            }
            NEEDED => info.needed = sub.strings()?,
            EXPORT_INFO => {
                for _ in 0..sub.u32()? {
                    let name = sub.string()?;
                    let flags = sub.u32()?;
                    info.export_info.push(ExportInfo { name, flags });
                }
            }
            IMPORT_INFO => {
                for _ in 0..sub.u32()? {
                    let module = sub.string()?;
                    let field = sub.string()?;
                    let flags = sub.u32()?;
                    info.import_info.push(ImportInfo {
                        module,
                        field,
                        flags,
                    });
                }
            }
            RUNTIME_PATH => info.runtime_path = sub.strings()?,
            _ => sub.pos = sub.data.len(),
        }
        Ok(())
    }

    fn strings(&mut self) -> Result<Vec<String>, Dylink0Error> {
        (0..self.u32()?).map(|_| self.string()).collect()
    }
}
