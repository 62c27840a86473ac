//! What the plan needs to know of a static core module: its imports and exports, read
//! with wasmparser from the (already validated) module bytes.

use crate::plan::{CoreExport, CoreGlobal, CoreImport, CoreKind, GlobalInit, StaticModule};
use crate::{Error, Result};
use std::sync::Arc;
use wasmparser::{CompositeInnerType, ConstExpr, ExternalKind, Operator, Parser, Payload, TypeRef};

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
    let mut globals = Vec::new();
    let mut body_sizes = Vec::new();
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
            Payload::GlobalSection(section) => {
                for global in section {
                    let global = global.map_err(Error::Invalid)?;
                    globals.push(CoreGlobal {
                        mutable: global.ty.mutable,
                        init: global_init(&global.init_expr),
                    });
                }
            }
            Payload::CodeSectionEntry(body) => {
                body_sizes.push((body.range().end - body.range().start) as usize)
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
        globals,
        body_sizes,
        instantiations: Vec::new(),
    })
}

/// A global's initializer, when it is one constant or `global.get` (validated bytes).
fn global_init(expr: &ConstExpr<'_>) -> GlobalInit {
    let mut reader = expr.get_operators_reader();
    let (Ok(first), Ok(Operator::End)) = (reader.read(), reader.read()) else {
        return GlobalInit::Other;
    };
    if !reader.eof() {
        return GlobalInit::Other;
    }
    match first {
        Operator::I32Const { value } => GlobalInit::I32(value),
        Operator::I64Const { value } => GlobalInit::I64(value),
        Operator::F32Const { value } => GlobalInit::F32(value.bits()),
        Operator::F64Const { value } => GlobalInit::F64(value.bits()),
        Operator::GlobalGet { global_index } => GlobalInit::Global(global_index),
        _ => GlobalInit::Other,
    }
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
