//! Running a real-code workload ([`crate::workloads::manifest`]) on stagec (specialized on
//! its bindings, or with them as runtime imports) and on wasmtime (runtime imports).

use crate::workloads::manifest::{BindingValue, Workload};
use crate::workloads::plan::{Value, parse_value};
use anyhow::{Context, Result, anyhow, bail};
use stagec::{Engine, EntityType, Func, Linker, Module, Preimports, Provider, Store, Val};
use std::collections::HashMap;
use std::path::PathBuf;

/// What one import of the generic module is bound to.
#[derive(Clone, Debug, PartialEq)]
pub enum Resolved {
    /// A constant, typed by its global import.
    Value(Value),
    /// An export of a provider file (no imports of its own).
    Export {
        /// The provider module.
        file: PathBuf,
        /// The export's name.
        export: String,
    },
}

/// One import of the generic module and its binding.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedImport {
    /// The import's module name.
    pub module: String,
    /// The import's name.
    pub name: String,
    /// Its binding.
    pub bound: Resolved,
}

impl Workload {
    /// The generic module's binary.
    pub fn bytes(&self) -> Result<Vec<u8>> {
        std::fs::read(&self.wasm).with_context(|| self.wasm.display().to_string())
    }

    /// The bindings, in manifest order, resolved against the imports of `bytes`: numbers
    /// typed by their global import, a whole-module `MOD=@FILE` expanded to every import
    /// from `MOD` that no `MOD.NAME=` binding names.
    pub fn resolve(&self, bytes: &[u8]) -> Result<Vec<ResolvedImport>> {
        let types = Module::import_types(bytes)?;
        let mut out = Vec::new();
        for b in &self.bindings {
            let import = |name: &str, bound| ResolvedImport {
                module: b.module.clone(),
                name: name.to_string(),
                bound,
            };
            match &b.value {
                BindingValue::Literal(text) => {
                    let ty = global_type(&types, &b.module, &b.name)?;
                    let v = parse_value(text, ty).with_context(|| format!("`{}`", b.text))?;
                    out.push(import(&b.name, Resolved::Value(v)));
                }
                BindingValue::Export { file, export } => out.push(import(
                    &b.name,
                    Resolved::Export {
                        file: file.clone(),
                        export: export.clone(),
                    },
                )),
                BindingValue::Module { file } => {
                    for (_, name, _) in types.iter().filter(|(m, n, _)| {
                        *m == b.module
                            && !self.bindings.iter().any(|o| o.module == *m && o.name == *n)
                    }) {
                        out.push(import(
                            name,
                            Resolved::Export {
                                file: file.clone(),
                                export: name.clone(),
                            },
                        ));
                    }
                }
            }
        }
        Ok(out)
    }

    /// The bindings as a stagec preimport set: one [`Provider`] per provider file, so
    /// that every import from one file binds to one instance of it.
    pub fn stagec_preimports(&self, engine: &Engine, bytes: &[u8]) -> Result<Preimports> {
        let mut providers: HashMap<PathBuf, Provider> = HashMap::new();
        let mut pre = Preimports::new();
        for ResolvedImport {
            module,
            name,
            bound,
        } in self.resolve(bytes)?
        {
            match bound {
                Resolved::Value(v) => {
                    let v = match v {
                        Value::I32(x) => Val::I32(x),
                        Value::I64(x) => Val::I64(x),
                        Value::F32(x) => Val::F32(x),
                        Value::F64(x) => Val::F64(x),
                    };
                    pre.value(&module, &name, v);
                }
                Resolved::Export { file, export } => {
                    if !providers.contains_key(&file) {
                        let provider = Provider::from_file(engine, &file, Preimports::new())?;
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
        let resolved = self.resolve(bytes)?;
        let module = wasmtime::Module::new(engine, bytes).map_err(wt)?;
        let mut store = wasmtime::Store::new(engine, ());
        let mut linker = wasmtime::Linker::new(engine);
        let mut instances: HashMap<PathBuf, wasmtime::Instance> = HashMap::new();
        for ResolvedImport {
            module,
            name,
            bound,
        } in resolved
        {
            match bound {
                Resolved::Value(v) => {
                    let (ty, v) = match v {
                        Value::I32(x) => (wasmtime::ValType::I32, wasmtime::Val::I32(x)),
                        Value::I64(x) => (wasmtime::ValType::I64, wasmtime::Val::I64(x)),
                        Value::F32(x) => (wasmtime::ValType::F32, wasmtime::Val::F32(x)),
                        Value::F64(x) => (wasmtime::ValType::F64, wasmtime::Val::F64(x)),
                    };
                    let ty = wasmtime::GlobalType::new(ty, wasmtime::Mutability::Const);
                    let global = wasmtime::Global::new(&mut store, ty, v).map_err(wt)?;
                    linker.define(&store, &module, &name, global).map_err(wt)?;
                }
                Resolved::Export { file, export } => {
                    if !instances.contains_key(&file) {
                        let provider = wasmtime::Module::from_file(engine, &file).map_err(wt)?;
                        let instance =
                            wasmtime::Instance::new(&mut store, &provider, &[]).map_err(wt)?;
                        instances.insert(file.clone(), instance);
                    }
                    let item = instances[&file]
                        .get_export(&mut store, &export)
                        .ok_or_else(|| anyhow!("{} exports no `{export}`", file.display()))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::manifest::parse;
    use std::path::Path;

    #[test]
    fn bindings_resolve_against_the_imports() {
        let text = r#"
[[workload]]
name = "a"
kind = "c"
wasm = "a.wasm"
invoke = "run"
preimports = ["env.n=0xffffffff", "env.big=-3", "lib=@p.wat", "lib.g=@q.wat#h"]
checksum = 0
"#;
        let w = &parse(text, Path::new("/w")).unwrap()[0];
        let bytes = wat::parse_str(
            r#"(module
                (import "env" "n" (global i32))
                (import "env" "big" (global i64))
                (import "lib" "f" (func))
                (import "lib" "g" (func)))"#,
        )
        .unwrap();
        let export = |file: &str, export: &str| Resolved::Export {
            file: Path::new("/w").join(file),
            export: export.into(),
        };
        let bound: Vec<_> = w
            .resolve(&bytes)
            .unwrap()
            .into_iter()
            .map(|r| (r.module, r.name, r.bound))
            .collect();
        let s = |x: &str| x.to_string();
        assert_eq!(
            bound,
            [
                (s("env"), s("n"), Resolved::Value(Value::I32(-1))),
                (s("env"), s("big"), Resolved::Value(Value::I64(-3))),
                (s("lib"), s("f"), export("p.wat", "f")),
                (s("lib"), s("g"), export("q.wat", "h")),
            ]
        );
    }
}
