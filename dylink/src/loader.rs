//! The module loader (the shape component-model issue 401 converged on): precompiled
//! modules are looked up by an opaque id in sources the host registers; compiling from
//! bytes is a separate capability, granted or denied when the loader is built; an
//! [`Imports`] set binds existing objects and new globals under (module, name) for
//! instantiation.
//!
//! No source lists what it holds unless the host asks it ([`DirectorySource::list`]): a
//! guest learns only whether the id it names loads.

use crate::error::LoadError;
use stagec::{
    Engine, Extern, Func, Global, GlobalType, Instance, Linker, Memory, Module, Preimports, Store,
    Table, Val, ValType,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The file extension of precompiled artifacts (`stagec compile -o NAME.stagec`).
pub const ARTIFACT_EXTENSION: &str = "stagec";

/// A place where precompiled modules are found by id.
pub trait ModuleSource: Send + Sync {
    /// Module `id`, if this source has it, loaded (not compiled) with `engine`.
    fn load(&self, engine: &Engine, id: &str) -> Result<Option<Module>, LoadError>;
}

/// A directory of artifacts made by `stagec compile`: id `ID` is the file `ID.stagec`.
/// Ids that could name anything outside the directory are refused.
#[derive(Clone, Debug)]
pub struct DirectorySource {
    dir: PathBuf,
}

impl DirectorySource {
    /// The source of the artifacts in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> DirectorySource {
        DirectorySource { dir: dir.into() }
    }

    /// The file of id `id` (whether or not it exists).
    pub fn path_of(&self, id: &str) -> Result<PathBuf, LoadError> {
        let valid = !id.is_empty()
            && id != "."
            && id != ".."
            && !id.contains(['/', '\\', '\0'])
            && Path::new(id).components().count() == 1;
        if !valid {
            return Err(LoadError::InvalidId { id: id.to_string() });
        }
        Ok(self.dir.join(format!("{id}.{ARTIFACT_EXTENSION}")))
    }

    /// The ids of the artifacts in the directory, sorted (for the host; the loader never
    /// lists).
    pub fn list(&self) -> Result<Vec<String>, LoadError> {
        let io = |source| LoadError::Io {
            path: self.dir.clone(),
            source,
        };
        let mut ids = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.extension().is_some_and(|e| e == ARTIFACT_EXTENSION)
                && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
            {
                ids.push(stem.to_string());
            }
        }
        ids.sort();
        Ok(ids)
    }
}

impl ModuleSource for DirectorySource {
    fn load(&self, engine: &Engine, id: &str) -> Result<Option<Module>, LoadError> {
        let path = self.path_of(id)?;
        if !path.is_file() {
            return Ok(None);
        }
        Module::deserialize_file(engine, &path)
            .map(Some)
            .map_err(LoadError::engine(Some(id)))
    }
}

/// Artifacts held in memory, by id.
#[derive(Clone, Debug, Default)]
pub struct MemorySource {
    artifacts: HashMap<String, Vec<u8>>,
}

impl MemorySource {
    /// An empty source.
    pub fn new() -> MemorySource {
        MemorySource::default()
    }

    /// Adds (or replaces) the artifact `bytes` (as [`Module::serialize`] makes) as `id`.
    pub fn insert(&mut self, id: &str, bytes: Vec<u8>) -> &mut Self {
        self.artifacts.insert(id.to_string(), bytes);
        self
    }

    /// Adds `module`, serialized, as `id`.
    pub fn insert_module(&mut self, id: &str, module: &Module) -> Result<&mut Self, LoadError> {
        let bytes = module.serialize().map_err(LoadError::engine(Some(id)))?;
        Ok(self.insert(id, bytes))
    }
}

impl ModuleSource for MemorySource {
    fn load(&self, engine: &Engine, id: &str) -> Result<Option<Module>, LoadError> {
        let Some(bytes) = self.artifacts.get(id) else {
            return Ok(None);
        };
        Module::deserialize(engine, bytes)
            .map(Some)
            .map_err(LoadError::engine(Some(id)))
    }
}

/// Whether a loader may compile modules from bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compilation {
    /// Compiling from bytes is allowed.
    Allowed,
    /// Only precompiled modules load; asking to compile is [`LoadError::CompilationDenied`].
    Denied,
}

/// Loads modules: precompiled ones by id from its sources, and (when the host allowed it)
/// modules compiled from bytes.
pub struct Loader {
    engine: Engine,
    sources: Vec<Box<dyn ModuleSource>>,
    compilation: Compilation,
}

impl std::fmt::Debug for Loader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loader")
            .field("sources", &self.sources.len())
            .field("compilation", &self.compilation)
            .finish_non_exhaustive()
    }
}

impl Loader {
    /// A loader without sources, with the given compile capability.
    pub fn new(engine: &Engine, compilation: Compilation) -> Loader {
        Loader {
            engine: engine.clone(),
            sources: Vec::new(),
            compilation,
        }
    }

    /// Registers `source`; sources are asked in the order registered.
    pub fn with_source(mut self, source: impl ModuleSource + 'static) -> Loader {
        self.sources.push(Box::new(source));
        self
    }

    /// The engine modules are loaded and compiled with.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Whether this loader may compile from bytes.
    pub fn can_compile(&self) -> bool {
        self.compilation == Compilation::Allowed
    }

    /// The precompiled module `id`, from the first source that has it.
    pub fn load(&self, id: &str) -> Result<Module, LoadError> {
        for source in &self.sources {
            if let Some(module) = source.load(&self.engine, id)? {
                return Ok(module);
            }
        }
        Err(LoadError::NotFound { id: id.to_string() })
    }

    fn check_compile(&self) -> Result<(), LoadError> {
        match self.compilation {
            Compilation::Allowed => Ok(()),
            Compilation::Denied => Err(LoadError::CompilationDenied),
        }
    }

    /// Compiles module `bytes` (binary or text), if this loader may compile.
    pub fn compile(&self, bytes: &[u8]) -> Result<Module, LoadError> {
        self.check_compile()?;
        Module::new(&self.engine, bytes).map_err(LoadError::engine(None))
    }

    /// Compiles module `bytes` (binary or text) specialized on `preimports` (constants and
    /// providers; see [`Module::with_preimports`]), if this loader may compile. The
    /// engine's caches key the compilation on the preimports' values.
    pub fn compile_with_preimports(
        &self,
        bytes: &[u8],
        preimports: &Preimports,
    ) -> Result<Module, LoadError> {
        self.check_compile()?;
        Module::with_preimports(&self.engine, bytes, preimports).map_err(LoadError::engine(None))
    }

    /// Compiles module `bytes` specialized on `preimports`, which may bind live objects of
    /// `store` (see [`Module::with_preimports_in`]), if this loader may compile.
    pub fn compile_specialized(
        &self,
        store: &mut Store,
        bytes: &[u8],
        preimports: &Preimports,
    ) -> Result<Module, LoadError> {
        self.check_compile()?;
        Module::with_preimports_in(store, bytes, preimports).map_err(LoadError::engine(None))
    }
}

/// What an import is bound to by [`Imports`].
#[derive(Clone, Copy, Debug)]
enum ImportItem {
    Existing(Extern),
    NewGlobal(GlobalType, Val),
}

/// Imports for one instantiation, by (module, name): objects of existing instances (or
/// host objects) and new globals. Binding a pair again replaces the earlier binding.
#[derive(Clone, Debug, Default)]
pub struct Imports {
    items: Vec<(String, String, ImportItem)>,
}

impl Imports {
    /// An empty set.
    pub fn new() -> Imports {
        Imports::default()
    }

    fn bind(&mut self, module: &str, name: &str, item: ImportItem) -> &mut Self {
        self.items.retain(|(m, n, _)| m != module || n != name);
        self.items
            .push((module.to_string(), name.to_string(), item));
        self
    }

    /// Binds `module`.`name` to an existing object (a function, global, memory or table,
    /// e.g. an export of another instance).
    pub fn item(&mut self, module: &str, name: &str, item: impl Into<Extern>) -> &mut Self {
        self.bind(module, name, ImportItem::Existing(item.into()))
    }

    /// Binds `module`.`name` to the function `func`.
    pub fn func(&mut self, module: &str, name: &str, func: Func) -> &mut Self {
        self.item(module, name, func)
    }

    /// Binds `module`.`name` to the memory `memory`.
    pub fn memory(&mut self, module: &str, name: &str, memory: Memory) -> &mut Self {
        self.item(module, name, memory)
    }

    /// Binds `module`.`name` to the table `table`.
    pub fn table(&mut self, module: &str, name: &str, table: Table) -> &mut Self {
        self.item(module, name, table)
    }

    /// Binds `module`.`name` to the global `global`.
    pub fn global(&mut self, module: &str, name: &str, global: Global) -> &mut Self {
        self.item(module, name, global)
    }

    /// Binds `module`.`name` to export `export` of `instance`.
    pub fn export(
        &mut self,
        store: &Store,
        module: &str,
        name: &str,
        instance: &Instance,
        export: &str,
    ) -> Result<&mut Self, LoadError> {
        let item = instance
            .get_export(store, export)
            .ok_or_else(|| LoadError::NoExport {
                name: export.to_string(),
            })?;
        Ok(self.item(module, name, item))
    }

    /// Binds `module`.`name` to a new i32 global of value `value`, created at
    /// instantiation.
    pub fn new_i32_global(
        &mut self,
        module: &str,
        name: &str,
        value: i32,
        mutable: bool,
    ) -> &mut Self {
        let ty = GlobalType {
            ty: ValType::I32,
            mutable,
        };
        self.bind(module, name, ImportItem::NewGlobal(ty, Val::I32(value)))
    }

    /// Binds `module`.`name` to a new funcref global holding `func` (null for `None`).
    pub fn new_funcref_global(
        &mut self,
        module: &str,
        name: &str,
        func: Option<Func>,
        mutable: bool,
    ) -> &mut Self {
        let ty = GlobalType {
            ty: ValType::FuncRef,
            mutable,
        };
        self.bind(module, name, ImportItem::NewGlobal(ty, Val::FuncRef(func)))
    }

    /// Instantiates `module` in `store` with these imports (creating the new globals
    /// first). An import of `module` not bound here is an error naming it.
    pub fn instantiate(&self, store: &mut Store, module: &Module) -> Result<Instance, LoadError> {
        let mut linker = Linker::new();
        for (m, n, item) in &self.items {
            let item = match *item {
                ImportItem::Existing(item) => item,
                ImportItem::NewGlobal(ty, value) => Global::new(store, ty, value)
                    .map_err(LoadError::engine(None))?
                    .into(),
            };
            linker.define(m, n, item);
        }
        linker
            .instantiate(store, module)
            .map_err(LoadError::engine(None))
    }
}

/// Export `name` of `instance`, or [`LoadError::NoExport`].
pub fn export(store: &Store, instance: &Instance, name: &str) -> Result<Extern, LoadError> {
    instance
        .get_export(store, name)
        .ok_or_else(|| LoadError::NoExport {
            name: name.to_string(),
        })
}
