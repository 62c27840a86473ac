//! Compiled modules: the public [`Module`], a handle to a compilation made by the driver
//! (`driver.rs`).

use crate::compiled::{CompiledModule, StageInfo};
use crate::driver::{self, Compilation, CompileTimings, Inputs};
use crate::engine::Engine;
use crate::error::{Error, Result, StageProblem, StagedError, UsageError};
use crate::preimports::{Preimports, Provider, StagedProviders};
use crate::recipe::RecipeKind;
use crate::specialize::{self, LiveStores};
use crate::store::Store;
use crate::text::to_binary;
use stagec_codegen::CompileOptions;
use stagec_frontend::{EntityType, ExternKind, ModuleInfo, StageKind, StagedModule};
use std::cell::RefCell;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// A compiled module, ready to be instantiated any number of times.
#[derive(Clone)]
pub struct Module {
    inner: Arc<Compilation>,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module").finish_non_exhaustive()
    }
}

/// Runs `compile` with `store` (and the compile-time store `stages` of an instance being
/// extended) as the stores whose live objects it may bind; then gives `store` the
/// compile-time state that must live as long as it, whether or not compiling succeeded.
pub(crate) fn with_live_stores<T>(
    store: &mut Store,
    stages: Option<&Store>,
    compile: impl FnOnce(LiveStores<'_>) -> Result<T>,
) -> Result<T> {
    let keep = RefCell::new(Vec::new());
    let result = compile(LiveStores {
        home: store,
        stages,
        keep: &keep,
    });
    for state in keep.into_inner() {
        store.keep_alive(state);
    }
    result
}

impl Module {
    /// Compiles a module from binary (`\0asm`) or text format.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        Self::from_binary(engine, &to_binary(bytes.as_ref())?)
    }

    /// Compiles a module from the binary format.
    ///
    /// Every constructor that compiles fails with [`Error::CompilationDenied`] when the
    /// engine denies compilation ([`Config::deny_compilation`](crate::Config::deny_compilation)).
    /// Every one of them first looks for the same compilation in the engine's caches
    /// ([`Config::cache`](crate::Config::cache)); [`Module::timings`] tells which answered.
    pub fn from_binary(engine: &Engine, bytes: &[u8]) -> Result<Module> {
        let inputs = Inputs {
            kind: RecipeKind::Plain,
            binary: bytes.to_vec(),
            preimports: &Preimports::new(),
            options: engine.compile_options(&CompileOptions::default()),
            stages: &[],
            stage_info: Vec::new(),
            live: None,
        };
        Self::compile(engine, inputs)
    }

    fn compile(engine: &Engine, inputs: Inputs<'_>) -> Result<Module> {
        driver::compile_cached(engine, inputs).map(|inner| Module { inner })
    }

    /// Compiles a module (binary or text) specialized on `preimports`: bound constants
    /// become immediates, bound provider functions direct (inlinable) calls, bound provider
    /// memories, tables and globals fixed addresses. The bound imports are no longer
    /// imports of the compiled module; the rest are linked at instantiation as usual.
    ///
    /// Live objects of a store ([`Preimport::Extern`](crate::Preimport::Extern)) cannot be
    /// bound here (an [`Error::Preimport`] says so): use [`Module::with_preimports_in`].
    pub fn with_preimports(
        engine: &Engine,
        bytes: impl AsRef<[u8]>,
        preimports: &Preimports,
    ) -> Result<Module> {
        Self::with_preimports_options(engine, bytes, preimports, &CompileOptions::default())
    }

    /// [`Module::with_preimports`] with explicit code-generation options (inlining
    /// threshold).
    pub fn with_preimports_options(
        engine: &Engine,
        bytes: impl AsRef<[u8]>,
        preimports: &Preimports,
        options: &CompileOptions,
    ) -> Result<Module> {
        Self::specialized(
            engine,
            bytes.as_ref(),
            preimports,
            options,
            &[],
            Vec::new(),
            None,
        )
    }

    /// [`Module::with_preimports`] for `store`, whose live objects `preimports` may bind
    /// ([`Preimport::Extern`](crate::Preimport::Extern), also in providers' preimports):
    /// the compiled module may only be instantiated in `store`. Binding an object of
    /// another store, or of one that has been dropped, is an [`Error::Preimport`] naming
    /// the import. The store is borrowed mutably because compile-time code (providers'
    /// start functions) may write to the objects bound.
    pub fn with_preimports_in(
        store: &mut Store,
        bytes: impl AsRef<[u8]>,
        preimports: &Preimports,
    ) -> Result<Module> {
        with_live_stores(store, None, |live| {
            Self::with_live_preimports(live, bytes.as_ref(), preimports)
        })
    }

    /// [`Module::with_preimports_in`] with the stores of `live`.
    pub(crate) fn with_live_preimports(
        live: LiveStores<'_>,
        bytes: &[u8],
        preimports: &Preimports,
    ) -> Result<Module> {
        let options = CompileOptions::default();
        let engine = live.home.engine();
        Self::specialized(
            engine,
            bytes,
            preimports,
            &options,
            &[],
            Vec::new(),
            Some(live),
        )
    }

    /// Compiles `bytes` specialized on `preimports` after instantiating the `stages`
    /// providers in order.
    fn specialized(
        engine: &Engine,
        bytes: &[u8],
        preimports: &Preimports,
        options: &CompileOptions,
        stages: &[Provider],
        stage_info: Vec<StageInfo>,
        live: Option<LiveStores<'_>>,
    ) -> Result<Module> {
        let inputs = Inputs {
            kind: RecipeKind::Specialized,
            binary: to_binary(bytes)?,
            preimports,
            options: engine.compile_options(options),
            stages,
            stage_info,
            live,
        };
        Self::compile(engine, inputs)
    }

    /// Compiles a staged module: runs its `pre` stages, instantiates its `single` stages
    /// once, and compiles its `multi` stage against them. `preimports` binds imports of
    /// any stage that are not stage references (live objects of a store only with
    /// [`Module::from_staged_in`]).
    pub fn from_staged(
        engine: &Engine,
        staged: &StagedModule,
        preimports: &Preimports,
    ) -> Result<Module> {
        Self::from_staged_options(engine, staged, preimports, &CompileOptions::default())
    }

    /// [`Module::from_staged`] with explicit code-generation options.
    pub fn from_staged_options(
        engine: &Engine,
        staged: &StagedModule,
        preimports: &Preimports,
        options: &CompileOptions,
    ) -> Result<Module> {
        Self::staged(engine, staged, preimports, options, None)
    }

    /// [`Module::from_staged`] for `store`, whose live objects `preimports` may bind, as
    /// for [`Module::with_preimports_in`].
    pub fn from_staged_in(
        store: &mut Store,
        staged: &StagedModule,
        preimports: &Preimports,
    ) -> Result<Module> {
        with_live_stores(store, None, |live| {
            let options = CompileOptions::default();
            Self::staged(live.home.engine(), staged, preimports, &options, Some(live))
        })
    }

    fn staged(
        engine: &Engine,
        staged: &StagedModule,
        preimports: &Preimports,
        options: &CompileOptions,
        live: Option<LiveStores<'_>>,
    ) -> Result<Module> {
        engine.check_compilation_allowed()?;
        let planned = StagedProviders::new(staged, preimports)?;
        let stage_info = planned
            .stages
            .iter()
            .map(|(name, provider)| StageInfo {
                name: name.clone(),
                provider: provider.as_ref().map(|p| p.inner.id),
            })
            .collect();
        let stages: Vec<Provider> = planned.stages.into_iter().filter_map(|(_, p)| p).collect();
        let name = planned.name;
        Self::specialized(
            engine,
            &planned.bytes,
            &planned.bindings,
            options,
            &stages,
            stage_info,
            live,
        )
        .map_err(|e| match e {
            Error::InFile(_)
            | Error::Staged(_)
            | Error::UnknownImport(_)
            | Error::IncompatibleImport(_)
            | Error::Trap(_) => e,
            other => StagedError::Stage {
                stage: name,
                kind: StageKind::Multi,
                problem: StageProblem::Compile(other),
            }
            .into(),
        })
    }

    /// Loads a module serialized by [`Module::serialize`] (or `stagec compile -o`) without
    /// compiling anything: its recipe re-creates the compile-time state (providers,
    /// stages) from the compiled code it carries. Works when the engine denies
    /// compilation. Fails with [`Error::Artifact`] on a file that is not a stagec
    /// artifact, is truncated or corrupted, or was made by another engine build or for
    /// another target.
    pub fn deserialize(engine: &Engine, bytes: &[u8]) -> Result<Module> {
        Self::deserialize_shared(engine, Arc::new(bytes.to_vec()))
    }

    fn deserialize_shared(
        engine: &Engine,
        bytes: Arc<dyn stagec_environ::code::CodeImage>,
    ) -> Result<Module> {
        let start = Instant::now();
        let mut compilation = driver::load_serialized(engine, bytes, None)?;
        compilation.timings.cache = driver::CacheOutcome::Artifact;
        compilation.timings.cache_load = start.elapsed();
        compilation.timings.total = compilation.timings.cache_load;
        Ok(Module {
            inner: Arc::new(compilation),
        })
    }

    /// [`Module::deserialize`] of the file at `path`: mapped, not read, and its code
    /// mapped in place (copy-on-write, so only the pages that relocations patch are
    /// copied); errors name it. The file must not be written in place while the module
    /// lives (replace it by renaming another file over it).
    pub fn deserialize_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Module> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let map = crate::cache::MappedFile::new(file).map_err(|e| Error::io(path, e))?;
        Self::deserialize_shared(engine, Arc::new(map)).map_err(|e| Error::in_file(path, e))
    }

    /// The module in serialized form ([`Module::deserialize`] loads it): the compiled code
    /// of the module and of every provider and stage it was compiled against, and the
    /// recipe that re-creates them. Fails for a module bound to live objects of a store
    /// ([`Preimport::Extern`](crate::Preimport::Extern)), which exist only in this process.
    pub fn serialize(&self) -> Result<Vec<u8>> {
        self.inner.serialize()
    }

    /// Where the time to make this module went, and which cache answered.
    pub fn timings(&self) -> &CompileTimings {
        &self.inner.timings
    }

    /// The code and everything instantiating the module needs.
    pub(crate) fn compiled(&self) -> &Arc<CompiledModule> {
        &self.inner.compiled
    }

    /// Compiles the module in `path` (`.wasm` or `.wat`); errors name the file.
    pub fn from_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Module> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Module::new(engine, bytes).map_err(|e| Error::in_file(path, e))
    }

    /// The imports declared by module bytes (binary or text), without compiling them.
    pub fn import_types(bytes: &[u8]) -> Result<Vec<(String, String, EntityType)>> {
        let parsed = stagec_frontend::parse(to_binary(bytes)?)?;
        Ok(parsed
            .info
            .imports
            .into_iter()
            .map(|i| (i.module, i.name, i.ty))
            .collect())
    }

    /// What specialization on `preimports` does to function `func` (an export name or a
    /// function index): optimized CLIF and machine code of the specialized build, and of
    /// the generic build for comparison. Live objects of a store cannot be bound here.
    pub fn explain(
        engine: &Engine,
        bytes: impl AsRef<[u8]>,
        preimports: &Preimports,
        func: &str,
        options: &CompileOptions,
    ) -> Result<Explained> {
        engine.check_compilation_allowed()?;
        let options = &engine.compile_options(options);
        let parsed = stagec_frontend::parse(to_binary(bytes.as_ref())?)?;
        let info = &parsed.info;
        let name = || func.to_string();
        let index = match info.export(func) {
            Some(e) if e.kind == ExternKind::Func => e.index,
            _ => func
                .parse::<u32>()
                .ok()
                .filter(|i| (*i as usize) < info.functions.len())
                .ok_or_else(|| UsageError::NoFunction { name: name() })?,
        };
        let defined = info
            .defined_func_index(index)
            .ok_or_else(|| UsageError::ImportedFunction { name: name() })?;
        let generic = specialize::explain(engine, &parsed, &Preimports::new(), options, defined)?;
        let specialized = specialize::explain(engine, &parsed, preimports, options, defined)?;
        Ok(Explained {
            generic,
            specialized,
        })
    }

    /// The module's binary (of a staged module: its `multi` stage, or the synthesized
    /// module re-exporting its `single` stages).
    pub fn bytes(&self) -> &[u8] {
        &self.inner.bytes
    }

    /// The module description.
    pub fn info(&self) -> &ModuleInfo {
        &self.inner.compiled.info
    }

    /// The engine the module was compiled with.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// Imports still to be supplied at instantiation (preimported ones are not listed):
    /// (module, name, type).
    pub fn imports(&self) -> impl Iterator<Item = (&str, &str, &EntityType)> {
        let compiled = &self.inner.compiled;
        compiled
            .info
            .imports
            .iter()
            .zip(&compiled.bound)
            .filter(|(_, b)| b.is_none())
            .map(|(i, _)| (i.module.as_str(), i.name.as_str(), &i.ty))
    }

    /// The position of export `name` among the module's exports (for
    /// [`Instance::export_at`](crate::Instance::export_at)).
    pub fn export_index(&self, name: &str) -> Option<usize> {
        self.inner
            .compiled
            .info
            .exports
            .iter()
            .position(|e| e.name == name)
    }

    /// Exports: (name, kind).
    pub fn exports(&self) -> impl Iterator<Item = (&str, ExternKind)> {
        self.inner
            .compiled
            .info
            .exports
            .iter()
            .map(|e| (e.name.as_str(), e.kind))
    }
}

/// The output of [`Module::explain`].
#[derive(Debug)]
pub struct Explained {
    /// The function compiled without preimports.
    pub generic: stagec_codegen::Explanation,
    /// The function compiled specialized on the preimports.
    pub specialized: stagec_codegen::Explanation,
}
