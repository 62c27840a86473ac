//! Preimports: imports bound before compilation (`module_bind`).
//!
//! A [`Preimports`] set binds `(module, name)` pairs to constants or to exports of
//! [`Provider`] modules. [`Module::with_preimports`](crate::Module::with_preimports) compiles
//! a module *specialized* on those bindings: constants become immediates, provider
//! functions are compiled into the same artifact and called directly (and inlined when
//! small), provider memories, tables and globals are reached at fixed addresses. Each
//! provider is instantiated once per compilation, in a private store owned by the compiled
//! module — the synthesized `pre` stage of DESIGN.md §2.
//!
//! [`Preimports::link`] (in `linker.rs`, a client of the linker) supplies the same
//! bindings as ordinary runtime imports: the indirection baseline that every
//! specialization is measured against.

use crate::compiled::{CodeIdentity, ImportKey};
use crate::engine::Engine;
use crate::error::{Error, ImportName, PreimportError, PreimportProblem, Result, UsageError};
use crate::handles::Extern;
use crate::staged::{self, PlannedBinding, StageBinding};
use crate::text::to_binary;
use crate::values::Val;
use stagec_frontend::{EntityType, ParsedModule, StageKind, StagedModule};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// What an import is bound to.
#[derive(Clone, Debug)]
pub enum Preimport {
    /// A constant, for an immutable global import of the same type.
    Value(Val),
    /// A live object of a store, bound at compile time: an immutable global becomes its
    /// value, a memory, table or mutable global its fixed address, a function is called
    /// through its import slot. Only a compilation given that store binds it
    /// ([`Module::with_preimports_in`](crate::Module::with_preimports_in),
    /// [`Module::from_staged_in`](crate::Module::from_staged_in)), which checks that the
    /// object belongs to it (so that it is alive); the compiled module may then only be
    /// instantiated in that store.
    Extern(Extern),
    /// An export of a provider module (function, global, memory or table).
    Export {
        /// The module providing the export.
        provider: Provider,
        /// The export's name.
        export: String,
    },
    /// Known code for a function import: a function of another module whose instance is
    /// supplied at instantiation (see [`KnownCode`]). The import stays an import of the
    /// compiled module.
    Code(KnownCode),
}

/// A set of bindings from `(module, name)` to [`Preimport`]s. Binding a pair again
/// replaces the earlier binding.
#[derive(Clone, Debug, Default)]
pub struct Preimports {
    entries: Vec<(String, String, Preimport)>,
}

impl Preimports {
    /// An empty set.
    pub fn new() -> Preimports {
        Preimports::default()
    }

    /// Binds `module`.`name` to `preimport`.
    pub fn bind(&mut self, module: &str, name: &str, preimport: Preimport) -> &mut Self {
        self.entries.retain(|(m, n, _)| m != module || n != name);
        self.entries
            .push((module.to_string(), name.to_string(), preimport));
        self
    }

    /// Binds the immutable global import `module`.`name` to the constant `value`.
    pub fn value(&mut self, module: &str, name: &str, value: Val) -> &mut Self {
        self.bind(module, name, Preimport::Value(value))
    }

    /// Binds the function import `module`.`name` to the known code `code`.
    pub fn code(&mut self, module: &str, name: &str, code: &KnownCode) -> &mut Self {
        self.bind(module, name, Preimport::Code(code.clone()))
    }

    /// Binds `module`.`name` to export `export` of `provider`.
    pub fn export(
        &mut self,
        module: &str,
        name: &str,
        provider: &Provider,
        export: &str,
    ) -> &mut Self {
        self.bind(
            module,
            name,
            Preimport::Export {
                provider: provider.clone(),
                export: export.to_string(),
            },
        )
    }

    /// The binding of `module`.`name`, if any.
    pub fn get(&self, module: &str, name: &str) -> Option<&Preimport> {
        self.entries
            .iter()
            .find(|(m, n, _)| m == module && n == name)
            .map(|(_, _, p)| p)
    }

    /// Every binding, in the order given.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, &Preimport)> {
        self.entries
            .iter()
            .map(|(m, n, p)| (m.as_str(), n.as_str(), p))
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Known code with a runtime context: a function import known, before compilation, to be
/// function `func` of a module (its bytes, with `preimports` bound: constants, and known
/// code for its own function imports) whose
/// *instance* is only supplied at instantiation — as when a component's wiring feeds an
/// import from the same function of the same module in every instantiation.
///
/// The importer's artifact gets a copy of that function, and of the functions it calls
/// directly within a size budget
/// ([`KNOWN_CODE_CALLEE_BUDGET`](stagec_codegen::KNOWN_CODE_CALLEE_BUDGET)), compiled as
/// that module's own build is; calls of the import become direct calls of the copy
/// (inlined when small) with the callee's vmctx read from the import slot, so the callee's
/// state stays per instance and one artifact serves every instantiation. Known code is
/// transitive: the copy's own known-code imports are copies too, called directly with
/// the vmctx of *its* import slot. Instantiation checks that the function supplied is
/// that function of an instance of that module compiled with the same bindings
/// ([`ImportMismatch::NotKnownCode`](crate::error::ImportMismatch) otherwise).
#[derive(Clone)]
pub struct KnownCode {
    pub(crate) inner: Arc<KnownCodeInner>,
}

pub(crate) struct KnownCodeInner {
    pub(crate) bytes: Arc<[u8]>,
    /// Constants and known code only.
    pub(crate) preimports: Preimports,
    /// The function's type.
    pub(crate) ty: stagec_frontend::FuncType,
    pub(crate) func: u32,
    /// What an instance of the code must have been compiled from.
    pub(crate) identity: CodeIdentity,
}

impl std::fmt::Debug for KnownCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnownCode")
            .field("func", &self.inner.func)
            .finish_non_exhaustive()
    }
}

impl KnownCode {
    /// Function `func` (function index space, a defined function) of the module `bytes`
    /// (binary or text), compiled with `preimports`: [`Preimport::Value`]s of its
    /// immutable global imports and [`Preimport::Code`] for its function imports (known
    /// code is transitive). The module is validated.
    pub fn new(bytes: impl AsRef<[u8]>, preimports: &Preimports, func: u32) -> Result<KnownCode> {
        let binary = to_binary(bytes.as_ref())?;
        let parsed = stagec_frontend::parse(binary.clone())?;
        KnownCode::from_parsed(parsed, preimports.clone(), func)
    }

    /// Known code of module bytes validated before (a serialized recipe's).
    pub(crate) fn trusted(bytes: Vec<u8>, preimports: Preimports, func: u32) -> Result<KnownCode> {
        let parsed = stagec_frontend::parse_trusted(bytes)?;
        KnownCode::from_parsed(parsed, preimports, func)
    }

    fn from_parsed(parsed: ParsedModule, preimports: Preimports, func: u32) -> Result<KnownCode> {
        let info = &parsed.info;
        if info.defined_func_index(func).is_none() {
            return Err(UsageError::KnownCodeFunction { func }.into());
        }
        let keys: Vec<ImportKey> = known_code_bindings(info, &preimports)?
            .iter()
            .map(KnownCodeImport::key)
            .collect();
        let identity = CodeIdentity::of(&parsed.bytes, &keys);
        Ok(KnownCode {
            inner: Arc::new(KnownCodeInner {
                ty: info.func_type(func).clone(),
                bytes: parsed.bytes.clone(),
                preimports,
                func,
                identity,
            }),
        })
    }

    /// The function index.
    pub fn func(&self) -> u32 {
        self.inner.func
    }

    /// The module's binary.
    pub fn bytes(&self) -> &[u8] {
        &self.inner.bytes
    }

    /// What the module is compiled with.
    pub fn preimports(&self) -> &Preimports {
        &self.inner.preimports
    }
}

/// How an import of known code's module is compiled.
#[derive(Clone, Debug)]
pub(crate) enum KnownCodeImport {
    /// Through the vmctx.
    Runtime,
    /// As a constant.
    Constant(Val),
    /// As known code itself.
    Code(KnownCode),
}

impl KnownCodeImport {
    /// What the import contributes to the module's [`CodeIdentity`].
    pub(crate) fn key(&self) -> ImportKey {
        match self {
            KnownCodeImport::Runtime => ImportKey::Runtime,
            KnownCodeImport::Constant(v) => {
                v.to_const().map_or(ImportKey::Runtime, ImportKey::Constant)
            }
            KnownCodeImport::Code(c) => ImportKey::Known(c.inner.identity, c.inner.func),
        }
    }
}

/// Per import of `info`: how `preimports` bind it. Anything but a constant for an
/// immutable global import of its type, or known code of a function import's type, is an
/// error naming the import.
pub(crate) fn known_code_bindings(
    info: &stagec_frontend::ModuleInfo,
    preimports: &Preimports,
) -> Result<Vec<KnownCodeImport>> {
    let error = |import: ImportName, problem| -> Error {
        PreimportError {
            provider: Some("known code".into()),
            import,
            problem,
        }
        .into()
    };
    for (m, n, p) in preimports.iter() {
        let name = || ImportName::new(m, n);
        let Some(import) = info.imports.iter().find(|i| i.module == m && i.name == n) else {
            return Err(error(name(), PreimportProblem::NotImported));
        };
        let v = match (p, &import.ty) {
            (Preimport::Value(v), _) => v,
            (Preimport::Code(code), EntityType::Func(t)) => {
                let expected = &info.types[*t as usize];
                if *expected != code.inner.ty {
                    let reason = crate::error::ImportMismatch::FuncType {
                        expected: expected.clone(),
                        actual: code.inner.ty.clone(),
                        supplier: crate::error::Supplier::Provider,
                    };
                    return Err(error(name(), PreimportProblem::Mismatch(reason)));
                }
                continue;
            }
            _ => return Err(error(name(), PreimportProblem::KnownCodeBinding)),
        };
        match import.ty {
            EntityType::Global(g) if !g.mutable && g.ty == v.ty() && !v.ty().is_ref() => {}
            EntityType::Global(g) if g.mutable => {
                return Err(error(name(), PreimportProblem::ConstantForMutableGlobal));
            }
            EntityType::Global(g) => {
                let problem = PreimportProblem::ValueType {
                    expected: g.ty,
                    actual: v.ty(),
                };
                return Err(error(name(), problem));
            }
            ref other => {
                let problem = PreimportProblem::NotAGlobal { kind: other.kind() };
                return Err(error(name(), problem));
            }
        }
    }
    Ok(info
        .imports
        .iter()
        .map(|i| match preimports.get(&i.module, &i.name) {
            Some(Preimport::Value(v)) => KnownCodeImport::Constant(*v),
            Some(Preimport::Code(c)) => KnownCodeImport::Code(c.clone()),
            _ => KnownCodeImport::Runtime,
        })
        .collect())
}

static NEXT_PROVIDER_ID: AtomicU64 = AtomicU64::new(1);

pub(crate) struct ProviderInner {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) bytes: Arc<[u8]>,
    pub(crate) preimports: Preimports,
    /// Whether importers may read this provider's mutable globals as constants (the
    /// preexports of a `pre` stage, which has finished running when they are read).
    pub(crate) freeze_globals: bool,
    /// Providers instantiated, in order, before this one (the stages of a staged module).
    pub(crate) eager: Vec<Provider>,
}

/// A module whose exports can be preimported. Every import of a provider must itself be
/// preimported (by `preimports`): it is instantiated at compile time, once per
/// compilation that uses it.
#[derive(Clone)]
pub struct Provider {
    pub(crate) inner: Arc<ProviderInner>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("name", &self.inner.name)
            .finish_non_exhaustive()
    }
}

impl Provider {
    /// A provider from binary or text module bytes, with its own preimports.
    pub fn new(
        engine: &Engine,
        bytes: impl AsRef<[u8]>,
        preimports: Preimports,
    ) -> Result<Provider> {
        Self::named("<provider>", engine, bytes.as_ref(), preimports)
    }

    /// A provider read from `path` (`.wasm` or `.wat`); errors name the file.
    pub fn from_file(
        engine: &Engine,
        path: impl AsRef<Path>,
        preimports: Preimports,
    ) -> Result<Provider> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::io(path, source))?;
        Self::named(&path.display().to_string(), engine, &bytes, preimports)
    }

    fn named(
        name: &str,
        _engine: &Engine,
        bytes: &[u8],
        preimports: Preimports,
    ) -> Result<Provider> {
        let binary = to_binary(bytes).map_err(|e| Error::in_file(name, e))?;
        // Validate now, so that a broken provider is reported where it is named.
        stagec_frontend::parse(binary.clone()).map_err(|e| Error::in_file(name, e.into()))?;
        Ok(Provider::from_parts(
            name.to_string(),
            binary,
            preimports,
            false,
            Vec::new(),
        ))
    }

    /// A new provider (a new identity: it is instantiated once per compilation that uses
    /// it) of validated module bytes; also how a serialized recipe's providers return.
    pub(crate) fn from_parts(
        name: String,
        bytes: Vec<u8>,
        preimports: Preimports,
        freeze_globals: bool,
        eager: Vec<Provider>,
    ) -> Provider {
        Provider {
            inner: Arc::new(ProviderInner {
                id: NEXT_PROVIDER_ID.fetch_add(1, Ordering::Relaxed),
                name,
                bytes: bytes.into(),
                preimports,
                freeze_globals,
                eager,
            }),
        }
    }

    /// The provider's name (its file, or `<provider>`).
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The provider's own preimports.
    pub fn preimports(&self) -> &Preimports {
        &self.inner.preimports
    }

    pub(crate) fn parse(&self) -> Result<ParsedModule> {
        stagec_frontend::parse(self.inner.bytes.clone()).map_err(|e| self.error(e.into()))
    }

    /// [`Provider::parse`] without validation (see `stagec_frontend::parse_trusted`).
    pub(crate) fn parse_trusted(&self) -> Result<ParsedModule> {
        stagec_frontend::parse_trusted(self.inner.bytes.clone()).map_err(|e| self.error(e.into()))
    }

    /// `e`, attributed to this provider.
    pub(crate) fn error(&self, e: Error) -> Error {
        Error::in_file(&self.inner.name, e)
    }

    /// The error for `import` bound to this provider's export `export`, which it lacks.
    pub(crate) fn no_export(&self, import: ImportName, export: &str) -> Error {
        PreimportError {
            provider: None,
            import,
            problem: PreimportProblem::NoExport {
                provider: self.inner.name.clone(),
                export: export.to_string(),
            },
        }
        .into()
    }

    /// A provider whose exports are those of a staged module (its `multi` stage, or the
    /// exports of its `single` stages): its stages are instantiated once per compilation
    /// that uses it, and its functions are compiled into the user's artifact (direct calls,
    /// inlined when small), exactly as for a core provider. This is how one staged module
    /// preimports another (`--preimport MOD=@OTHER.swat`).
    pub fn from_staged(staged: &StagedModule, preimports: &Preimports) -> Result<Provider> {
        let staged = StagedProviders::new(staged, preimports)?;
        let eager = staged.stages.into_iter().filter_map(|(_, p)| p).collect();
        Ok(Provider::from_parts(
            format!("staged module (final stage `{}`)", staged.name),
            staged.bytes,
            staged.bindings,
            false,
            eager,
        ))
    }
}

/// A staged module's plan (`staged::StagedPlan`) made providers: each `pre` and `single`
/// stage a provider (instantiated once per compilation, in order), stage references
/// bindings to their exports, and the module compiled last with the preimports of its
/// imports.
pub(crate) struct StagedProviders {
    /// Every stage's name, with its provider (`None` for the `multi` stage).
    pub(crate) stages: Vec<(String, Option<Provider>)>,
    /// The name of the module compiled last.
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) bindings: Preimports,
}

impl StagedProviders {
    /// Plans `staged` with `preimports` binding the imports that are not stage references.
    pub(crate) fn new(staged: &StagedModule, preimports: &Preimports) -> Result<StagedProviders> {
        let keys: Vec<(&str, &str)> = preimports.iter().map(|(m, n, _)| (m, n)).collect();
        let plan = staged::plan(staged, &keys)?;
        let mut stages: Vec<(String, Option<Provider>)> = Vec::new();
        for stage in plan.stages {
            let provider = match stage.kind {
                StageKind::Multi => None,
                kind => Some(Provider::from_parts(
                    format!("stage `{}` ({kind})", stage.name),
                    stage.module,
                    bind(&stage.bindings, &stages, preimports),
                    kind == StageKind::Pre,
                    Vec::new(),
                )),
            };
            stages.push((stage.name, provider));
        }
        let bindings = bind(&plan.bindings, &stages, preimports);
        Ok(StagedProviders {
            stages,
            name: plan.name,
            bytes: plan.bytes,
            bindings,
        })
    }
}

/// The preimports of planned `bindings`, given the providers of the stages before.
fn bind(
    bindings: &[PlannedBinding],
    stages: &[(String, Option<Provider>)],
    preimports: &Preimports,
) -> Preimports {
    let mut set = Preimports::new();
    for b in bindings {
        let preimport = match &b.to {
            StageBinding::Stage { stage, export } => Preimport::Export {
                provider: stages[*stage]
                    .1
                    .clone()
                    .expect("the planner binds pre and single stages only"),
                export: export.clone(),
            },
            StageBinding::Fresh(value) => Preimport::Value(Val::I64(*value)),
            StageBinding::Preimport(index) => {
                let (_, _, preimport) = preimports.iter().nth(*index).expect("planned index");
                preimport.clone()
            }
        };
        set.bind(&b.module, &b.name, preimport);
    }
    set
}
