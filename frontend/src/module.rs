//! The module-level description produced by the frontend pass.

use crate::types::*;
use std::ops::Range;
use std::sync::Arc;

/// An import declared by a module.
#[derive(Clone, Debug)]
pub struct Import {
    /// Module name.
    pub module: String,
    /// Field name.
    pub name: String,
    /// Imported entity type.
    pub ty: EntityType,
}

/// An export declared by a module.
#[derive(Clone, Debug)]
pub struct Export {
    /// Export name.
    pub name: String,
    /// Kind of the exported entity.
    pub kind: ExternKind,
    /// Index in the index space of `kind`.
    pub index: u32,
}

/// How an element segment is used.
#[derive(Clone, Debug)]
pub enum ElemMode {
    /// Copied into `table` at `offset` during instantiation, then dropped.
    Active {
        /// Table index.
        table: u32,
        /// Offset expression (of the table's index type).
        offset: ConstExpr,
    },
    /// Available to `table.init`.
    Passive,
    /// Only declares functions referenceable by `ref.func`; dropped at instantiation.
    Declared,
}

/// An element segment.
#[derive(Clone, Debug)]
pub struct ElemSegment {
    /// Usage mode.
    pub mode: ElemMode,
    /// Element type.
    pub ty: ValType,
    /// Items, each a constant expression (`ref.func`, `ref.null` or `global.get`).
    pub items: Vec<ConstExpr>,
}

/// How a data segment is used.
#[derive(Clone, Debug)]
pub enum DataMode {
    /// Copied into `memory` at `offset` during instantiation, then dropped.
    Active {
        /// Memory index.
        memory: u32,
        /// Offset expression (of the memory's index type).
        offset: ConstExpr,
    },
    /// Available to `memory.init`.
    Passive,
}

/// A data segment.
#[derive(Clone, Debug)]
pub struct DataSegment {
    /// Usage mode.
    pub mode: DataMode,
    /// The segment's bytes.
    pub data: Vec<u8>,
}

/// A defined function's body, kept as a byte range of the module for codegen.
#[derive(Clone, Debug)]
pub struct FunctionBody {
    /// Byte range of the body (locals and code) within the module bytes.
    pub range: Range<usize>,
}

/// Everything the engine needs to know about a module, apart from function bodies' code.
///
/// Index spaces (functions, tables, memories, globals) list imported entities first.
#[derive(Clone, Debug, Default)]
pub struct ModuleInfo {
    /// Function types, by type index.
    pub types: Vec<FuncType>,
    /// Imports in declaration order.
    pub imports: Vec<Import>,
    /// Type index of every function (imported first).
    pub functions: Vec<u32>,
    /// Every table (imported first).
    pub tables: Vec<TableType>,
    /// Every memory (imported first).
    pub memories: Vec<MemoryType>,
    /// Every global (imported first).
    pub globals: Vec<GlobalType>,
    /// Initialisers of defined globals, indexed by defined-global index.
    pub global_inits: Vec<ConstExpr>,
    /// Exports in declaration order.
    pub exports: Vec<Export>,
    /// Start function.
    pub start: Option<u32>,
    /// Element segments.
    pub elems: Vec<ElemSegment>,
    /// Data segments.
    pub datas: Vec<DataSegment>,
    /// Defined function bodies, indexed by defined-function index.
    pub bodies: Vec<FunctionBody>,
    /// Functions that may be referenced as values (`ref.func`, exports, element segments).
    pub escaping_funcs: Vec<bool>,
    /// Number of imported functions.
    pub num_imported_funcs: u32,
    /// Number of imported tables.
    pub num_imported_tables: u32,
    /// Number of imported memories.
    pub num_imported_memories: u32,
    /// Number of imported globals.
    pub num_imported_globals: u32,
    /// Name section function names, by function index, where present.
    pub func_names: Vec<(u32, String)>,
}

impl ModuleInfo {
    /// Signature of function `index`.
    pub fn func_type(&self, index: u32) -> &FuncType {
        &self.types[self.functions[index as usize] as usize]
    }

    /// Number of defined (non-imported) functions.
    pub fn num_defined_funcs(&self) -> u32 {
        self.functions.len() as u32 - self.num_imported_funcs
    }

    /// Whether function `index` is imported.
    pub fn is_imported_func(&self, index: u32) -> bool {
        index < self.num_imported_funcs
    }

    /// Defined-function index of function `index`, if it is defined here.
    pub fn defined_func_index(&self, index: u32) -> Option<u32> {
        index.checked_sub(self.num_imported_funcs)
    }

    /// Defined-global index of global `index`, if it is defined here.
    pub fn defined_global_index(&self, index: u32) -> Option<u32> {
        index.checked_sub(self.num_imported_globals)
    }

    /// Defined-memory index of memory `index`, if it is defined here.
    pub fn defined_memory_index(&self, index: u32) -> Option<u32> {
        index.checked_sub(self.num_imported_memories)
    }

    /// Defined-table index of table `index`, if it is defined here.
    pub fn defined_table_index(&self, index: u32) -> Option<u32> {
        index.checked_sub(self.num_imported_tables)
    }

    /// The type of entity `index` of kind `kind` (e.g. of an export).
    pub fn entity_type(&self, kind: ExternKind, index: u32) -> EntityType {
        match kind {
            ExternKind::Func => EntityType::Func(self.functions[index as usize]),
            ExternKind::Table => EntityType::Table(self.tables[index as usize]),
            ExternKind::Memory => EntityType::Memory(self.memories[index as usize]),
            ExternKind::Global => EntityType::Global(self.globals[index as usize]),
        }
    }

    /// An entity type of this module in text-format syntax, e.g. `(global (mut i32))`,
    /// `(memory 1 2)`, `(memory i64 1)`, `(func (param i32) (result i64))`.
    pub fn describe(&self, ty: &EntityType) -> String {
        let limits = |index: IndexType, l: Limits| {
            let index = match index {
                IndexType::I32 => "",
                IndexType::I64 => "i64 ",
            };
            match l.max {
                Some(max) => format!("{index}{} {max}", l.min),
                None => format!("{index}{}", l.min),
            }
        };
        match ty {
            EntityType::Func(t) => self.types[*t as usize].to_string(),
            EntityType::Table(t) => {
                format!("(table {} {})", limits(t.index, t.limits), t.element)
            }
            EntityType::Memory(m) => format!("(memory {})", limits(m.index, m.limits)),
            EntityType::Global(g) if g.mutable => format!("(global (mut {}))", g.ty),
            EntityType::Global(g) => format!("(global {})", g.ty),
        }
    }

    /// Looks up an export by name.
    pub fn export(&self, name: &str) -> Option<&Export> {
        self.exports.iter().find(|e| e.name == name)
    }

    /// The name of function `index` from the name section, if any.
    pub fn func_name(&self, index: u32) -> Option<&str> {
        self.func_names
            .binary_search_by_key(&index, |(i, _)| *i)
            .ok()
            .map(|i| self.func_names[i].1.as_str())
    }
}

/// A parsed and validated module: its description, its bytes, and what codegen needs to
/// validate each function body while translating it.
pub struct ParsedModule {
    /// The module description.
    pub info: ModuleInfo,
    /// The original module bytes (function bodies are ranges of these).
    pub bytes: Arc<[u8]>,
    /// One validator seed per defined function, in defined-function order.
    pub validators: Vec<wasmparser::FuncToValidate<wasmparser::ValidatorResources>>,
}

impl std::fmt::Debug for ParsedModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedModule")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}
