//! The engine: a compiler, its configuration, and the engine-wide signature registry.

use crate::cache::{CacheConfig, DiskCache};
use crate::error::{Error, Result};
use stagec_codegen::{CompileOptions, Compiler};
use stagec_frontend::FuncType;
use stagec_runtime::CodeMemory;
use stagec_runtime::vm::EntryTrampoline;
use std::any::Any;
use std::collections::HashMap;
use std::sync::Weak;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Engine configuration: limits on what wasm code may use, and capabilities of hosts.
#[derive(Clone, Debug)]
pub struct Config {
    /// Native stack (bytes) that wasm code may use before "call stack exhausted".
    pub max_wasm_stack: usize,
    /// Compile code that checks its store's interrupt flag at every function entry and
    /// loop header, so that [`Store::set_deadline`](crate::Store::set_deadline) and
    /// [`Store::interrupt_handle`](crate::Store::interrupt_handle) can stop it (a trap of
    /// kind [`TrapKind::Interrupted`](crate::TrapKind::Interrupted)). Off by default: each
    /// check is a load and a branch.
    pub interruptible: bool,
    /// Compile code that consumes fuel, one unit per executed operator, and traps with
    /// [`TrapKind::OutOfFuel`](crate::TrapKind::OutOfFuel) once its store's fuel
    /// ([`Store::set_fuel`](crate::Store::set_fuel)) is used up. Off by default.
    pub consume_fuel: bool,
    /// The most bytes any one linear memory of a store may have: `memory.grow` beyond it
    /// fails (returns -1), and creating a memory whose minimum exceeds it is an error.
    /// `None` (the default): only the memory's own maximum and the 4 GiB of a 32-bit
    /// memory.
    pub max_memory_bytes: Option<u64>,
    /// Deny compilation from bytes (a capability a host may withhold, component-model
    /// issue 401): every [`Module`](crate::Module) constructor that compiles fails with
    /// [`Error::CompilationDenied`]; only precompiled artifacts could be loaded.
    pub deny_compilation: bool,
    /// The on-disk cache of compiled modules (`None`, the default: no disk cache). Every
    /// compilation whose inputs can be encoded (all but those binding live objects of a
    /// store) is looked up there first and written there after compiling. Independently
    /// of it, one engine compiling the same inputs twice shares one compiled module.
    pub cache: Option<CacheConfig>,
}

impl Config {
    /// Sets [`Config::max_wasm_stack`].
    pub fn with_max_wasm_stack(mut self, bytes: usize) -> Config {
        self.max_wasm_stack = bytes;
        self
    }

    /// Sets [`Config::interruptible`].
    pub fn with_interruptible(mut self, on: bool) -> Config {
        self.interruptible = on;
        self
    }

    /// Sets [`Config::consume_fuel`].
    pub fn with_consume_fuel(mut self, on: bool) -> Config {
        self.consume_fuel = on;
        self
    }

    /// Sets [`Config::max_memory_bytes`].
    pub fn with_max_memory_bytes(mut self, bytes: u64) -> Config {
        self.max_memory_bytes = Some(bytes);
        self
    }

    /// Sets [`Config::cache`].
    pub fn with_cache(mut self, cache: Option<CacheConfig>) -> Config {
        self.cache = cache;
        self
    }

    /// Sets [`Config::deny_compilation`].
    pub fn deny_compilation(mut self, deny: bool) -> Config {
        self.deny_compilation = deny;
        self
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_wasm_stack: stagec_runtime::DEFAULT_MAX_WASM_STACK,
            interruptible: false,
            consume_fuel: false,
            max_memory_bytes: None,
            deny_compilation: false,
            cache: None,
        }
    }
}

/// What a cache lookup found.
#[derive(Clone, Copy, Debug)]
pub(crate) enum CacheEvent {
    MemoryHit,
    DiskHit,
    Miss,
    Discarded,
}

/// Compiled code that every signature needs: the host adapter (wasm → host) and the
/// entry trampoline (host → wasm).
pub(crate) struct SignatureCode {
    code: CodeMemory,
}

impl SignatureCode {
    /// The host adapter: a wasm-convention function calling a `VMHostFuncContext`.
    pub(crate) fn host_adapter(&self) -> *const u8 {
        self.code.function(0)
    }

    /// The entry trampoline.
    pub(crate) fn trampoline(&self) -> EntryTrampoline {
        // SAFETY: entry trampoline 0 of a host-adapter artifact has this signature.
        unsafe { std::mem::transmute::<*const u8, EntryTrampoline>(self.code.entry_trampoline(0)) }
    }
}

#[derive(Default)]
struct Signatures {
    ids: HashMap<FuncType, u32>,
    types: Vec<FuncType>,
    code: Vec<Option<Arc<SignatureCode>>>,
}

pub(crate) struct EngineInner {
    pub(crate) compiler: Compiler,
    pub(crate) config: Config,
    signatures: Mutex<Signatures>,
    pub(crate) disk_cache: Option<DiskCache>,
    /// Modules compiled by this engine, by key (the in-memory cache). Type-erased: what
    /// a module is belongs to the compile driver (`driver.rs`), which is built on the
    /// engine.
    modules: Mutex<HashMap<[u8; 32], Weak<dyn Any + Send + Sync>>>,
    stats: CacheCounters,
}

/// How often the engine's caches answered.
#[derive(Debug, Default)]
struct CacheCounters {
    memory_hits: AtomicU64,
    disk_hits: AtomicU64,
    misses: AtomicU64,
    discarded: AtomicU64,
}

/// The engine's cache counters ([`Engine::cache_stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Compilations answered by a module this engine had already compiled.
    pub memory_hits: u64,
    /// Compilations answered by the disk cache.
    pub disk_hits: u64,
    /// Compilations that ran the compiler (with a key: cacheable).
    pub misses: u64,
    /// Disk entries found unusable (corrupt, truncated, stale) and discarded.
    pub discarded: u64,
}

/// A compilation environment shared by modules and stores.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<EngineInner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine for the host with the given configuration.
    pub fn new(config: Config) -> Result<Engine> {
        Ok(Engine {
            inner: Arc::new(EngineInner {
                compiler: Compiler::new()?,
                disk_cache: config.cache.clone().map(DiskCache::new),
                config,
                signatures: Mutex::new(Signatures::default()),
                modules: Mutex::new(HashMap::new()),
                stats: CacheCounters::default(),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Fails with [`Error::CompilationDenied`] when the configuration denies compiling.
    pub(crate) fn check_compilation_allowed(&self) -> Result<()> {
        if self.inner.config.deny_compilation {
            return Err(Error::CompilationDenied);
        }
        Ok(())
    }

    /// `options` with the engine's limits turned on: the checks compiled into code are
    /// the engine's, whatever a caller passes.
    pub(crate) fn compile_options(&self, options: &CompileOptions) -> CompileOptions {
        let config = &self.inner.config;
        CompileOptions {
            interruptible: options.interruptible || config.interruptible,
            consume_fuel: options.consume_fuel || config.consume_fuel,
            ..*options
        }
    }

    /// How often the engine's caches answered so far.
    pub fn cache_stats(&self) -> CacheStats {
        let s = &self.inner.stats;
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CacheStats {
            memory_hits: get(&s.memory_hits),
            disk_hits: get(&s.disk_hits),
            misses: get(&s.misses),
            discarded: get(&s.discarded),
        }
    }

    pub(crate) fn count(&self, event: CacheEvent) {
        let s = &self.inner.stats;
        let counter = match event {
            CacheEvent::MemoryHit => &s.memory_hits,
            CacheEvent::DiskHit => &s.disk_hits,
            CacheEvent::Miss => &s.misses,
            CacheEvent::Discarded => &s.discarded,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The module this engine compiled with `key`, if it is still alive.
    pub(crate) fn cached_module(&self, key: &[u8; 32]) -> Option<Arc<dyn Any + Send + Sync>> {
        let modules = self.inner.modules.lock().unwrap_or_else(|e| e.into_inner());
        modules.get(key).and_then(Weak::upgrade)
    }

    /// Remembers `module` as the compilation of `key`.
    pub(crate) fn remember(&self, key: [u8; 32], module: Arc<dyn Any + Send + Sync>) {
        let mut modules = self.inner.modules.lock().unwrap_or_else(|e| e.into_inner());
        modules.retain(|_, m| m.strong_count() > 0);
        modules.insert(key, Arc::downgrade(&module));
    }

    /// Compiles `units`.
    pub(crate) fn compile_units(
        &self,
        units: &[stagec_codegen::CompileUnit<'_>],
        options: &CompileOptions,
    ) -> Result<stagec_environ::artifact::Artifact> {
        Ok(self.inner.compiler.compile_units(units, options)?)
    }

    /// The engine-wide id of signature `ty` (equal signatures share one id).
    pub fn signature_id(&self, ty: &FuncType) -> u32 {
        let mut sigs = self.lock();
        if let Some(&id) = sigs.ids.get(ty) {
            return id;
        }
        let id = sigs.types.len() as u32;
        sigs.ids.insert(ty.clone(), id);
        sigs.types.push(ty.clone());
        sigs.code.push(None);
        id
    }

    /// The signature with id `id`.
    pub fn signature(&self, id: u32) -> FuncType {
        self.lock().types[id as usize].clone()
    }

    pub(crate) fn signature_code(&self, id: u32) -> Result<Arc<SignatureCode>> {
        if let Some(code) = &self.lock().code[id as usize] {
            return Ok(code.clone());
        }
        let ty = self.signature(id);
        let artifact = self.inner.compiler.compile_host_adapter(&ty)?;
        let code = Arc::new(SignatureCode {
            code: CodeMemory::load(&artifact)?,
        });
        self.lock().code[id as usize] = Some(code.clone());
        Ok(code)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Signatures> {
        self.inner
            .signatures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}
