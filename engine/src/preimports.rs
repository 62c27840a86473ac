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
//! [`Preimports::link`] supplies the same bindings as ordinary runtime imports: the
//! indirection baseline that every specialization is measured against.

use crate::{Engine, Error, Extern, Global, Linker, Module, Result, Store, Val};
use stagec_frontend::{GlobalType, ParsedModule};
use std::collections::HashMap;
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
    /// through its import slot. The compiled module may then only be instantiated in that
    /// store.
    Extern(Extern),
    /// An export of a provider module (function, global, memory or table).
    Export {
        /// The module providing the export.
        provider: Provider,
        /// The export's name.
        export: String,
    },
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

    /// Defines every binding in `linker` as an ordinary runtime import of `store`:
    /// constants become immutable host globals, provider exports come from an instance of
    /// the provider (compiled without specialization) created in `store`.
    pub fn link(&self, store: &mut Store, linker: &mut Linker) -> Result<()> {
        let mut instances = HashMap::new();
        self.link_with(store, linker, &mut instances)
    }

    fn link_with(
        &self,
        store: &mut Store,
        linker: &mut Linker,
        instances: &mut HashMap<u64, crate::Instance>,
    ) -> Result<()> {
        for (module, name, preimport) in &self.entries {
            let item: Extern = match preimport {
                Preimport::Extern(item) => *item,
                Preimport::Value(v) => Global::new(
                    store,
                    GlobalType {
                        ty: v.ty(),
                        mutable: false,
                    },
                    *v,
                )?
                .into(),
                Preimport::Export { provider, export } => {
                    let instance = match instances.get(&provider.inner.id) {
                        Some(i) => *i,
                        None => {
                            let module = Module::from_binary(store.engine(), &provider.inner.bytes)
                                .map_err(|e| provider.error(e))?;
                            let mut inner = Linker::new();
                            provider
                                .inner
                                .preimports
                                .link_with(store, &mut inner, instances)?;
                            let i = inner
                                .instantiate(store, &module)
                                .map_err(|e| provider.error(e))?;
                            instances.insert(provider.inner.id, i);
                            i
                        }
                    };
                    instance
                        .get_export(store, export)
                        .ok_or_else(|| provider.no_export(export))?
                }
            };
            linker.define(module, name, item);
        }
        Ok(())
    }
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
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::named(&path.display().to_string(), engine, &bytes, preimports)
    }

    fn named(
        name: &str,
        _engine: &Engine,
        bytes: &[u8],
        preimports: Preimports,
    ) -> Result<Provider> {
        let binary = crate::module::to_binary(bytes).map_err(|e| Error::InFile {
            path: name.into(),
            source: Box::new(e),
        })?;
        // Validate now, so that a broken provider is reported where it is named.
        stagec_frontend::parse(binary.clone()).map_err(|e| Error::InFile {
            path: name.into(),
            source: Box::new(e.into()),
        })?;
        Ok(Provider::from_parts(
            name.to_string(),
            binary,
            preimports,
            false,
            Vec::new(),
        ))
    }

    /// A provider for a stage of a staged module (already validated by the frontend).
    pub(crate) fn for_stage(
        name: String,
        module: Vec<u8>,
        preimports: Preimports,
        freeze_globals: bool,
    ) -> Provider {
        Provider::from_parts(name, module, preimports, freeze_globals, Vec::new())
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

    /// The final module of a staged module, after its `eager` stages.
    pub(crate) fn for_staged(
        name: String,
        module: Vec<u8>,
        preimports: Preimports,
        eager: Vec<Provider>,
    ) -> Provider {
        Provider::from_parts(name, module, preimports, false, eager)
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

    pub(crate) fn error(&self, e: Error) -> Error {
        Error::InFile {
            path: self.inner.name.clone().into(),
            source: Box::new(e),
        }
    }

    pub(crate) fn no_export(&self, export: &str) -> Error {
        Error::Preimport(format!(
            "provider {} has no export `{export}`",
            self.inner.name
        ))
    }
}
