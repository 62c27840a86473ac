//! The in-process engines: stagec specialized and with runtime imports, wasmtime on the
//! generic module and on the hand-specialized one, each built from a [`Plan`].

use super::plan::{Bound, ModuleSpec, Plan, Value};
use anyhow::{Context, Result, anyhow, bail};
use std::time::Instant;

/// An instantiated workload, ready to call its exported function.
pub trait Runner {
    /// Calls the workload's function once; returns its result (an i32 sign-extended).
    fn call(&mut self) -> Result<i64>;
}

/// A runner and how long compiling and instantiating it took.
pub struct Built {
    /// The instance.
    pub runner: Box<dyn Runner>,
    /// Compilation plus instantiation, in milliseconds.
    pub compile_ms: f64,
}

/// A function that builds one engine's runner of a plan's module.
pub type Builder = fn(&Plan, &str) -> Result<Built>;

fn timed(build: impl FnOnce() -> Result<Box<dyn Runner>>) -> Result<Built> {
    let start = Instant::now();
    let runner = build()?;
    Ok(Built {
        runner,
        compile_ms: start.elapsed().as_secs_f64() * 1e3,
    })
}

/// stagec, the generic module compiled with its bindings as preimports.
pub fn stagec_specialized(plan: &Plan, invoke: &str) -> Result<Built> {
    timed(|| stagec_side::build(plan, invoke, true))
}

/// stagec, the generic module with the same bindings as runtime imports.
pub fn stagec_indirection(plan: &Plan, invoke: &str) -> Result<Built> {
    timed(|| stagec_side::build(plan, invoke, false))
}

/// wasmtime, the generic module with ordinary imports.
pub fn wasmtime_generic(plan: &Plan, invoke: &str) -> Result<Built> {
    timed(|| wasmtime_side::build(&plan.providers, &plan.main, invoke))
}

/// wasmtime, the hand-specialized module (no imports).
pub fn wasmtime_hand(plan: &Plan, invoke: &str) -> Result<Built> {
    let hand = plan
        .hand
        .as_ref()
        .context("the workload has no hand module")?;
    timed(|| wasmtime_side::build(&[], hand, invoke))
}

mod stagec_side {
    use super::*;
    use stagec::{Engine, Func, Linker, Module, Preimports, Provider, Store, Val};

    struct StagecRunner {
        store: Store,
        func: Func,
        results: Vec<Val>,
    }

    impl Runner for StagecRunner {
        fn call(&mut self) -> Result<i64> {
            self.func.call(&mut self.store, &[], &mut self.results)?;
            match self.results[0] {
                Val::I64(v) => Ok(v),
                Val::I32(v) => Ok(i64::from(v)),
                other => bail!("returned {other:?}, expected an i64 or i32"),
            }
        }
    }

    fn val(value: Value) -> Val {
        match value {
            Value::I32(v) => Val::I32(v),
            Value::I64(v) => Val::I64(v),
            Value::F32(v) => Val::F32(v),
            Value::F64(v) => Val::F64(v),
        }
    }

    /// The preimport set binding `module`'s imports, given the providers made so far.
    fn preimports(module: &ModuleSpec, providers: &[Provider]) -> Preimports {
        let mut pre = Preimports::new();
        for import in &module.imports {
            match &import.bound {
                Bound::Value(v) => pre.value(&import.module, &import.name, val(*v)),
                Bound::Export { provider, export } => {
                    pre.export(&import.module, &import.name, &providers[*provider], export)
                }
            };
        }
        pre
    }

    pub(super) fn build(plan: &Plan, invoke: &str, specialize: bool) -> Result<Box<dyn Runner>> {
        let engine = Engine::new(Default::default())?;
        let mut providers = Vec::new();
        for spec in &plan.providers {
            let pre = preimports(spec, &providers);
            let provider = Provider::new(&engine, &spec.binary, pre)
                .with_context(|| format!("provider {}", spec.path.display()))?;
            providers.push(provider);
        }
        let pre = preimports(&plan.main, &providers);
        let mut store = Store::new(&engine);
        let mut linker = Linker::new();
        let module = if specialize {
            Module::with_preimports(&engine, &plan.main.binary, &pre)?
        } else {
            pre.link(&mut store, &mut linker)?;
            Module::new(&engine, &plan.main.binary)?
        };
        let instance = linker.instantiate(&mut store, &module)?;
        let func = instance
            .get_func(&store, invoke)
            .with_context(|| format!("the module exports no function `{invoke}`"))?;
        let ty = func.ty(&store);
        if !ty.params.is_empty() || ty.results.len() != 1 {
            bail!("`{invoke}` has type {ty}, expected [] -> [i64] or [] -> [i32]");
        }
        let results = vec![Val::default_for(ty.results[0])];
        Ok(Box::new(StagecRunner {
            store,
            func,
            results,
        }))
    }
}

mod wasmtime_side {
    use super::*;
    use wasmtime::{
        Engine, Extern, Global, GlobalType, Instance, Linker, Module, Mutability, Store, TypedFunc,
        Val, ValType,
    };

    enum Typed {
        I64(TypedFunc<(), i64>),
        I32(TypedFunc<(), i32>),
    }

    struct WasmtimeRunner {
        store: Store<()>,
        func: Typed,
    }

    impl Runner for WasmtimeRunner {
        fn call(&mut self) -> Result<i64> {
            match &self.func {
                Typed::I64(f) => wt(f.call(&mut self.store, ())),
                Typed::I32(f) => wt(f.call(&mut self.store, ())).map(i64::from),
            }
        }
    }

    /// wasmtime's errors, as anyhow errors.
    fn wt<T>(r: wasmtime::Result<T>) -> Result<T> {
        r.map_err(|e| anyhow!("{e:?}"))
    }

    /// A linker defining `spec`'s imports: host globals for values, exports of the
    /// provider instances for the rest.
    fn linker(
        engine: &Engine,
        store: &mut Store<()>,
        spec: &ModuleSpec,
        providers: &[Instance],
    ) -> Result<Linker<()>> {
        let mut linker = Linker::new(engine);
        for import in &spec.imports {
            let item: Extern = match &import.bound {
                Bound::Value(v) => {
                    let (ty, val) = match *v {
                        Value::I32(x) => (ValType::I32, Val::I32(x)),
                        Value::I64(x) => (ValType::I64, Val::I64(x)),
                        Value::F32(x) => (ValType::F32, Val::F32(x)),
                        Value::F64(x) => (ValType::F64, Val::F64(x)),
                    };
                    let global = wt(Global::new(
                        &mut *store,
                        GlobalType::new(ty, Mutability::Const),
                        val,
                    ))?;
                    global.into()
                }
                Bound::Export { provider, export } => providers[*provider]
                    .get_export(&mut *store, export)
                    .with_context(|| format!("a provider has no export `{export}`"))?,
            };
            wt(linker.define(&*store, &import.module, &import.name, item))?;
        }
        Ok(linker)
    }

    /// wasmtime's default configuration (Cranelift, opt level speed).
    pub(super) fn build(
        provider_specs: &[ModuleSpec],
        main: &ModuleSpec,
        invoke: &str,
    ) -> Result<Box<dyn Runner>> {
        let engine = wt(Engine::new(&wasmtime::Config::new()))?;
        let mut store = Store::new(&engine, ());
        let mut providers = Vec::new();
        for spec in provider_specs {
            let module = wt(Module::new(&engine, &spec.binary))
                .with_context(|| format!("provider {}", spec.path.display()))?;
            let linker = linker(&engine, &mut store, spec, &providers)?;
            providers.push(wt(linker.instantiate(&mut store, &module))?);
        }
        let module = wt(Module::new(&engine, &main.binary))?;
        let linker = linker(&engine, &mut store, main, &providers)?;
        let instance = wt(linker.instantiate(&mut store, &module))?;
        let func = match instance.get_typed_func::<(), i64>(&mut store, invoke) {
            Ok(f) => Typed::I64(f),
            Err(_) => Typed::I32(
                wt(instance.get_typed_func::<(), i32>(&mut store, invoke))
                    .with_context(|| format!("`{invoke}`: expected [] -> [i64] or [] -> [i32]"))?,
            ),
        };
        Ok(Box::new(WasmtimeRunner { store, func }))
    }
}
