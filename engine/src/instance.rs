//! Instances of modules in a store, their exports, and extension stages appended to them.

use crate::compiled::CompiledModule;
use crate::error::{Error, ImportName, Result, StagedError};
use crate::handles::{Extern, Func, Global, Memory, Table, extern_of};
use crate::instantiate::instantiate;
use crate::module::{Module, with_live_stores};
use crate::preimports::{Preimport, Preimports};
use crate::specialize::{compile_time_store, stage_instance};
use crate::store::Store;
use crate::text::to_binary;
use std::sync::Arc;

/// An instance of a module in a store.
#[derive(Clone, Copy, Debug)]
pub struct Instance {
    store_id: u64,
    index: usize,
}

impl Instance {
    /// Instantiates `module` with `imports` given in the module's import order.
    ///
    /// If initialisation or the start function traps, the error is returned; as the spec
    /// requires, writes already made to imported tables and memories stay, and functions
    /// stored into imported tables stay callable.
    pub fn new(store: &mut Store, module: &Module, imports: &[Extern]) -> Result<Instance> {
        let index = instantiate(store, module.compiled(), imports, true)?;
        Ok(Instance {
            store_id: store.id,
            index,
        })
    }

    /// The compiled module of this instance (kept in the store with it).
    fn module<'a>(&self, store: &'a Store) -> &'a Arc<CompiledModule> {
        store.check(self.store_id);
        &store.modules[self.index]
    }

    /// The export `name`, if any.
    pub fn get_export(&self, store: &Store, name: &str) -> Option<Extern> {
        store.check(self.store_id);
        let instance = &store.instances[self.index];
        let export = instance.module().export(name)?;
        Some(extern_of(store.id, instance, export))
    }

    /// The export at position `index` of the module's exports (in declaration order, as
    /// [`Module::export_index`] finds it): no name lookup, for callers that resolved the
    /// name once (a component's wiring).
    pub fn export_at(&self, store: &Store, index: usize) -> Option<Extern> {
        store.check(self.store_id);
        let instance = &store.instances[self.index];
        let export = instance.module().exports.get(index)?;
        Some(extern_of(store.id, instance, export))
    }

    /// The exported function `name`.
    pub fn get_func(&self, store: &Store, name: &str) -> Option<Func> {
        self.get_export(store, name)?.into_func()
    }

    /// The exported global `name`.
    pub fn get_global(&self, store: &Store, name: &str) -> Option<Global> {
        self.get_export(store, name)?.into_global()
    }

    /// The exported memory `name`.
    pub fn get_memory(&self, store: &Store, name: &str) -> Option<Memory> {
        self.get_export(store, name)?.into_memory()
    }

    /// The exported table `name`.
    pub fn get_table(&self, store: &Store, name: &str) -> Option<Table> {
        self.get_export(store, name)?.into_table()
    }

    /// Every export, in declaration order.
    pub fn exports(&self, store: &Store) -> Vec<(String, Extern)> {
        store.check(self.store_id);
        let instance = &store.instances[self.index];
        instance
            .module()
            .exports
            .iter()
            .map(|e| (e.name.clone(), extern_of(store.id, instance, e)))
            .collect()
    }

    /// Appends an *extension stage* to this live instance: compiles `stage` (a core module,
    /// binary or text; a `single` stage) and instantiates it in `store`.
    ///
    /// An import of the extension whose module name is the name of one of this instance's
    /// stages binds to that stage's export — the `multi` stage (`main` for a core module)
    /// is this instance itself — at compile time: memories, tables and mutable globals at
    /// their fixed addresses, immutable globals as constants, functions through their
    /// import slots. Other imports are bound by `preimports` (which may bind live objects
    /// of `store`). The extension shares this instance's data; its functions can be stored
    /// into this instance's tables (by its element segments or start function) and called
    /// with `call_indirect`. Nothing already compiled is recompiled or re-linked.
    pub fn extend(
        &self,
        store: &mut Store,
        stage: impl AsRef<[u8]>,
        preimports: &Preimports,
    ) -> Result<Instance> {
        let bytes = to_binary(stage.as_ref())?;
        let imports = Module::import_types(&bytes)?;
        let module = self.module(store).clone();
        let mut set = preimports.clone();
        for (m, n, _) in &imports {
            let Some(info) = module.stages.iter().find(|s| s.name == *m) else {
                if preimports.get(m, n).is_none() {
                    return Err(StagedError::ExtensionUnbound(ImportName::new(m, n)).into());
                }
                continue;
            };
            let item = match info.provider {
                None => self.get_export(store, n),
                Some(id) => stage_instance(&module, id).and_then(|(private, index)| {
                    let instance = Instance {
                        store_id: private.id,
                        index,
                    };
                    instance.get_export(private, n)
                }),
            };
            let item = item.ok_or_else(|| StagedError::ExtensionNoExport(ImportName::new(m, n)))?;
            set.bind(m, n, Preimport::Extern(item));
        }
        let stages = compile_time_store(&module);
        let extension = with_live_stores(store, stages, |live| {
            Module::with_live_preimports(live, &bytes, &set)
        })
        .map_err(|e| match e {
            Error::CompilationDenied => e,
            e => StagedError::Extension(e).into(),
        })?;
        Instance::new(store, &extension, &[])
    }
}
