//! The compile driver: turns a compilation's inputs into a [`Compilation`] — compiled
//! here, shared from the engine's memory cache, loaded from the disk cache, or replayed
//! from serialized bytes — and keeps what serializing it again needs.

use crate::artifact_source::ArtifactSource;
use crate::compiled::{CodeIdentity, CompiledModule, ImportKey, StageInfo};
use crate::engine::{CacheEvent, Engine};
use crate::error::{ArtifactError, RequiredCheck, Result, UsageError};
use crate::preimports::{Preimports, Provider};
use crate::recipe::{self, RecipeKind};
use crate::serialize;
use crate::snapshot::Snapshot;
use crate::specialize::{self, LiveStores};
use stagec_codegen::CompileOptions;
use stagec_environ::artifact::Artifact;
use stagec_environ::code::CodeImage;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    /// Loaded from an explicit artifact ([`Module::deserialize`](crate::Module::deserialize)).
    Artifact,
}

/// Where the time to make a module went ([`Module::timings`](crate::Module::timings)).
/// Translate and Cranelift times are summed over compiler threads.
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

/// A compiled module with what compiling it produced (the public
/// [`Module`](crate::Module) is a handle to one).
pub(crate) struct Compilation {
    pub(crate) engine: Engine,
    /// The module's binary.
    pub(crate) bytes: Arc<[u8]>,
    pub(crate) compiled: Arc<CompiledModule>,
    /// What [`Compilation::serialize`] writes; `None` when the inputs cannot be encoded.
    serialized: Option<Serialized>,
    pub(crate) timings: CompileTimings,
}

/// What a module keeps to serialize itself (and to re-create its compile-time state for a
/// memory-cache hit).
enum Serialized {
    /// A compilation made here: its parts.
    Parts(SerializedParts),
    /// A module loaded from serialized bytes (a mapped cache entry or an artifact): those
    /// bytes, kept as they are rather than copied into parts (the loaded code may be
    /// mapped from them).
    Bytes(Arc<dyn CodeImage>),
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

/// A compilation's inputs.
pub(crate) struct Inputs<'a> {
    pub(crate) kind: RecipeKind,
    pub(crate) binary: Vec<u8>,
    pub(crate) preimports: &'a Preimports,
    pub(crate) options: CompileOptions,
    pub(crate) stages: &'a [Provider],
    pub(crate) stage_info: Vec<StageInfo>,
    /// The stores whose live objects the preimports may bind.
    pub(crate) live: Option<LiveStores<'a>>,
}

thread_local! {
    /// How long the last [`build`] on this thread spent parsing the module.
    static PARSE_TIME: std::cell::Cell<Duration> = const { std::cell::Cell::new(Duration::ZERO) };
}

/// Compiles `inputs`, or takes the compilation from the engine's memory or disk cache.
pub(crate) fn compile_cached(engine: &Engine, inputs: Inputs<'_>) -> Result<Arc<Compilation>> {
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
        if let Some(cached) = cached(engine, key) {
            engine.count(CacheEvent::MemoryHit);
            // Compile-time instances (providers, stages) belong to one compilation: each
            // constructor call gets its own, so the cache changes no semantics. Only a
            // module without them is shared as it is; otherwise its code is reused.
            if !specialize::has_compile_time_instances(&cached.compiled) {
                return Ok(cached);
            }
            let serialized = cached
                .serialized
                .as_ref()
                .expect("cached modules are serializable");
            let mut compilation = match serialized {
                Serialized::Parts(parts) => {
                    let mut compilation = replay(
                        engine,
                        &parts.recipe,
                        parts.artifacts.clone(),
                        parts.snapshot.clone(),
                    )?;
                    compilation.serialized = Some(Serialized::Parts(parts.clone()));
                    compilation
                }
                Serialized::Bytes(bytes) => load_serialized(engine, bytes.clone(), Some(key))?,
            };
            compilation.timings.cache = CacheOutcome::MemoryHit;
            compilation.timings.cache_load = start.elapsed();
            compilation.timings.total = start.elapsed();
            return Ok(Arc::new(compilation));
        }
        if let Some(cache) = &engine.inner.disk_cache
            && let Some(bytes) = cache.get(key)
        {
            match load_serialized(engine, Arc::new(bytes), Some(key)) {
                Ok(mut compilation) => {
                    engine.count(CacheEvent::DiskHit);
                    compilation.timings.cache = CacheOutcome::DiskHit;
                    compilation.timings.cache_load = start.elapsed();
                    compilation.timings.total = start.elapsed();
                    let compilation = Arc::new(compilation);
                    engine.remember(*key, compilation.clone());
                    return Ok(compilation);
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
    let (mut compilation, artifacts, snapshot) = build(engine, &inputs, ArtifactSource::compile())?;
    let parse_time = PARSE_TIME.get();
    let (translate1, codegen1) = engine.inner.compiler.timings().snapshot();
    compilation.timings = CompileTimings {
        parse: parse_time,
        translate: translate1.saturating_sub(translate0),
        codegen: codegen1.saturating_sub(codegen0),
        total: start.elapsed(),
        cache: if key.is_some() {
            CacheOutcome::Miss
        } else {
            CacheOutcome::Uncacheable
        },
        ..CompileTimings::default()
    };
    let (Some(key), Some(recipe)) = (key, recipe) else {
        return Ok(Arc::new(compilation));
    };
    let parts = SerializedParts {
        key,
        recipe: recipe.bytes,
        artifacts,
        snapshot,
    };
    if let Some(cache) = &engine.inner.disk_cache {
        let bytes = parts.write(engine);
        if let Err(e) = cache.put(&key, &bytes) {
            eprintln!(
                "stagec: warning: cannot write cache entry {}: {e}",
                cache.path_of(&key).display()
            );
        }
    }
    compilation.serialized = Some(Serialized::Parts(parts));
    let compilation = Arc::new(compilation);
    engine.remember(key, compilation.clone());
    Ok(compilation)
}

/// The compilation of `key` in the engine's memory cache, if it is still alive.
fn cached(engine: &Engine, key: &[u8; 32]) -> Option<Arc<Compilation>> {
    engine.cached_module(key)?.downcast::<Compilation>().ok()
}

/// Makes the module of `inputs` with artifacts from `source`; also returns every artifact
/// compiled (empty when replaying).
fn build(
    engine: &Engine,
    inputs: &Inputs<'_>,
    source: ArtifactSource,
) -> Result<(Compilation, Vec<Artifact>, Option<Snapshot>)> {
    let parse_start = Instant::now();
    let parsed = if source.is_replay() {
        stagec_frontend::parse_trusted(inputs.binary.clone())?
    } else {
        stagec_frontend::parse(inputs.binary.clone())?
    };
    PARSE_TIME.set(parse_start.elapsed());
    let (compiled, produced, snapshot) = match inputs.kind {
        RecipeKind::Plain => {
            let units = [stagec_codegen::CompileUnit::generic(&parsed)];
            let mut source = source;
            let artifact = source.artifact(engine, &units, &inputs.options)?;
            source.check_exhausted()?;
            let bound = parsed.info.imports.iter().map(|_| None).collect();
            let keys = vec![ImportKey::Runtime; parsed.info.imports.len()];
            let identity = CodeIdentity::of(&parsed.bytes, &keys);
            let info = Arc::new(parsed.info);
            let mut compiled = CompiledModule::load(engine, info, artifact, bound, None)?;
            compiled.identity = Some(identity);
            (compiled, source.into_produced(), None)
        }
        RecipeKind::Specialized => {
            let specialized = specialize::compile(
                engine,
                &parsed,
                inputs.preimports,
                &inputs.options,
                inputs.stages,
                source,
                inputs.live,
            )?;
            let info = Arc::new(parsed.info);
            let mut compiled = CompiledModule::load(
                engine,
                info,
                specialized.artifact,
                specialized.bound,
                Some(specialized.state),
            )?;
            if !inputs.stage_info.is_empty() {
                compiled.stages = inputs.stage_info.clone();
            }
            compiled.required_store = specialized.required_store;
            compiled.known = specialized.known;
            compiled.identity = Some(specialized.identity);
            (compiled, specialized.produced, specialized.snapshot)
        }
    };
    let compilation = Compilation {
        engine: engine.clone(),
        bytes: parsed.bytes,
        compiled: Arc::new(compiled),
        serialized: None,
        timings: CompileTimings::default(),
    };
    Ok((compilation, produced, snapshot))
}

/// Loads a serialized compilation; with `key`, it must be the entry of that key. The
/// compilation keeps `bytes` (for [`Compilation::serialize`] and memory-cache hits).
pub(crate) fn load_serialized(
    engine: &Engine,
    bytes: Arc<dyn CodeImage>,
    key: Option<&[u8; 32]>,
) -> Result<Compilation> {
    let start = Instant::now();
    let file = serialize::read(engine, &bytes)?;
    if key.is_some_and(|k| *k != file.key) {
        return Err(ArtifactError::OtherKey.into());
    }
    let mut compilation = replay(engine, &file.recipe, file.artifacts, file.snapshot)?;
    compilation.serialized = Some(Serialized::Bytes(bytes));
    compilation.timings.cache_load = start.elapsed();
    compilation.timings.total = start.elapsed();
    Ok(compilation)
}

/// Makes a module from a compilation's recipe and artifacts without compiling: the recipe
/// re-creates the compile-time state (a new one), the artifacts are loaded against it.
fn replay(
    engine: &Engine,
    recipe: &[u8],
    artifacts: Vec<Artifact>,
    snapshot: Option<Snapshot>,
) -> Result<Compilation> {
    let decoded = recipe::decode(recipe).map_err(ArtifactError::Recipe)?;
    let needed = engine.compile_options(&CompileOptions::default());
    for (check, needs, has) in [
        (
            RequiredCheck::InterruptionChecks,
            needed.interruptible,
            decoded.options.interruptible,
        ),
        (
            RequiredCheck::FuelAccounting,
            needed.consume_fuel,
            decoded.options.consume_fuel,
        ),
    ] {
        if needs && !has {
            return Err(ArtifactError::MissingCheck(check).into());
        }
    }
    let inputs = Inputs {
        kind: decoded.kind,
        binary: decoded.bytes,
        preimports: &decoded.preimports,
        options: decoded.options,
        stages: &decoded.stages,
        stage_info: decoded.stage_info,
        live: None,
    };
    let restoring = snapshot.is_some();
    let source = ArtifactSource::Replay {
        artifacts: artifacts.into_iter(),
        snapshot,
    };
    let (mut compilation, _, _) = build(engine, &inputs, source)?;
    compilation.timings.state_restored = restoring;
    Ok(compilation)
}

impl SerializedParts {
    fn write(&self, engine: &Engine) -> Vec<u8> {
        serialize::write(
            engine,
            &self.key,
            &self.recipe,
            &self.artifacts,
            self.snapshot.as_ref(),
        )
    }
}

impl Compilation {
    /// The compilation in serialized form; fails for one bound to live objects of a store.
    pub(crate) fn serialize(&self) -> Result<Vec<u8>> {
        match self.serialized.as_ref() {
            Some(Serialized::Parts(parts)) => Ok(parts.write(&self.engine)),
            Some(Serialized::Bytes(bytes)) => Ok(bytes.bytes().to_vec()),
            None => Err(UsageError::NotSerializable.into()),
        }
    }
}
