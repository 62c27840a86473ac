//! Making imported mutable globals immutable where nothing can tell the difference, so
//! that a preimport can bind them as constants.
//!
//! A shared library imports its GOT entries (`GOT.mem.*`, `GOT.func.*`) as mutable i32
//! globals, because a loader may set them after instantiation. The loader that knows an
//! entry's value before compiling never changes it; when the library itself never writes
//! the global (no `global.set` of it) and does not export it, importing it as immutable
//! is unobservable. The change is one byte of the import (its mutability flag), so the
//! module keeps its size and every offset.

use crate::error::InspectError;
use wasmparser::{Operator, Parser, Payload, TypeRef};

/// A module with some imported globals made immutable.
pub(crate) struct Frozen {
    /// The module's bytes.
    pub(crate) bytes: Vec<u8>,
    /// The (module, name) of every import changed.
    pub(crate) changed: Vec<(String, String)>,
}

/// `bytes` with the imported globals for which `wanted(module, name)` holds made
/// immutable, where that is unobservable.
pub(crate) fn freeze_imported_globals(
    bytes: &[u8],
    wanted: impl Fn(&str, &str) -> bool,
) -> Result<Frozen, InspectError> {
    // (global index, module, name, module offset of the mutability byte)
    let mut candidates: Vec<(u32, String, String, usize)> = Vec::new();
    let mut written = std::collections::HashSet::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::ImportSection(reader) => {
                let section_end = reader.range().end as usize;
                let mut imports = Vec::new();
                for item in reader.into_imports_with_offsets() {
                    let (offset, import) = item?;
                    imports.push((offset as usize, import));
                }
                let mut global_index = 0;
                for (i, (_, import)) in imports.iter().enumerate() {
                    let TypeRef::Global(g) = import.ty else {
                        continue;
                    };
                    let index = global_index;
                    global_index += 1;
                    let end = imports.get(i + 1).map_or(section_end, |(o, _)| *o);
                    // A plain encoding ends with the value type (i32: 0x7f) and the flag.
                    let plain = end >= 2 && bytes[end - 2] == 0x7f && bytes[end - 1] == 0x01;
                    if g.mutable && plain && wanted(import.module, import.name) {
                        candidates.push((
                            index,
                            import.module.to_string(),
                            import.name.to_string(),
                            end - 1,
                        ));
                    }
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    if export.kind == wasmparser::ExternalKind::Global {
                        written.insert(export.index);
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let mut ops = body.get_operators_reader()?;
                while !ops.eof() {
                    if let Operator::GlobalSet { global_index } = ops.read()? {
                        written.insert(global_index);
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = bytes.to_vec();
    let mut changed = Vec::new();
    for (index, module, name, flag) in candidates {
        if !written.contains(&index) {
            out[flag] = 0x00;
            changed.push((module, name));
        }
    }
    Ok(Frozen {
        bytes: out,
        changed,
    })
}
