//! Functions: calling wasm from the host, and host functions callable from wasm.

use crate::error::{Result, Trap, UsageError, ValueRole};
use crate::handles::{Extern, Func, extern_of};
use crate::store::Store;
use crate::values::{Val, check_vals};
use stagec_frontend::FuncType;
use stagec_runtime::vm::{VMContext, VMFuncRef, VMHostFuncContext, ValRaw};
use stagec_runtime::{TrapReason, set_pending_trap};
use std::ptr::NonNull;

/// The closure type of host functions.
pub type HostFn = dyn Fn(&mut Caller<'_>, &[Val], &mut [Val]) -> Result<()> + Send + Sync;

/// What a host function sees of its caller.
pub struct Caller<'a> {
    pub(crate) store_id: u64,
    pub(crate) vmctx: *mut VMContext,
    pub(crate) _marker: std::marker::PhantomData<&'a ()>,
}

impl Caller<'_> {
    /// An export of the calling instance (e.g. its memory), if the caller is wasm code.
    pub fn get_export(&self, name: &str) -> Option<Extern> {
        if self.vmctx.is_null() {
            return None;
        }
        // SAFETY: a non-null caller vmctx is the live context of the calling instance.
        let instance = unsafe { stagec_runtime::Instance::from_vmctx(self.vmctx) };
        let export = instance.module().export(name)?;
        Some(extern_of(self.store_id, instance, export))
    }
}

/// A host function's state, owned by its store.
pub(crate) struct HostFunc {
    ctx: VMHostFuncContext,
    funcref: VMFuncRef,
    ty: FuncType,
    store_id: u64,
    callback: Box<HostFn>,
}

impl Func {
    /// Creates a host function of type `ty`.
    pub fn new(
        store: &mut Store,
        ty: FuncType,
        f: impl Fn(&mut Caller<'_>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<Func> {
        let id = store.engine.signature_id(&ty);
        let code = store.engine.signature_code(id)?;
        let mut host = Box::new(HostFunc {
            ctx: VMHostFuncContext {
                callback: host_callback,
                data: std::ptr::null_mut(),
            },
            funcref: VMFuncRef {
                code: code.host_adapter(),
                vmctx: std::ptr::null_mut(),
                type_id: id,
            },
            ty,
            store_id: store.id,
            callback: Box::new(f),
        });
        host.ctx.data = &mut *host as *mut HostFunc as *mut ();
        host.funcref.vmctx = &mut host.ctx as *mut VMHostFuncContext as *mut VMContext;
        let funcref = NonNull::from(&host.funcref);
        store.host_funcs.push(host);
        Ok(Func {
            store_id: store.id,
            funcref,
        })
    }

    /// The function's signature.
    pub fn ty(&self, store: &Store) -> FuncType {
        store.engine.signature(self.funcref(store).type_id)
    }

    /// Calls the function with `params`, writing `results`.
    pub fn call(&self, store: &mut Store, params: &[Val], results: &mut [Val]) -> Result<()> {
        let type_id = self.funcref(store).type_id;
        let ty = store.engine.signature(type_id);
        check_vals(ValueRole::Argument, &ty.params, params, Some(store.id))?;
        if results.len() != ty.results.len() {
            return Err(UsageError::ResultCount {
                expected: ty.results.len(),
                given: results.len(),
            }
            .into());
        }
        let mut values: Vec<ValRaw> = params.iter().map(|v| v.to_raw()).collect();
        values.resize(
            ty.params.len().max(ty.results.len()).max(1),
            ValRaw::default(),
        );
        let code = store.engine.signature_code(type_id)?;
        let max_stack = store.engine.config().max_wasm_stack;
        let _deadline = store.begin_call()?;
        // SAFETY: the funcref belongs to this store (checked), the trampoline matches its
        // signature, and `values` has room for params and results.
        unsafe {
            stagec_runtime::invoke(
                store.ctx_ptr(),
                code.trampoline(),
                self.funcref.as_ptr(),
                std::ptr::null_mut(),
                values.as_mut_ptr(),
                max_stack,
            )
        }
        .map_err(Trap::new)?;
        for ((slot, raw), ty) in results.iter_mut().zip(&values).zip(ty.results.iter()) {
            // SAFETY: results of a function of this store.
            *slot = unsafe { Val::from_raw(store.id, *raw, *ty) };
        }
        Ok(())
    }
}

/// The one entry point of every host function (see `VMHostFuncContext`).
unsafe extern "C" fn host_callback(
    ctx: *mut VMHostFuncContext,
    caller_vmctx: *mut VMContext,
    values: *mut ValRaw,
    capacity: usize,
) -> u32 {
    // SAFETY: `data` was set to the owning HostFunc, alive as long as its store.
    let host = unsafe { &*((*ctx).data as *const HostFunc) };
    // SAFETY: the adapter passes a buffer of `capacity` slots.
    let values = unsafe { std::slice::from_raw_parts_mut(values, capacity) };
    let params: Vec<Val> = host
        .ty
        .params
        .iter()
        .zip(values.iter())
        // SAFETY: wasm passes values of the declared types, funcrefs of the same store.
        .map(|(t, raw)| unsafe { Val::from_raw(host.store_id, *raw, *t) })
        .collect();
    let mut results: Vec<Val> = host
        .ty
        .results
        .iter()
        .map(|t| Val::default_for(*t))
        .collect();
    // Called straight from the host, the "caller" is the host context itself.
    let is_host_entry = caller_vmctx == ctx as *mut VMContext;
    let mut caller = Caller {
        store_id: host.store_id,
        vmctx: if is_host_entry {
            std::ptr::null_mut()
        } else {
            caller_vmctx
        },
        _marker: std::marker::PhantomData,
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        (host.callback)(&mut caller, &params, &mut results)?;
        check_vals(
            ValueRole::Result,
            &host.ty.results,
            &results,
            Some(host.store_id),
        )
    }));
    let error: Box<dyn std::error::Error + Send + Sync> = match outcome {
        Ok(Ok(())) => {
            for (slot, v) in values.iter_mut().zip(results) {
                *slot = v.to_raw();
            }
            return 0;
        }
        Ok(Err(e)) => Box::new(e),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            format!("host function panicked: {msg}").into()
        }
    };
    set_pending_trap(TrapReason::Host(error));
    1
}
