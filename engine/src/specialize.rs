//! Compiling a module specialized on its preimports.
//!
//! A compilation collects the module (unit 0) and every provider reachable through its
//! bindings (units 1..). Providers are instantiated first, once per compilation, in a
//! private store; their code is then compiled again *into the consumer's artifact* with
//! every address fixed, so that calls into them are direct and inlinable.

use crate::preimports::{Preimport, Preimports, Provider};
use crate::snapshot::{self, ProviderState, Snapshot};
use crate::{Error, Extern, Module, Result, Store, Val};
use stagec_codegen::{CompileOptions, CompileUnit, ConstValue, FixedInstance, ImportBinding};
use stagec_environ::artifact::Artifact;
use stagec_frontend::{EntityType, ExternKind, ParsedModule};
use stagec_runtime::vm::{VMFuncImport, VMGlobal};
use std::collections::HashMap;
use std::sync::atomic::Ordering;

/// How an import of a specialized module is filled in when it is instantiated.
pub(crate) enum BoundImport {
    Func(VMFuncImport),
    Global(*mut VMGlobal),
    Memory(*mut stagec_runtime::Memory),
    Table(*mut stagec_runtime::Table),
}

/// What a compilation keeps alive: the private store holding provider instances, and the
/// storage of constants (which re-exports and `global.get` through the vmctx may read).
// Boxes keep each constant at a fixed address: instances point at them.
#[allow(clippy::vec_box)]
pub(crate) struct CompileState {
    pub(crate) store: Store,
    /// Where the compilation's artifacts come from (the compiler, or a serialized file).
    source: std::cell::RefCell<ArtifactSource>,
    pub(crate) constants: Vec<Box<VMGlobal>>,
    providers: Vec<ProviderInstance>,
    by_id: HashMap<u64, usize>,
    /// While compiling: the providers' globals and memory sizes after each instantiation
    /// (see `snapshot.rs`).
    steps: Vec<Vec<ProviderState>>,
}

// SAFETY: the private store is only touched during compilation, and afterwards only by
// compiled code that reaches provider instances as `single`-stage data; DESIGN.md §2 makes
// such data shared by every instance of the compilation.
unsafe impl Send for CompileState {}
// SAFETY: as above.
unsafe impl Sync for CompileState {}

/// Whether `preimports` bind a live table of some store.
fn binds_foreign_table(preimports: &Preimports) -> bool {
    preimports.iter().any(|(_, _, p)| match p {
        Preimport::Extern(Extern::Table(_)) => true,
        Preimport::Export { provider, .. } => provider_binds_foreign_table(provider),
        _ => false,
    })
}

/// Whether `provider` (or its stages, transitively) binds a live table of some store.
fn provider_binds_foreign_table(provider: &Provider) -> bool {
    binds_foreign_table(provider.preimports())
        || provider
            .inner
            .eager
            .iter()
            .any(provider_binds_foreign_table)
}

impl CompileState {
    /// The instance of provider `id`, if this compilation instantiated it.
    pub(crate) fn provider_instance(&self, id: u64) -> Option<crate::Instance> {
        self.by_id.get(&id).map(|&i| self.providers[i].instance)
    }

    fn new(engine: &crate::Engine, source: ArtifactSource) -> CompileState {
        let store = Store::new(engine);
        // Provider code must not trap on the private store's stack limit: its functions
        // are compiled without a stack-limit check and rely on the guard page (see codegen).
        store.ctx.stack_limit.store(0, Ordering::Relaxed);
        // Nor run out of fuel: provider code reached through this store (start functions
        // at compile time, calls from the host) is not limited.
        store.ctx.fuel.store(i64::MAX, Ordering::Relaxed);
        CompileState {
            store,
            source: std::cell::RefCell::new(source),
            constants: Vec::new(),
            providers: Vec::new(),
            by_id: HashMap::new(),
            steps: Vec::new(),
        }
    }
}

struct ProviderInstance {
    parsed: ParsedModule,
    bindings: Vec<Binding>,
    instance: crate::Instance,
}

/// A resolved binding of one import.
#[derive(Clone, Copy)]
enum Binding {
    Runtime,
    Constant(Val),
    Export {
        provider: usize,
        kind: ExternKind,
        index: u32,
    },
    /// A live object of a store: reached at its fixed address (functions through the
    /// import slot, filled at instantiation).
    Live(Extern),
}

/// Where a compilation's artifacts come from.
pub(crate) enum ArtifactSource {
    /// The compiler; every artifact made (providers first, in instantiation order, the
    /// module last) is kept, for serialization.
    Compile { produced: Vec<Artifact> },
    /// A serialized compilation: its artifacts in the same order, each loaded against
    /// the fixed addresses of the state re-created for it; with a snapshot, the
    /// providers' start functions are skipped and their state restored from it.
    Replay {
        artifacts: std::vec::IntoIter<Artifact>,
        snapshot: Option<Snapshot>,
    },
}

impl ArtifactSource {
    /// A source that compiles.
    pub(crate) fn compile() -> ArtifactSource {
        ArtifactSource::Compile {
            produced: Vec::new(),
        }
    }

    /// The artifact of `units`: compiled, or the next serialized one with its fixed slots
    /// bound to the addresses of `units`.
    pub(crate) fn artifact(
        &mut self,
        engine: &crate::Engine,
        units: &[CompileUnit<'_>],
        options: &CompileOptions,
    ) -> Result<Artifact> {
        match self {
            ArtifactSource::Compile { produced } => {
                let artifact = engine.compile_units(units, options)?;
                produced.push(artifact.clone());
                Ok(artifact)
            }
            ArtifactSource::Replay { artifacts, .. } => {
                let mut artifact = artifacts.next().ok_or_else(|| {
                    Error::Artifact("it holds fewer artifacts than its recipe compiles".into())
                })?;
                let fixed = stagec_codegen::fixed_addresses(units);
                if fixed.len() != artifact.fixed.len() {
                    return Err(Error::Artifact(format!(
                        "its code refers to {} fixed addresses, the re-created state has {}",
                        artifact.fixed.len(),
                        fixed.len()
                    )));
                }
                artifact.fixed = fixed;
                Ok(artifact)
            }
        }
    }

    /// The snapshot to restore instead of running start functions, when replaying one.
    fn snapshot(&self) -> Option<&Snapshot> {
        match self {
            ArtifactSource::Replay { snapshot, .. } => snapshot.as_ref(),
            ArtifactSource::Compile { .. } => None,
        }
    }

    /// Whether the artifacts come from a serialized compilation.
    pub(crate) fn is_replay(&self) -> bool {
        matches!(self, ArtifactSource::Replay { .. })
    }

    /// Fails when replaying and artifacts are left over: the file and its recipe disagree.
    pub(crate) fn check_exhausted(&self) -> Result<()> {
        match self {
            ArtifactSource::Replay { artifacts, .. } if artifacts.len() > 0 => Err(
                Error::Artifact("it holds more artifacts than its recipe compiles".into()),
            ),
            _ => Ok(()),
        }
    }

    /// The artifacts compiled (empty when replaying).
    pub(crate) fn into_produced(self) -> Vec<Artifact> {
        match self {
            ArtifactSource::Compile { produced } => produced,
            ArtifactSource::Replay { .. } => Vec::new(),
        }
    }
}

pub(crate) struct Specialized {
    pub(crate) artifact: stagec_environ::artifact::Artifact,
    /// Every artifact of the compilation, in order (see [`ArtifactSource::Compile`]).
    pub(crate) produced: Vec<Artifact>,
    /// The providers' state, when it can be restored from a snapshot (compiling only).
    pub(crate) snapshot: Option<Snapshot>,
    pub(crate) bound: Vec<Option<BoundImport>>,
    pub(crate) state: CompileState,
    /// Stores of the live objects bound into the code.
    pub(crate) required_stores: Vec<u64>,
}

/// Compiles `parsed` specialized on `preimports`. The `eager` providers are instantiated
/// first, in order, whether or not anything binds to them (the stages of a staged module,
/// whose start functions run at compile time).
pub(crate) fn compile(
    engine: &crate::Engine,
    parsed: &ParsedModule,
    preimports: &Preimports,
    options: &CompileOptions,
    eager: &[Provider],
    source: ArtifactSource,
) -> Result<Specialized> {
    let mut state = CompileState::new(engine, source);
    let result = (|| {
        for provider in eager {
            instantiate_provider(&mut state, provider)?;
        }
        let bindings = resolve(&mut state, parsed, preimports, None)?;
        let (artifact, bound) = compile_units(&mut state, parsed, &bindings, options)?;
        Ok((bindings, artifact, bound))
    })();
    let (bindings, artifact, bound) = match result {
        Ok(parts) => parts,
        Err(e) => {
            // A provider whose instantiation failed may already have written its
            // functions into a table of another store (Wasm 2.0 keeps such writes); that
            // is only possible through a table bound as `Preimport::Extern`. Then its
            // instances must outlive this compilation and the state is leaked on purpose;
            // otherwise nothing outside can refer to it and it is freed.
            let foreign_table =
                binds_foreign_table(preimports) || eager.iter().any(provider_binds_foreign_table);
            if foreign_table && !state.store.instances.is_empty() {
                std::mem::forget(state);
            }
            return Err(e);
        }
    };
    let mut required_stores: Vec<u64> = bindings
        .iter()
        .filter_map(|b| match b {
            Binding::Live(item) => Some(item.store_id()),
            _ => None,
        })
        .collect();
    required_stores.sort_unstable();
    required_stores.dedup();
    state.source.borrow().check_exhausted()?;
    let restored = match state.source.borrow().snapshot() {
        Some(snapshot) if snapshot.steps.len() != state.providers.len() => Some(Err(
            Error::Artifact("its snapshot does not fit its recipe".into()),
        )),
        Some(snapshot) => Some(restore_all(&state, &snapshot.last)),
        None => None,
    };
    if let Some(result) = restored {
        result?;
    }
    let snapshot = (!state.source.borrow().is_replay()
        && state
            .providers
            .iter()
            .all(|p| snapshot::snapshottable(&p.parsed.info)))
    .then(|| Snapshot {
        steps: std::mem::take(&mut state.steps),
        last: capture_all(&state, true),
    });
    let produced = std::mem::replace(&mut *state.source.borrow_mut(), ArtifactSource::compile())
        .into_produced();
    Ok(Specialized {
        artifact,
        produced,
        snapshot,
        bound,
        state,
        required_stores,
    })
}

/// Optimized CLIF and machine code of defined function `defined` of `parsed`, specialized
/// on `preimports` (generic when the set is empty).
pub(crate) fn explain(
    engine: &crate::Engine,
    parsed: &ParsedModule,
    preimports: &Preimports,
    options: &CompileOptions,
    defined: u32,
) -> Result<stagec_codegen::Explanation> {
    let mut state = CompileState::new(engine, ArtifactSource::compile());
    let bindings = resolve(&mut state, parsed, preimports, None)?;
    let units = units(&state, parsed, &bindings);
    Ok(engine.inner.compiler.explain(&units, options, defined)?)
}

/// Resolves the bindings of `parsed`'s imports, instantiating providers as needed.
fn resolve(
    state: &mut CompileState,
    parsed: &ParsedModule,
    preimports: &Preimports,
    provider: Option<&Provider>,
) -> Result<Vec<Binding>> {
    let info = &parsed.info;
    let context = |msg: String| match provider {
        Some(p) => Error::Preimport(format!("provider {}: {msg}", p.name())),
        None => Error::Preimport(msg),
    };
    for (m, n, _) in preimports.iter() {
        if !info.imports.iter().any(|i| i.module == m && i.name == n) {
            return Err(context(format!(
                "the module has no import `{m}`.`{n}` to bind"
            )));
        }
    }
    let mut bindings = Vec::new();
    for import in &info.imports {
        let what = format!("`{}`.`{}`", import.module, import.name);
        let binding = match preimports.get(&import.module, &import.name) {
            None if provider.is_some() => {
                return Err(context(format!(
                    "import {what} is not preimported (a provider's imports must all be bound)"
                )));
            }
            None => Binding::Runtime,
            Some(Preimport::Extern(item)) => {
                check_export(&state.store, parsed, import, item, false).map_err(|reason| {
                    Error::IncompatibleImport {
                        module: import.module.clone(),
                        name: import.name.clone(),
                        reason,
                    }
                })?;
                match item {
                    Extern::Global(g) if !g.ty().mutable && !g.ty().ty.is_ref() => {
                        // SAFETY: the global is live (its store outlives this compilation's
                        // use of it, see `Preimport::Extern`); it is immutable.
                        let raw = unsafe { g.ptr.as_ref().0 };
                        // SAFETY: a non-reference value needs no store.
                        Binding::Constant(unsafe { Val::from_raw(0, raw, g.ty().ty) })
                    }
                    other => Binding::Live(*other),
                }
            }
            Some(Preimport::Value(v)) => match &import.ty {
                EntityType::Global(g) if !g.mutable && g.ty == v.ty() && !v.ty().is_ref() => {
                    Binding::Constant(*v)
                }
                EntityType::Global(g) if g.mutable => {
                    return Err(context(format!(
                        "cannot bind a constant to mutable global import {what}; bind a provider's global instead"
                    )));
                }
                EntityType::Global(g) => {
                    return Err(context(format!(
                        "import {what} is a global of type {}, but the value is {}",
                        g.ty,
                        v.ty()
                    )));
                }
                other => {
                    return Err(context(format!(
                        "import {what} is a {}, not a global: it cannot be bound to a value",
                        other.kind()
                    )));
                }
            },
            Some(Preimport::Export {
                provider: p,
                export,
            }) => {
                let index = instantiate_provider(state, p)?;
                let instance = state.providers[index].instance;
                let item = instance
                    .get_export(&state.store, export)
                    .ok_or_else(|| p.no_export(export))?;
                let frozen = p.inner.freeze_globals;
                check_export(&state.store, parsed, import, &item, frozen)
                    .map_err(|reason| context(format!("import {what}: {reason}")))?;
                let (kind, idx) = {
                    let e = state.providers[index]
                        .parsed
                        .info
                        .export(export)
                        .expect("export exists");
                    (e.kind, e.index)
                };
                match item {
                    // An immutable global of an instantiated provider can never change:
                    // its value is a constant from here on (a preexport).
                    Extern::Global(g) if !g.ty().mutable && !g.ty().ty.is_ref() => {
                        Binding::Constant(g.get(&state.store))
                    }
                    // A `pre` stage's mutable global imported as immutable: its value
                    // after the stage ran (its preexport) is the constant.
                    Extern::Global(g)
                        if frozen && matches!(import.ty, EntityType::Global(t) if !t.mutable) =>
                    {
                        Binding::Constant(g.get(&state.store))
                    }
                    _ => Binding::Export {
                        provider: index,
                        kind,
                        index: idx,
                    },
                }
            }
        };
        bindings.push(binding);
    }
    Ok(bindings)
}

/// Instantiates `provider` once in this compilation; returns its index.
fn instantiate_provider(state: &mut CompileState, provider: &Provider) -> Result<usize> {
    if let Some(&i) = state.by_id.get(&provider.inner.id) {
        return Ok(i);
    }
    for stage in &provider.inner.eager {
        instantiate_provider(state, stage)?;
    }
    // Replaying a serialized compilation: the provider was validated when it was compiled.
    let parsed = if state.source.borrow().is_replay() {
        provider.parse_trusted()?
    } else {
        provider.parse()?
    };
    let bindings = resolve(state, &parsed, provider.preimports(), Some(provider))?;
    let engine = state.store.engine().clone();
    let options = engine.compile_options(&CompileOptions::default());
    let (artifact, bound) =
        compile_units(state, &parsed, &bindings, &options).map_err(|e| provider.error(e))?;
    let module = Module::from_artifact(
        &engine,
        parsed.bytes.clone(),
        parsed.info.clone(),
        artifact,
        bound,
        None,
    )
    .map_err(|e| provider.error(e))?;
    let restoring = state.source.borrow().snapshot().is_some();
    let instance = crate::Instance::new_with(&mut state.store, &module, &[], !restoring)
        .map_err(|e| provider.error(e))?;
    state.providers.push(ProviderInstance {
        parsed,
        bindings,
        instance,
    });
    let index = state.providers.len() - 1;
    state.by_id.insert(provider.inner.id, index);
    if restoring {
        let source = state.source.borrow();
        let step = source
            .snapshot()
            .and_then(|s| s.steps.get(index))
            .ok_or_else(|| Error::Artifact("its snapshot has too few steps".into()))?;
        restore_all(state, step)?;
    } else {
        let step = capture_all(state, false);
        state.steps.push(step);
    }
    Ok(index)
}

/// The state of every provider instantiated so far.
fn capture_all(state: &CompileState, contents: bool) -> Vec<ProviderState> {
    state
        .providers
        .iter()
        .map(|p| snapshot::capture(&state.store, p.instance, &p.parsed.info, contents))
        .collect()
}

/// Restores the providers instantiated so far to `states` (one per provider).
fn restore_all(state: &CompileState, states: &[ProviderState]) -> Result<()> {
    if states.len() != state.providers.len() {
        return Err(Error::Artifact(
            "its snapshot does not fit its recipe".into(),
        ));
    }
    for (p, s) in state.providers.iter().zip(states) {
        snapshot::restore(&state.store, p.instance, &p.parsed.info, s).map_err(Error::Artifact)?;
    }
    Ok(())
}

/// Builds the compilation units (the module, then every provider) and compiles them.
/// Also returns how the module's bound imports are filled in at instantiation.
fn compile_units(
    state: &mut CompileState,
    parsed: &ParsedModule,
    bindings: &[Binding],
    options: &CompileOptions,
) -> Result<(stagec_environ::artifact::Artifact, Vec<Option<BoundImport>>)> {
    let units = units(state, parsed, bindings);
    let engine = state.store.engine().clone();
    let artifact = state
        .source
        .borrow_mut()
        .artifact(&engine, &units, options)?;
    let mut bound = Vec::new();
    for binding in bindings {
        bound.push(match *binding {
            Binding::Runtime => None,
            Binding::Constant(v) => {
                let mut g = Box::new(VMGlobal(v.to_raw()));
                let ptr: *mut VMGlobal = &mut *g;
                state.constants.push(g);
                Some(BoundImport::Global(ptr))
            }
            Binding::Export {
                provider,
                kind,
                index,
            } => {
                let rt = state.providers[provider].instance.runtime(&state.store);
                Some(match kind {
                    ExternKind::Func => {
                        // SAFETY: funcrefs of a live instance of the private store.
                        let fr = unsafe { &*rt.funcref(index) };
                        BoundImport::Func(VMFuncImport {
                            code: fr.code,
                            vmctx: fr.vmctx,
                        })
                    }
                    ExternKind::Global => BoundImport::Global(rt.global(index)),
                    ExternKind::Memory => BoundImport::Memory(rt.memory(index)),
                    ExternKind::Table => BoundImport::Table(rt.table(index)),
                })
            }
            Binding::Live(item) => Some(match item {
                Extern::Func(f) => {
                    // SAFETY: the funcref is live (see `Preimport::Extern`).
                    let fr = unsafe { f.funcref.as_ref() };
                    BoundImport::Func(VMFuncImport {
                        code: fr.code,
                        vmctx: fr.vmctx,
                    })
                }
                Extern::Global(g) => BoundImport::Global(g.ptr.as_ptr()),
                Extern::Memory(m) => BoundImport::Memory(m.ptr.as_ptr()),
                Extern::Table(t) => BoundImport::Table(t.ptr.as_ptr()),
            }),
        });
    }
    Ok((artifact, bound))
}

/// The compilation units: `parsed` (unit 0), then every provider instance.
fn units<'a>(
    state: &'a CompileState,
    parsed: &'a ParsedModule,
    bindings: &[Binding],
) -> Vec<CompileUnit<'a>> {
    let mut units = vec![CompileUnit {
        module: parsed,
        imports: bindings.iter().map(|b| to_codegen(state, *b)).collect(),
        fixed: None,
    }];
    for p in &state.providers {
        units.push(CompileUnit {
            module: &p.parsed,
            imports: p.bindings.iter().map(|b| to_codegen(state, *b)).collect(),
            fixed: Some(fixed_instance(state, p)),
        });
    }
    units
}

fn to_codegen(state: &CompileState, binding: Binding) -> ImportBinding {
    match binding {
        Binding::Runtime => ImportBinding::Runtime,
        // A function of another artifact: called through the (pre-filled) import slot.
        Binding::Live(Extern::Func(_)) => ImportBinding::Runtime,
        Binding::Live(Extern::Global(g)) => ImportBinding::GlobalAt(g.ptr.as_ptr() as usize),
        Binding::Live(Extern::Memory(m)) => {
            // SAFETY: the memory is live (see `Preimport::Extern`).
            let (base, def) = unsafe {
                let m = &mut *m.ptr.as_ptr();
                (m.base() as usize, m.definition() as usize)
            };
            ImportBinding::MemoryAt { base, def }
        }
        Binding::Live(Extern::Table(t)) => {
            // SAFETY: the table is live (see `Preimport::Extern`).
            let def = unsafe { (*t.ptr.as_ptr()).definition() as usize };
            ImportBinding::TableAt { def }
        }
        Binding::Constant(v) => ImportBinding::Constant(match v {
            Val::I32(x) => ConstValue::I32(x),
            Val::I64(x) => ConstValue::I64(x),
            Val::F32(x) => ConstValue::F32(x),
            Val::F64(x) => ConstValue::F64(x),
            Val::FuncRef(_) | Val::ExternRef(_) => unreachable!("checked in resolve"),
        }),
        Binding::Export {
            provider,
            kind,
            index,
        } => {
            let rt = state.providers[provider].instance.runtime(&state.store);
            match kind {
                ExternKind::Func => ImportBinding::Function {
                    unit: provider + 1,
                    func: index,
                },
                ExternKind::Global => ImportBinding::GlobalAt(rt.global(index) as usize),
                ExternKind::Memory => {
                    let m = rt.memory(index);
                    // SAFETY: the memory lives in the private store.
                    let (base, def) = unsafe { ((*m).base() as usize, (*m).definition() as usize) };
                    ImportBinding::MemoryAt { base, def }
                }
                ExternKind::Table => {
                    // SAFETY: the table lives in the private store.
                    let def = unsafe { (*rt.table(index)).definition() as usize };
                    ImportBinding::TableAt { def }
                }
            }
        }
    }
}

fn fixed_instance(state: &CompileState, p: &ProviderInstance) -> FixedInstance {
    let rt = p.instance.runtime(&state.store);
    let info = &p.parsed.info;
    FixedInstance {
        vmctx: rt.vmctx() as usize,
        memories: (0..info.memories.len() as u32)
            .map(|i| {
                let m = rt.memory(i);
                // SAFETY: the memory lives in the private store.
                unsafe { ((*m).base() as usize, (*m).definition() as usize) }
            })
            .collect(),
        tables: (0..info.tables.len() as u32)
            // SAFETY: the table lives in the private store.
            .map(|i| unsafe { (*rt.table(i)).definition() as usize })
            .collect(),
        globals: (0..info.globals.len() as u32)
            .map(|i| rt.global(i) as usize)
            .collect(),
    }
}

/// Checks that a provider export fits the import it is bound to.
fn check_export(
    store: &Store,
    parsed: &ParsedModule,
    import: &stagec_frontend::Import,
    item: &Extern,
    frozen: bool,
) -> std::result::Result<(), String> {
    // Only the engine is used: `item` may belong to another store than `store`.
    let engine = store.engine();
    match (&import.ty, item) {
        (EntityType::Func(t), Extern::Func(f)) => {
            let expected = &parsed.info.types[*t as usize];
            let actual = f.ty_in(engine);
            if *expected != actual {
                return Err(format!(
                    "expected {expected}, the provider's export is {actual}"
                ));
            }
        }
        (EntityType::Global(t), Extern::Global(g)) => {
            let freezes = frozen && g.ty().mutable && !t.mutable && g.ty().ty == t.ty;
            if g.ty() != *t && !freezes {
                return Err(format!(
                    "expected a global of type {}{}, the provider's is {}{}",
                    if t.mutable { "mut " } else { "" },
                    t.ty,
                    if g.ty().mutable { "mut " } else { "" },
                    g.ty().ty
                ));
            }
        }
        (EntityType::Memory(t), Extern::Memory(m)) => {
            crate::instance::check_limits(&t.limits, &m.limits_unchecked())?;
        }
        (EntityType::Table(t), Extern::Table(tab)) => {
            let actual = tab.ty_unchecked();
            if actual.element != t.element {
                return Err(format!(
                    "expected a table of {}, the provider's holds {}",
                    t.element, actual.element
                ));
            }
            crate::instance::check_limits(&t.limits, &actual.limits)?;
        }
        (expected, _) => {
            return Err(format!(
                "expected a {}, the provider exports something else",
                expected.kind()
            ));
        }
    }
    Ok(())
}
