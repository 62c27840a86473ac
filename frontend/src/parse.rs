//! The module-level pass: wasmparser `Parser` + `Validator` into a [`ModuleInfo`].

use crate::FrontendError;
use crate::module::*;
use crate::types::*;
use std::sync::Arc;
use wasmparser::{Payload, Validator, WasmFeatures};

/// The feature set stagec compiles: WebAssembly 2.0 (fixed-width SIMD included), relaxed
/// SIMD, memory64 (with table64), multi-memory and extended constant expressions.
pub const FEATURES: WasmFeatures = WasmFeatures::WASM2
    .union(WasmFeatures::RELAXED_SIMD)
    .union(WasmFeatures::MEMORY64)
    .union(WasmFeatures::MULTI_MEMORY)
    .union(WasmFeatures::EXTENDED_CONST);

/// Parses and validates a core module (binary format).
///
/// Function bodies are validated by codegen while it translates them; everything else is
/// validated here.
pub fn parse(bytes: impl Into<Arc<[u8]>>) -> Result<ParsedModule, FrontendError> {
    parse_with(bytes.into())
}

/// [`parse`] without validation and without the function bodies, for a module this
/// engine validated when it compiled it (the binary inside a checked, checksummed
/// artifact): the description only. The code section is skipped, so the result has no
/// bodies and no function validators, and its functions cannot be translated again.
pub fn parse_trusted(bytes: impl Into<Arc<[u8]>>) -> Result<ParsedModule, FrontendError> {
    let bytes: Arc<[u8]> = bytes.into();
    let mut info = ModuleInfo::default();
    let mut code_section_seen = false;
    let mut parser = wasmparser::Parser::new(0);
    let mut offset = 0usize;
    loop {
        let (consumed, payload) = match parser.parse(&bytes[offset..], true)? {
            wasmparser::Chunk::Parsed { consumed, payload } => (consumed, payload),
            wasmparser::Chunk::NeedMoreData(_) => {
                return Err(FrontendError::UnexpectedEnd {
                    offset: offset as u64,
                });
            }
        };
        offset += consumed;
        match payload {
            Payload::CodeSectionStart { size, .. } => {
                code_section_seen = true;
                parser.skip_section();
                offset += size as usize;
            }
            Payload::End(_) => break,
            payload => read_payload(&mut info, payload, &mut code_section_seen)?,
        }
    }
    finish_escaping(&mut info);
    Ok(ParsedModule {
        info,
        bytes,
        validators: Vec::new(),
    })
}

fn parse_with(bytes: Arc<[u8]>) -> Result<ParsedModule, FrontendError> {
    let mut info = ModuleInfo::default();
    let mut validators = Vec::new();
    let mut validator = Validator::new_with_features(FEATURES);
    let mut code_section_seen = false;
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        let payload = payload?;
        match validator.payload(&payload)? {
            wasmparser::ValidPayload::Func(func, body) => {
                let range = body.range();
                info.bodies.push(FunctionBody {
                    range: range.start as usize..range.end as usize,
                });
                validators.push(func);
            }
            wasmparser::ValidPayload::End(_) => break,
            _ => {}
        }
        read_payload(&mut info, payload, &mut code_section_seen)?;
    }
    finish_escaping(&mut info);
    Ok(ParsedModule {
        info,
        bytes,
        validators,
    })
}

fn read_payload(
    info: &mut ModuleInfo,
    payload: Payload<'_>,
    code_section_seen: &mut bool,
) -> Result<(), FrontendError> {
    match payload {
        Payload::TypeSection(reader) => {
            for ty in reader.into_iter_err_on_gc_types() {
                info.types.push(convert_func_type(&ty?)?);
            }
        }
        Payload::ImportSection(reader) => {
            for import in reader.into_imports_with_offsets() {
                let (offset, import) = import?;
                let ty = match import.ty {
                    wasmparser::TypeRef::Func(t) | wasmparser::TypeRef::FuncExact(t) => {
                        info.num_imported_funcs += 1;
                        info.functions.push(t);
                        EntityType::Func(t)
                    }
                    wasmparser::TypeRef::Table(t) => {
                        let t = convert_table_type(&t, offset)?;
                        info.num_imported_tables += 1;
                        info.tables.push(t);
                        EntityType::Table(t)
                    }
                    wasmparser::TypeRef::Memory(m) => {
                        let m = convert_memory_type(&m, offset)?;
                        info.num_imported_memories += 1;
                        info.memories.push(m);
                        EntityType::Memory(m)
                    }
                    wasmparser::TypeRef::Global(g) => {
                        let g = GlobalType {
                            ty: convert_val_type(g.content_type, offset)?,
                            mutable: g.mutable,
                        };
                        info.num_imported_globals += 1;
                        info.globals.push(g);
                        EntityType::Global(g)
                    }
                    wasmparser::TypeRef::Tag(_) => {
                        return Err(FrontendError::unsupported("tag imports", offset));
                    }
                };
                info.imports.push(Import {
                    module: import.module.to_string(),
                    name: import.name.to_string(),
                    ty,
                });
            }
        }
        Payload::FunctionSection(reader) => {
            for t in reader {
                info.functions.push(t?);
            }
        }
        Payload::TableSection(reader) => {
            for table in reader.into_iter_with_offsets() {
                let (offset, table) = table?;
                if !matches!(table.init, wasmparser::TableInit::RefNull) {
                    return Err(FrontendError::unsupported(
                        "table initializer expressions",
                        offset,
                    ));
                }
                info.tables.push(convert_table_type(&table.ty, offset)?);
            }
        }
        Payload::MemorySection(reader) => {
            for memory in reader.into_iter_with_offsets() {
                let (offset, memory) = memory?;
                info.memories.push(convert_memory_type(&memory, offset)?);
            }
        }
        Payload::GlobalSection(reader) => {
            for global in reader.into_iter_with_offsets() {
                let (offset, global) = global?;
                info.globals.push(GlobalType {
                    ty: convert_val_type(global.ty.content_type, offset)?,
                    mutable: global.ty.mutable,
                });
                info.global_inits
                    .push(convert_const_expr(&global.init_expr, offset)?);
            }
        }
        Payload::ExportSection(reader) => {
            for export in reader {
                let export = export?;
                let kind = match export.kind {
                    wasmparser::ExternalKind::Func | wasmparser::ExternalKind::FuncExact => {
                        ExternKind::Func
                    }
                    wasmparser::ExternalKind::Table => ExternKind::Table,
                    wasmparser::ExternalKind::Memory => ExternKind::Memory,
                    wasmparser::ExternalKind::Global => ExternKind::Global,
                    wasmparser::ExternalKind::Tag => {
                        return Err(FrontendError::unsupported("tag exports", 0));
                    }
                };
                info.exports.push(Export {
                    name: export.name.to_string(),
                    kind,
                    index: export.index,
                });
            }
        }
        Payload::StartSection { func, .. } => info.start = Some(func),
        Payload::ElementSection(reader) => {
            for elem in reader.into_iter_with_offsets() {
                let (offset, elem) = elem?;
                info.elems.push(convert_elem(elem, offset)?);
            }
        }
        Payload::DataSection(reader) => {
            for data in reader.into_iter_with_offsets() {
                let (offset, data) = data?;
                let mode = match data.kind {
                    wasmparser::DataKind::Passive => DataMode::Passive,
                    wasmparser::DataKind::Active {
                        memory_index,
                        offset_expr,
                    } => DataMode::Active {
                        memory: memory_index,
                        offset: convert_const_expr(&offset_expr, offset)?,
                    },
                };
                info.datas.push(DataSegment {
                    mode,
                    data: data.data.to_vec(),
                });
            }
        }
        Payload::CodeSectionStart { .. } => *code_section_seen = true,
        Payload::CustomSection(reader) => {
            if let wasmparser::KnownCustom::Name(names) = reader.as_known() {
                read_names(info, names);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Reads function names; a malformed name section is ignored, as the spec requires.
fn read_names(info: &mut ModuleInfo, names: wasmparser::NameSectionReader<'_>) {
    for name in names {
        let Ok(wasmparser::Name::Function(map)) = name else {
            continue;
        };
        for naming in map {
            let Ok(naming) = naming else { break };
            info.func_names
                .push((naming.index, naming.name.to_string()));
        }
    }
    info.func_names.sort_by_key(|(i, _)| *i);
    info.func_names.dedup_by_key(|(i, _)| *i);
}

fn convert_elem(elem: wasmparser::Element<'_>, offset: u64) -> Result<ElemSegment, FrontendError> {
    let mode = match elem.kind {
        wasmparser::ElementKind::Passive => ElemMode::Passive,
        wasmparser::ElementKind::Declared => ElemMode::Declared,
        wasmparser::ElementKind::Active {
            table_index,
            offset_expr,
        } => ElemMode::Active {
            table: table_index.unwrap_or(0),
            offset: convert_const_expr(&offset_expr, offset)?,
        },
    };
    let (ty, items) = match elem.items {
        wasmparser::ElementItems::Functions(funcs) => {
            let mut items = Vec::new();
            for f in funcs {
                items.push(ConstExpr::RefFunc(f?));
            }
            (ValType::FuncRef, items)
        }
        wasmparser::ElementItems::Expressions(ty, exprs) => {
            let ty = convert_ref_type(ty, offset)?;
            let mut items = Vec::new();
            for e in exprs {
                items.push(convert_const_expr(&e?, offset)?);
            }
            (ty, items)
        }
    };
    Ok(ElemSegment { mode, ty, items })
}

/// Marks functions that can become first-class references.
fn finish_escaping(info: &mut ModuleInfo) {
    let mut escaping = vec![false; info.functions.len()];
    for e in &info.exports {
        if e.kind == ExternKind::Func {
            escaping[e.index as usize] = true;
        }
    }
    let exprs = info
        .elems
        .iter()
        .flat_map(|e| e.items.iter())
        .chain(info.global_inits.iter());
    for item in exprs {
        if let ConstExpr::RefFunc(f) = item {
            escaping[*f as usize] = true;
        }
    }
    info.escaping_funcs = escaping;
}

fn convert_func_type(ty: &wasmparser::FuncType) -> Result<FuncType, FrontendError> {
    let params = ty
        .params()
        .iter()
        .map(|t| convert_val_type(*t, 0))
        .collect::<Result<_, _>>()?;
    let results = ty
        .results()
        .iter()
        .map(|t| convert_val_type(*t, 0))
        .collect::<Result<_, _>>()?;
    Ok(FuncType { params, results })
}

/// Converts a wasmparser value type into stagec's.
pub fn convert_val_type(ty: wasmparser::ValType, offset: u64) -> Result<ValType, FrontendError> {
    Ok(match ty {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        wasmparser::ValType::V128 => ValType::V128,
        wasmparser::ValType::Ref(r) => convert_ref_type(r, offset)?,
    })
}

fn convert_ref_type(ty: wasmparser::RefType, offset: u64) -> Result<ValType, FrontendError> {
    if ty == wasmparser::RefType::FUNCREF {
        Ok(ValType::FuncRef)
    } else if ty == wasmparser::RefType::EXTERNREF {
        Ok(ValType::ExternRef)
    } else {
        Err(FrontendError::unsupported("typed references", offset))
    }
}

fn convert_table_type(ty: &wasmparser::TableType, offset: u64) -> Result<TableType, FrontendError> {
    if ty.shared {
        return Err(FrontendError::unsupported("shared tables", offset));
    }
    Ok(TableType {
        element: convert_ref_type(ty.element_type, offset)?,
        limits: Limits {
            min: ty.initial,
            max: ty.maximum,
        },
        index: index_type(ty.table64),
    })
}

fn index_type(is_64: bool) -> IndexType {
    if is_64 {
        IndexType::I64
    } else {
        IndexType::I32
    }
}

fn convert_memory_type(
    ty: &wasmparser::MemoryType,
    offset: u64,
) -> Result<MemoryType, FrontendError> {
    if ty.shared || ty.page_size_log2.is_some() {
        return Err(FrontendError::unsupported(
            "shared or custom-page-size memories",
            offset,
        ));
    }
    Ok(MemoryType {
        limits: Limits {
            min: ty.initial,
            max: ty.maximum,
        },
        index: index_type(ty.memory64),
    })
}

fn convert_const_expr(
    expr: &wasmparser::ConstExpr<'_>,
    offset: u64,
) -> Result<ConstExpr, FrontendError> {
    use wasmparser::Operator as O;
    let mut reader = expr.get_operators_reader();
    let mut ops = Vec::new();
    let mut single = None;
    loop {
        let op = reader.read()?;
        let extended = match op {
            O::End => break,
            O::I32Const { value } => ConstOp::I32(value),
            O::I64Const { value } => ConstOp::I64(value),
            O::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
            O::I32Add => ConstOp::I32Add,
            O::I32Sub => ConstOp::I32Sub,
            O::I32Mul => ConstOp::I32Mul,
            O::I64Add => ConstOp::I64Add,
            O::I64Sub => ConstOp::I64Sub,
            O::I64Mul => ConstOp::I64Mul,
            // Only valid alone (validation checks the expression's type).
            O::F32Const { value } => {
                single = Some(ConstExpr::F32(value.bits()));
                continue;
            }
            O::F64Const { value } => {
                single = Some(ConstExpr::F64(value.bits()));
                continue;
            }
            O::V128Const { value } => {
                single = Some(ConstExpr::V128(value.i128() as u128));
                continue;
            }
            O::RefNull { hty } => {
                single = Some(ConstExpr::RefNull(match hty {
                    wasmparser::HeapType::Abstract {
                        ty: wasmparser::AbstractHeapType::Func,
                        ..
                    } => ValType::FuncRef,
                    wasmparser::HeapType::Abstract {
                        ty: wasmparser::AbstractHeapType::Extern,
                        ..
                    } => ValType::ExternRef,
                    _ => return Err(FrontendError::unsupported("typed references", offset)),
                }));
                continue;
            }
            O::RefFunc { function_index } => {
                single = Some(ConstExpr::RefFunc(function_index));
                continue;
            }
            _ => {
                return Err(FrontendError::unsupported(
                    "constant expressions of this instruction",
                    offset,
                ));
            }
        };
        ops.push(extended);
    }
    Ok(match (single, &ops[..]) {
        (Some(expr), []) => expr,
        (None, [ConstOp::I32(v)]) => ConstExpr::I32(*v),
        (None, [ConstOp::I64(v)]) => ConstExpr::I64(*v),
        (None, [ConstOp::GlobalGet(g)]) => ConstExpr::GlobalGet(*g),
        (None, [_, _, ..]) => ConstExpr::Extended(ops.into_boxed_slice()),
        _ => {
            return Err(FrontendError::unsupported(
                "constant expressions of this shape",
                offset,
            ));
        }
    })
}
