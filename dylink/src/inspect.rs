//! Inspection of a module without compiling it: its imports and exports with their kinds
//! and types, its custom sections by name (repeated ones included, in order), and its
//! parsed `dylink.0` section.

use crate::dylink0::{DylinkInfo, SECTION_NAME};
use crate::error::InspectError;
use stagec::{ExternKind, FuncType, GlobalType, IndexType, Limits, MemoryType, TableType, ValType};
use wasmparser::{Parser, Payload, TypeRef};

/// The type of an import or export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemType {
    /// A function of this signature.
    Func(FuncType),
    /// A table.
    Table(TableType),
    /// A memory.
    Memory(MemoryType),
    /// A global.
    Global(GlobalType),
}

impl ItemType {
    /// The item's kind.
    pub fn kind(&self) -> ExternKind {
        match self {
            ItemType::Func(_) => ExternKind::Func,
            ItemType::Table(_) => ExternKind::Table,
            ItemType::Memory(_) => ExternKind::Memory,
            ItemType::Global(_) => ExternKind::Global,
        }
    }
}

/// An import: (module, name) and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportDesc {
    /// The import's module.
    pub module: String,
    /// The import's name.
    pub name: String,
    /// Its type.
    pub ty: ItemType,
}

/// An export: name, type, and the index of the entity in its index space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportDesc {
    /// The export's name.
    pub name: String,
    /// Its type.
    pub ty: ItemType,
    /// The entity's index (function, table, memory or global index).
    pub index: u32,
    /// For an exported global with a constant initializer (`i32.const`), its value: the
    /// offset or address a library's data symbol stands for.
    pub const_value: Option<i32>,
}

/// A custom section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomSection {
    /// Its name.
    pub name: String,
    /// The module offset of its contents.
    pub offset: usize,
    /// Its contents.
    pub data: Vec<u8>,
}

/// What a module declares, read without compiling it.
#[derive(Clone, Debug, Default)]
pub struct ModuleDescription {
    /// Imports, in order.
    pub imports: Vec<ImportDesc>,
    /// Exports, in order.
    pub exports: Vec<ExportDesc>,
    /// Every custom section, in order.
    pub custom_sections: Vec<CustomSection>,
    /// The parsed `dylink.0` section, if any.
    pub dylink: Option<DylinkInfo>,
}

impl ModuleDescription {
    /// Reads module `bytes` (binary format). The module is parsed, not validated.
    pub fn parse(bytes: &[u8]) -> Result<ModuleDescription, InspectError> {
        let mut d = ModuleDescription {
            dylink: DylinkInfo::of_module(bytes)?,
            ..ModuleDescription::default()
        };
        let mut types: Vec<FuncType> = Vec::new();
        // Per index space: the type of each function (by type index) and global.
        let mut funcs: Vec<u32> = Vec::new();
        let mut tables: Vec<TableType> = Vec::new();
        let mut memories: Vec<MemoryType> = Vec::new();
        let mut globals: Vec<(GlobalType, Option<i32>)> = Vec::new();
        let mut exports = Vec::new();
        for payload in Parser::new(0).parse_all(bytes) {
            match payload? {
                Payload::TypeSection(reader) => {
                    let offset = reader.range().start as usize;
                    for ty in reader.into_iter_err_on_gc_types() {
                        let ty = ty?;
                        types.push(FuncType::new(
                            ty.params()
                                .iter()
                                .map(|&t| val_type(t, offset))
                                .collect::<Result<Vec<_>, _>>()?,
                            ty.results()
                                .iter()
                                .map(|&t| val_type(t, offset))
                                .collect::<Result<Vec<_>, _>>()?,
                        ));
                    }
                }
                Payload::ImportSection(reader) => {
                    let offset = reader.range().start as usize;
                    for import in reader.into_imports() {
                        let import = import?;
                        let ty = match import.ty {
                            TypeRef::Func(t) => {
                                funcs.push(t);
                                ItemType::Func(func_type(&types, t, offset)?)
                            }
                            TypeRef::Table(t) => {
                                tables.push(table_type(t, offset)?);
                                ItemType::Table(*tables.last().expect("pushed"))
                            }
                            TypeRef::Memory(m) => {
                                memories.push(memory_type(m));
                                ItemType::Memory(*memories.last().expect("pushed"))
                            }
                            TypeRef::Global(g) => {
                                globals.push((global_type(g, offset)?, None));
                                ItemType::Global(globals.last().expect("pushed").0)
                            }
                            TypeRef::Tag(_) | TypeRef::FuncExact(_) => {
                                return Err(unsupported(offset, "import kind"));
                            }
                        };
                        d.imports.push(ImportDesc {
                            module: import.module.to_string(),
                            name: import.name.to_string(),
                            ty,
                        });
                    }
                }
                Payload::FunctionSection(reader) => {
                    for t in reader {
                        funcs.push(t?);
                    }
                }
                Payload::TableSection(reader) => {
                    let offset = reader.range().start as usize;
                    for t in reader {
                        tables.push(table_type(t?.ty, offset)?);
                    }
                }
                Payload::MemorySection(reader) => {
                    for m in reader {
                        memories.push(memory_type(m?));
                    }
                }
                Payload::GlobalSection(reader) => {
                    let offset = reader.range().start as usize;
                    for g in reader {
                        let g = g?;
                        let value = match g.init_expr.get_operators_reader().read()? {
                            wasmparser::Operator::I32Const { value } => Some(value),
                            _ => None,
                        };
                        globals.push((global_type(g.ty, offset)?, value));
                    }
                }
                Payload::ExportSection(reader) => {
                    for e in reader {
                        exports.push(e?);
                    }
                }
                Payload::CustomSection(c) => d.custom_sections.push(CustomSection {
                    name: c.name().to_string(),
                    offset: c.data_offset() as usize,
                    data: c.data().to_vec(),
                }),
                _ => {}
            }
        }
        for e in exports {
            let i = e.index as usize;
            let missing = || unsupported(0, "export of a missing entity");
            let (ty, const_value) = match e.kind {
                wasmparser::ExternalKind::Func => {
                    let t = *funcs.get(i).ok_or_else(missing)?;
                    (ItemType::Func(func_type(&types, t, 0)?), None)
                }
                wasmparser::ExternalKind::Table => {
                    (ItemType::Table(*tables.get(i).ok_or_else(missing)?), None)
                }
                wasmparser::ExternalKind::Memory => (
                    ItemType::Memory(*memories.get(i).ok_or_else(missing)?),
                    None,
                ),
                wasmparser::ExternalKind::Global => {
                    let (g, v) = *globals.get(i).ok_or_else(missing)?;
                    (ItemType::Global(g), v.filter(|_| !g.mutable))
                }
                _ => return Err(unsupported(0, "export kind")),
            };
            d.exports.push(ExportDesc {
                name: e.name.to_string(),
                ty,
                index: e.index,
                const_value,
            });
        }
        Ok(d)
    }

    /// The custom sections named `name`, in order.
    pub fn custom_sections_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a CustomSection> + 'a {
        self.custom_sections.iter().filter(move |c| c.name == name)
    }

    /// The export `name`, if any.
    pub fn export(&self, name: &str) -> Option<&ExportDesc> {
        self.exports.iter().find(|e| e.name == name)
    }

    /// Whether the module is a shared library (has a `dylink.0` section).
    pub fn is_shared_library(&self) -> bool {
        self.custom_sections_named(SECTION_NAME).next().is_some()
    }
}

fn unsupported(offset: usize, what: &str) -> InspectError {
    InspectError::Unsupported {
        offset,
        what: what.to_string(),
    }
}

fn val_type(t: wasmparser::ValType, offset: usize) -> Result<ValType, InspectError> {
    Ok(match t {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        wasmparser::ValType::Ref(r) if r == wasmparser::RefType::FUNCREF => ValType::FuncRef,
        wasmparser::ValType::Ref(r) if r == wasmparser::RefType::EXTERNREF => ValType::ExternRef,
        _ => return Err(unsupported(offset, &format!("value type {t}"))),
    })
}

fn func_type(types: &[FuncType], index: u32, offset: usize) -> Result<FuncType, InspectError> {
    types
        .get(index as usize)
        .cloned()
        .ok_or_else(|| unsupported(offset, &format!("type index {index}")))
}

fn table_type(t: wasmparser::TableType, offset: usize) -> Result<TableType, InspectError> {
    Ok(TableType {
        element: val_type(wasmparser::ValType::Ref(t.element_type), offset)?,
        limits: Limits {
            min: t.initial,
            max: t.maximum,
        },
        index: if t.table64 {
            IndexType::I64
        } else {
            IndexType::I32
        },
    })
}

fn memory_type(m: wasmparser::MemoryType) -> MemoryType {
    MemoryType {
        limits: Limits {
            min: m.initial,
            max: m.maximum,
        },
        index: if m.memory64 {
            IndexType::I64
        } else {
            IndexType::I32
        },
    }
}

fn global_type(g: wasmparser::GlobalType, offset: usize) -> Result<GlobalType, InspectError> {
    Ok(GlobalType {
        ty: val_type(g.content_type, offset)?,
        mutable: g.mutable,
    })
}
