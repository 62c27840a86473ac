//! The linker: resolves imports by (module, name); and its client
//! [`Preimports::link`], which supplies preimports as runtime imports.

use crate::error::{Error, ImportName, Result};
use crate::handles::{Extern, Global};
use crate::instance::Instance;
use crate::module::Module;
use crate::preimports::{Preimport, Preimports};
use crate::store::Store;
use stagec_frontend::GlobalType;
use std::collections::HashMap;

/// A map from (module, name) to definitions, used to instantiate modules by name.
#[derive(Clone, Debug, Default)]
pub struct Linker {
    map: HashMap<(String, String), Extern>,
}

impl Linker {
    /// An empty linker.
    pub fn new() -> Linker {
        Linker::default()
    }

    /// Defines `module`.`name`, replacing any earlier definition.
    pub fn define(&mut self, module: &str, name: &str, item: impl Into<Extern>) -> &mut Self {
        self.map
            .insert((module.to_string(), name.to_string()), item.into());
        self
    }

    /// Defines every export of `instance` under module name `module`.
    pub fn instance(&mut self, store: &Store, module: &str, instance: &Instance) -> &mut Self {
        for (name, ext) in instance.exports(store) {
            self.define(module, &name, ext);
        }
        self
    }

    /// The definition of `module`.`name`.
    pub fn get(&self, module: &str, name: &str) -> Option<Extern> {
        self.map
            .get(&(module.to_string(), name.to_string()))
            .copied()
    }

    /// Instantiates `module`, resolving each import by name.
    pub fn instantiate(&self, store: &mut Store, module: &Module) -> Result<Instance> {
        let mut imports = Vec::new();
        for (m, n, _) in module.imports() {
            let ext = self
                .get(m, n)
                .ok_or_else(|| Error::UnknownImport(Box::new(ImportName::new(m, n))))?;
            imports.push(ext);
        }
        Instance::new(store, module, &imports)
    }
}

/// Supplying preimports as ordinary runtime imports: the indirection baseline. (An
/// inherent method of [`Preimports`], kept here because it is a client of the linker,
/// the module and the instance, which preimports sit below.)
impl Preimports {
    /// Defines every binding in `linker` as an ordinary runtime import of `store`:
    /// constants become immutable host globals, provider exports come from an instance of
    /// the provider (compiled without specialization) created in `store`. Known code
    /// defines nothing (the import it binds is supplied at instantiation anyway).
    pub fn link(&self, store: &mut Store, linker: &mut Linker) -> Result<()> {
        let mut instances = HashMap::new();
        self.link_with(store, linker, &mut instances)
    }

    fn link_with(
        &self,
        store: &mut Store,
        linker: &mut Linker,
        instances: &mut HashMap<u64, Instance>,
    ) -> Result<()> {
        for (module, name, preimport) in self.iter() {
            let item: Extern = match preimport {
                // Known code binds no object: the import is supplied at instantiation
                // either way.
                Preimport::Code(_) => continue,
                Preimport::Extern(item) => *item,
                Preimport::Value(v) => {
                    let ty = GlobalType {
                        ty: v.ty(),
                        mutable: false,
                    };
                    Global::new(store, ty, *v)?.into()
                }
                Preimport::Export { provider, export } => {
                    let instance = match instances.get(&provider.inner.id) {
                        Some(i) => *i,
                        None => {
                            let module = Module::from_binary(store.engine(), &provider.inner.bytes)
                                .map_err(|e| provider.error(e))?;
                            let mut inner = Linker::new();
                            provider
                                .inner
                                .preimports
                                .link_with(store, &mut inner, instances)?;
                            let i = inner
                                .instantiate(store, &module)
                                .map_err(|e| provider.error(e))?;
                            instances.insert(provider.inner.id, i);
                            i
                        }
                    };
                    instance
                        .get_export(store, export)
                        .ok_or_else(|| provider.no_export(ImportName::new(module, name), export))?
                }
            };
            linker.define(module, name, item);
        }
        Ok(())
    }
}
