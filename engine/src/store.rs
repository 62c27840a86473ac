//! The store: owner of every instance, memory, table, global and host function.
//! Handles ([`crate::Func`], [`crate::Memory`], ...) are plain pointers checked against the
//! store's id; everything they point at lives until the store is dropped. Store ids are
//! never reused, so a handle of a dropped store matches no live store.

use crate::compiled::{CompiledModule, KeepAlive};
use crate::engine::Engine;
use crate::error::{Result, UsageError};
use crate::interrupt::{DeadlineGuard, InterruptHandle};
use stagec_runtime::vm::{VMGlobal, VMStoreContext};
use stagec_runtime::{Instance, Memory, Table};
use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// Owner of all runtime objects of a set of instances that may link to each other.
// Boxes keep every object at a fixed address: compiled code and handles point into them.
#[allow(clippy::vec_box)]
pub struct Store {
    pub(crate) id: u64,
    pub(crate) engine: Engine,
    /// Shared with interrupt handles and the deadline watchdog, which set its interrupt
    /// flag from other threads (every field is atomic).
    pub(crate) ctx: Arc<VMStoreContext>,
    /// Wall-clock time each outermost call may run (see [`Store::set_deadline`]).
    deadline: Option<Duration>,
    pub(crate) instances: Vec<Box<Instance>>,
    pub(crate) memories: Vec<Box<Memory>>,
    pub(crate) tables: Vec<Box<Table>>,
    pub(crate) globals: Vec<Box<VMGlobal>>,
    /// The state of host functions (a `func::HostFunc` each: type-erased, so that the store
    /// sits below the function API that uses it), at fixed addresses.
    pub(crate) host_funcs: Vec<Box<dyn Any>>,
    /// Modules of the instances, kept alive with them (code and compile-time state).
    pub(crate) modules: Vec<Arc<CompiledModule>>,
    /// Compile-time state of modules compiled against this store's objects: their
    /// compile-time code may have stored references to itself in them (a table element,
    /// a funcref global), so it lives as long as the store.
    pub(crate) bound_states: Vec<KeepAlive>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("id", &self.id)
            .field("instances", &self.instances.len())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// An empty store.
    pub fn new(engine: &Engine) -> Store {
        Store {
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            engine: engine.clone(),
            ctx: Arc::new(VMStoreContext::new()),
            deadline: None,
            instances: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            host_funcs: Vec::new(),
            modules: Vec::new(),
            bound_states: Vec::new(),
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub(crate) fn check(&self, id: u64) {
        assert_eq!(
            id, self.id,
            "object used with a store it does not belong to"
        );
    }

    pub(crate) fn ctx_ptr(&mut self) -> *mut VMStoreContext {
        // Compiled code only reads the context, and the runtime writes it through atomics.
        Arc::as_ptr(&self.ctx).cast_mut()
    }

    fn require(&self, enabled: bool, option: &'static str) -> Result<()> {
        if enabled {
            Ok(())
        } else {
            Err(UsageError::NotConfigured { option }.into())
        }
    }

    /// Keeps `state` alive as long as this store (see [`Store::bound_states`]).
    pub(crate) fn keep_alive(&mut self, state: KeepAlive) {
        if !self.bound_states.iter().any(|s| Arc::ptr_eq(s, &state)) {
            self.bound_states.push(state);
        }
    }

    /// A handle that interrupts the code running in this store from any thread (see
    /// [`InterruptHandle`]). The engine must be [`Config::interruptible`].
    ///
    /// [`Config::interruptible`]: crate::Config::interruptible
    pub fn interrupt_handle(&self) -> Result<InterruptHandle> {
        self.require(self.engine.config().interruptible, "interruptible")?;
        Ok(InterruptHandle {
            ctx: self.ctx.clone(),
        })
    }

    /// Limits every outermost call into this store (a [`Func::call`](crate::Func::call),
    /// a start function) to `timeout` of wall-clock time: a call still running then traps
    /// with [`TrapKind::Interrupted`](crate::TrapKind::Interrupted) at its next function
    /// entry or loop header, and the store stays usable. The engine must be
    /// [`Config::interruptible`].
    ///
    /// [`Config::interruptible`]: crate::Config::interruptible
    pub fn set_deadline(&mut self, timeout: Duration) -> Result<()> {
        self.require(self.engine.config().interruptible, "interruptible")?;
        self.deadline = Some(timeout);
        Ok(())
    }

    /// Removes the deadline set by [`Store::set_deadline`].
    pub fn clear_deadline(&mut self) {
        self.deadline = None;
    }

    /// Sets the fuel left to `fuel` units (one unit per executed operator; see
    /// [`Config::consume_fuel`]). Fuel is not refilled between calls: once it runs out,
    /// calls trap with [`TrapKind::OutOfFuel`](crate::TrapKind::OutOfFuel) until it is set
    /// again. A new store has none.
    ///
    /// [`Config::consume_fuel`]: crate::Config::consume_fuel
    pub fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        self.require(self.engine.config().consume_fuel, "consume_fuel")?;
        let fuel = i64::try_from(fuel).unwrap_or(i64::MAX);
        self.ctx.fuel.store(fuel, Ordering::Relaxed);
        Ok(())
    }

    /// The fuel left (see [`Store::set_fuel`]).
    pub fn get_fuel(&self) -> Result<u64> {
        self.require(self.engine.config().consume_fuel, "consume_fuel")?;
        Ok(self.ctx.fuel.load(Ordering::Relaxed).max(0) as u64)
    }

    /// Called before every call into the store's code. For an outermost call (no call
    /// into this store is running), clears the interrupt flag and arms the deadline; the
    /// returned guard disarms it.
    pub(crate) fn begin_call(&mut self) -> Result<Option<DeadlineGuard>> {
        if self.ctx.stack_limit.load(Ordering::Relaxed) != usize::MAX {
            return Ok(None);
        }
        self.ctx.interrupt.store(0, Ordering::Relaxed);
        match self.deadline {
            Some(timeout) => crate::interrupt::arm(&self.ctx, timeout),
            None => Ok(None),
        }
    }
}
