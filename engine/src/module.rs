//! Compiled modules.

use crate::preimports::Preimports;
use crate::specialize::{BoundImport, CompileState};
use crate::staged::StageInfo;
use crate::{Engine, Error, Result};
use stagec_codegen::CompileOptions;
use stagec_frontend::{EntityType, ExternKind, ModuleInfo};
use stagec_runtime::CodeMemory;
use stagec_runtime::artifact::Artifact;
use std::path::Path;
use std::sync::Arc;

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
    pub fn from_binary(engine: &Engine, bytes: &[u8]) -> Result<Module> {
        engine.check_compilation_allowed()?;
        let parsed = stagec_frontend::parse(bytes.to_vec())?;
        let units = [stagec_codegen::CompileUnit::generic(&parsed)];
        let options = engine.compile_options(&CompileOptions::default());
        let artifact = engine.inner.compiler.compile_units(&units, &options)?;
        let bound = parsed.info.imports.iter().map(|_| None).collect();
        Self::from_artifact(engine, parsed.bytes, parsed.info, artifact, bound, None)
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
        engine.check_compilation_allowed()?;
        let parsed = stagec_frontend::parse(to_binary(bytes)?)?;
        let options = engine.compile_options(options);
        let specialized =
            crate::specialize::compile(engine, &parsed, preimports, &options, stages)?;
        let mut module = Self::from_artifact(
            engine,
            parsed.bytes,
            parsed.info,
            specialized.artifact,
            specialized.bound,
            Some(specialized.state),
        )?;
        let inner = Arc::get_mut(&mut module.inner).expect("not shared yet");
        if !stage_info.is_empty() {
            inner.stages = stage_info;
        }
        inner.required_stores = specialized.required_stores;
        Ok(module)
    }

    pub(crate) fn from_artifact(
        engine: &Engine,
        bytes: Arc<[u8]>,
        info: ModuleInfo,
        artifact: Artifact,
        bound: Vec<Option<BoundImport>>,
        state: Option<CompileState>,
    ) -> Result<Module> {
        let code = Arc::new(CodeMemory::load(&artifact)?);
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
