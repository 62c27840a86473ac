//! Running a module on stagec, generic and specialized: part of the differential harness (`differential.rs`).

#![allow(dead_code)]

use super::*;
// ---------------------------------------------------------------------------------------
// stagec
// ---------------------------------------------------------------------------------------

/// stagec with the same stack budget as wasmtime.
pub fn stagec_engine() -> stagec::Engine {
    stagec::Engine::new(stagec::Config::default().with_max_wasm_stack(MAX_WASM_STACK))
        .expect("stagec engine")
}

fn sc_ty(t: Ty) -> stagec::ValType {
    match t {
        Ty::I32 => stagec::ValType::I32,
        Ty::I64 => stagec::ValType::I64,
        Ty::F32 => stagec::ValType::F32,
        Ty::F64 => stagec::ValType::F64,
        Ty::V128 => stagec::ValType::V128,
        Ty::FuncRef => stagec::ValType::FuncRef,
        Ty::ExternRef => stagec::ValType::ExternRef,
    }
}

pub fn sc_val(v: V) -> stagec::Val {
    match v {
        V::I32(x) => stagec::Val::I32(x),
        V::I64(x) => stagec::Val::I64(x),
        V::F32(x) => stagec::Val::F32(x),
        V::F64(x) => stagec::Val::F64(x),
        V::V128(x) => stagec::Val::V128(x),
        V::FuncRef(_) => stagec::Val::FuncRef(None),
        V::ExternRef(r) => stagec::Val::ExternRef(r.map(stagec::ExternRef)),
    }
}

fn from_sc(v: &stagec::Val) -> V {
    match v {
        stagec::Val::I32(x) => V::I32(*x),
        stagec::Val::I64(x) => V::I64(*x),
        stagec::Val::F32(x) => V::F32(*x),
        stagec::Val::F64(x) => V::F64(*x),
        stagec::Val::V128(x) => V::V128(*x),
        stagec::Val::FuncRef(f) => V::FuncRef(f.is_some()),
        stagec::Val::ExternRef(r) => V::ExternRef(r.map(|r| r.0)),
    }
}

fn sc_outcome(e: &stagec::Error) -> Outcome {
    use stagec::TrapKind as K;
    match e.as_trap().and_then(|t| t.kind()) {
        Some(k) => Outcome::Trap(match k {
            K::StackOverflow => TrapClass::StackOverflow,
            K::MemoryOutOfBounds => TrapClass::MemoryOutOfBounds,
            K::TableOutOfBounds | K::UndefinedElement => TrapClass::TableOutOfBounds,
            K::UninitializedElement => TrapClass::IndirectCallToNull,
            K::BadSignature => TrapClass::BadSignature,
            K::IntegerOverflow => TrapClass::IntegerOverflow,
            K::IntegerDivisionByZero => TrapClass::IntegerDivisionByZero,
            K::BadConversionToInteger => TrapClass::BadConversionToInteger,
            K::Unreachable => TrapClass::Unreachable,
            other => return Outcome::Error(format!("stagec trap {other:?}: {e}")),
        }),
        None => Outcome::Error(e.to_string()),
    }
}

/// Runs `bytes` on stagec according to `plan`; `specialize` binds the imports `plan.binds`
/// selects at compile time. `Err` is a compile error.
pub fn run_stagec(
    engine: &stagec::Engine,
    bytes: &[u8],
    plan: &Plan,
    specialize: bool,
) -> Result<Run, String> {
    use stagec::Extern;
    let mut store = stagec::Store::new(engine);
    let trace = Arc::new(Mutex::new(Trace::default()));
    let mut objects: Vec<Extern> = Vec::new();
    for (index, (_, _, p)) in plan.imports.iter().enumerate() {
        let ext: Extern = match p {
            ImportPlan::Func { params, results } => {
                let ty = stagec::FuncType::new(
                    params.iter().map(|t| sc_ty(*t)),
                    results.iter().map(|t| sc_ty(*t)),
                );
                let trace = trace.clone();
                let result_tys = results.clone();
                stagec::Func::new(&mut store, ty, move |_, args, out| {
                    let args: Vec<V> = args.iter().map(from_sc).collect();
                    for (slot, v) in
                        out.iter_mut()
                            .zip(host_call(&trace, index, &args, &result_tys))
                    {
                        *slot = sc_val(v);
                    }
                    Ok(())
                })
                .map_err(|e| format!("host function: {e}"))?
                .into()
            }
            ImportPlan::Global { ty, mutable, value } => stagec::Global::new(
                &mut store,
                stagec::GlobalType {
                    ty: sc_ty(*ty),
                    mutable: *mutable,
                },
                sc_val(*value),
            )
            .map_err(|e| format!("host global: {e}"))?
            .into(),
            ImportPlan::Memory { min, max, is_64 } => stagec::Memory::new(
                &mut store,
                stagec::MemoryType {
                    limits: stagec::Limits {
                        min: *min,
                        max: *max,
                    },
                    index: index_type(*is_64),
                },
            )
            .map_err(|e| format!("host memory: {e}"))?
            .into(),
            ImportPlan::Table {
                elem,
                is_64,
                min,
                max,
            } => stagec::Table::new(
                &mut store,
                stagec::TableType {
                    element: sc_ty(*elem),
                    limits: stagec::Limits {
                        min: *min,
                        max: *max,
                    },
                    index: index_type(*is_64),
                },
                sc_val(if *elem == Ty::FuncRef {
                    V::FuncRef(false)
                } else {
                    V::ExternRef(None)
                }),
            )
            .map_err(|e| format!("host table: {e}"))?
            .into(),
        };
        objects.push(ext);
    }
    let module = if specialize {
        let mut pre = stagec::Preimports::new();
        for (((m, n, p), bind), obj) in plan.imports.iter().zip(&plan.binds).zip(&objects) {
            match (bind, p) {
                (Bind::Runtime, _) => {}
                (Bind::Value, ImportPlan::Global { value, .. }) => {
                    pre.value(m, n, sc_val(*value));
                }
                (Bind::Value, _) => unreachable!("values bind globals only"),
                (Bind::Extern, _) => {
                    pre.bind(m, n, stagec::Preimport::Extern(*obj));
                }
            }
        }
        stagec::Module::with_preimports_in(&mut store, bytes, &pre)
    } else {
        stagec::Module::from_binary(engine, bytes)
    }
    .map_err(|e| format!("compile error: {e}"))?;
    let runtime_imports: Vec<Extern> = objects
        .iter()
        .zip(&plan.binds)
        .filter(|(_, b)| !specialize || **b == Bind::Runtime)
        .map(|(o, _)| *o)
        .collect();
    let mut run = Run {
        instantiate: Outcome::Ok(Vec::new()),
        calls: Vec::new(),
        state: State::default(),
    };
    let instance = match stagec::Instance::new(&mut store, &module, &runtime_imports) {
        Ok(i) => Some(i),
        Err(e) => {
            run.instantiate = sc_outcome(&e);
            None
        }
    };
    if let Some(instance) = instance {
        for (name, args) in &plan.calls {
            let func = instance
                .get_func(&store, name)
                .ok_or_else(|| format!("no exported function {name:?}"))?;
            let ty = func.ty(&store);
            let args: Vec<stagec::Val> = args.iter().map(|v| sc_val(*v)).collect();
            let mut results: Vec<stagec::Val> = ty
                .results
                .iter()
                .map(|t| stagec::Val::default_for(*t))
                .collect();
            let outcome = match func.call(&mut store, &args, &mut results) {
                Ok(()) => Outcome::Ok(results.iter().map(from_sc).collect()),
                Err(e) => sc_outcome(&e),
            };
            let stop = outcome.overflowed();
            run.calls.push(outcome);
            if stop {
                break;
            }
        }
    }
    let state = &mut run.state;
    for (index, ext) in objects.iter().enumerate() {
        let what = format!("import #{index}");
        match ext {
            Extern::Memory(m) => state.memories.push((what, m.data(&store).to_vec())),
            Extern::Global(g) => state.globals.push((what, from_sc(&g.get(&store)))),
            Extern::Table(t) => state.tables.push((what, sc_table(&store, t))),
            Extern::Func(_) => {}
        }
    }
    if let Some(instance) = instance {
        for name in &plan.memories {
            let m = instance
                .get_memory(&store, name)
                .ok_or_else(|| format!("no exported memory {name:?}"))?;
            state
                .memories
                .push((format!("export {name:?}"), m.data(&store).to_vec()));
        }
        for name in &plan.globals {
            let g = instance
                .get_global(&store, name)
                .ok_or_else(|| format!("no exported global {name:?}"))?;
            state
                .globals
                .push((format!("export {name:?}"), from_sc(&g.get(&store))));
        }
        for name in &plan.tables {
            let t = instance
                .get_table(&store, name)
                .ok_or_else(|| format!("no exported table {name:?}"))?;
            state
                .tables
                .push((format!("export {name:?}"), sc_table(&store, &t)));
        }
    }
    let t = trace.lock().unwrap_or_else(|e| e.into_inner());
    state.host_calls = (t.count, t.hash);
    drop(t);
    Ok(run)
}

fn sc_table(store: &stagec::Store, t: &stagec::Table) -> Vec<V> {
    (0..t.size(store))
        .map(|i| from_sc(&t.get(store, i).expect("in bounds")))
        .collect()
}

fn index_type(is_64: bool) -> stagec::IndexType {
    if is_64 {
        stagec::IndexType::I64
    } else {
        stagec::IndexType::I32
    }
}
