//! Instantiation of a compiled module in a store: import checking, creation of the
//! module's own memories and tables, segment initialisation and the start function.

use crate::compiled::{BoundImport, CompiledModule, KnownCheck};
use crate::error::{
    ImportMismatch, ImportName, IncompatibleImport, LimitsMismatch, Result, Supplier, UsageError,
};
use crate::handles::{Extern, Func, Memory, Table};
use crate::store::Store;
use crate::values::Val;
use stagec_frontend::{EntityType, ExternKind, IndexType, ModuleInfo};
use stagec_runtime::{InstanceConfig, InstanceImports};
use std::ptr::NonNull;
use std::sync::Arc;

/// Instantiates `module` in `store` with `imports` (its runtime imports, in order); returns
/// the index of the new instance in the store. Without `run_start`, the start function is
/// not called (a compile-time instance whose state after its start function is restored
/// from a snapshot instead).
///
/// If initialisation or the start function traps, the error is returned; as the spec
/// requires, writes already made to imported tables and memories stay, and functions
/// stored into imported tables stay callable.
pub(crate) fn instantiate(
    store: &mut Store,
    module: &Arc<CompiledModule>,
    imports: &[Extern],
    run_start: bool,
) -> Result<usize> {
    let info = module.info.clone();
    if module.required_store.is_some_and(|id| id != store.id) {
        return Err(UsageError::OtherStore.into());
    }
    let expected = module.bound.iter().filter(|b| b.is_none()).count();
    if imports.len() != expected {
        return Err(UsageError::ImportCount {
            expected,
            given: imports.len(),
        }
        .into());
    }
    let mut resolved = InstanceImports::default();
    let mut given = imports.iter();
    for (i, (import, bound)) in info.imports.iter().zip(&module.bound).enumerate() {
        let address = match bound {
            Some(bound) => *bound,
            None => {
                let item = given.next().expect("counted above");
                let types = Some(&*module.type_ids);
                check_import(
                    store,
                    &info,
                    &import.ty,
                    item,
                    false,
                    Supplier::Instantiation,
                    types,
                )
                .and_then(|()| match module.known.get(i) {
                    Some(Some(known)) => check_known_code(store, item, known),
                    _ => Ok(()),
                })
                .map_err(|reason| IncompatibleImport {
                    import: ImportName::new(&import.module, &import.name),
                    reason,
                })?;
                item.address(store)
            }
        };
        match address {
            BoundImport::Func(f) => resolved.funcs.push(f),
            BoundImport::Global(g) => resolved.globals.push(g),
            BoundImport::Memory { memory, .. } => resolved.memories.push(memory),
            BoundImport::Table { table, .. } => resolved.tables.push(table),
        }
    }
    let mut defined_memories = Vec::new();
    let images = module.memory_images();
    let mut images_applied = vec![false; info.memories.len()];
    for (m, ty) in info
        .memories
        .iter()
        .enumerate()
        .skip(info.num_imported_memories as usize)
    {
        let image = images[m].as_ref();
        images_applied[m] = image.is_some();
        defined_memories.push(Memory::new_from(store, *ty, image)?.ptr.as_ptr());
    }
    let mut defined_tables = Vec::new();
    for ty in &info.tables[info.num_imported_tables as usize..] {
        let null = Val::default_for(ty.element);
        defined_tables.push(Table::new(store, *ty, null)?.ptr.as_ptr());
    }
    let config = InstanceConfig {
        module: info.clone(),
        code: module.code.clone(),
        type_ids: module.type_ids.clone(),
        imports: resolved,
        defined_memories,
        defined_tables,
        store_ctx: store.ctx_ptr(),
        images_applied,
        _marker: std::marker::PhantomData,
    };
    // SAFETY: every pointer in `config` is owned by `store` (which also owns the
    // instance, so they live exactly as long), by the module's compile-time state (which
    // `store.modules` keeps alive with the instance), or by the store the module is bound
    // to (`required_store`, checked above to be `store`).
    let runtime_instance = unsafe { stagec_runtime::Instance::new(config) };
    store.instances.push(runtime_instance);
    store.modules.push(module.clone());
    let index = store.instances.len() - 1;
    store.instances[index].initialize()?;
    if let Some(start) = info.start.filter(|_| run_start) {
        let funcref = store.instances[index].funcref(start);
        let func = Func {
            store_id: store.id,
            funcref: NonNull::new(funcref as *mut _).expect("funcref"),
        };
        func.call(store, &[], &mut [])?;
    }
    Ok(index)
}

/// Checks that `item`, a function of `store` that fits its import, is the function the
/// import was compiled as known code of: defined function `known.func` of an instance of
/// `store` whose module has the known code's identity. (The copy compiled into the
/// importer reaches that instance's state through the vmctx it is given, so anything else
/// would be memory-unsafe.)
fn check_known_code(
    store: &Store,
    item: &Extern,
    known: &KnownCheck,
) -> std::result::Result<(), ImportMismatch> {
    let mismatch = ImportMismatch::NotKnownCode { func: known.func };
    let Extern::Func(f) = item else {
        return Err(mismatch);
    };
    let funcref = f.funcref(store);
    // The instance whose vmctx the function carries; the latest first, which is the usual
    // supplier (a component instantiates what it wires just before).
    let defining = store
        .instances
        .iter()
        .zip(&store.modules)
        .rev()
        .find(|(instance, _)| instance.vmctx() == funcref.vmctx);
    let Some((instance, module)) = defining else {
        return Err(mismatch);
    };
    let same_code = module.identity == Some(known.identity)
        && module.info.defined_func_index(known.func).is_some()
        // SAFETY: a funcref of a live instance of `store`, which holds it as long as it
        // lives; `known.func` is a function of its module (same identity, same bytes).
        && unsafe { (*instance.funcref(known.func)).code } == funcref.code;
    if same_code { Ok(()) } else { Err(mismatch) }
}

/// Checks that `item`, an object of `store`, fits an import of type `ty` of module `info`
/// (`type_ids`: the module's engine-wide signature ids, when it is compiled already). A
/// `frozen` provider (a `pre` stage) may give a mutable global for an immutable one.
pub(crate) fn check_import(
    store: &Store,
    info: &ModuleInfo,
    ty: &EntityType,
    item: &Extern,
    frozen: bool,
    supplier: Supplier,
    type_ids: Option<&[u32]>,
) -> std::result::Result<(), ImportMismatch> {
    match (ty, item) {
        (EntityType::Func(t), Extern::Func(f)) => {
            let actual = f.funcref(store).type_id;
            let expected = &info.types[*t as usize];
            let expected_id = match type_ids {
                Some(ids) => ids[*t as usize],
                None => store.engine.signature_id(expected),
            };
            if actual != expected_id {
                return Err(ImportMismatch::FuncType {
                    expected: expected.clone(),
                    actual: store.engine.signature(actual),
                    supplier,
                });
            }
        }
        (EntityType::Global(t), Extern::Global(g)) => {
            store.check(g.store_id);
            let freezes = frozen && g.ty.mutable && !t.mutable && g.ty.ty == t.ty;
            if g.ty != *t && !freezes {
                return Err(ImportMismatch::GlobalType {
                    expected: *t,
                    actual: g.ty,
                    supplier,
                });
            }
        }
        (EntityType::Memory(t), Extern::Memory(m)) => {
            let actual = m.ty(store);
            check_index_type(ExternKind::Memory, t.index, actual.index)?;
            LimitsMismatch::check(&t.limits, &actual.limits).map_err(ImportMismatch::Limits)?;
        }
        (EntityType::Table(t), Extern::Table(table)) => {
            let actual = table.ty(store);
            check_index_type(ExternKind::Table, t.index, actual.index)?;
            if actual.element != t.element {
                return Err(ImportMismatch::TableElement {
                    expected: t.element,
                    actual: actual.element,
                    supplier,
                });
            }
            LimitsMismatch::check(&t.limits, &actual.limits).map_err(ImportMismatch::Limits)?;
        }
        (expected, item) => {
            return Err(ImportMismatch::Kind {
                expected: expected.kind(),
                actual: item.kind(),
                supplier,
            });
        }
    }
    Ok(())
}

/// A memory or table of index type `actual` fits an import of index type `expected` only
/// when they are the same (memory64: no subtyping between `i32` and `i64`).
fn check_index_type(
    kind: ExternKind,
    expected: IndexType,
    actual: IndexType,
) -> std::result::Result<(), ImportMismatch> {
    if expected == actual {
        Ok(())
    } else {
        Err(ImportMismatch::IndexType {
            kind,
            expected,
            actual,
        })
    }
}
