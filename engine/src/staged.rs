//! Staged modules (DESIGN.md §2): `pre` stages run at compile time and export
//! preexports, `single` stages are instantiated once per compilation and shared, the
//! `multi` stage is compiled against both and instantiated any number of times.
//!
//! This module is the planner: it checks a staged module's stage references and decides
//! what every import of every stage is bound to ([`StagedPlan`]), knowing nothing of how
//! stages are compiled. Compilation maps the plan onto preimports (`preimports.rs`,
//! `StagedProviders`): every `pre` and `single` stage becomes a
//! [`Provider`](crate::Provider) of the compilation (instantiated once, in the
//! compilation's private store, its start function run then), and every stage reference
//! `(import "stage" "x" ...)` becomes a binding to that provider's export — a constant
//! for an immutable global, a direct (inlinable) call for a function, a fixed address for
//! a memory, table or mutable global. The `multi` stage is the compiled [`Module`](crate::Module). Decisions the
//! design leaves open:
//!
//! - imports of `pre` and `single` stages that are not stage references must be
//!   preimported (both are instantiated while compiling); those of the `multi` stage may
//!   be preimported or left as runtime imports;
//! - WASI is for the `multi` stage only: a `pre` or `single` stage importing it is an
//!   error naming the import (a compilation depends only on its stages and preimports);
//! - `stagec.fresh` (an immutable i64 global import) is a value fresh for each
//!   compilation: the same for every instance of the compiled module;
//! - a `pre` stage's mutable global may be imported by later stages as an immutable
//!   global: the value it holds once the stage has run (its start function computes it)
//!   is then a constant of the importer; values that follow by arithmetic from
//!   preimports and preexports can instead be computed by an extended constant
//!   expression, whose global is then a constant as well;
//! - a staged module without a `multi` stage compiles to a module that re-exports the
//!   exports of its `single` stages.

use crate::error::{ExternType, ImportName, Result, StageProblem, StagedError};
use stagec_frontend::{
    EntityType, ExternKind, FuncType, GlobalType, ModuleInfo, StageKind, StagedModule,
};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

/// The module name of the magic import giving a fresh value per compilation.
pub const FRESH_MODULE: &str = "stagec";
/// The field name of the magic import giving a fresh value per compilation.
pub const FRESH_NAME: &str = "fresh";

/// The import modules of WASI (preview 1 and its predecessor): host functions that touch
/// the world, only for the `multi` stage (see docs/staged-modules.md).
const WASI_MODULES: [&str; 2] = ["wasi_snapshot_preview1", "wasi_unstable"];

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

/// What one import of a stage is bound to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StageBinding {
    /// Export `export` of stage `stage`, an earlier `pre` or `single` stage.
    Stage { stage: usize, export: String },
    /// `stagec.fresh`: the compilation's fresh value.
    Fresh(i64),
    /// The caller's preimport number `index` (in the order given to [`plan`]).
    Preimport(usize),
}

/// A binding of import `module`.`name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PlannedBinding {
    pub(crate) module: String,
    pub(crate) name: String,
    pub(crate) to: StageBinding,
}

/// A stage and the bindings of its imports (the `multi` stage's are those of
/// [`StagedPlan::bindings`]).
pub(crate) struct PlannedStage {
    pub(crate) name: String,
    pub(crate) kind: StageKind,
    pub(crate) module: Vec<u8>,
    pub(crate) bindings: Vec<PlannedBinding>,
}

/// A staged module, planned: every stage in order, and the module compiled last — the
/// `multi` stage, or a module re-exporting the exports of the `single` stages — with the
/// bindings of its imports.
pub(crate) struct StagedPlan {
    pub(crate) stages: Vec<PlannedStage>,
    /// The name of the module compiled last (the `multi` stage's, or `(re-exports)`).
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) bindings: Vec<PlannedBinding>,
}

fn stage_error(stage: &str, kind: StageKind, problem: StageProblem) -> StagedError {
    StagedError::Stage {
        stage: stage.to_string(),
        kind,
        problem,
    }
}

/// Plans `staged`, given the (module, name) pairs of the caller's preimports in order.
pub(crate) fn plan(staged: &StagedModule, preimports: &[(&str, &str)]) -> Result<StagedPlan> {
    staged.validate()?;
    let infos: Vec<ModuleInfo> = staged
        .stages
        .iter()
        .map(|s| stagec_frontend::parse(s.module.clone()).map(|p| p.info))
        .collect::<std::result::Result<_, _>>()?;
    let fresh = fresh_value();
    let mut used = vec![false; preimports.len()];
    let mut stages = Vec::new();
    let mut multi = None;
    for (i, stage) in staged.stages.iter().enumerate() {
        let bindings = stage_bindings(staged, &infos, i, preimports, &mut used, fresh)?;
        let bindings = match stage.kind {
            StageKind::Pre | StageKind::Single => bindings,
            StageKind::Multi => {
                multi = Some((i, bindings));
                Vec::new()
            }
        };
        stages.push(PlannedStage {
            name: stage.name.clone(),
            kind: stage.kind,
            module: stage.module.clone(),
            bindings,
        });
    }
    if let Some(&(module, name)) = preimports
        .iter()
        .zip(&used)
        .find(|(_, used)| !**used)
        .map(|(p, _)| p)
    {
        return Err(StagedError::UnusedPreimport(ImportName::new(module, name)).into());
    }
    let (name, bytes, bindings) = match multi {
        Some((i, bindings)) => (
            staged.stages[i].name.clone(),
            staged.stages[i].module.clone(),
            bindings,
        ),
        None => {
            let (bytes, bindings) = reexport_singles(staged, &infos)?;
            ("(re-exports)".to_string(), bytes, bindings)
        }
    };
    Ok(StagedPlan {
        stages,
        name,
        bytes,
        bindings,
    })
}

/// The bindings of stage `index`'s imports: references to earlier stages, `stagec.fresh`,
/// and the caller's preimports (marked `used`).
fn stage_bindings(
    staged: &StagedModule,
    infos: &[ModuleInfo],
    index: usize,
    preimports: &[(&str, &str)],
    used: &mut [bool],
    fresh: i64,
) -> Result<Vec<PlannedBinding>> {
    let stage = &staged.stages[index];
    let info = &infos[index];
    let error = |problem| stage_error(&stage.name, stage.kind, problem);
    let mut bindings = Vec::new();
    for import in &info.imports {
        let name = || ImportName::new(&import.module, &import.name);
        let binding = |to| PlannedBinding {
            module: import.module.clone(),
            name: import.name.clone(),
            to,
        };
        if let Some(target) = staged.stages[..index]
            .iter()
            .position(|s| s.name == import.module)
        {
            let target_stage = &staged.stages[target];
            if target_stage.kind == StageKind::Multi {
                return Err(error(StageProblem::ReferencesMulti { import: name() }).into());
            }
            let export = infos[target]
                .export(&import.name)
                .ok_or_else(|| error(StageProblem::NoExport { import: name() }))?;
            let exported = infos[target].entity_type(export.kind, export.index);
            let frozen = target_stage.kind == StageKind::Pre;
            if !fits(info, &import.ty, &infos[target], &exported, frozen) {
                return Err(error(StageProblem::TypeMismatch {
                    import: name(),
                    imported_as: ExternType::of(info, &import.ty),
                    exported_as: ExternType::of(&infos[target], &exported),
                })
                .into());
            }
            bindings.push(binding(StageBinding::Stage {
                stage: target,
                export: import.name.clone(),
            }));
            continue;
        }
        if import.module == FRESH_MODULE && import.name == FRESH_NAME {
            let wanted = EntityType::Global(GlobalType {
                ty: stagec_frontend::ValType::I64,
                mutable: false,
            });
            if import.ty != wanted {
                return Err(error(StageProblem::FreshType { import: name() }).into());
            }
            bindings.push(binding(StageBinding::Fresh(fresh)));
            continue;
        }
        let position = preimports
            .iter()
            .position(|&(m, n)| m == import.module && n == import.name);
        match position {
            Some(p) => {
                used[p] = true;
                bindings.push(binding(StageBinding::Preimport(p)));
            }
            None if stage.kind != StageKind::Multi && WASI_MODULES.contains(&&*import.module) => {
                return Err(error(StageProblem::WasiAtCompileTime { import: name() }).into());
            }
            None if stage.kind != StageKind::Multi => {
                return Err(error(StageProblem::Unbound { import: name() }).into());
            }
            None => {}
        }
    }
    Ok(bindings)
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
) -> Result<(Vec<u8>, Vec<PlannedBinding>)> {
    let mut wat = String::from("(module\n");
    let mut bindings = Vec::new();
    let mut seen = HashSet::new();
    for (i, stage) in staged.stages.iter().enumerate() {
        if stage.kind != StageKind::Single {
            continue;
        }
        // One import per exported entity, exported under each of its names (a module
        // may export one memory twice, but may not import two).
        let mut imported: HashMap<(u8, u32), usize> = HashMap::new();
        for export in &infos[i].exports {
            if !seen.insert(export.name.clone()) {
                return Err(StagedError::DuplicateExport {
                    export: export.name.clone(),
                }
                .into());
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
            bindings.push(PlannedBinding {
                module: stage.name.clone(),
                name: export.name.clone(),
                to: StageBinding::Stage {
                    stage: i,
                    export: export.name.clone(),
                },
            });
        }
    }
    wat.push(')');
    Ok((wat::parse_str(&wat)?, bindings))
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
