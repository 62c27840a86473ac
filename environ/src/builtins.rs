//! The list of runtime entry points ("builtins") that compiled code calls through
//! `vmctx->builtins`, with their signatures. Codegen builds Cranelift signatures from
//! [`Builtin::signature`]; the runtime fills its `VMBuiltins` table (`stagec_runtime::vm`) in
//! the same order.
//!
//! Every builtin takes the caller's `vmctx` first; index arguments are module index-space
//! numbers (imported entities first). Addresses and sizes in memories and tables are
//! `I64` whatever the index type (compiled code zero-extends those of 32-bit memories and
//! tables, and truncates the results of `grow`); offsets in segments stay `I32`. Builtins that can trap store the trap in the
//! thread's trap state and return a non-zero `i32` status; compiled code then executes
//! `trapnz status, Pending`, and the trap handler reports the stored trap.

/// A parameter or result type of a builtin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbiType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// Pointer-sized integer (the vmctx, a raw reference).
    Ptr,
}

macro_rules! builtins {
    ($( $(#[$doc:meta])* $name:ident ( $($param:ident),* ) -> ( $($result:ident)? ) ; )*) => {
        /// A runtime entry point callable from compiled code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u32)]
        pub enum Builtin {
            $( $(#[$doc])* $name, )*
        }

        impl Builtin {
            /// Every builtin, in `VMBuiltins` order.
            pub const ALL: &'static [Builtin] = &[$(Builtin::$name,)*];

            /// Parameters (after the leading vmctx) and results.
            pub fn signature(self) -> (&'static [AbiType], &'static [AbiType]) {
                match self {
                    $(Builtin::$name => (&[$(AbiType::$param),*], &[$(AbiType::$result)?]),)*
                }
            }
        }
    };
}

builtins! {
    /// `memory.grow`: (memory, delta pages) -> old size in pages or -1.
    MemoryGrow(I32, I64) -> (I64);
    /// `memory.fill`: (memory, dst, value, len) -> status.
    MemoryFill(I32, I64, I32, I64) -> (I32);
    /// `memory.copy`: (dst memory, src memory, dst, src, len) -> status.
    MemoryCopy(I32, I32, I64, I64, I64) -> (I32);
    /// `memory.init`: (memory, data segment, dst, src, len) -> status.
    MemoryInit(I32, I32, I64, I32, I32) -> (I32);
    /// `data.drop`: (data segment) -> ().
    DataDrop(I32) -> ();
    /// `table.grow`: (table, init value, delta) -> old size or -1.
    TableGrow(I32, Ptr, I64) -> (I64);
    /// `table.fill`: (table, dst, value, len) -> status.
    TableFill(I32, I64, Ptr, I64) -> (I32);
    /// `table.copy`: (dst table, src table, dst, src, len) -> status.
    TableCopy(I32, I32, I64, I64, I64) -> (I32);
    /// `table.init`: (table, elem segment, dst, src, len) -> status.
    TableInit(I32, I32, I64, I32, I32) -> (I32);
    /// `elem.drop`: (elem segment) -> ().
    ElemDrop(I32) -> ();
}

impl Builtin {
    /// Offset of this builtin's function pointer inside `VMBuiltins`.
    pub fn offset(self) -> u32 {
        self as u32 * 8
    }
}
