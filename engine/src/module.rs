//! Compiled modules.

use crate::{Engine, Error, Result};
use stagec_frontend::{EntityType, ExternKind, ModuleInfo};
use stagec_runtime::CodeMemory;
use std::path::Path;
use std::sync::Arc;

pub(crate) struct ModuleInner {
    pub(crate) engine: Engine,
    pub(crate) info: Arc<ModuleInfo>,
    pub(crate) code: Arc<CodeMemory>,
    pub(crate) type_ids: Box<[u32]>,
}

/// A compiled module, ready to be instantiated any number of times.
#[derive(Clone)]
pub struct Module {
    pub(crate) inner: Arc<ModuleInner>,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module").finish_non_exhaustive()
    }
}

impl Module {
    /// Compiles a module from binary (`\0asm`) or text format.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        let bytes = bytes.as_ref();
        let binary = if bytes.starts_with(b"\0asm") {
            std::borrow::Cow::Borrowed(bytes)
        } else {
            std::borrow::Cow::Owned(
                wat::parse_bytes(bytes)
                    .map_err(|e| Error::Wat(e.to_string()))?
                    .into_owned(),
            )
        };
        Self::from_binary(engine, &binary)
    }

    /// Compiles a module from the binary format.
    pub fn from_binary(engine: &Engine, bytes: &[u8]) -> Result<Module> {
        let parsed = stagec_frontend::parse(bytes.to_vec())?;
        let artifact = engine.inner.compiler.compile_module(&parsed)?;
        let code = Arc::new(CodeMemory::load(&artifact)?);
        let type_ids = parsed
            .info
            .types
            .iter()
            .map(|t| engine.signature_id(t))
            .collect();
        Ok(Module {
            inner: Arc::new(ModuleInner {
                engine: engine.clone(),
                info: Arc::new(parsed.info),
                code,
                type_ids,
            }),
        })
    }

    /// Compiles the module in `path` (`.wasm` or `.wat`); errors name the file.
    pub fn from_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Module> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Module::new(engine, bytes).map_err(|e| Error::InFile {
            path: path.to_path_buf(),
            source: Box::new(e),
        })
    }

    /// The module description.
    pub fn info(&self) -> &ModuleInfo {
        &self.inner.info
    }

    /// The engine the module was compiled with.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// Imports: (module, name, type).
    pub fn imports(&self) -> impl Iterator<Item = (&str, &str, &EntityType)> {
        self.inner
            .info
            .imports
            .iter()
            .map(|i| (i.module.as_str(), i.name.as_str(), &i.ty))
    }

    /// Exports: (name, kind).
    pub fn exports(&self) -> impl Iterator<Item = (&str, ExternKind)> {
        self.inner
            .info
            .exports
            .iter()
            .map(|e| (e.name.as_str(), e.kind))
    }
}
