//! The linker: resolves imports by (module, name).

use crate::{Error, Extern, Instance, Module, Result, Store};
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
            let ext = self.get(m, n).ok_or_else(|| Error::UnknownImport {
                module: m.to_string(),
                name: n.to_string(),
            })?;
            imports.push(ext);
        }
        Instance::new(store, module, &imports)
    }
}

impl From<crate::Func> for Extern {
    fn from(f: crate::Func) -> Extern {
        Extern::Func(f)
    }
}
impl From<crate::Global> for Extern {
    fn from(g: crate::Global) -> Extern {
        Extern::Global(g)
    }
}
impl From<crate::Memory> for Extern {
    fn from(m: crate::Memory) -> Extern {
        Extern::Memory(m)
    }
}
impl From<crate::Table> for Extern {
    fn from(t: crate::Table) -> Extern {
        Extern::Table(t)
    }
}
