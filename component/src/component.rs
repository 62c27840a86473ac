//! A loaded component: its plan and one compiled module per static core module.

use crate::plan::Plan;
use crate::{Error, Result};
use std::path::Path;

/// A component of the module-linking subset, flattened and compiled: each static core
/// module is compiled once (one [`stagec::Module`]) and shared by all its instances, in
/// every store the component is instantiated in.
#[derive(Clone, Debug)]
pub struct Component {
    plan: Plan,
    modules: Vec<stagec::Module>,
}

impl Component {
    /// Loads a component from its binary or text (`(component ...)`) form.
    pub fn from_binary(engine: &stagec::Engine, bytes: &[u8]) -> Result<Component> {
        let binary = to_binary(bytes)?;
        let plan = crate::translate::translate(&binary)?;
        let modules = plan
            .modules
            .iter()
            .enumerate()
            .map(|(module, m)| {
                stagec::Module::from_binary(engine, &m.bytes)
                    .map_err(|source| Error::Compile { module, source })
            })
            .collect::<Result<_>>()?;
        Ok(Component { plan, modules })
    }

    /// Loads the component in `path` (`.wasm` or `.wat`).
    pub fn from_file(engine: &stagec::Engine, path: impl AsRef<Path>) -> Result<Component> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_binary(engine, &bytes)
    }

    /// The instantiation plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The compiled static modules, in the order of [`Plan::modules`].
    pub fn modules(&self) -> &[stagec::Module] {
        &self.modules
    }

    /// What `stagec inspect COMP` prints: the plan (modules, instances and their
    /// arguments, and how every import of every module is wired).
    pub fn inspect(&self) -> String {
        self.plan.to_string()
    }
}

/// The binary form of component bytes given in binary or text format.
fn to_binary(bytes: &[u8]) -> Result<Vec<u8>> {
    if bytes.starts_with(b"\0asm") {
        return Ok(bytes.to_vec());
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => wat::parse_str(text).map_err(Error::Wat),
        // Not text: let the validator describe what is wrong.
        Err(_) => Ok(bytes.to_vec()),
    }
}
