//! What the plan needs to know of a static core module: its imports and exports, read
//! with wasmparser from the (already validated) module bytes.

use crate::plan::{CoreExport, CoreImport, CoreKind, StaticModule};
use crate::{Error, Result};
use std::sync::Arc;
use wasmparser::{CompositeInnerType, ExternalKind, Parser, Payload, TypeRef};

/// The kind of an export or import type, `None` for a tag (not in the subset).
pub(crate) fn core_kind(kind: ExternalKind) -> Option<CoreKind> {
    match kind {
        ExternalKind::Func | ExternalKind::FuncExact => Some(CoreKind::Func),
        ExternalKind::Table => Some(CoreKind::Table),
        ExternalKind::Memory => Some(CoreKind::Memory),
        ExternalKind::Global => Some(CoreKind::Global),
        ExternalKind::Tag => None,
    }
}

/// Reads the module at `bytes` (a module section's contents at component offset
/// `offset`). A tag import is outside the subset (no tag can be passed to it).
pub(crate) fn scan(bytes: &[u8], offset: u64) -> Result<StaticModule> {
    let mut func_types: Vec<String> = Vec::new();
    let mut imports = Vec::new();
    let mut exports = Vec::new();
    let mut imported_counts = [0u32; 4];
    let mut has_start = false;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(Error::Invalid)? {
            Payload::TypeSection(section) => {
                for group in section {
                    for sub in group.map_err(Error::Invalid)?.into_types() {
                        func_types.push(match &sub.composite_type.inner {
                            CompositeInnerType::Func(f) => func_type_text(f),
                            other => format!("{other:?}"),
                        });
                    }
                }
            }
            Payload::ImportSection(section) => {
                for item in section.into_imports_with_offsets() {
                    let (at, import) = item.map_err(Error::Invalid)?;
                    let (kind, ty) = match import.ty {
                        TypeRef::Func(t) | TypeRef::FuncExact(t) => (
                            CoreKind::Func,
                            func_types.get(t as usize).cloned().unwrap_or_default(),
                        ),
                        TypeRef::Table(t) => (
                            CoreKind::Table,
                            format!(
                                "(table {} {})",
                                limits(t.initial, t.maximum),
                                t.element_type
                            ),
                        ),
                        TypeRef::Memory(m) => (
                            CoreKind::Memory,
                            format!("(memory {})", limits(m.initial, m.maximum)),
                        ),
                        TypeRef::Global(g) => (
                            CoreKind::Global,
                            if g.mutable {
                                format!("(global (mut {}))", g.content_type)
                            } else {
                                format!("(global {})", g.content_type)
                            },
                        ),
                        TypeRef::Tag(_) => {
                            return Err(Error::Unsupported {
                                construct: "core tag import".into(),
                                offset: offset + at,
                            });
                        }
                    };
                    imported_counts[kind as usize] += 1;
                    imports.push(CoreImport {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        kind,
                        ty,
                    });
                }
            }
            Payload::ExportSection(section) => {
                for export in section {
                    let export = export.map_err(Error::Invalid)?;
                    if let Some(kind) = core_kind(export.kind) {
                        exports.push(CoreExport {
                            name: export.name.to_string(),
                            kind,
                            index: export.index,
                        });
                    }
                }
            }
            Payload::StartSection { .. } => has_start = true,
            _ => {}
        }
    }
    Ok(StaticModule {
        offset,
        bytes: Arc::from(bytes),
        imports,
        exports,
        imported_counts,
        has_start,
        instantiations: Vec::new(),
    })
}

fn limits(min: u64, max: Option<u64>) -> String {
    match max {
        Some(max) => format!("{min} {max}"),
        None => min.to_string(),
    }
}

fn func_type_text(f: &wasmparser::FuncType) -> String {
    let mut text = String::from("(func");
    if !f.params().is_empty() {
        text.push_str(" (param");
        for p in f.params() {
            text.push_str(&format!(" {p}"));
        }
        text.push(')');
    }
    if !f.results().is_empty() {
        text.push_str(" (result");
        for r in f.results() {
            text.push_str(&format!(" {r}"));
        }
        text.push(')');
    }
    text.push(')');
    text
}
