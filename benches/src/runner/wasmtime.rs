//! wasmtime: an instance with an export to call, and builds of a [`Plan`]'s generic
//! module with ordinary imports or of its hand-specialized module.

use super::Runner;
use super::stagec::arity_error;
use crate::plan::{Bound, ModuleSpec, Plan, Value};
use anyhow::{Context, Result, anyhow, bail};
use wasmtime::{
    Engine, Extern, Func, Global, GlobalType, Instance, Linker, Module, Mutability, Store,
    TypedFunc, Val, ValType,
};

/// wasmtime's errors, as anyhow errors (with their whole chain).
pub fn wt<T>(r: wasmtime::Result<T>) -> Result<T> {
    r.map_err(|e| anyhow!("{e:?}"))
}

/// wasmtime's default configuration (Cranelift, opt level speed, no inlining), or with
/// Cranelift's inliner on (`compiler_inlining`) if `inlining`.
pub fn engine(inlining: bool) -> Result<Engine> {
    let mut config = wasmtime::Config::new();
    if inlining {
        config.compiler_inlining(wasmtime::Inlining::Yes);
    }
    wt(Engine::new(&config))
}

/// The export, typed by its signature.
enum Typed {
    Nullary64(TypedFunc<(), i64>),
    Nullary32(TypedFunc<(), i32>),
    Unary64(TypedFunc<i32, i64>),
    Unary32(TypedFunc<i32, i32>),
}

/// A wasmtime instance (its store) and one of its exports, which takes no parameters or
/// one i32 and returns one i32 or i64; called through its typed function.
pub struct WasmtimeRunner {
    store: Store<()>,
    func: Typed,
    export: String,
}

impl WasmtimeRunner {
    /// Instantiates `module` in `store` through `linker`; the runner calls `export`.
    pub fn new(
        mut store: Store<()>,
        module: &Module,
        linker: &Linker<()>,
        export: &str,
    ) -> Result<Self> {
        let instance = wt(linker.instantiate(&mut store, module))?;
        Self::from_instance(store, instance, export)
    }

    /// The runner of export `export` of `instance`, which lives in `store`.
    pub fn from_instance(mut store: Store<()>, instance: Instance, export: &str) -> Result<Self> {
        let func = instance
            .get_func(&mut store, export)
            .with_context(|| format!("the module exports no function `{export}`"))?;
        let typed = typed(&store, func).with_context(|| {
            format!("`{export}`: expected no parameters or one i32, and one i32 or i64 result")
        })?;
        Ok(WasmtimeRunner {
            store,
            func: typed,
            export: export.to_string(),
        })
    }
}

fn typed(store: &Store<()>, func: Func) -> Result<Typed> {
    let ty = func.ty(store);
    let params: Vec<ValType> = ty.params().collect();
    let results: Vec<ValType> = ty.results().collect();
    Ok(match (params.as_slice(), results.as_slice()) {
        ([], [ValType::I64]) => Typed::Nullary64(wt(func.typed(store))?),
        ([], [ValType::I32]) => Typed::Nullary32(wt(func.typed(store))?),
        ([ValType::I32], [ValType::I64]) => Typed::Unary64(wt(func.typed(store))?),
        ([ValType::I32], [ValType::I32]) => Typed::Unary32(wt(func.typed(store))?),
        _ => bail!("it has type {ty}"),
    })
}

impl Runner for WasmtimeRunner {
    fn call(&mut self, args: &[i32]) -> Result<i64> {
        let store = &mut self.store;
        match (&self.func, args) {
            (Typed::Nullary64(f), []) => wt(f.call(store, ())),
            (Typed::Nullary32(f), []) => wt(f.call(store, ())).map(i64::from),
            (Typed::Unary64(f), &[x]) => wt(f.call(store, x)),
            (Typed::Unary32(f), &[x]) => wt(f.call(store, x)).map(i64::from),
            (Typed::Nullary64(_) | Typed::Nullary32(_), _) => {
                bail!(arity_error(&self.export, 0, args.len()))
            }
            (Typed::Unary64(_) | Typed::Unary32(_), _) => {
                bail!(arity_error(&self.export, 1, args.len()))
            }
        }
    }
}

/// A linker defining `spec`'s imports: host globals for values, exports of the provider
/// instances for the rest.
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
                let ty = GlobalType::new(ty, Mutability::Const);
                wt(Global::new(&mut *store, ty, val))?.into()
            }
            Bound::Export { provider, export } => providers[*provider]
                .get_export(&mut *store, export)
                .with_context(|| format!("a provider has no export `{export}`"))?,
        };
        wt(linker.define(&*store, &import.module, &import.name, item))?;
    }
    Ok(linker)
}

/// Instantiates `providers` in order and then `main`, in one new store, each module's
/// imports defined as host globals (constants) and exports of the provider instances;
/// the runner calls `export` of `main`.
pub fn instantiate(
    engine: &Engine,
    providers: &[ModuleSpec],
    main: &ModuleSpec,
    export: &str,
) -> Result<WasmtimeRunner> {
    let mut store = Store::new(engine, ());
    let mut instances = Vec::new();
    for spec in providers {
        let module = wt(Module::new(engine, &spec.binary))
            .with_context(|| format!("provider {}", spec.path.display()))?;
        let linker = linker(engine, &mut store, spec, &instances)?;
        instances.push(wt(linker.instantiate(&mut store, &module))?);
    }
    let module = wt(Module::new(engine, &main.binary))?;
    let linker = linker(engine, &mut store, main, &instances)?;
    WasmtimeRunner::new(store, &module, &linker, export)
}

/// The plan's generic module, its imports defined as host globals and as exports of
/// instances of the providers.
pub fn generic(engine: &Engine, plan: &Plan, export: &str) -> Result<WasmtimeRunner> {
    instantiate(engine, &plan.providers, &plan.main, export)
}

/// The plan's hand-specialized module, which imports nothing.
pub fn hand(engine: &Engine, plan: &Plan, export: &str) -> Result<WasmtimeRunner> {
    let hand = plan.hand.as_ref().context("no hand-specialized module")?;
    instantiate(engine, &[], hand, export)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runner(wat: &str) -> Result<WasmtimeRunner> {
        let main = ModuleSpec::from_text("test", wat)?;
        instantiate(&engine(false)?, &[], &main, "f")
    }

    #[test]
    fn results_are_widened_and_types_checked() {
        let mut unary = runner(
            r#"(module (func (export "f") (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0))))"#,
        )
        .unwrap();
        assert_eq!(unary.call(&[7]).unwrap(), -7);
        assert_eq!(
            unary.call(&[1, 2]).unwrap_err().to_string(),
            "`f` takes 1 argument, given 2"
        );
        let mut nullary =
            runner(r#"(module (func (export "f") (result i64) (i64.const -5000000000)))"#).unwrap();
        assert_eq!(nullary.call(&[]).unwrap(), -5_000_000_000);
        assert!(
            runner(r#"(module (func (export "f") (param i32 i32) (result i32) (local.get 0)))"#)
                .is_err()
        );
        assert!(runner(r#"(module (func (export "f") (result f32) (f32.const 1)))"#).is_err());
        assert!(runner(r#"(module)"#).is_err());
    }
}
