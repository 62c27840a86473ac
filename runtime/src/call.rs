//! Calling wasm from the host: stack limit set-up, trap catching, entry trampolines.

use crate::traphandlers::{Trapped, approximate_stack_pointer, catch_traps};
use crate::vm::{EntryTrampoline, VMContext, VMFuncRef, VMStoreContext, ValRaw};
use std::sync::atomic::Ordering;

/// Default amount of native stack wasm code may use (bytes).
pub const DEFAULT_MAX_WASM_STACK: usize = 1 << 20;

/// Calls `funcref` through `trampoline` with arguments and results in `values`.
///
/// The outermost call into a store sets the store's stack limit `max_wasm_stack` bytes
/// below the current stack pointer; nested calls (wasm → host → wasm) keep it.
///
/// # Safety
/// `funcref` must be live, `trampoline` must match its signature, `values` must hold
/// `max(params, results)` slots, and `store_ctx` must be the store of the callee.
pub unsafe fn invoke(
    store_ctx: *mut VMStoreContext,
    trampoline: EntryTrampoline,
    funcref: *const VMFuncRef,
    caller_vmctx: *mut VMContext,
    values: *mut ValRaw,
    max_wasm_stack: usize,
) -> Result<(), Trapped> {
    // SAFETY: the caller guarantees `store_ctx` is live.
    let ctx = unsafe { &*store_ctx };
    let previous = ctx.stack_limit.load(Ordering::Relaxed);
    if previous == usize::MAX {
        let limit = approximate_stack_pointer().saturating_sub(max_wasm_stack);
        ctx.stack_limit.store(limit, Ordering::Relaxed);
    }
    // SAFETY: the caller guarantees the funcref and the trampoline's signature.
    let result = catch_traps(|| unsafe {
        let f = &*funcref;
        let caller = if caller_vmctx.is_null() {
            f.vmctx
        } else {
            caller_vmctx
        };
        trampoline(f.code, f.vmctx, caller, values)
    });
    ctx.stack_limit.store(previous, Ordering::Relaxed);
    result
}
