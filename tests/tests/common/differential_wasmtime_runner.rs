//! Running a module on wasmtime 48: part of the differential harness (`differential.rs`).

#![allow(dead_code)]

use super::*;
// ---------------------------------------------------------------------------------------
// wasmtime
// ---------------------------------------------------------------------------------------

/// wasmtime configured like stagec: same stack budget, no NaN canonicalization, relaxed
/// SIMD with the deterministic results stagec gives.
pub fn wasmtime_engine() -> wasmtime::Engine {
    let mut config = wasmtime::Config::new();
    config.max_wasm_stack(MAX_WASM_STACK);
    config.cranelift_nan_canonicalization(false);
    config.wasm_memory64(true);
    config.wasm_multi_memory(true);
    config.wasm_extended_const(true);
    config.wasm_relaxed_simd(true);
    config.relaxed_simd_deterministic(true);
    wasmtime::Engine::new(&config).expect("wasmtime engine")
}

fn wt_ty(t: Ty) -> wasmtime::ValType {
    match t {
        Ty::I32 => wasmtime::ValType::I32,
        Ty::I64 => wasmtime::ValType::I64,
        Ty::F32 => wasmtime::ValType::F32,
        Ty::F64 => wasmtime::ValType::F64,
        Ty::V128 => wasmtime::ValType::V128,
        Ty::FuncRef => wasmtime::ValType::FUNCREF,
        Ty::ExternRef => wasmtime::ValType::EXTERNREF,
    }
}

fn wt_val(store: impl wasmtime::AsContextMut, v: V) -> wasmtime::Val {
    match v {
        V::I32(x) => wasmtime::Val::I32(x),
        V::I64(x) => wasmtime::Val::I64(x),
        V::F32(x) => wasmtime::Val::F32(x),
        V::F64(x) => wasmtime::Val::F64(x),
        V::V128(x) => wasmtime::Val::V128(x.into()),
        V::FuncRef(_) => wasmtime::Val::FuncRef(None),
        V::ExternRef(None) => wasmtime::Val::ExternRef(None),
        V::ExternRef(Some(p)) => wasmtime::Val::ExternRef(Some(
            wasmtime::ExternRef::new(store, p).expect("wasmtime externref"),
        )),
    }
}

fn from_wt<C: wasmtime::AsContext>(ctx: &C, v: &wasmtime::Val) -> V {
    match v {
        wasmtime::Val::I32(x) => V::I32(*x),
        wasmtime::Val::I64(x) => V::I64(*x),
        wasmtime::Val::F32(x) => V::F32(*x),
        wasmtime::Val::F64(x) => V::F64(*x),
        wasmtime::Val::V128(x) => V::V128(x.as_u128()),
        wasmtime::Val::FuncRef(f) => V::FuncRef(f.is_some()),
        wasmtime::Val::ExternRef(r) => V::ExternRef(r.as_ref().map(|r| wt_payload(ctx, r))),
        other => panic!("unexpected wasmtime value {other:?}"),
    }
}

fn wt_outcome(e: &wasmtime::Error) -> Outcome {
    use wasmtime::Trap;
    match e.downcast_ref::<Trap>() {
        Some(t) => Outcome::Trap(match t {
            Trap::StackOverflow => TrapClass::StackOverflow,
            Trap::MemoryOutOfBounds => TrapClass::MemoryOutOfBounds,
            Trap::TableOutOfBounds => TrapClass::TableOutOfBounds,
            Trap::IndirectCallToNull => TrapClass::IndirectCallToNull,
            Trap::BadSignature => TrapClass::BadSignature,
            Trap::IntegerOverflow => TrapClass::IntegerOverflow,
            Trap::IntegerDivisionByZero => TrapClass::IntegerDivisionByZero,
            Trap::BadConversionToInteger => TrapClass::BadConversionToInteger,
            Trap::UnreachableCodeReached => TrapClass::Unreachable,
            other => return Outcome::Error(format!("wasmtime trap {other:?}")),
        }),
        None => Outcome::Error(format!("{e:#}")),
    }
}

/// Runs `module` on wasmtime according to `plan`.
pub fn run_wasmtime(engine: &wasmtime::Engine, module: &wasmtime::Module, plan: &Plan) -> Run {
    let mut store = wasmtime::Store::new(engine, ());
    let trace = Arc::new(Mutex::new(Trace::default()));
    let mut imports: Vec<wasmtime::Extern> = Vec::new();
    for (index, (_, _, p)) in plan.imports.iter().enumerate() {
        let ext: wasmtime::Extern = match p {
            ImportPlan::Func { params, results } => {
                let ty = wasmtime::FuncType::new(
                    engine,
                    params.iter().map(|t| wt_ty(*t)),
                    results.iter().map(|t| wt_ty(*t)),
                );
                let trace = trace.clone();
                let result_tys = results.clone();
                wasmtime::Func::new(&mut store, ty, move |mut caller, args, out| {
                    let args: Vec<V> = args.iter().map(|a| from_wt(&caller, a)).collect();
                    for (slot, v) in
                        out.iter_mut()
                            .zip(host_call(&trace, index, &args, &result_tys))
                    {
                        *slot = wt_val(&mut caller, v);
                    }
                    Ok(())
                })
                .into()
            }
            ImportPlan::Global { ty, mutable, value } => {
                let gt = wasmtime::GlobalType::new(
                    wt_ty(*ty),
                    if *mutable {
                        wasmtime::Mutability::Var
                    } else {
                        wasmtime::Mutability::Const
                    },
                );
                let v = wt_val(&mut store, *value);
                wasmtime::Global::new(&mut store, gt, v)
                    .expect("wasmtime global")
                    .into()
            }
            ImportPlan::Memory { min, max, is_64 } => wasmtime::Memory::new(
                &mut store,
                if *is_64 {
                    wasmtime::MemoryType::new64(*min, *max)
                } else {
                    wasmtime::MemoryType::new(*min as u32, max.map(|m| m as u32))
                },
            )
            .expect("wasmtime memory")
            .into(),
            ImportPlan::Table {
                elem,
                is_64,
                min,
                max,
            } => {
                let (rt, init) = if *elem == Ty::FuncRef {
                    (wasmtime::RefType::FUNCREF, wasmtime::Ref::Func(None))
                } else {
                    (wasmtime::RefType::EXTERNREF, wasmtime::Ref::Extern(None))
                };
                wasmtime::Table::new(
                    &mut store,
                    if *is_64 {
                        wasmtime::TableType::new64(rt, *min, *max)
                    } else {
                        wasmtime::TableType::new(rt, *min as u32, max.map(|m| m as u32))
                    },
                    init,
                )
                .expect("wasmtime table")
                .into()
            }
        };
        imports.push(ext);
    }
    let mut run = Run {
        instantiate: Outcome::Ok(Vec::new()),
        calls: Vec::new(),
        state: State::default(),
    };
    let instance = match wasmtime::Instance::new(&mut store, module, &imports) {
        Ok(i) => Some(i),
        Err(e) => {
            run.instantiate = wt_outcome(&e);
            None
        }
    };
    if let Some(instance) = instance {
        for (name, args) in &plan.calls {
            let func = instance.get_func(&mut store, name).expect("exported func");
            let ty = func.ty(&store);
            let args: Vec<wasmtime::Val> = args.iter().map(|v| wt_val(&mut store, *v)).collect();
            let mut results: Vec<wasmtime::Val> = ty
                .results()
                .map(|t| wasmtime::Val::default_for_ty(&t).expect("defaultable"))
                .collect();
            let outcome = match func.call(&mut store, &args, &mut results) {
                Ok(()) => Outcome::Ok(results.iter().map(|r| from_wt(&store, r)).collect()),
                Err(e) => wt_outcome(&e),
            };
            let stop = outcome.overflowed();
            run.calls.push(outcome);
            if stop {
                break;
            }
        }
    }
    // Final state: imported objects first, then exports.
    let state = &mut run.state;
    for (index, ext) in imports.iter().enumerate() {
        let what = format!("import #{index}");
        match ext {
            wasmtime::Extern::Memory(m) => state.memories.push((what, m.data(&store).to_vec())),
            wasmtime::Extern::Global(g) => {
                let v = g.get(&mut store);
                state.globals.push((what, from_wt(&store, &v)))
            }
            wasmtime::Extern::Table(t) => {
                let elems = wt_table(&mut store, t);
                state.tables.push((what, elems))
            }
            _ => {}
        }
    }
    if let Some(instance) = instance {
        for name in &plan.memories {
            let m = instance.get_memory(&mut store, name).expect("memory");
            state
                .memories
                .push((format!("export {name:?}"), m.data(&store).to_vec()));
        }
        for name in &plan.globals {
            let g = instance.get_global(&mut store, name).expect("global");
            let v = g.get(&mut store);
            state
                .globals
                .push((format!("export {name:?}"), from_wt(&store, &v)));
        }
        for name in &plan.tables {
            let t = instance.get_table(&mut store, name).expect("table");
            let elems = wt_table(&mut store, &t);
            state.tables.push((format!("export {name:?}"), elems));
        }
    }
    let t = trace.lock().unwrap_or_else(|e| e.into_inner());
    state.host_calls = (t.count, t.hash);
    drop(t);
    run
}

fn wt_table(store: &mut wasmtime::Store<()>, t: &wasmtime::Table) -> Vec<V> {
    let size = t.size(&*store);
    (0..size)
        .map(|i| match t.get(&mut *store, i).expect("in bounds") {
            wasmtime::Ref::Func(f) => V::FuncRef(f.is_some()),
            wasmtime::Ref::Extern(r) => V::ExternRef(r.as_ref().map(|r| wt_payload(&*store, r))),
            other => panic!("unexpected table element {other:?}"),
        })
        .collect()
}

/// The payload of an externref made by `wt_val`.
fn wt_payload<C: wasmtime::AsContext>(ctx: &C, r: &wasmtime::Rooted<wasmtime::ExternRef>) -> u64 {
    *r.data(ctx)
        .expect("live externref")
        .and_then(|d| d.downcast_ref::<u64>())
        .expect("externrefs carry u64 payloads")
}
