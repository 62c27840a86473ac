//! Instantiating a component: the linker supplies its imports as host functions; the
//! plan's initializers run in order, each an instantiation of a compiled static module
//! with the imports not compiled as constants supplied at runtime.

use crate::error::SignatureMismatch;
use crate::plan::CoreDef;
use crate::types::{FuncType, Value};
use crate::{Component, Error, Result};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The error a host function returns.
pub type HostError = Box<dyn std::error::Error + Send + Sync>;

/// The closure type of host functions: the arguments, and a buffer for the result (of
/// the import's result type, pre-filled with zero values).
pub type HostFunc =
    dyn Fn(&[Value], &mut [Value]) -> std::result::Result<(), HostError> + Send + Sync;

/// Host definitions of a component's function imports, by name.
#[derive(Clone, Default)]
pub struct Linker {
    funcs: HashMap<String, Arc<HostFunc>>,
}

impl std::fmt::Debug for Linker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.funcs.keys().collect();
        names.sort();
        f.debug_struct("Linker").field("funcs", &names).finish()
    }
}

/// The component-level error a host call raised (a host error, an argument that cannot
/// be lifted), given back by the engine out of the trap it unwound the core code with;
/// `Err` with the engine's error otherwise.
fn component_error(error: stagec::Error) -> std::result::Result<Error, stagec::Error> {
    let host = error.into_host_error()?;
    match host.downcast::<Error>() {
        Ok(error) => Ok(*error),
        // Host adapters only raise component errors.
        Err(other) => Err(stagec::Error::host(other)),
    }
}

impl Linker {
    /// An empty linker.
    pub fn new() -> Linker {
        Linker::default()
    }

    /// Defines the function import `name`, replacing any earlier definition. Its type is
    /// the import's: arguments arrive as values of its parameter types, and the result
    /// written must have its result type.
    pub fn func(
        &mut self,
        name: &str,
        f: impl Fn(&[Value], &mut [Value]) -> std::result::Result<(), HostError> + Send + Sync + 'static,
    ) -> &mut Self {
        self.funcs.insert(name.to_string(), Arc::new(f));
        self
    }

    /// Instantiates `component` in `store`: host functions for its lowered imports, then
    /// every core instance in plan order (start functions run as each is made).
    pub fn instantiate(
        &self,
        store: &mut stagec::Store,
        component: &Component,
    ) -> Result<ComponentInstance> {
        let plan = component.plan();
        // Every import must be defined, lowered or not (as in wasmtime).
        if let Some(missing) = plan
            .imports
            .iter()
            .find(|i| !self.funcs.contains_key(&i.name))
        {
            return Err(Error::MissingImport {
                name: missing.name.clone(),
            });
        }
        let mut lowered = Vec::with_capacity(plan.lowered.len());
        for l in &plan.lowered {
            let import = &plan.imports[l.import.index()];
            let host = self.funcs[&import.name].clone();
            let adapter = HostAdapter {
                name: import.name.clone(),
                ty: import.ty.clone(),
                host,
            };
            let func =
                stagec::Func::new(store, import.ty.core_type(), move |_, params, results| {
                    adapter.call(params, results)
                })
                .map_err(|source| Error::Lower {
                    import: import.name.clone(),
                    source,
                })?;
            lowered.push(func);
        }
        let mut instances = Vec::with_capacity(plan.instantiations.len());
        for inst in &plan.instantiations {
            // Imports compiled as constants are not supplied.
            let imports: Vec<stagec::Extern> = component
                .runtime_imports(inst.module)
                .iter()
                .map(|&i| resolve(store, &instances, &lowered, &inst.wiring[i].def))
                .collect();
            let module = &component.modules()[inst.module.index()];
            let instance = stagec::Instance::new(store, module, &imports).map_err(|source| {
                component_error(source).unwrap_or_else(|source| Error::Instantiate {
                    instance: inst.core_instance.0,
                    module: inst.module.index(),
                    source,
                })
            })?;
            instances.push(instance);
        }
        let exports = plan
            .exports
            .iter()
            .map(|e| {
                let func = resolve(store, &instances, &lowered, &e.func)
                    .into_func()
                    .expect("a lifted core item is a function");
                (e.name.clone(), (func, e.ty.clone()))
            })
            .collect();
        Ok(ComponentInstance {
            instances,
            exports,
            poisoned: Arc::new(AtomicBool::new(false)),
        })
    }
}

/// The runtime item of a definition (every definition precedes its uses in the plan).
fn resolve(
    store: &stagec::Store,
    instances: &[stagec::Instance],
    lowered: &[stagec::Func],
    def: &CoreDef,
) -> stagec::Extern {
    match def {
        CoreDef::Export { instance, name, .. } => instances[instance.index()]
            .get_export(store, name)
            .expect("the plan names exports its modules have"),
        CoreDef::Lowered(l) => stagec::Extern::Func(lowered[l.index()]),
    }
}

/// A lowered import: lifts the core arguments, calls the host, lowers its result.
struct HostAdapter {
    name: String,
    ty: FuncType,
    host: Arc<HostFunc>,
}

impl HostAdapter {
    fn call(&self, params: &[stagec::Val], results: &mut [stagec::Val]) -> stagec::Result<()> {
        self.call_lifted(params, results)
            .map_err(stagec::Error::host)
    }

    fn call_lifted(&self, params: &[stagec::Val], results: &mut [stagec::Val]) -> Result<()> {
        let args = self
            .ty
            .params
            .iter()
            .zip(params)
            .map(|((_, ty), v)| Value::lift(*ty, *v))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|source| Error::Lift {
                func: self.name.clone(),
                source,
            })?;
        let mut out: Vec<Value> = self
            .ty
            .result
            .iter()
            .map(|t| Value::default_for(*t))
            .collect();
        (self.host)(&args, &mut out).map_err(|source| Error::Host {
            import: self.name.clone(),
            source,
        })?;
        check_values(&self.name, "results", self.ty.result.as_slice(), &out)?;
        for (slot, v) in results.iter_mut().zip(&out) {
            *slot = v.lower();
        }
        Ok(())
    }
}

fn check_values(
    func: &str,
    what: &'static str,
    types: &[crate::ScalarType],
    values: &[Value],
) -> Result<()> {
    let mismatch = |reason| Error::Signature {
        func: func.to_string(),
        reason,
    };
    if types.len() != values.len() {
        return Err(mismatch(SignatureMismatch::Count {
            what,
            expected: types.len(),
            found: values.len(),
        }));
    }
    for (index, (t, v)) in types.iter().zip(values).enumerate() {
        if v.ty() != *t {
            return Err(mismatch(SignatureMismatch::Type {
                what,
                index,
                expected: *t,
                found: v.ty(),
            }));
        }
    }
    Ok(())
}

/// An instance of a component in a store: its core instances and lifted exports.
#[derive(Clone, Debug)]
pub struct ComponentInstance {
    instances: Vec<stagec::Instance>,
    exports: HashMap<String, (stagec::Func, FuncType)>,
    poisoned: Arc<AtomicBool>,
}

impl ComponentInstance {
    /// The core instances, in the plan's initializer order
    /// ([`Plan::instantiations`](crate::Plan::instantiations)).
    pub fn core_instances(&self) -> &[stagec::Instance] {
        &self.instances
    }

    /// The type of export `name`.
    pub fn export_type(&self, name: &str) -> Option<&FuncType> {
        self.exports.get(name).map(|(_, ty)| ty)
    }

    /// Calls export `name` with `params`; returns its result, if its type has one.
    ///
    /// A trap (of core code, or of a host function) poisons the instance, as in
    /// wasmtime: every later call fails with [`Error::Poisoned`].
    pub fn call(
        &self,
        store: &mut stagec::Store,
        name: &str,
        params: &[Value],
    ) -> Result<Option<Value>> {
        if self.poisoned.load(Ordering::Relaxed) {
            return Err(Error::Poisoned);
        }
        let (func, ty) = self.exports.get(name).ok_or_else(|| Error::UnknownExport {
            name: name.to_string(),
        })?;
        let param_types: Vec<_> = ty.params.iter().map(|(_, t)| *t).collect();
        check_values(name, "parameters", &param_types, params)?;
        let core_params: Vec<stagec::Val> = params.iter().map(Value::lower).collect();
        let mut core_results: Vec<stagec::Val> = ty
            .result
            .iter()
            .map(|t| stagec::Val::default_for(t.core_type()))
            .collect();
        if let Err(source) = func.call(store, &core_params, &mut core_results) {
            self.poisoned.store(true, Ordering::Relaxed);
            return Err(
                component_error(source).unwrap_or_else(|source| Error::Call {
                    export: name.to_string(),
                    source,
                }),
            );
        }
        match (ty.result, core_results.first()) {
            (Some(t), Some(v)) => Value::lift(t, *v).map(Some).map_err(|source| Error::Lift {
                func: name.to_string(),
                source,
            }),
            _ => Ok(None),
        }
    }
}
