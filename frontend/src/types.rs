//! The engine's own description of WebAssembly types, independent of wasmparser so that
//! the runtime and the artifact cache never depend on the parser's representation.

use std::fmt;

/// A WebAssembly value type supported by stagec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit IEEE float.
    F32,
    /// 64-bit IEEE float.
    F64,
    /// 128-bit SIMD vector.
    V128,
    /// Nullable function reference.
    FuncRef,
    /// Nullable host reference.
    ExternRef,
}

impl ValType {
    /// Whether the type is a reference type.
    pub fn is_ref(self) -> bool {
        matches!(self, ValType::FuncRef | ValType::ExternRef)
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
        })
    }
}

/// A function signature.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct FuncType {
    /// Parameter types.
    pub params: Box<[ValType]>,
    /// Result types.
    pub results: Box<[ValType]>,
}

impl FuncType {
    /// Builds a signature from parameter and result lists.
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> Self {
        FuncType {
            params: params.into_iter().collect(),
            results: results.into_iter().collect(),
        }
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(func")?;
        if !self.params.is_empty() {
            write!(f, " (param")?;
            for p in self.params.iter() {
                write!(f, " {p}")?;
            }
            write!(f, ")")?;
        }
        if !self.results.is_empty() {
            write!(f, " (result")?;
            for r in self.results.iter() {
                write!(f, " {r}")?;
            }
            write!(f, ")")?;
        }
        write!(f, ")")
    }
}

/// Limits of a table or memory, in elements or 64 KiB pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Initial size.
    pub min: u64,
    /// Maximum size, if any.
    pub max: Option<u64>,
}

/// The type of the indices, addresses and sizes of a table or memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum IndexType {
    /// `i32` (WebAssembly 1.0 and 2.0).
    #[default]
    I32,
    /// `i64` (memory64: 64-bit memories and tables).
    I64,
}

impl IndexType {
    /// The value type of an index, an address or a size.
    pub fn val_type(self) -> ValType {
        match self {
            IndexType::I32 => ValType::I32,
            IndexType::I64 => ValType::I64,
        }
    }

    /// Whether the index space is 64-bit.
    pub fn is_64(self) -> bool {
        self == IndexType::I64
    }
}

impl fmt::Display for IndexType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IndexType::I32 => "i32",
            IndexType::I64 => "i64",
        })
    }
}

/// A table type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TableType {
    /// Element type: `FuncRef` or `ExternRef`.
    pub element: ValType,
    /// Size limits in elements.
    pub limits: Limits,
    /// The type of element indices (`I64` for a table64).
    pub index: IndexType,
}

impl TableType {
    /// A table of `element`s with 32-bit indices.
    pub fn new(element: ValType, min: u64, max: Option<u64>) -> Self {
        TableType {
            element,
            limits: Limits { min, max },
            index: IndexType::I32,
        }
    }
}

/// A linear memory type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemoryType {
    /// Size limits in 64 KiB pages.
    pub limits: Limits,
    /// The type of addresses (`I64` for a memory64).
    pub index: IndexType,
}

impl MemoryType {
    /// A 32-bit memory of `min` pages, at most `max`.
    pub fn new(min: u64, max: Option<u64>) -> Self {
        MemoryType {
            limits: Limits { min, max },
            index: IndexType::I32,
        }
    }

    /// A 64-bit memory (memory64) of `min` pages, at most `max`.
    pub fn new64(min: u64, max: Option<u64>) -> Self {
        MemoryType {
            limits: Limits { min, max },
            index: IndexType::I64,
        }
    }
}

/// A global type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GlobalType {
    /// Value type.
    pub ty: ValType,
    /// Whether `global.set` is allowed.
    pub mutable: bool,
}

/// The type of an importable or exportable entity.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EntityType {
    /// A function with the given type index of the declaring module.
    Func(u32),
    /// A table.
    Table(TableType),
    /// A memory.
    Memory(MemoryType),
    /// A global.
    Global(GlobalType),
}

impl EntityType {
    /// The kind of entity.
    pub fn kind(&self) -> ExternKind {
        match self {
            EntityType::Func(_) => ExternKind::Func,
            EntityType::Table(_) => ExternKind::Table,
            EntityType::Memory(_) => ExternKind::Memory,
            EntityType::Global(_) => ExternKind::Global,
        }
    }
}

/// Kind of an import or export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExternKind {
    /// Function.
    Func,
    /// Table.
    Table,
    /// Memory.
    Memory,
    /// Global.
    Global,
}

impl fmt::Display for ExternKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExternKind::Func => "function",
            ExternKind::Table => "table",
            ExternKind::Memory => "memory",
            ExternKind::Global => "global",
        })
    }
}

/// A constant expression (initialisers of globals, segment offsets and elements).
///
/// A single instruction has its own variant; an extended constant expression (with
/// `i32/i64.add/sub/mul`) is [`ConstExpr::Extended`], its instructions in order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ConstExpr {
    /// `i32.const`
    I32(i32),
    /// `i64.const`
    I64(i64),
    /// `f32.const`, as bits.
    F32(u32),
    /// `f64.const`, as bits.
    F64(u64),
    /// `v128.const`, as its 16 bytes read little-endian.
    V128(u128),
    /// `ref.null` of the given reference type.
    RefNull(ValType),
    /// `ref.func`
    RefFunc(u32),
    /// `global.get` of an (imported) global.
    GlobalGet(u32),
    /// An extended constant expression over integers: the instructions of a stack
    /// machine, in order, that leave one `i32` or `i64`.
    Extended(Box<[ConstOp]>),
}

/// One instruction of an extended constant expression ([`ConstExpr::Extended`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConstOp {
    /// `i32.const`
    I32(i32),
    /// `i64.const`
    I64(i64),
    /// `global.get` of an `i32` or `i64` global.
    GlobalGet(u32),
    /// `i32.add`
    I32Add,
    /// `i32.sub`
    I32Sub,
    /// `i32.mul`
    I32Mul,
    /// `i64.add`
    I64Add,
    /// `i64.sub`
    I64Sub,
    /// `i64.mul`
    I64Mul,
}

impl ConstExpr {
    /// The value of an integer expression (`i32` as its bits zero-extended), reading
    /// globals through `global` (raw bits, an `i32` in the low 32); `None` when the
    /// expression is not an integer or `global` does not know a global it reads. The
    /// arithmetic wraps, as wasm's does.
    pub fn eval_int(&self, mut global: impl FnMut(u32) -> Option<u64>) -> Option<u64> {
        match *self {
            ConstExpr::I32(v) => Some(u64::from(v as u32)),
            ConstExpr::I64(v) => Some(v as u64),
            ConstExpr::GlobalGet(g) => global(g),
            ConstExpr::Extended(ref ops) => eval_ops(ops, &mut global),
            ConstExpr::F32(_)
            | ConstExpr::F64(_)
            | ConstExpr::V128(_)
            | ConstExpr::RefNull(_)
            | ConstExpr::RefFunc(_) => None,
        }
    }

    /// The globals the expression reads.
    pub fn globals(&self) -> Vec<u32> {
        match self {
            ConstExpr::GlobalGet(g) => vec![*g],
            ConstExpr::Extended(ops) => ops
                .iter()
                .filter_map(|op| match op {
                    ConstOp::GlobalGet(g) => Some(*g),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Runs the stack machine of an extended constant expression (validated: every operator
/// finds its operands, one value is left).
fn eval_ops(ops: &[ConstOp], global: &mut dyn FnMut(u32) -> Option<u64>) -> Option<u64> {
    let mut stack: Vec<u64> = Vec::with_capacity(4);
    for op in ops {
        let value = match *op {
            ConstOp::I32(v) => u64::from(v as u32),
            ConstOp::I64(v) => v as u64,
            ConstOp::GlobalGet(g) => global(g)?,
            binary => {
                let y = stack.pop()?;
                let x = stack.pop()?;
                let low32 = |v: u64| u64::from(v as u32);
                match binary {
                    ConstOp::I32Add => low32(x.wrapping_add(y)),
                    ConstOp::I32Sub => low32(x.wrapping_sub(y)),
                    ConstOp::I32Mul => low32(x.wrapping_mul(y)),
                    ConstOp::I64Add => x.wrapping_add(y),
                    ConstOp::I64Sub => x.wrapping_sub(y),
                    ConstOp::I64Mul => x.wrapping_mul(y),
                    ConstOp::I32(_) | ConstOp::I64(_) | ConstOp::GlobalGet(_) => unreachable!(),
                }
            }
        };
        stack.push(value);
    }
    match stack[..] {
        [value] => Some(value),
        _ => None,
    }
}
