//! Specialization across the wiring: per import of every static module, whether it is
//! compiled knowing what feeds it, through the engine's one door (`stagec::Preimports`).
//!
//! The rule (per import, never per module, so that each static module is compiled exactly
//! once and shared by all its instances):
//! - an immutable global import becomes a constant ([`Edge::Constant`]) when every
//!   instantiation of the module feeds it a global whose value is known when the component
//!   is loaded — a constant initializer, or `global.get` of an import that is itself such a
//!   global, through any number of modules;
//! - a function import becomes known code ([`Edge::KnownCode`]: a direct call of a copy of
//!   the callee compiled into the importer, inlined when small, with the callee instance's
//!   vmctx read from the import slot) when every instantiation feeds it the same function
//!   of the same instance, and the function's body is at most
//!   [`stagec::KNOWN_CODE_MAX_BODY`] bytes;
//! - everything else stays an ordinary import, and [`Ordinary`] says why.
//!
//! The defining instance of a known edge precedes every instantiation of the importer, so
//! modules are decided in the order of their first instantiation: what a callee module is
//! compiled with (its constants and its own known code, which the copy of its code must
//! be compiled with too) is known by then.

use crate::plan::{CoreDef, CoreKind, GlobalInit, ImportFeed, ModuleIndex, Plan};
use crate::plan::{CoreImport, RuntimeInstanceIndex};
use crate::{Error, Result};
use std::fmt;

/// Whether a component's wiring edges are specialized.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Specialize {
    /// Specialize every edge the rule allows (the default).
    #[default]
    On,
    /// Every edge an ordinary import: the indirection baseline (`--specialize off`).
    Off,
}

/// How a component is compiled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ComponentOptions {
    /// Whether wiring edges are specialized.
    pub specialize: Specialize,
    /// The engine's code-generation options for every static module.
    pub compile: stagec::CompileOptions,
}

/// How one import of a static module is compiled.
#[derive(Clone, Debug)]
pub enum Edge {
    /// An immutable global whose value is known: a constant folded into the code. The
    /// import is not supplied at instantiation.
    Constant(stagec::Val),
    /// Function `func` of the module of `instance`, known code: called directly (inlined
    /// when small) with that instance's state. The import is still supplied (and checked)
    /// at instantiation.
    KnownCode {
        /// The instance every instantiation feeds the import from.
        instance: RuntimeInstanceIndex,
        /// Its module.
        module: ModuleIndex,
        /// The function's index in that module.
        func: u32,
    },
    /// An ordinary import, supplied at instantiation.
    Ordinary(Ordinary),
}

impl Edge {
    /// Whether the import is compiled knowing what feeds it.
    pub fn is_specialized(&self) -> bool {
        !matches!(self, Edge::Ordinary(_))
    }
}

/// Why an import stays an ordinary import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ordinary {
    /// Specialization is off.
    Off,
    /// The module is never instantiated.
    NeverInstantiated,
    /// Its instantiations feed it different definitions (or globals of different values).
    InstantiationsDiffer,
    /// A host function (`canon lower`): made per store at instantiation.
    HostFunction,
    /// A memory or a table: an object of each instance, reached through the vmctx.
    PerInstanceObject(CoreKind),
    /// A mutable global.
    MutableGlobal,
    /// A global whose initializer is not a constant known at load time.
    NotConstant,
    /// A function whose body is too large to be worth a copy.
    LargeBody {
        /// Its size in bytes.
        bytes: usize,
    },
}

impl fmt::Display for Ordinary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ordinary::Off => f.write_str("--specialize off"),
            Ordinary::NeverInstantiated => f.write_str("the module is never instantiated"),
            Ordinary::InstantiationsDiffer => f.write_str("its instantiations differ"),
            Ordinary::HostFunction => f.write_str("a host function (canon lower)"),
            Ordinary::PerInstanceObject(kind) => {
                write!(f, "a {kind}, an object of each instance")
            }
            Ordinary::MutableGlobal => f.write_str("a mutable global"),
            Ordinary::NotConstant => f.write_str("the global's initializer is not a constant"),
            Ordinary::LargeBody { bytes } => write!(
                f,
                "the function's body ({bytes} bytes) is over {} bytes",
                stagec::KNOWN_CODE_MAX_BODY
            ),
        }
    }
}

impl fmt::Display for Edge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Edge::Constant(v) => write!(f, "specialized: constant {}", show_val(v)),
            Edge::KnownCode {
                instance,
                module,
                func,
            } => write!(
                f,
                "specialized: known code, direct call of {module} func {func} \
                 (inlined when small) with {instance}'s context"
            ),
            Edge::Ordinary(reason) => write!(f, "ordinary import ({reason})"),
        }
    }
}

fn show_val(v: &stagec::Val) -> String {
    match *v {
        stagec::Val::I32(x) => format!("i32 {x}"),
        stagec::Val::I64(x) => format!("i64 {x}"),
        stagec::Val::F32(x) => format!("f32 {}", f32::from_bits(x)),
        stagec::Val::F64(x) => format!("f64 {}", f64::from_bits(x)),
        ref other => format!("{other:?}"),
    }
}

/// The decisions for a whole component.
#[derive(Clone, Debug)]
pub(crate) struct Wiring {
    /// Per static module, per import: how it is compiled.
    pub(crate) edges: Vec<Vec<Edge>>,
    /// Per static module: what it is compiled with.
    pub(crate) preimports: Vec<stagec::Preimports>,
    /// Per static module: the positions of the imports supplied at instantiation.
    pub(crate) runtime_imports: Vec<Vec<usize>>,
}

/// Decides every edge of `plan`.
pub(crate) fn decide(plan: &Plan, specialize: Specialize) -> Result<Wiring> {
    let n = plan.modules.len();
    let mut edges: Vec<Option<Vec<Edge>>> = vec![None; n];
    let mut preimports = vec![stagec::Preimports::new(); n];
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&m| plan.modules[m].instantiations.first().map(|r| r.0));
    for m in order {
        let module = &plan.modules[m];
        let mut decided = Vec::with_capacity(module.imports.len());
        for feed in plan.import_feeds(ModuleIndex(m as u32)) {
            let import = &module.imports[feed.import];
            let edge = match specialize {
                Specialize::Off => Edge::Ordinary(Ordinary::Off),
                Specialize::On => edge(plan, import, &feed),
            };
            match &edge {
                Edge::Constant(v) => {
                    preimports[m].value(&import.module, &import.name, *v);
                }
                Edge::KnownCode {
                    module: d, func, ..
                } => {
                    assert!(edges[d.index()].is_some(), "callees are decided first");
                    let callee = &plan.modules[d.index()];
                    // Compiled as the callee module is: its constants and its own known
                    // code (known code is transitive).
                    let code = stagec::KnownCode::new(&callee.bytes, &preimports[d.index()], *func)
                        .map_err(|source| Error::Compile { module: m, source })?;
                    preimports[m].code(&import.module, &import.name, &code);
                }
                Edge::Ordinary(_) => {}
            }
            decided.push(edge);
        }
        edges[m] = Some(decided);
    }
    let edges: Vec<Vec<Edge>> = edges.into_iter().map(Option::unwrap_or_default).collect();
    let runtime_imports = edges
        .iter()
        .map(|e| {
            (0..e.len())
                .filter(|&i| !matches!(e[i], Edge::Constant(_)))
                .collect()
        })
        .collect();
    Ok(Wiring {
        edges,
        preimports,
        runtime_imports,
    })
}

/// How `import`, fed by `feed`, is compiled (specialization on).
fn edge(plan: &Plan, import: &CoreImport, feed: &ImportFeed) -> Edge {
    if feed.sources.is_empty() {
        return Edge::Ordinary(Ordinary::NeverInstantiated);
    }
    match import.kind {
        CoreKind::Func => match feed.known_definition() {
            None => Edge::Ordinary(Ordinary::InstantiationsDiffer),
            Some(CoreDef::Lowered(_)) => Edge::Ordinary(Ordinary::HostFunction),
            Some(&CoreDef::Export {
                instance, index, ..
            }) => {
                let module = plan.instantiation(instance).module;
                let callee = &plan.modules[module.index()];
                let defined = (index - callee.imported(CoreKind::Func)) as usize;
                let bytes = callee.body_sizes[defined];
                if bytes > stagec::KNOWN_CODE_MAX_BODY {
                    return Edge::Ordinary(Ordinary::LargeBody { bytes });
                }
                Edge::KnownCode {
                    instance,
                    module,
                    func: index,
                }
            }
        },
        CoreKind::Global => {
            let mut known: Option<stagec::Val> = None;
            for (_, def) in &feed.sources {
                let v = match global_value(plan, def) {
                    Ok(v) => v,
                    Err(reason) => return Edge::Ordinary(reason),
                };
                match known {
                    Some(k) if !same_bits(&k, &v) => {
                        return Edge::Ordinary(Ordinary::InstantiationsDiffer);
                    }
                    _ => known = Some(v),
                }
            }
            Edge::Constant(known.expect("at least one instantiation"))
        }
        kind => Edge::Ordinary(Ordinary::PerInstanceObject(kind)),
    }
}

fn same_bits(a: &stagec::Val, b: &stagec::Val) -> bool {
    use stagec::Val::*;
    match (a, b) {
        (I32(x), I32(y)) => x == y,
        (I64(x), I64(y)) => x == y,
        (F32(x), F32(y)) => x == y,
        (F64(x), F64(y)) => x == y,
        _ => false,
    }
}

/// The value of the global `def` resolves to, when it is known at load time.
fn global_value(plan: &Plan, def: &CoreDef) -> std::result::Result<stagec::Val, Ordinary> {
    let &CoreDef::Export {
        instance, index, ..
    } = def
    else {
        return Err(Ordinary::NotConstant);
    };
    let module = plan.module_of(instance);
    let imported = module.imported(CoreKind::Global);
    if index < imported {
        // An imported global (a definition never is, but `global.get` may name one).
        let position = module
            .import_position(CoreKind::Global, index)
            .expect("a validated global index");
        return global_value(plan, &plan.instantiation(instance).wiring[position].def);
    }
    let global = &module.globals[(index - imported) as usize];
    if global.mutable {
        return Err(Ordinary::MutableGlobal);
    }
    match global.init {
        GlobalInit::I32(x) => Ok(stagec::Val::I32(x)),
        GlobalInit::I64(x) => Ok(stagec::Val::I64(x)),
        GlobalInit::F32(x) => Ok(stagec::Val::F32(x)),
        GlobalInit::F64(x) => Ok(stagec::Val::F64(x)),
        // An earlier global of the same instance, or one of its imports.
        GlobalInit::Global(other) if other != index => {
            let def = CoreDef::Export {
                instance,
                name: String::new(),
                kind: CoreKind::Global,
                index: other,
            };
            global_value(plan, &def)
        }
        GlobalInit::Global(_) | GlobalInit::Other => Err(Ordinary::NotConstant),
    }
}
