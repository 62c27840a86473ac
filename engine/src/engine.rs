//! The engine: a compiler, its configuration, and the engine-wide signature registry.

use crate::{Error, Result};
use stagec_codegen::Compiler;
use stagec_frontend::FuncType;
use stagec_runtime::CodeMemory;
use stagec_runtime::vm::EntryTrampoline;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Engine configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Native stack (bytes) that wasm code may use before "call stack exhausted".
    pub max_wasm_stack: usize,
}

impl Config {
    /// Sets [`Config::max_wasm_stack`].
    pub fn with_max_wasm_stack(mut self, bytes: usize) -> Config {
        self.max_wasm_stack = bytes;
        self
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_wasm_stack: stagec_runtime::DEFAULT_MAX_WASM_STACK,
        }
    }
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
                config,
                signatures: Mutex::new(Signatures::default()),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
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
            code: CodeMemory::load(&artifact).map_err(Error::Load)?,
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
