//! Compiling a module specialized on its preimports.
//!
//! A compilation collects the module (unit 0) and every provider reachable through its
//! bindings (units 1..). Providers are instantiated first, once per compilation, in a
//! private store; their code is then compiled again *into the consumer's artifact* with
//! every address fixed, so that calls into them are direct and inlinable.
//!
//! Live objects of a store (`Preimport::Extern`) are bound only when the compilation is
//! given that store ([`LiveStores`]): the borrow proves it alive, and every such binding,
//! in the module's preimports and in every provider's, is checked to belong to it before
//! anything is compiled or instantiated ([`check_live_bindings`]).

use crate::artifact_source::ArtifactSource;
use crate::compiled::{BoundImport, CompiledModule, KeepAlive};
use crate::engine::Engine;
use crate::error::{
    Error, ImportName, IncompatibleImport, PreimportError, PreimportProblem, Result,
    SnapshotMismatch, Supplier,
};
use crate::handles::{Extern, extern_of};
use crate::instantiate::{check_import, instantiate};
use crate::preimports::{Preimport, Preimports, Provider};
use crate::snapshot::{self, ProviderState, Snapshot};
use crate::store::Store;
use crate::values::Val;
use stagec_codegen::{CompileOptions, CompileUnit, ConstValue, FixedInstance, ImportBinding};
use stagec_environ::artifact::Artifact;
use stagec_frontend::{EntityType, ExternKind, ModuleInfo, ParsedModule};
use stagec_runtime::vm::VMGlobal;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// The stores whose live objects a compilation may bind, borrowed for the compilation.
#[derive(Clone, Copy)]
pub(crate) struct LiveStores<'a> {
    /// The store the module is compiled for: it may only be instantiated there.
    pub(crate) home: &'a Store,
    /// The compile-time store of the instance an extension stage extends (owned by a
    /// module of `home`), whose stages' objects the extension binds.
    pub(crate) stages: Option<&'a Store>,
    /// Compile-time state that must live as long as `home` (see `Store::bound_states`),
    /// for the caller to hand to it once the borrow ends.
    pub(crate) keep: &'a RefCell<Vec<KeepAlive>>,
}

impl<'a> LiveStores<'a> {
    /// The store of id `id`, if it is one of these.
    fn store_of(&self, id: u64) -> Option<&'a Store> {
        [Some(self.home), self.stages]
            .into_iter()
            .flatten()
            .find(|s| s.id == id)
    }
}

/// Checks every live binding (`Preimport::Extern`) of `preimports` and of every provider
/// they or the `stages` reach (their preimports, their stages, transitively): each must
/// belong to one of `live`. Returns whether there is any.
pub(crate) fn check_live_bindings(
    preimports: &Preimports,
    stages: &[Provider],
    live: Option<LiveStores<'_>>,
) -> Result<bool> {
    let mut walk = LiveWalk {
        live,
        seen: HashSet::new(),
        found: false,
    };
    for stage in stages {
        walk.provider(stage)?;
    }
    walk.preimports(preimports, None)?;
    Ok(walk.found)
}

struct LiveWalk<'a> {
    live: Option<LiveStores<'a>>,
    /// Providers checked already.
    seen: HashSet<u64>,
    found: bool,
}

impl LiveWalk<'_> {
    fn preimports(&mut self, preimports: &Preimports, owner: Option<&Provider>) -> Result<()> {
        for (module, name, preimport) in preimports.iter() {
            match preimport {
                Preimport::Extern(item) => {
                    self.found = true;
                    let problem = match self.live {
                        Some(live) if live.store_of(item.store_id()).is_some() => continue,
                        Some(_) => PreimportProblem::LiveOfAnotherStore,
                        None => PreimportProblem::LiveWithoutStore,
                    };
                    return Err(PreimportError {
                        provider: owner.map(|p| p.name().to_string()),
                        import: ImportName::new(module, name),
                        problem,
                    }
                    .into());
                }
                Preimport::Export { provider, .. } => self.provider(provider)?,
                Preimport::Value(_) => {}
            }
        }
        Ok(())
    }

    fn provider(&mut self, provider: &Provider) -> Result<()> {
        if !self.seen.insert(provider.inner.id) {
            return Ok(());
        }
        for stage in &provider.inner.eager {
            self.provider(stage)?;
        }
        self.preimports(provider.preimports(), Some(provider))
    }
}

/// What a compilation keeps alive: the private store holding provider instances, and the
/// storage of constants (which re-exports and `global.get` through the vmctx may read).
// Boxes keep each constant at a fixed address: instances point at them.
#[allow(clippy::vec_box)]
pub(crate) struct CompileState {
    store: Store,
    /// Where the compilation's artifacts come from (the compiler, or a serialized file).
    source: RefCell<ArtifactSource>,
    constants: Vec<Box<VMGlobal>>,
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

impl CompileState {
    fn new(engine: &Engine, source: ArtifactSource) -> CompileState {
        let store = Store::new(engine);
        // Provider code must not trap on the private store's stack limit: its functions
        // are compiled without a stack-limit check and rely on the guard page (see codegen).
        store.ctx.stack_limit.store(0, Ordering::Relaxed);
        // Nor run out of fuel: provider code reached through this store (start functions
        // at compile time, calls from the host) is not limited.
        store.ctx.fuel.store(i64::MAX, Ordering::Relaxed);
        CompileState {
            store,
            source: RefCell::new(source),
            constants: Vec::new(),
            providers: Vec::new(),
            by_id: HashMap::new(),
            steps: Vec::new(),
        }
    }

    fn runtime(&self, provider: &ProviderInstance) -> &stagec_runtime::Instance {
        &self.store.instances[provider.instance]
    }
}

/// The compile-time state of `module`, if it has one.
fn state_of(module: &CompiledModule) -> Option<&CompileState> {
    module.state.as_ref()?.downcast_ref::<CompileState>()
}

/// The instance of provider `id` (a `pre` or `single` stage) of `module`'s compilation:
/// its private store and the instance's index there.
pub(crate) fn stage_instance(module: &CompiledModule, id: u64) -> Option<(&Store, usize)> {
    let state = state_of(module)?;
    let index = *state.by_id.get(&id)?;
    Some((&state.store, state.providers[index].instance))
}

/// The private store of `module`'s compilation, if it has one.
pub(crate) fn compile_time_store(module: &CompiledModule) -> Option<&Store> {
    state_of(module).map(|s| &s.store)
}

/// Whether `module`'s compilation instantiated providers or stages: state of its own.
pub(crate) fn has_compile_time_instances(module: &CompiledModule) -> bool {
    state_of(module).is_some_and(|s| !s.store.instances.is_empty())
}

struct ProviderInstance {
    parsed: ParsedModule,
    bindings: Vec<Binding>,
    /// Index in the private store.
    instance: usize,
}

/// A resolved binding of one import.
#[derive(Clone, Copy)]
enum Binding {
    Runtime,
    Constant(Val),
    /// An entity at a fixed address: a live object, or a provider's memory, table or
    /// global.
    Fixed(BoundImport),
    /// Function `index` of provider `provider`, compiled into the same artifact (as unit
    /// `provider + 1`) and called directly.
    ProviderFunc {
        provider: usize,
        index: u32,
    },
}

impl Binding {
    /// How compiled code reaches the import.
    fn code_binding(&self) -> ImportBinding {
        match *self {
            Binding::Runtime => ImportBinding::Runtime,
            Binding::Constant(v) => ImportBinding::Constant(match v {
                Val::I32(x) => ConstValue::I32(x),
                Val::I64(x) => ConstValue::I64(x),
                Val::F32(x) => ConstValue::F32(x),
                Val::F64(x) => ConstValue::F64(x),
                Val::V128(x) => ConstValue::V128(x),
                Val::FuncRef(_) | Val::ExternRef(_) => unreachable!("checked in resolve"),
            }),
            Binding::Fixed(address) => address.fixed_binding(),
            Binding::ProviderFunc { provider, index } => ImportBinding::Function {
                unit: provider + 1,
                func: index,
            },
        }
    }
}

pub(crate) struct Specialized {
    pub(crate) artifact: Artifact,
    /// Every artifact of the compilation, in order (see [`ArtifactSource::Compile`]).
    pub(crate) produced: Vec<Artifact>,
    /// The providers' state, when it can be restored from a snapshot (compiling only).
    pub(crate) snapshot: Option<Snapshot>,
    pub(crate) bound: Vec<Option<BoundImport>>,
    /// The compile-time state (a [`CompileState`]).
    pub(crate) state: KeepAlive,
    /// The store whose live objects are bound into the code.
    pub(crate) required_store: Option<u64>,
}

/// Compiles `parsed` specialized on `preimports`. The `eager` providers are instantiated
/// first, in order, whether or not anything binds to them (the stages of a staged module,
/// whose start functions run at compile time).
pub(crate) fn compile(
    engine: &Engine,
    parsed: &ParsedModule,
    preimports: &Preimports,
    options: &CompileOptions,
    eager: &[Provider],
    source: ArtifactSource,
    live: Option<LiveStores<'_>>,
) -> Result<Specialized> {
    let binds_live = check_live_bindings(preimports, eager, live)?;
    let mut state = CompileState::new(engine, source);
    let result = (|| {
        for provider in eager {
            instantiate_provider(&mut state, provider, live)?;
        }
        let bindings = resolve(&mut state, parsed, preimports, None, live)?;
        compile_units(&mut state, parsed, &bindings, options)
    })();
    let (artifact, bound) = match result {
        Ok(parts) => parts,
        Err(e) => {
            // A provider whose instantiation failed may already have stored references to
            // its functions in a live object (a table element, a funcref global: Wasm 2.0
            // keeps such writes). Then its instances must live as long as that store.
            if let Some(live) = live.filter(|_| binds_live && !state.store.instances.is_empty()) {
                live.keep.borrow_mut().push(Arc::new(state));
            }
            return Err(e);
        }
    };
    state.source.borrow().check_exhausted()?;
    let restored = match state.source.borrow().snapshot() {
        Some(snapshot) if snapshot.steps.len() != state.providers.len() => {
            Some(Err(SnapshotMismatch::Recipe))
        }
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
    let has_instances = !state.store.instances.is_empty();
    let state: KeepAlive = Arc::new(state);
    let required_store = live.filter(|_| binds_live).map(|live| {
        if has_instances {
            live.keep.borrow_mut().push(state.clone());
        }
        live.home.id
    });
    Ok(Specialized {
        artifact,
        produced,
        snapshot,
        bound,
        state,
        required_store,
    })
}

/// Optimized CLIF and machine code of defined function `defined` of `parsed`, specialized
/// on `preimports` (generic when the set is empty). Live bindings are refused: nothing
/// checks their store here.
pub(crate) fn explain(
    engine: &Engine,
    parsed: &ParsedModule,
    preimports: &Preimports,
    options: &CompileOptions,
    defined: u32,
) -> Result<stagec_codegen::Explanation> {
    check_live_bindings(preimports, &[], None)?;
    let mut state = CompileState::new(engine, ArtifactSource::compile());
    let bindings = resolve(&mut state, parsed, preimports, None, None)?;
    let units = units(&state, parsed, &bindings);
    Ok(engine.inner.compiler.explain(&units, options, defined)?)
}

/// Resolves the bindings of `parsed`'s imports (of `provider`, or of the module compiled),
/// instantiating providers as needed.
fn resolve(
    state: &mut CompileState,
    parsed: &ParsedModule,
    preimports: &Preimports,
    provider: Option<&Provider>,
    live: Option<LiveStores<'_>>,
) -> Result<Vec<Binding>> {
    let info = &parsed.info;
    let error = |import: ImportName, problem| -> Error {
        PreimportError {
            provider: provider.map(|p| p.name().to_string()),
            import,
            problem,
        }
        .into()
    };
    for (m, n, _) in preimports.iter() {
        if !info.imports.iter().any(|i| i.module == m && i.name == n) {
            return Err(error(ImportName::new(m, n), PreimportProblem::NotImported));
        }
    }
    let mut bindings = Vec::new();
    for import in &info.imports {
        let name = || ImportName::new(&import.module, &import.name);
        let binding = match preimports.get(&import.module, &import.name) {
            None if provider.is_some() => {
                return Err(error(name(), PreimportProblem::NotBound));
            }
            None => Binding::Runtime,
            Some(Preimport::Extern(item)) => {
                // Checked by `check_live_bindings` before anything was instantiated.
                let store = live
                    .and_then(|l| l.store_of(item.store_id()))
                    .ok_or_else(|| error(name(), PreimportProblem::LiveOfAnotherStore))?;
                check_import(
                    store,
                    info,
                    &import.ty,
                    item,
                    false,
                    Supplier::Provider,
                    None,
                )
                .map_err(|reason| IncompatibleImport {
                    import: name(),
                    reason,
                })?;
                match item {
                    Extern::Global(g) if !g.ty().mutable && !g.ty().ty.is_ref() => {
                        Binding::Constant(g.get(store))
                    }
                    other => Binding::Fixed(other.address(store)),
                }
            }
            Some(Preimport::Value(v)) => match &import.ty {
                EntityType::Global(g) if !g.mutable && g.ty == v.ty() && !v.ty().is_ref() => {
                    Binding::Constant(*v)
                }
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
                other => {
                    let problem = PreimportProblem::NotAGlobal { kind: other.kind() };
                    return Err(error(name(), problem));
                }
            },
            Some(Preimport::Export {
                provider: p,
                export,
            }) => {
                let index = instantiate_provider(state, p, live)?;
                let instance = &state.providers[index];
                let entry = instance
                    .parsed
                    .info
                    .export(export)
                    .ok_or_else(|| p.no_export(name(), export))?;
                let (kind, export_index) = (entry.kind, entry.index);
                let rt = state.runtime(instance);
                let item = extern_of(state.store.id, rt, entry);
                let frozen = p.inner.freeze_globals;
                check_import(
                    &state.store,
                    info,
                    &import.ty,
                    &item,
                    frozen,
                    Supplier::Provider,
                    None,
                )
                .map_err(|reason| error(name(), PreimportProblem::Mismatch(reason)))?;
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
                    Extern::Func(_) => Binding::ProviderFunc {
                        provider: index,
                        index: export_index,
                    },
                    _ => Binding::Fixed(BoundImport::of_export(rt, kind, export_index)),
                }
            }
        };
        bindings.push(binding);
    }
    Ok(bindings)
}

/// Instantiates `provider` once in this compilation; returns its index.
fn instantiate_provider(
    state: &mut CompileState,
    provider: &Provider,
    live: Option<LiveStores<'_>>,
) -> Result<usize> {
    if let Some(&i) = state.by_id.get(&provider.inner.id) {
        return Ok(i);
    }
    for stage in &provider.inner.eager {
        instantiate_provider(state, stage, live)?;
    }
    // Replaying a serialized compilation: the provider was validated when it was compiled.
    let parsed = if state.source.borrow().is_replay() {
        provider.parse_trusted()?
    } else {
        provider.parse()?
    };
    let bindings = resolve(state, &parsed, provider.preimports(), Some(provider), live)?;
    let engine = state.store.engine().clone();
    let options = engine.compile_options(&CompileOptions::default());
    let (artifact, bound) =
        compile_units(state, &parsed, &bindings, &options).map_err(|e| provider.error(e))?;
    let info = Arc::new(parsed.info.clone());
    let module = CompiledModule::load(&engine, info, artifact, bound, None)
        .map_err(|e| provider.error(e))?;
    let restoring = state.source.borrow().snapshot().is_some();
    let instance = instantiate(&mut state.store, &Arc::new(module), &[], !restoring)
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
            .ok_or(SnapshotMismatch::TooFewSteps)?;
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
        .map(|p| snapshot::capture(state.runtime(p), &p.parsed.info, contents))
        .collect()
}

/// Restores the providers instantiated so far to `states` (one per provider).
fn restore_all(state: &CompileState, states: &[ProviderState]) -> Result<(), SnapshotMismatch> {
    if states.len() != state.providers.len() {
        return Err(SnapshotMismatch::Recipe);
    }
    for (p, s) in state.providers.iter().zip(states) {
        snapshot::restore(state.runtime(p), &p.parsed.info, s)?;
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
) -> Result<(Artifact, Vec<Option<BoundImport>>)> {
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
            Binding::Fixed(address) => Some(address),
            Binding::ProviderFunc { provider, index } => {
                let rt = state.runtime(&state.providers[provider]);
                Some(BoundImport::of_export(rt, ExternKind::Func, index))
            }
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
        imports: bindings.iter().map(Binding::code_binding).collect(),
        fixed: None,
    }];
    for p in &state.providers {
        units.push(CompileUnit {
            module: &p.parsed,
            imports: p.bindings.iter().map(Binding::code_binding).collect(),
            fixed: Some(fixed_instance(state.runtime(p), &p.parsed.info)),
        });
    }
    units
}

/// Every address of a provider instance, for compiling it into a consumer's artifact.
fn fixed_instance(rt: &stagec_runtime::Instance, info: &ModuleInfo) -> FixedInstance {
    let addresses = |kind: ExternKind, count: usize| {
        (0..count as u32).map(move |i| BoundImport::of_export(rt, kind, i).fixed_binding())
    };
    FixedInstance {
        vmctx: rt.vmctx() as usize,
        memories: addresses(ExternKind::Memory, info.memories.len())
            .map(|b| match b {
                ImportBinding::MemoryAt { base, def } => (base, def),
                _ => unreachable!("a memory is at a memory's address"),
            })
            .collect(),
        tables: addresses(ExternKind::Table, info.tables.len())
            .map(|b| match b {
                ImportBinding::TableAt { def } => def,
                _ => unreachable!("a table is at a table's address"),
            })
            .collect(),
        globals: addresses(ExternKind::Global, info.globals.len())
            .map(|b| match b {
                ImportBinding::GlobalAt(address) => address,
                _ => unreachable!("a global is at a global's address"),
            })
            .collect(),
    }
}
