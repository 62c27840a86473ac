//! Instantiation: import checking, creation of the module's own memories and tables,
//! segment initialisation and the start function.

use crate::specialize::BoundImport;
use crate::{Error, Extern, Func, Global, Memory, Module, Result, Store, Table, Val};
use stagec_frontend::{EntityType, Export, ExternKind, Limits};
use stagec_runtime::vm::VMFuncImport;
use stagec_runtime::{InstanceConfig, InstanceImports};
use std::ptr::NonNull;

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
        Self::new_with(store, module, imports, true)
    }

    /// [`Instance::new`]; without `run_start`, the start function is not called (a
    /// compile-time instance whose state after its start function is restored from a
    /// snapshot instead).
    pub(crate) fn new_with(
        store: &mut Store,
        module: &Module,
        imports: &[Extern],
        run_start: bool,
    ) -> Result<Instance> {
        let info = module.inner.info.clone();
        let required = &module.inner.required_stores;
        if !required.is_empty() && !required.contains(&store.id) {
            return Err(Error::Usage(
                "this module was compiled against objects of another store; instantiate it there"
                    .into(),
            ));
        }
        let expected = module.inner.bound.iter().filter(|b| b.is_none()).count();
        if imports.len() != expected {
            return Err(Error::Usage(format!(
                "module has {expected} imports, {} were given",
                imports.len()
            )));
        }
        let mut resolved = InstanceImports::default();
        let mut given = imports.iter();
        for (import, bound) in info.imports.iter().zip(&module.inner.bound) {
            if let Some(bound) = bound {
                match *bound {
                    BoundImport::Func(f) => resolved.funcs.push(f),
                    BoundImport::Global(g) => resolved.globals.push(g),
                    BoundImport::Memory(m) => resolved.memories.push(m),
                    BoundImport::Table(t) => resolved.tables.push(t),
                }
                continue;
            }
            let ext = given.next().expect("counted above");
            let incompatible = |reason: String| Error::IncompatibleImport {
                module: import.module.clone(),
                name: import.name.clone(),
                reason,
            };
            match (&import.ty, ext) {
                (EntityType::Func(ty), Extern::Func(f)) => {
                    store.check(f.store_id);
                    // SAFETY: the funcref lives as long as the store (checked above).
                    let fr = unsafe { f.funcref.as_ref() };
                    if fr.type_id != module.inner.type_ids[*ty as usize] {
                        return Err(incompatible(format!(
                            "expected {}, found {}",
                            info.types[*ty as usize],
                            store.engine.signature(fr.type_id)
                        )));
                    }
                    resolved.funcs.push(VMFuncImport {
                        code: fr.code,
                        vmctx: fr.vmctx,
                    });
                }
                (EntityType::Global(ty), Extern::Global(g)) => {
                    store.check(g.store_id);
                    if g.ty != *ty {
                        return Err(incompatible(format!(
                            "expected {}{}, found {}{}",
                            if ty.mutable { "mut " } else { "" },
                            ty.ty,
                            if g.ty.mutable { "mut " } else { "" },
                            g.ty.ty
                        )));
                    }
                    resolved.globals.push(g.ptr.as_ptr());
                }
                (EntityType::Memory(ty), Extern::Memory(m)) => {
                    let actual = m.ty(store).limits;
                    check_limits(&ty.limits, &actual).map_err(incompatible)?;
                    resolved.memories.push(m.ptr.as_ptr());
                }
                (EntityType::Table(ty), Extern::Table(t)) => {
                    let actual = t.ty(store);
                    if actual.element != ty.element {
                        return Err(incompatible(format!(
                            "expected a table of {}, found {}",
                            ty.element, actual.element
                        )));
                    }
                    check_limits(&ty.limits, &actual.limits).map_err(incompatible)?;
                    resolved.tables.push(t.ptr.as_ptr());
                }
                (expected, _) => {
                    return Err(incompatible(format!(
                        "expected a {}, found a {}",
                        expected.kind(),
                        extern_kind(ext)
                    )));
                }
            }
        }
        let mut defined_memories = Vec::new();
        let image = module.memory_image();
        for ty in &info.memories[info.num_imported_memories as usize..] {
            defined_memories.push(Memory::new_from(store, *ty, image)?.ptr.as_ptr());
        }
        let mut defined_tables = Vec::new();
        for ty in &info.tables[info.num_imported_tables as usize..] {
            let null = Val::default_for(ty.element);
            defined_tables.push(Table::new(store, *ty, null)?.ptr.as_ptr());
        }
        let config = InstanceConfig {
            module: info.clone(),
            code: module.inner.code.clone(),
            type_ids: module.inner.type_ids.clone(),
            imports: resolved,
            defined_memories,
            defined_tables,
            store_ctx: store.ctx_ptr(),
            memory_image_applied: image.is_some(),
            _marker: std::marker::PhantomData,
        };
        // SAFETY: every pointer in `config` is owned by `store`, which also owns the
        // instance, so they live exactly as long.
        let runtime_instance = unsafe { stagec_runtime::Instance::new(config) };
        store.instances.push(runtime_instance);
        store.modules.push(module.clone());
        let index = store.instances.len() - 1;
        let instance = Instance {
            store_id: store.id,
            index,
        };
        store.instances[index].initialize()?;
        if let Some(start) = info.start.filter(|_| run_start) {
            let funcref = store.instances[index].funcref(start);
            let func = Func {
                store_id: store.id,
                funcref: NonNull::new(funcref as *mut _).expect("funcref"),
            };
            func.call(store, &[], &mut [])?;
        }
        Ok(instance)
    }

    /// Index in `store.modules` of this instance's module (pushed with the instance).
    pub(crate) fn module_index(&self, store: &Store) -> usize {
        store.check(self.store_id);
        self.index
    }

    /// The runtime instance behind this handle.
    pub(crate) fn runtime<'a>(&self, store: &'a Store) -> &'a stagec_runtime::Instance {
        store.check(self.store_id);
        &store.instances[self.index]
    }

    /// The export `name`, if any.
    pub fn get_export(&self, store: &Store, name: &str) -> Option<Extern> {
        store.check(self.store_id);
        let instance = &store.instances[self.index];
        let export = instance.module().export(name)?;
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
}

/// The handle of export `export` of a runtime instance.
pub(crate) fn extern_of(
    store_id: u64,
    instance: &stagec_runtime::Instance,
    export: &Export,
) -> Extern {
    let module = instance.module();
    match export.kind {
        ExternKind::Func => Extern::Func(Func {
            store_id,
            funcref: NonNull::new(instance.funcref(export.index) as *mut _).expect("funcref"),
        }),
        ExternKind::Global => Extern::Global(Global {
            store_id,
            ptr: NonNull::new(instance.global(export.index)).expect("global"),
            ty: module.globals[export.index as usize],
        }),
        ExternKind::Memory => Extern::Memory(Memory {
            store_id,
            ptr: NonNull::new(instance.memory(export.index)).expect("memory"),
        }),
        ExternKind::Table => Extern::Table(Table {
            store_id,
            ptr: NonNull::new(instance.table(export.index)).expect("table"),
        }),
    }
}

pub(crate) fn check_limits(expected: &Limits, actual: &Limits) -> std::result::Result<(), String> {
    if actual.min < expected.min {
        return Err(format!(
            "minimum size {} is smaller than the required {}",
            actual.min, expected.min
        ));
    }
    if let Some(max) = expected.max {
        match actual.max {
            None => return Err(format!("no maximum size, but at most {max} is required")),
            Some(am) if am > max => {
                return Err(format!("maximum size {am} exceeds the required {max}"));
            }
            _ => {}
        }
    }
    Ok(())
}

fn extern_kind(e: &Extern) -> ExternKind {
    match e {
        Extern::Func(_) => ExternKind::Func,
        Extern::Table(_) => ExternKind::Table,
        Extern::Memory(_) => ExternKind::Memory,
        Extern::Global(_) => ExternKind::Global,
    }
}
