//! Staged modules (DESIGN.md §2): `pre` stages run at compile time and export
//! preexports, `single` stages are instantiated once per compilation and shared, the
//! `multi` stage is compiled against both and instantiated any number of times.
//!
//! Compilation maps onto preimports: every `pre` and `single` stage becomes a
//! [`Provider`] of the compilation (instantiated once, in the compilation's private store,
//! its start function run then), and every stage reference `(import "stage" "x" ...)`
//! becomes a binding to that provider's export — a constant for an immutable global, a
//! direct (inlinable) call for a function, a fixed address for a memory, table or mutable
//! global. The `multi` stage is the compiled [`Module`]. Decisions the design leaves open:
//!
//! - imports of `pre` and `single` stages that are not stage references must be
//!   preimported (both are instantiated while compiling); those of the `multi` stage may
//!   be preimported or left as runtime imports;
//! - `stagec.fresh` (an immutable i64 global import) is a value fresh for each
//!   compilation: the same for every instance of the compiled module;
//! - a `pre` stage's mutable global may be imported by later stages as an immutable
//!   global: the value it holds once the stage has run (its start function computes it;
//!   Wasm 2.0 has no extended constant expressions) is then a constant of the importer;
//! - a staged module without a `multi` stage compiles to a module that re-exports the
//!   exports of its `single` stages.

use crate::preimports::{Preimport, Preimports, Provider};
use crate::{Engine, Error, Module, Result, Val};
use stagec_codegen::CompileOptions;
use stagec_frontend::{
    EntityType, ExternKind, FuncType, GlobalType, ModuleInfo, StageKind, StagedModule,
};
use std::sync::atomic::{AtomicU64, Ordering};

/// The module name of the magic import giving a fresh value per compilation.
pub const FRESH_MODULE: &str = "stagec";
/// The field name of the magic import giving a fresh value per compilation.
pub const FRESH_NAME: &str = "fresh";

static FRESH_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A value no other compilation of this process gets, and unlikely to repeat across
/// processes.
fn fresh_value() -> i64 {
    let count = FRESH_COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mixed = (nanos ^ (u64::from(std::process::id()) << 32))
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(count.wrapping_mul(0xbf58_476d_1ce4_e5b9));
    mixed as i64
}

/// A stage of a compiled module, for extension stages to refer to by name.
#[derive(Clone, Debug)]
pub(crate) struct StageInfo {
    pub(crate) name: String,
    /// The provider id of a `pre` or `single` stage (its instance lives in the
    /// compilation's private store); `None` for the `multi` stage (the live instance).
    pub(crate) provider: Option<u64>,
}

impl StageInfo {
    /// The one stage of a core module.
    pub(crate) fn main() -> StageInfo {
        StageInfo {
            name: "main".into(),
            provider: None,
        }
    }
}

/// The import modules of WASI (preview 1 and its predecessor): host functions that touch
/// the world, only for the `multi` stage (see docs/staged-modules.md).
const WASI_MODULES: [&str; 2] = ["wasi_snapshot_preview1", "wasi_unstable"];

fn stage_error(stage: &str, kind: StageKind, message: impl std::fmt::Display) -> Error {
    Error::Staged(format!("stage `{stage}` ({kind}): {message}"))
}

impl Module {
    /// Compiles a staged module: runs its `pre` stages, instantiates its `single` stages
    /// once, and compiles its `multi` stage against them. `preimports` binds imports of
    /// any stage that are not stage references.
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
        engine.check_compilation_allowed()?;
        let plan = StagedPlan::new(staged, preimports)?;
        let stage_info = staged
            .stages
            .iter()
            .zip(&plan.providers)
            .map(|(s, p)| StageInfo {
                name: s.name.clone(),
                provider: p.as_ref().map(|p| p.inner.id),
            })
            .collect();
        let name = plan.name.clone();
        let stages: Vec<Provider> = plan.providers.into_iter().flatten().collect();
        Module::with_stages(
            engine,
            &plan.bytes,
            &plan.bindings,
            options,
            &stages,
            stage_info,
        )
        .map_err(|e| match e {
            Error::InFile { .. }
            | Error::Staged(_)
            | Error::UnknownImport { .. }
            | Error::IncompatibleImport { .. }
            | Error::Trap(_) => e,
            other => stage_error(&name, StageKind::Multi, other),
        })
    }
}

impl Provider {
    /// A provider whose exports are those of a staged module (its `multi` stage, or the
    /// exports of its `single` stages): its stages are instantiated once per compilation
    /// that uses it, and its functions are compiled into the user's artifact (direct calls,
    /// inlined when small), exactly as for a core provider. This is how one staged module
    /// preimports another (`--preimport MOD=@OTHER.swat`).
    pub fn from_staged(staged: &StagedModule, preimports: &Preimports) -> Result<Provider> {
        let plan = StagedPlan::new(staged, preimports)?;
        let eager: Vec<Provider> = plan.providers.into_iter().flatten().collect();
        Ok(Provider::for_staged(
            format!("staged module (final stage `{}`)", plan.name),
            plan.bytes,
            plan.bindings,
            eager,
        ))
    }
}

/// A staged module turned into providers: one per `pre`/`single` stage, in order, and
/// the final module (the `multi` stage or the re-exports of the `single` stages) with the
/// bindings of its imports.
struct StagedPlan {
    providers: Vec<Option<Provider>>,
    name: String,
    bytes: Vec<u8>,
    bindings: Preimports,
}

impl StagedPlan {
    fn new(staged: &StagedModule, preimports: &Preimports) -> Result<StagedPlan> {
        staged.validate()?;
        let infos: Vec<ModuleInfo> = staged
            .stages
            .iter()
            .map(|s| stagec_frontend::parse(s.module.clone()).map(|p| p.info))
            .collect::<std::result::Result<_, _>>()?;
        let fresh = fresh_value();
        let mut used = vec![false; preimports.iter().count()];
        let mut providers: Vec<Option<Provider>> = Vec::new();
        let mut multi = None;
        for (i, stage) in staged.stages.iter().enumerate() {
            let bindings =
                stage_bindings(staged, &infos, &providers, i, preimports, &mut used, fresh)?;
            match stage.kind {
                StageKind::Pre | StageKind::Single => {
                    providers.push(Some(Provider::for_stage(
                        format!("stage `{}` ({})", stage.name, stage.kind),
                        stage.module.clone(),
                        bindings,
                        stage.kind == StageKind::Pre,
                    )));
                }
                StageKind::Multi => {
                    providers.push(None);
                    multi = Some((i, bindings));
                }
            }
        }
        if let Some(unused) = preimports
            .iter()
            .zip(&used)
            .find(|(_, used)| !**used)
            .map(|((m, n, _), _)| format!("`{m}`.`{n}`"))
        {
            return Err(Error::Staged(format!("no stage imports {unused} to bind")));
        }
        let name = multi.as_ref().map_or("(re-exports)".to_string(), |(i, _)| {
            staged.stages[*i].name.clone()
        });
        let (bytes, bindings) = match multi {
            Some((i, bindings)) => (staged.stages[i].module.clone(), bindings),
            None => reexport_singles(staged, &infos, &providers)?,
        };
        Ok(StagedPlan {
            providers,
            name,
            bytes,
            bindings,
        })
    }
}

/// The bindings of stage `index`'s imports: references to earlier stages, `stagec.fresh`,
/// and the user's preimports.
fn stage_bindings(
    staged: &StagedModule,
    infos: &[ModuleInfo],
    providers: &[Option<Provider>],
    index: usize,
    preimports: &Preimports,
    used: &mut [bool],
    fresh: i64,
) -> Result<Preimports> {
    let stage = &staged.stages[index];
    let info = &infos[index];
    let mut set = Preimports::new();
    for import in &info.imports {
        let what = format!("`{}`.`{}`", import.module, import.name);
        if let Some(target) = staged.stages[..index]
            .iter()
            .position(|s| s.name == import.module)
        {
            let target_stage = &staged.stages[target];
            let Some(provider) = &providers[target] else {
                return Err(stage_error(
                    &stage.name,
                    stage.kind,
                    format!(
                        "imports {what}, but stage `{}` is a multi stage",
                        target_stage.name
                    ),
                ));
            };
            let export = infos[target].export(&import.name).ok_or_else(|| {
                stage_error(
                    &stage.name,
                    stage.kind,
                    format!(
                        "imports {what}, but stage `{}` has no export `{}`",
                        target_stage.name, import.name
                    ),
                )
            })?;
            let exported = infos[target].entity_type(export.kind, export.index);
            let frozen = target_stage.kind == StageKind::Pre;
            if !fits(info, &import.ty, &infos[target], &exported, frozen) {
                return Err(stage_error(
                    &stage.name,
                    stage.kind,
                    format!(
                        "imports {what} as {}, but stage `{}` exports it as {}",
                        info.describe(&import.ty),
                        target_stage.name,
                        infos[target].describe(&exported)
                    ),
                ));
            }
            set.export(&import.module, &import.name, provider, &import.name);
            continue;
        }
        if import.module == FRESH_MODULE && import.name == FRESH_NAME {
            let wanted = EntityType::Global(GlobalType {
                ty: stagec_frontend::ValType::I64,
                mutable: false,
            });
            if import.ty != wanted {
                return Err(stage_error(
                    &stage.name,
                    stage.kind,
                    format!("imports {what}, which must be an immutable i64 global"),
                ));
            }
            set.value(FRESH_MODULE, FRESH_NAME, Val::I64(fresh));
            continue;
        }
        let position = preimports
            .iter()
            .position(|(m, n, _)| m == import.module && n == import.name);
        match position {
            Some(p) => {
                used[p] = true;
                let (_, _, preimport) = preimports.iter().nth(p).expect("position");
                set.bind(&import.module, &import.name, preimport.clone());
            }
            None if stage.kind != StageKind::Multi && WASI_MODULES.contains(&&*import.module) => {
                return Err(stage_error(
                    &stage.name,
                    stage.kind,
                    format!(
                        "imports {what}: WASI is not available at compile time (pre and \
                         single stages run while the module is compiled, and a compilation \
                         depends only on its stages and preimports); pass what the stage \
                         needs as a preimport, and use WASI in the multi stage"
                    ),
                ));
            }
            None if stage.kind != StageKind::Multi => {
                return Err(stage_error(
                    &stage.name,
                    stage.kind,
                    format!(
                        "imports {what}, which is neither a stage reference nor preimported \
                         (imports of pre and single stages are bound at compile time)"
                    ),
                ));
            }
            None => {}
        }
    }
    Ok(set)
}

/// Whether an export of type `exported` (of module `from`) satisfies an import of type
/// `wanted` (of module `to`). Sizes are checked again against the live instance. A `pre`
/// stage's (`frozen`) mutable global may be imported as immutable: its preexport value.
fn fits(
    to: &ModuleInfo,
    wanted: &EntityType,
    from: &ModuleInfo,
    exported: &EntityType,
    frozen: bool,
) -> bool {
    match (wanted, exported) {
        (EntityType::Func(a), EntityType::Func(b)) => {
            to.types[*a as usize] == from.types[*b as usize]
        }
        (EntityType::Global(a), EntityType::Global(b)) => {
            a == b || (frozen && b.mutable && !a.mutable && a.ty == b.ty)
        }
        (EntityType::Memory(_), EntityType::Memory(_)) => true,
        (EntityType::Table(a), EntityType::Table(b)) => a.element == b.element,
        _ => false,
    }
}

/// A module (text) importing every export of every `single` stage and exporting it again,
/// with bindings to those stages: the compiled form of a staged module without `multi`.
fn reexport_singles(
    staged: &StagedModule,
    infos: &[ModuleInfo],
    providers: &[Option<Provider>],
) -> Result<(Vec<u8>, Preimports)> {
    let mut wat = String::from("(module\n");
    let mut bindings = Preimports::new();
    let mut seen = std::collections::HashSet::new();
    for (i, stage) in staged.stages.iter().enumerate() {
        if stage.kind != StageKind::Single {
            continue;
        }
        let provider = providers[i].as_ref().expect("single stages are providers");
        // One import per exported entity, exported under each of its names (a module
        // may export one memory twice, but may not import two).
        let mut imported: std::collections::HashMap<(u8, u32), usize> = Default::default();
        for export in &infos[i].exports {
            if !seen.insert(export.name.clone()) {
                return Err(Error::Staged(format!(
                    "export `{}` is defined by more than one single stage",
                    export.name
                )));
            }
            let key = (export.kind as u8, export.index);
            if let Some(&index) = imported.get(&key) {
                wat.push_str(&format!(
                    "  (export {:?} ({} {index}))\n",
                    export.name,
                    kind_keyword(export.kind)
                ));
                continue;
            }
            let ty = infos[i].entity_type(export.kind, export.index);
            let desc = match &ty {
                EntityType::Func(t) => func_desc(&infos[i].types[*t as usize]),
                other => infos[i].describe(other),
            };
            let index = count_before(&wat, export.kind);
            imported.insert(key, index);
            wat.push_str(&format!(
                "  (import {:?} {:?} {desc})\n  (export {:?} ({} {index}))\n",
                stage.name,
                export.name,
                export.name,
                kind_keyword(export.kind),
            ));
            bindings.bind(
                &stage.name,
                &export.name,
                Preimport::Export {
                    provider: provider.clone(),
                    export: export.name.clone(),
                },
            );
        }
    }
    wat.push(')');
    let bytes = wat::parse_str(&wat).map_err(|e| Error::Wat(e.to_string()))?;
    Ok((bytes, bindings))
}

fn func_desc(ty: &FuncType) -> String {
    let mut s = String::from("(func");
    for p in ty.params.iter() {
        s.push_str(&format!(" (param {p})"));
    }
    for r in ty.results.iter() {
        s.push_str(&format!(" (result {r})"));
    }
    s.push(')');
    s
}

fn kind_keyword(kind: ExternKind) -> &'static str {
    match kind {
        ExternKind::Func => "func",
        ExternKind::Table => "table",
        ExternKind::Memory => "memory",
        ExternKind::Global => "global",
    }
}

/// The index the next import of `kind` gets in the module text built so far.
fn count_before(wat: &str, kind: ExternKind) -> usize {
    let needle = format!(" ({} ", kind_keyword(kind));
    let needle_end = format!(" ({})", kind_keyword(kind));
    wat.lines()
        .filter(|l| l.trim_start().starts_with("(import"))
        .filter(|l| l.contains(&needle) || l.contains(&needle_end))
        .count()
}

impl crate::Instance {
    /// Appends an *extension stage* to this live instance: compiles `stage` (a core module,
    /// binary or text; a `single` stage) and instantiates it in `store`.
    ///
    /// An import of the extension whose module name is the name of one of this instance's
    /// stages binds to that stage's export — the `multi` stage (`main` for a core module)
    /// is this instance itself — at compile time: memories, tables and mutable globals at
    /// their fixed addresses, immutable globals as constants, functions through their
    /// import slots. Other imports are bound by `preimports`. The extension shares this
    /// instance's data; its functions can be stored into this instance's tables (by its
    /// element segments or start function) and called with `call_indirect`. Nothing
    /// already compiled is recompiled or re-linked.
    pub fn extend(
        &self,
        store: &mut crate::Store,
        stage: impl AsRef<[u8]>,
        preimports: &Preimports,
    ) -> Result<crate::Instance> {
        let bytes = crate::module::to_binary(stage.as_ref())?;
        let imports = Module::import_types(&bytes)?;
        let module = store.modules[self.module_index(store)].clone();
        let mut set = preimports.clone();
        for (m, n, _) in &imports {
            let Some(info) = module.inner.stages.iter().find(|s| s.name == *m) else {
                if preimports.get(m, n).is_none() {
                    return Err(Error::Staged(format!(
                        "extension stage imports `{m}`.`{n}`, which is neither a stage of the instance nor preimported"
                    )));
                }
                continue;
            };
            let item = match info.provider {
                None => self.get_export(store, n),
                Some(id) => module
                    .stage_instance(id)
                    .and_then(|(private, instance)| instance.get_export(private, n)),
            };
            let item = item.ok_or_else(|| {
                Error::Staged(format!(
                    "extension stage imports `{m}`.`{n}`, but stage `{m}` has no export `{n}`"
                ))
            })?;
            set.bind(m, n, Preimport::Extern(item));
        }
        let extension =
            Module::with_preimports(store.engine(), &bytes, &set).map_err(|e| match e {
                Error::CompilationDenied => e,
                e => Error::Staged(format!("extension stage: {e}")),
            })?;
        crate::Linker::new().instantiate(store, &extension)
    }
}
