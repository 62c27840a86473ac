//! `#[repr(C)]` structures that compiled code reads and writes. Their field offsets are
//! the constants of [`stagec_environ::vmoffsets`]; the tests at the bottom hold the two
//! together.
//!
//! Calling conventions (all `extern "C"` / System V on the host):
//! - **wasm functions**: `fn(callee_vmctx, caller_vmctx, params...) -> results`, multiple
//!   results returned through Cranelift's implicit return area;
//! - **entry trampolines** ([`EntryTrampoline`]), one per signature, let the host call a
//!   wasm function with arguments and results in a buffer of [`ValRaw`];
//! - **host adapters** (one per signature) are wasm functions whose "vmctx" is a
//!   [`VMHostFuncContext`]; they spill their arguments into a [`ValRaw`] buffer and call
//!   its [`HostCallback`] — the one calling convention of every host function.

use std::sync::atomic::{AtomicI64, AtomicU32, AtomicUsize};

/// Opaque instance context; its layout is described by [`stagec_environ::VMOffsets`].
#[repr(C)]
pub struct VMContext {
    _private: [u8; 0],
}

/// A raw value slot: 16 bytes, the value in the low bytes, little-endian.
///
/// i32/i64 are stored as their two's-complement bits, floats as their IEEE bits, a v128 as
/// all 16 bytes, a funcref as a `*const VMFuncRef` (0 = null) and an externref as a
/// non-zero host word (0 = null).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C, align(16))]
pub struct ValRaw(pub u128);

impl ValRaw {
    /// From an i32.
    pub fn i32(v: i32) -> Self {
        ValRaw(v as u32 as u128)
    }
    /// From an i64.
    pub fn i64(v: i64) -> Self {
        ValRaw(v as u64 as u128)
    }
    /// From f32 bits.
    pub fn f32(bits: u32) -> Self {
        ValRaw(bits as u128)
    }
    /// From f64 bits.
    pub fn f64(bits: u64) -> Self {
        ValRaw(bits as u128)
    }
    /// From a `v128`'s 16 bytes (read little-endian).
    pub fn v128(bits: u128) -> Self {
        ValRaw(bits)
    }
    /// From a pointer-sized reference word.
    pub fn ptr(v: usize) -> Self {
        ValRaw(v as u128)
    }
    /// As an i32.
    pub fn get_i32(self) -> i32 {
        self.0 as u32 as i32
    }
    /// As an i64.
    pub fn get_i64(self) -> i64 {
        self.0 as u64 as i64
    }
    /// As f32 bits.
    pub fn get_f32(self) -> u32 {
        self.0 as u32
    }
    /// As f64 bits.
    pub fn get_f64(self) -> u64 {
        self.0 as u64
    }
    /// As a `v128`'s 16 bytes.
    pub fn get_v128(self) -> u128 {
        self.0
    }
    /// As a pointer-sized reference word.
    pub fn get_ptr(self) -> usize {
        self.0 as u64 as usize
    }
}

/// A first-class function reference (the target of `ref.func`, table elements).
#[derive(Debug)]
#[repr(C)]
pub struct VMFuncRef {
    /// Native code of the function (wasm calling convention).
    pub code: *const u8,
    /// Context passed as the callee vmctx.
    pub vmctx: *mut VMContext,
    /// Engine-wide signature id.
    pub type_id: u32,
}

/// An imported function as seen by the importing instance.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct VMFuncImport {
    /// Native code (wasm calling convention).
    pub code: *const u8,
    /// Callee context.
    pub vmctx: *mut VMContext,
}

/// A memory as seen by an instance (imported or defined).
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct VMMemoryImport {
    /// Base address; never changes for the memory's lifetime.
    pub base: *mut u8,
    /// The memory's definition (current length).
    pub def: *mut VMMemoryDefinition,
}

/// A linear memory's mutable state, owned by the memory.
#[derive(Debug)]
#[repr(C)]
pub struct VMMemoryDefinition {
    /// Base address.
    pub base: *mut u8,
    /// Accessible length in bytes.
    pub current_length: usize,
}

/// A table's mutable state, owned by the table.
#[derive(Debug)]
#[repr(C)]
pub struct VMTableDefinition {
    /// Elements: `*const VMFuncRef` or externref words, 0 = null.
    pub base: *mut usize,
    /// Number of elements.
    pub current_elements: u32,
}

/// Storage of one global: 16 bytes, value in the low bytes.
#[derive(Debug, Default)]
#[repr(C, align(16))]
pub struct VMGlobal(pub ValRaw);

/// Per-store state that compiled code reads.
///
/// Every field is atomic so that the context can be shared (`Arc`) with interrupt handles
/// and the deadline watchdog, which set `interrupt` from other threads; compiled code and
/// the store's own thread access the other fields with plain (relaxed) loads and stores.
#[derive(Debug)]
#[repr(C)]
pub struct VMStoreContext {
    /// Lowest stack address wasm code may grow to; `usize::MAX` until an entry sets it.
    pub stack_limit: AtomicUsize,
    /// Non-zero asks running code to stop: interruptible code checks it at every function
    /// entry and loop header and traps with "interrupt". Cleared when an outermost call
    /// into the store begins.
    pub interrupt: AtomicU32,
    /// Fuel left; code compiled to consume fuel subtracts what it executes and traps once
    /// this is negative (checked at function entries and loop headers).
    pub fuel: AtomicI64,
}

impl VMStoreContext {
    /// A context outside any call: no stack limit, not interrupted, no fuel.
    pub fn new() -> Self {
        VMStoreContext {
            stack_limit: AtomicUsize::new(usize::MAX),
            interrupt: AtomicU32::new(0),
            fuel: AtomicI64::new(0),
        }
    }
}

impl Default for VMStoreContext {
    fn default() -> Self {
        Self::new()
    }
}

/// The Rust entry point of a host function:
/// `(host context, caller vmctx, values, capacity) -> status`.
///
/// `values` holds the arguments on entry and must hold the results on return;
/// `capacity = max(params, results)`. A non-zero status means a trap is pending in the
/// thread's trap state.
pub type HostCallback =
    unsafe extern "C" fn(*mut VMHostFuncContext, *mut VMContext, *mut ValRaw, usize) -> u32;

/// The context of a host function, passed to its adapter in the vmctx position.
#[repr(C)]
pub struct VMHostFuncContext {
    /// Called by the adapter.
    pub callback: HostCallback,
    /// Data owned by the engine that created this context.
    pub data: *mut (),
}

/// A host-to-wasm entry trampoline:
/// `(callee code, callee vmctx, caller vmctx, values)`. Arguments are read from `values`
/// and results written back to it.
pub type EntryTrampoline =
    unsafe extern "C" fn(*const u8, *mut VMContext, *mut VMContext, *mut ValRaw);

/// The table of builtin entry points, in [`stagec_environ::Builtin::ALL`] order.
#[repr(C)]
pub struct VMBuiltins {
    /// Function pointers.
    pub functions: [*const u8; stagec_environ::Builtin::ALL.len()],
}

#[cfg(test)]
mod tests {
    use super::*;
    use stagec_environ::vmoffsets::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn struct_offsets_match_vmoffsets() {
        assert_eq!(offset_of!(VMFuncRef, code) as u32, funcref::CODE);
        assert_eq!(offset_of!(VMFuncRef, vmctx) as u32, funcref::VMCTX);
        assert_eq!(offset_of!(VMFuncRef, type_id) as u32, funcref::TYPE_ID);
        assert_eq!(size_of::<VMFuncRef>() as u32, funcref::SIZE);
        assert_eq!(offset_of!(VMFuncImport, code) as u32, func_import::CODE);
        assert_eq!(offset_of!(VMFuncImport, vmctx) as u32, func_import::VMCTX);
        assert_eq!(size_of::<VMFuncImport>(), 16);
        assert_eq!(offset_of!(VMMemoryImport, base), 0);
        assert_eq!(offset_of!(VMMemoryImport, def) as u32, PTR);
        assert_eq!(size_of::<VMMemoryImport>(), 16);
        assert_eq!(
            offset_of!(VMMemoryDefinition, base) as u32,
            memory_def::BASE
        );
        assert_eq!(
            offset_of!(VMMemoryDefinition, current_length) as u32,
            memory_def::CURRENT_LENGTH
        );
        assert_eq!(offset_of!(VMTableDefinition, base) as u32, table_def::BASE);
        assert_eq!(
            offset_of!(VMTableDefinition, current_elements) as u32,
            table_def::CURRENT_ELEMENTS
        );
        assert_eq!(size_of::<usize>() as u32, table_def::ELEMENT_SIZE);
        assert_eq!(size_of::<VMGlobal>(), 16);
        assert_eq!(size_of::<ValRaw>() as u32, VAL_RAW_SIZE);
        assert_eq!(
            offset_of!(VMStoreContext, stack_limit) as u32,
            store_ctx::STACK_LIMIT
        );
        assert_eq!(
            offset_of!(VMStoreContext, interrupt) as u32,
            store_ctx::INTERRUPT
        );
        assert_eq!(offset_of!(VMStoreContext, fuel) as u32, store_ctx::FUEL);
        assert_eq!(size_of::<AtomicUsize>(), size_of::<usize>());
        assert_eq!(size_of::<AtomicU32>(), 4);
        assert_eq!(size_of::<AtomicI64>(), 8);
        assert_eq!(
            offset_of!(VMHostFuncContext, callback) as u32,
            host_ctx::CALLBACK
        );
        assert_eq!(
            size_of::<VMBuiltins>(),
            stagec_environ::Builtin::ALL.len() * PTR as usize
        );
        for (i, b) in stagec_environ::Builtin::ALL.iter().enumerate() {
            assert_eq!(b.offset() as usize, i * 8);
        }
    }
}
