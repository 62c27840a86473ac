//! stagec: an instance with an export to call, and builds of a [`Plan`] specialized on
//! its bindings or with the same bindings as runtime imports.

use super::Runner;
use crate::plan::{Bound, ModuleSpec, Plan, Value};
use anyhow::{Context, Result, bail};
use stagec::{
    CompileOptions, Config, Engine, Func, Instance, Linker, Module, Preimports, Provider, Store,
    Val, ValType,
};

/// A stagec instance (its store) and one of its exports, whose parameters are all i32
/// and whose one result is an i32 or an i64; checked when the runner is made.
pub struct StagecRunner {
    store: Store,
    func: Func,
    export: String,
    params: Vec<Val>,
    results: [Val; 1],
}

impl StagecRunner {
    /// Instantiates `module` in `store` through `linker`; the runner calls `export`.
    pub fn new(mut store: Store, module: &Module, linker: &Linker, export: &str) -> Result<Self> {
        let instance = linker.instantiate(&mut store, module)?;
        Self::from_instance(store, instance, export)
    }

    /// The runner of export `export` of `instance`, which lives in `store`.
    pub fn from_instance(store: Store, instance: Instance, export: &str) -> Result<Self> {
        let func = instance
            .get_func(&store, export)
            .with_context(|| format!("the module exports no function `{export}`"))?;
        let ty = func.ty(&store);
        let result = match *ty.results {
            [r @ (ValType::I32 | ValType::I64)] if ty.params.iter().all(|&p| p == ValType::I32) => {
                r
            }
            _ => {
                bail!("`{export}` has type {ty}, expected i32 parameters and one i32 or i64 result")
            }
        };
        Ok(StagecRunner {
            params: vec![Val::I32(0); ty.params.len()],
            results: [Val::default_for(result)],
            store,
            func,
            export: export.to_string(),
        })
    }
}

impl Runner for StagecRunner {
    fn call(&mut self, args: &[i32]) -> Result<i64> {
        if args.len() != self.params.len() {
            bail!(arity_error(&self.export, self.params.len(), args.len()));
        }
        for (param, &arg) in self.params.iter_mut().zip(args) {
            *param = Val::I32(arg);
        }
        self.func
            .call(&mut self.store, &self.params, &mut self.results)?;
        match self.results[0] {
            Val::I64(v) => Ok(v),
            Val::I32(v) => Ok(i64::from(v)),
            other => bail!("`{}` returned {other:?}", self.export),
        }
    }
}

/// The error of a call with the wrong number of arguments (shared with wasmtime's runner).
pub(super) fn arity_error(export: &str, params: usize, given: usize) -> String {
    let s = if params == 1 { "" } else { "s" };
    format!("`{export}` takes {params} argument{s}, given {given}")
}

/// A stagec engine in its default configuration.
pub fn engine() -> Result<Engine> {
    Ok(Engine::new(Config::default())?)
}

fn val(value: Value) -> Val {
    match value {
        Value::I32(v) => Val::I32(v),
        Value::I64(v) => Val::I64(v),
        Value::F32(v) => Val::F32(v),
        Value::F64(v) => Val::F64(v),
    }
}

/// The preimport set binding `spec`'s imports, to exports of `providers` (the plan's,
/// made by [`providers`]).
pub fn preimports(spec: &ModuleSpec, providers: &[Provider]) -> Preimports {
    let mut pre = Preimports::new();
    for import in &spec.imports {
        match &import.bound {
            Bound::Value(v) => pre.value(&import.module, &import.name, val(*v)),
            Bound::Export { provider, export } => {
                pre.export(&import.module, &import.name, &providers[*provider], export)
            }
        };
    }
    pre
}

/// The plan's providers, in order, each specialized on its own bindings.
pub fn providers(engine: &Engine, plan: &Plan) -> Result<Vec<Provider>> {
    let mut providers = Vec::new();
    for spec in &plan.providers {
        let pre = preimports(spec, &providers);
        let provider = Provider::new(engine, &spec.binary, pre)
            .with_context(|| format!("provider {}", spec.path.display()))?;
        providers.push(provider);
    }
    Ok(providers)
}

/// The bindings of the plan's generic module as a preimport set (its providers made).
pub fn bindings(engine: &Engine, plan: &Plan) -> Result<Preimports> {
    Ok(preimports(&plan.main, &providers(engine, plan)?))
}

/// The plan's generic module compiled specialized on its bindings
/// (`Module::with_preimports_options`), instantiated in a new store.
pub fn specialized(
    engine: &Engine,
    plan: &Plan,
    options: &CompileOptions,
    export: &str,
) -> Result<StagecRunner> {
    let pre = bindings(engine, plan)?;
    let module = Module::with_preimports_options(engine, &plan.main.binary, &pre, options)?;
    StagecRunner::new(Store::new(engine), &module, &Linker::new(), export)
}

/// The plan's generic module compiled generically (`Module::new`) and instantiated with
/// the same bindings as runtime imports (`Preimports::link`).
pub fn indirection(engine: &Engine, plan: &Plan, export: &str) -> Result<StagecRunner> {
    let pre = bindings(engine, plan)?;
    let module = Module::new(engine, &plan.main.binary)?;
    let mut store = Store::new(engine);
    let mut linker = Linker::new();
    pre.link(&mut store, &mut linker)?;
    StagecRunner::new(store, &module, &linker, export)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runner(wat: &str) -> Result<StagecRunner> {
        let engine = engine()?;
        let module = Module::new(&engine, wat)?;
        StagecRunner::new(Store::new(&engine), &module, &Linker::new(), "f")
    }

    #[test]
    fn results_are_widened_and_types_checked() {
        let mut i32_result = runner(
            r#"(module (func (export "f") (param i32 i32) (result i32)
                 (i32.sub (local.get 0) (local.get 1))))"#,
        )
        .unwrap();
        assert_eq!(i32_result.call(&[1, 3]).unwrap(), -2);
        let err = i32_result.call(&[1]).unwrap_err().to_string();
        assert_eq!(err, "`f` takes 2 arguments, given 1");
        let mut nullary =
            runner(r#"(module (func (export "f") (result i64) (i64.const -5000000000)))"#).unwrap();
        assert_eq!(nullary.call(&[]).unwrap(), -5_000_000_000);
        for wrong in [
            r#"(module (func (export "f") (result f64) (f64.const 1)))"#,
            r#"(module (func (export "f") (param i64) (result i64) (local.get 0)))"#,
            r#"(module (func (export "f")))"#,
            r#"(module (func (export "g") (result i32) (i32.const 1)))"#,
        ] {
            assert!(runner(wrong).is_err(), "{wrong}");
        }
    }
}
