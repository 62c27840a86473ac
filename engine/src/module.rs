//! Compiled modules.

use crate::engine::CacheEvent;
use crate::preimports::Preimports;
use crate::recipe::{self, RecipeKind};
use crate::serialize;
use crate::snapshot::Snapshot;
use crate::specialize::{ArtifactSource, BoundImport, CompileState};
use crate::staged::StageInfo;
use crate::{Engine, Error, Result};
use stagec_codegen::CompileOptions;
use stagec_environ::artifact::Artifact;
use stagec_frontend::{EntityType, ExternKind, ModuleInfo};
use stagec_runtime::CodeMemory;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) struct ModuleInner {
    pub(crate) engine: Engine,
    pub(crate) info: Arc<ModuleInfo>,
    /// The module's binary.
    pub(crate) bytes: Arc<[u8]>,
    pub(crate) code: Arc<CodeMemory>,
    pub(crate) type_ids: Box<[u32]>,
    /// Per import: how a preimported import is filled in; `None` for runtime imports.
    pub(crate) bound: Vec<Option<BoundImport>>,
    /// Provider instances and constants of a specialized compilation.
    state: Option<CompileState>,
    /// The stages of a staged module (a core module is one `multi` stage, `main`).
    pub(crate) stages: Vec<StageInfo>,
    /// Stores whose objects are bound into the code (`Preimport::Extern`): the module may
    /// only be instantiated in one of them.
    pub(crate) required_stores: Vec<u64>,
    /// What [`Module::serialize`] writes; `None` when the inputs cannot be encoded.
    serialized: Option<Serialized>,
    timings: CompileTimings,
    /// The copy-on-write image of memory 0, built at the first instantiation.
    memory_image: std::sync::OnceLock<Option<stagec_runtime::MemoryImage>>,
}

/// What a module keeps to serialize itself (and to re-create its compile-time state for a
/// memory-cache hit).
enum Serialized {
    /// A compilation made here: its parts.
    Parts(SerializedParts),
    /// A module loaded from serialized bytes (a mapped cache entry or an artifact): those
    /// bytes, kept as they are rather than copied into parts.
    Bytes(Arc<dyn AsRef<[u8]> + Send + Sync>),
}

/// The parts of a serialized compilation.
#[derive(Clone)]
struct SerializedParts {
    key: [u8; 32],
    /// The recipe (names section and body).
    recipe: Vec<u8>,
    artifacts: Vec<Artifact>,
    snapshot: Option<Snapshot>,
}

/// Which cache answered for a module.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Compiled; its inputs cannot be cached (a live object of a store is bound).
    #[default]
    Uncacheable,
    /// Compiled: no cache had it.
    Miss,
    /// The engine had compiled the same inputs already: the module is shared.
    MemoryHit,
    /// Loaded from the disk cache.
    DiskHit,
    /// Loaded from an explicit artifact ([`Module::deserialize`]).
    Artifact,
}

/// Where the time to make a module went ([`Module::timings`]). Translate and Cranelift
/// times are summed over compiler threads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompileTimings {
    /// Parsing and validating the module's structure (its function bodies are validated
    /// while they are translated).
    pub parse: Duration,
    /// Translating wasm function bodies to Cranelift IR, summed over compiler threads
    /// (so it may exceed the wall-clock total).
    pub translate: Duration,
    /// Cranelift (inlining, optimization, instruction selection, register allocation),
    /// summed over compiler threads.
    pub codegen: Duration,
    /// Reading, checking and loading a cache entry or artifact (on a hit).
    pub cache_load: Duration,
    /// Everything, end to end.
    pub total: Duration,
    /// Which cache answered.
    pub cache: CacheOutcome,
    /// Loaded (from a cache or an artifact) with its providers' and stages' state restored
    /// from the snapshot taken when it was compiled, instead of running their start
    /// functions again.
    pub state_restored: bool,
}

/// A compilation's inputs.
struct Inputs<'a> {
    kind: RecipeKind,
    binary: Vec<u8>,
    preimports: &'a Preimports,
    options: CompileOptions,
    stages: &'a [crate::Provider],
    stage_info: Vec<StageInfo>,
}

thread_local! {
    /// How long the last [`build`] on this thread spent parsing the module.
    static PARSE_TIME: std::cell::Cell<Duration> = const { std::cell::Cell::new(Duration::ZERO) };
}

/// Compiles `inputs`, or takes the compilation from the engine's memory or disk cache.
fn compile_cached(engine: &Engine, inputs: Inputs<'_>) -> Result<Module> {
    engine.check_compilation_allowed()?;
    let start = Instant::now();
    let recipe = recipe::encode(
        inputs.kind,
        &inputs.binary,
        &inputs.options,
        inputs.preimports,
        inputs.stages,
        &inputs.stage_info,
    );
    let key = recipe.as_ref().map(|r| recipe::key(engine, r.body()));
    if let Some(key) = &key {
        if let Some(inner) = engine.cached_module(key) {
            engine.count(CacheEvent::MemoryHit);
            // Compile-time instances (providers, stages) belong to one compilation: each
            // constructor call gets its own, so the cache changes no semantics. Only a
            // module without them is shared as it is; otherwise its code is reused.
            if !inner.has_compile_time_instances() {
                return Ok(Module { inner });
            }
            let mut module = match inner
                .serialized
                .as_ref()
                .expect("cached modules are serializable")
            {
                Serialized::Parts(parts) => {
                    let mut module = replay(
                        engine,
                        &parts.recipe,
                        parts.artifacts.clone(),
                        parts.snapshot.clone(),
                    )?;
                    let inner = Arc::get_mut(&mut module.inner).expect("not shared yet");
                    inner.serialized = Some(Serialized::Parts(parts.clone()));
                    module
                }
                Serialized::Bytes(bytes) => load_serialized(engine, bytes.clone(), Some(key))?,
            };
            let inner = Arc::get_mut(&mut module.inner).expect("not shared yet");
            inner.timings.cache = CacheOutcome::MemoryHit;
            inner.timings.cache_load = start.elapsed();
            inner.timings.total = start.elapsed();
            return Ok(module);
        }
        if let Some(cache) = &engine.inner.disk_cache
            && let Some(bytes) = cache.get(key)
        {
            match load_serialized(engine, Arc::new(bytes), Some(key)) {
                Ok(mut module) => {
                    engine.count(CacheEvent::DiskHit);
                    let inner = Arc::get_mut(&mut module.inner).expect("not shared yet");
                    inner.timings.cache = CacheOutcome::DiskHit;
                    inner.timings.cache_load = start.elapsed();
                    inner.timings.total = start.elapsed();
                    engine.remember(*key, &module.inner);
                    return Ok(module);
                }
                Err(e) => {
                    engine.count(CacheEvent::Discarded);
                    eprintln!(
                        "stagec: warning: discarding cache entry {}: {e}",
                        cache.path_of(key).display()
                    );
                    cache.remove(key);
                }
            }
        }
        engine.count(CacheEvent::Miss);
    }
    let (translate0, codegen0) = engine.inner.compiler.timings().snapshot();
    let (mut module, artifacts, snapshot) = build(engine, &inputs, ArtifactSource::compile())?;
    let parse_time = PARSE_TIME.get();
    let (translate1, codegen1) = engine.inner.compiler.timings().snapshot();
    let total = start.elapsed();
    let inner = Arc::get_mut(&mut module.inner).expect("not shared yet");
    inner.timings = CompileTimings {
        translate: translate1.saturating_sub(translate0),
        codegen: codegen1.saturating_sub(codegen0),
        total,
        cache: if key.is_some() {
            CacheOutcome::Miss
        } else {
            CacheOutcome::Uncacheable
        },
        ..CompileTimings::default()
    };
    inner.timings.parse = parse_time;
    if let (Some(key), Some(recipe)) = (key, recipe) {
        let parts = SerializedParts {
            key,
            recipe: recipe.bytes,
            artifacts,
            snapshot,
        };
        if let Some(cache) = &engine.inner.disk_cache {
            let bytes = serialize::write(
                engine,
                &parts.key,
                &parts.recipe,
                &parts.artifacts,
                parts.snapshot.as_ref(),
            );
            if let Err(e) = cache.put(&key, &bytes) {
                eprintln!(
                    "stagec: warning: cannot write cache entry {}: {e}",
                    cache.path_of(&key).display()
                );
            }
        }
        inner.serialized = Some(Serialized::Parts(parts));
        engine.remember(key, &module.inner);
    }
    Ok(module)
}

/// Makes the module of `inputs` with artifacts from `source`; also returns every artifact
/// compiled (empty when replaying).
fn build(
    engine: &Engine,
    inputs: &Inputs<'_>,
    source: ArtifactSource,
) -> Result<(Module, Vec<Artifact>, Option<Snapshot>)> {
    let parse_start = Instant::now();
    let parsed = if source.is_replay() {
        stagec_frontend::parse_trusted(inputs.binary.clone())?
    } else {
        stagec_frontend::parse(inputs.binary.clone())?
    };
    PARSE_TIME.set(parse_start.elapsed());
    match inputs.kind {
        RecipeKind::Plain => {
            let units = [stagec_codegen::CompileUnit::generic(&parsed)];
            let mut source = source;
            let artifact = source.artifact(engine, &units, &inputs.options)?;
            source.check_exhausted()?;
            let bound = parsed.info.imports.iter().map(|_| None).collect();
            let module =
                Module::from_artifact(engine, parsed.bytes, parsed.info, artifact, bound, None)?;
            Ok((module, source.into_produced(), None))
        }
        RecipeKind::Specialized => {
            let specialized = crate::specialize::compile(
                engine,
                &parsed,
                inputs.preimports,
                &inputs.options,
                inputs.stages,
                source,
            )?;
            let mut module = Module::from_artifact(
                engine,
                parsed.bytes,
                parsed.info,
                specialized.artifact,
                specialized.bound,
                Some(specialized.state),
            )?;
            let inner = Arc::get_mut(&mut module.inner).expect("not shared yet");
            if !inputs.stage_info.is_empty() {
                inner.stages = inputs.stage_info.clone();
            }
            inner.required_stores = specialized.required_stores;
            Ok((module, specialized.produced, specialized.snapshot))
        }
    }
}

/// Loads a serialized compilation; with `key`, it must be the entry of that key. The
/// module keeps `bytes` (for [`Module::serialize`] and memory-cache hits).
fn load_serialized(
    engine: &Engine,
    bytes: Arc<dyn AsRef<[u8]> + Send + Sync>,
    key: Option<&[u8; 32]>,
) -> Result<Module> {
    let start = Instant::now();
    let file = serialize::read(engine, (*bytes).as_ref())?;
    if key.is_some_and(|k| *k != file.key) {
        return Err(Error::Artifact("it is the entry of another key".into()));
    }
    let mut module = replay(engine, &file.recipe, file.artifacts, file.snapshot)?;
    let inner = Arc::get_mut(&mut module.inner).expect("not shared yet");
    inner.serialized = Some(Serialized::Bytes(bytes));
    inner.timings.cache_load = start.elapsed();
    inner.timings.total = start.elapsed();
    Ok(module)
}

/// Makes a module from a compilation's recipe and artifacts without compiling: the recipe
/// re-creates the compile-time state (a new one), the artifacts are loaded against it.
fn replay(
    engine: &Engine,
    recipe: &[u8],
    artifacts: Vec<Artifact>,
    snapshot: Option<Snapshot>,
) -> Result<Module> {
    let decoded = recipe::decode(recipe).map_err(|e| Error::Artifact(format!("recipe: {e}")))?;
    let needed = engine.compile_options(&CompileOptions::default());
    for (what, needs, has) in [
        (
            "interruption checks",
            needed.interruptible,
            decoded.options.interruptible,
        ),
        (
            "fuel accounting",
            needed.consume_fuel,
            decoded.options.consume_fuel,
        ),
    ] {
        if needs && !has {
            return Err(Error::Artifact(format!(
                "it was compiled without {what}, which this engine's configuration requires"
            )));
        }
    }
    let inputs = Inputs {
        kind: decoded.kind,
        binary: decoded.bytes,
        preimports: &decoded.preimports,
        options: decoded.options,
        stages: &decoded.stages,
        stage_info: decoded.stage_info,
    };
    let restoring = snapshot.is_some();
    let source = ArtifactSource::Replay {
        artifacts: artifacts.into_iter(),
        snapshot,
    };
    let (mut module, _, _) = build(engine, &inputs, source)?;
    let inner = Arc::get_mut(&mut module.inner).expect("not shared yet");
    inner.timings.state_restored = restoring;
    Ok(module)
}

impl ModuleInner {
    /// Whether the compilation instantiated providers or stages: state of its own.
    fn has_compile_time_instances(&self) -> bool {
        self.state
            .as_ref()
            .is_some_and(|s| !s.store.instances.is_empty())
    }
}

// SAFETY: the raw pointers in `bound` point into the compilation state owned by the same
// module (or its providers), which is shared by design (see `CompileState`).
unsafe impl Send for ModuleInner {}
// SAFETY: as above.
unsafe impl Sync for ModuleInner {}

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
        };
        compile_cached(engine, inputs)
    }

    /// Compiles a module (binary or text) specialized on `preimports`: bound constants
    /// become immediates, bound provider functions direct (inlinable) calls, bound provider
    /// memories, tables and globals fixed addresses. The bound imports are no longer
    /// imports of the compiled module; the rest are linked at instantiation as usual.
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
        Self::with_stages(engine, bytes.as_ref(), preimports, options, &[], Vec::new())
    }

    /// Compiles `bytes` specialized on `preimports` after instantiating the `stages`
    /// providers in order.
    pub(crate) fn with_stages(
        engine: &Engine,
        bytes: &[u8],
        preimports: &Preimports,
        options: &CompileOptions,
        stages: &[crate::Provider],
        stage_info: Vec<StageInfo>,
    ) -> Result<Module> {
        let inputs = Inputs {
            kind: RecipeKind::Specialized,
            binary: to_binary(bytes)?,
            preimports,
            options: engine.compile_options(options),
            stages,
            stage_info,
        };
        compile_cached(engine, inputs)
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
        bytes: Arc<dyn AsRef<[u8]> + Send + Sync>,
    ) -> Result<Module> {
        let start = Instant::now();
        let mut module = load_serialized(engine, bytes, None)?;
        let inner = Arc::get_mut(&mut module.inner).expect("not shared yet");
        inner.timings.cache = CacheOutcome::Artifact;
        inner.timings.cache_load = start.elapsed();
        inner.timings.total = inner.timings.cache_load;
        Ok(module)
    }

    /// [`Module::deserialize`] of the file at `path` (mapped, not read); errors name it.
    pub fn deserialize_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Module> {
        let path = path.as_ref();
        let in_file = |e: Error| Error::InFile {
            path: path.to_path_buf(),
            source: Box::new(e),
        };
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        // SAFETY: a read-only private mapping; the bytes are checked (checksum, then
        // every field) before use and copied before anything is made executable. A file
        // changed while mapped can at worst fail those checks.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
        Self::deserialize_shared(engine, Arc::new(map)).map_err(in_file)
    }

    /// The module in serialized form ([`Module::deserialize`] loads it): the compiled code
    /// of the module and of every provider and stage it was compiled against, and the
    /// recipe that re-creates them. Fails for a module bound to live objects of a store
    /// ([`Preimport::Extern`](crate::Preimport::Extern)), which exist only in this process.
    pub fn serialize(&self) -> Result<Vec<u8>> {
        match self.inner.serialized.as_ref() {
            Some(Serialized::Parts(parts)) => Ok(serialize::write(
                &self.inner.engine,
                &parts.key,
                &parts.recipe,
                &parts.artifacts,
                parts.snapshot.as_ref(),
            )),
            Some(Serialized::Bytes(bytes)) => Ok((**bytes).as_ref().to_vec()),
            None => Err(Error::Usage(
                "this module is bound to live objects of a store; it cannot be serialized".into(),
            )),
        }
    }

    /// The module's memory image, if instantiating from one is equivalent to applying its
    /// data segments (see `MemoryImage::for_module`).
    pub(crate) fn memory_image(&self) -> Option<&stagec_runtime::MemoryImage> {
        self.inner
            .memory_image
            .get_or_init(|| stagec_runtime::MemoryImage::for_module(&self.inner.info))
            .as_ref()
    }

    /// Where the time to make this module went, and which cache answered.
    pub fn timings(&self) -> &CompileTimings {
        &self.inner.timings
    }

    pub(crate) fn from_artifact(
        engine: &Engine,
        bytes: Arc<[u8]>,
        info: ModuleInfo,
        artifact: Artifact,
        bound: Vec<Option<BoundImport>>,
        state: Option<CompileState>,
    ) -> Result<Module> {
        let code = Arc::new(CodeMemory::load_owned(artifact)?);
        let type_ids = info.types.iter().map(|t| engine.signature_id(t)).collect();
        Ok(Module {
            inner: Arc::new(ModuleInner {
                engine: engine.clone(),
                info: Arc::new(info),
                bytes,
                code,
                type_ids,
                bound,
                state,
                stages: vec![StageInfo::main()],
                required_stores: Vec::new(),
                serialized: None,
                timings: CompileTimings::default(),
                memory_image: std::sync::OnceLock::new(),
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
    /// the generic build for comparison.
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
        let index = match info.export(func) {
            Some(e) if e.kind == ExternKind::Func => e.index,
            _ => func
                .parse::<u32>()
                .ok()
                .filter(|i| (*i as usize) < info.functions.len())
                .ok_or_else(|| {
                    Error::Usage(format!("no exported function or function index `{func}`"))
                })?,
        };
        let defined = info.defined_func_index(index).ok_or_else(|| {
            Error::Usage(format!(
                "function `{func}` is imported; it has no code here"
            ))
        })?;
        let generic =
            crate::specialize::explain(engine, &parsed, &Preimports::new(), options, defined)?;
        let specialized =
            crate::specialize::explain(engine, &parsed, preimports, options, defined)?;
        Ok(Explained {
            generic,
            specialized,
        })
    }

    /// The instance of provider `id` (a `pre` or `single` stage) in the compilation's
    /// private store, with that store.
    pub(crate) fn stage_instance(&self, id: u64) -> Option<(&crate::Store, crate::Instance)> {
        let state = self.inner.state.as_ref()?;
        state.provider_instance(id).map(|i| (&state.store, i))
    }

    /// The module's binary (of a staged module: its `multi` stage, or the synthesized
    /// module re-exporting its `single` stages).
    pub fn bytes(&self) -> &[u8] {
        &self.inner.bytes
    }

    /// The module description.
    pub fn info(&self) -> &ModuleInfo {
        &self.inner.info
    }

    /// The engine the module was compiled with.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// Imports still to be supplied at instantiation (preimported ones are not listed):
    /// (module, name, type).
    pub fn imports(&self) -> impl Iterator<Item = (&str, &str, &EntityType)> {
        self.inner
            .info
            .imports
            .iter()
            .zip(&self.inner.bound)
            .filter(|(_, b)| b.is_none())
            .map(|(i, _)| (i.module.as_str(), i.name.as_str(), &i.ty))
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

/// The output of [`Module::explain`].
#[derive(Debug)]
pub struct Explained {
    /// The function compiled without preimports.
    pub generic: stagec_codegen::Explanation,
    /// The function compiled specialized on the preimports.
    pub specialized: stagec_codegen::Explanation,
}

/// The binary form of module bytes given in binary or text format.
pub(crate) fn to_binary(bytes: &[u8]) -> Result<Vec<u8>> {
    // Anything that cannot be text is given to the binary decoder, for an error with an
    // offset.
    let text = std::str::from_utf8(bytes)
        .ok()
        .filter(|t| !t.trim().is_empty());
    if bytes.starts_with(b"\0asm") || text.is_none() {
        Ok(bytes.to_vec())
    } else {
        wat::parse_bytes(bytes)
            .map(|b| b.into_owned())
            .map_err(|e| Error::Wat(e.to_string().lines().next().unwrap_or_default().to_string()))
    }
}
