//! Running a real-code workload ([`super::manifest`]) on stagec (specialized on its
//! bindings, or with them as runtime imports) and on wasmtime (runtime imports).

use super::manifest::{Binding, Workload, binding};
use anyhow::{Context, Result, anyhow, bail};
use stagec::{Engine, EntityType, Func, Linker, Module, Preimports, Provider, Store, Val};
use std::collections::HashMap;

impl Workload {
    /// The generic module's binary.
    pub fn bytes(&self) -> Result<Vec<u8>> {
        std::fs::read(&self.wasm).with_context(|| self.wasm.display().to_string())
    }

    /// The workload's bindings, parsed.
    pub fn bindings(&self) -> Result<Vec<Binding>> {
        self.preimports.iter().map(|s| binding(s)).collect()
    }

    /// The bindings as a stagec preimport set: one [`Provider`] per provider file, so
    /// that every import from one file binds to one instance of it.
    pub fn stagec_preimports(&self, engine: &Engine, bytes: &[u8]) -> Result<Preimports> {
        let types = Module::import_types(bytes)?;
        let mut providers: HashMap<String, Provider> = HashMap::new();
        let mut pre = Preimports::new();
        for b in self.bindings()? {
            match b {
                Binding::Value {
                    module,
                    name,
                    value,
                } => {
                    let ty = global_type(&types, &module, &name)?;
                    let v = match ty {
                        stagec::ValType::I32 => Val::I32(value as i32),
                        stagec::ValType::I64 => Val::I64(value as i64),
                        other => bail!("{module}.{name}: a global of type {other:?}"),
                    };
                    pre.value(&module, &name, v);
                }
                Binding::Export {
                    module,
                    name,
                    file,
                    export,
                } => {
                    if !providers.contains_key(&file) {
                        let path = self.dir.join(&file);
                        let provider = Provider::from_file(engine, &path, Preimports::new())?;
                        providers.insert(file.clone(), provider);
                    }
                    pre.export(&module, &name, &providers[&file], &export);
                }
            }
        }
        Ok(pre)
    }

    /// Compiles the workload specialized on its bindings and instantiates it.
    pub fn stagec_specialized(&self, engine: &Engine, bytes: &[u8]) -> Result<StagecInvoke> {
        let pre = self.stagec_preimports(engine, bytes)?;
        let module = Module::with_preimports(engine, bytes, &pre)?;
        StagecInvoke::new(Store::new(engine), &module, &Linker::new(), &self.invoke)
    }

    /// Compiles the workload generically and instantiates it with its bindings as
    /// runtime imports.
    pub fn stagec_generic(&self, engine: &Engine, bytes: &[u8]) -> Result<StagecInvoke> {
        let pre = self.stagec_preimports(engine, bytes)?;
        let module = Module::new(engine, bytes)?;
        let mut store = Store::new(engine);
        let mut linker = Linker::new();
        pre.link(&mut store, &mut linker)?;
        StagecInvoke::new(store, &module, &linker, &self.invoke)
    }

    /// Compiles the workload with wasmtime and instantiates it with its bindings as
    /// imports: constants as host globals, provider exports from one instance per file.
    pub fn wasmtime_generic(
        &self,
        engine: &wasmtime::Engine,
        bytes: &[u8],
    ) -> Result<WasmtimeInvoke> {
        let wt = |e: wasmtime::Error| anyhow!("{e:?}");
        let types = Module::import_types(bytes)?;
        let module = wasmtime::Module::new(engine, bytes).map_err(wt)?;
        let mut store = wasmtime::Store::new(engine, ());
        let mut linker = wasmtime::Linker::new(engine);
        let mut instances: HashMap<String, wasmtime::Instance> = HashMap::new();
        for b in self.bindings()? {
            match b {
                Binding::Value {
                    module,
                    name,
                    value,
                } => {
                    let (ty, v) = match global_type(&types, &module, &name)? {
                        stagec::ValType::I32 => {
                            (wasmtime::ValType::I32, wasmtime::Val::I32(value as i32))
                        }
                        _ => (wasmtime::ValType::I64, wasmtime::Val::I64(value as i64)),
                    };
                    let ty = wasmtime::GlobalType::new(ty, wasmtime::Mutability::Const);
                    let global = wasmtime::Global::new(&mut store, ty, v).map_err(wt)?;
                    linker.define(&store, &module, &name, global).map_err(wt)?;
                }
                Binding::Export {
                    module,
                    name,
                    file,
                    export,
                } => {
                    if !instances.contains_key(&file) {
                        let path = self.dir.join(&file);
                        let provider = wasmtime::Module::from_file(engine, &path).map_err(wt)?;
                        let instance =
                            wasmtime::Instance::new(&mut store, &provider, &[]).map_err(wt)?;
                        instances.insert(file.clone(), instance);
                    }
                    let item = instances[&file]
                        .get_export(&mut store, &export)
                        .ok_or_else(|| anyhow!("{file} exports no `{export}`"))?;
                    linker.define(&store, &module, &name, item).map_err(wt)?;
                }
            }
        }
        let instance = linker.instantiate(&mut store, &module).map_err(wt)?;
        let func = instance
            .get_func(&mut store, &self.invoke)
            .ok_or_else(|| anyhow!("{} exports no function `{}`", self.name, self.invoke))?;
        Ok(WasmtimeInvoke { store, func })
    }
}

fn global_type(
    types: &[(String, String, EntityType)],
    module: &str,
    name: &str,
) -> Result<stagec::ValType> {
    match types.iter().find(|(m, n, _)| m == module && n == name) {
        Some((_, _, EntityType::Global(g))) => Ok(g.ty),
        Some(_) => bail!("{module}.{name} is not a global import"),
        None => bail!("the module has no import {module}.{name}"),
    }
}

/// A stagec instance's export taking no parameters and returning an i64 or i32.
pub struct StagecInvoke {
    store: Store,
    func: Func,
}

impl StagecInvoke {
    /// Instantiates `module` through `linker` and finds export `name`.
    pub fn new(mut store: Store, module: &Module, linker: &Linker, name: &str) -> Result<Self> {
        let instance = linker.instantiate(&mut store, module)?;
        let func = instance
            .get_func(&store, name)
            .with_context(|| format!("no exported function `{name}`"))?;
        Ok(StagecInvoke { store, func })
    }

    /// Calls the export; its result widened to i64.
    pub fn call(&mut self) -> Result<i64> {
        let ty = self.func.ty(&self.store);
        let result = ty.results.first().context("the export returns nothing")?;
        let mut out = [Val::default_for(*result)];
        self.func.call(&mut self.store, &[], &mut out)?;
        match out[0] {
            Val::I64(v) => Ok(v),
            Val::I32(v) => Ok(i64::from(v)),
            other => Err(anyhow!("returned {other:?}")),
        }
    }
}

/// A wasmtime instance's export taking no parameters and returning an i64 or i32.
pub struct WasmtimeInvoke {
    store: wasmtime::Store<()>,
    func: wasmtime::Func,
}

impl WasmtimeInvoke {
    /// Calls the export; its result widened to i64.
    pub fn call(&mut self) -> Result<i64> {
        let mut out = [wasmtime::Val::I64(0)];
        self.func
            .call(&mut self.store, &[], &mut out)
            .map_err(|e| anyhow!("{e:?}"))?;
        match out[0] {
            wasmtime::Val::I64(v) => Ok(v),
            wasmtime::Val::I32(v) => Ok(i64::from(v)),
            ref other => Err(anyhow!("returned {other:?}")),
        }
    }
}
