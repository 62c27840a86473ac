//! The store: owner of every instance, memory, table, global and host function.
//! Handles ([`crate::Func`], [`crate::Memory`], ...) are plain pointers checked against the
//! store's id; everything they point at lives until the store is dropped.

use crate::Engine;
use crate::func::HostFunc;
use stagec_runtime::vm::{VMGlobal, VMStoreContext};
use stagec_runtime::{Instance, Memory, Table};
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// Owner of all runtime objects of a set of instances that may link to each other.
// Boxes keep every object at a fixed address: compiled code and handles point into them.
#[allow(clippy::vec_box)]
pub struct Store {
    pub(crate) id: u64,
    pub(crate) engine: Engine,
    pub(crate) ctx: Box<VMStoreContext>,
    pub(crate) instances: Vec<Box<Instance>>,
    pub(crate) memories: Vec<Box<Memory>>,
    pub(crate) tables: Vec<Box<Table>>,
    pub(crate) globals: Vec<Box<VMGlobal>>,
    pub(crate) host_funcs: Vec<Box<HostFunc>>,
    /// Modules of the instances, kept alive with them (code and compile-time state).
    pub(crate) modules: Vec<crate::Module>,
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
            ctx: Box::new(VMStoreContext {
                stack_limit: usize::MAX,
            }),
            instances: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            host_funcs: Vec::new(),
            modules: Vec::new(),
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
        &mut *self.ctx
    }
}
