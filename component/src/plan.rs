//! The instantiation plan a component is flattened into: static core modules, then
//! initializers in order, then the component's exports.
//!
//! Every core item an initializer passes on is resolved, through instances built from
//! exports, aliases and re-exports, to its [`CoreDef`]: the *defining* export of one
//! instantiated instance, or a host import lowered with `canon lower`. So the wiring of
//! every import of every instantiation is known before anything is compiled, which is
//! what specialization across the wiring (`wiring.rs`) needs: [`Plan::import_feeds`] says,
//! per import of a static module, which definition each of its instantiations feeds it
//! from and whether they all agree.

use crate::types::FuncType;
use std::fmt;
use std::sync::Arc;

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident, $label:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);

        impl $name {
            /// The index as a `usize`.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($label, " {}"), self.0)
            }
        }
    };
}

index_type!(
    /// A static core module: index in [`Plan::modules`].
    ModuleIndex,
    "module"
);
index_type!(
    /// A core instance of the component's core instance index space (instantiated ones
    /// and ones built from exports).
    CoreInstanceIndex,
    "core instance"
);
index_type!(
    /// An instantiated core instance: index in [`Plan::instantiations`], which is the
    /// order they are created in.
    RuntimeInstanceIndex,
    "instance"
);
index_type!(
    /// A host import lowered with `canon lower`: index in [`Plan::lowered`].
    LoweredIndex,
    "lowered"
);
index_type!(
    /// A function import of the component: index in [`Plan::imports`].
    ImportIndex,
    "import"
);

/// The kind of a core item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CoreKind {
    /// A function.
    Func,
    /// A table.
    Table,
    /// A memory.
    Memory,
    /// A global.
    Global,
}

impl fmt::Display for CoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CoreKind::Func => "func",
            CoreKind::Table => "table",
            CoreKind::Memory => "memory",
            CoreKind::Global => "global",
        })
    }
}

/// Where a core item comes from, resolved to its definition.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CoreDef {
    /// An item defined (not imported) by the module of an instantiated instance, reached
    /// through that instance's export `name`.
    Export {
        /// The defining instance.
        instance: RuntimeInstanceIndex,
        /// An export of that instance naming the item.
        name: String,
        /// The item's kind.
        kind: CoreKind,
        /// The item's index in its module's index space of that kind (a defined item).
        index: u32,
    },
    /// A host function: a component import lowered with `canon lower`.
    Lowered(LoweredIndex),
}

impl CoreDef {
    /// The kind of item.
    pub fn kind(&self) -> CoreKind {
        match self {
            CoreDef::Export { kind, .. } => *kind,
            CoreDef::Lowered(_) => CoreKind::Func,
        }
    }
}

impl fmt::Display for CoreDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoreDef::Export {
                instance,
                name,
                kind,
                index,
            } => write!(f, "{instance} export \"{name}\" ({kind} {index})"),
            CoreDef::Lowered(l) => write!(f, "{l}"),
        }
    }
}

/// An import of a static core module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreImport {
    /// Module name (the instantiation argument it is taken from).
    pub module: String,
    /// Field name (the export of that argument).
    pub name: String,
    /// Kind.
    pub kind: CoreKind,
    /// The type, in text-format notation.
    pub ty: String,
}

/// An export of a static core module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreExport {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: CoreKind,
    /// Index in the module's index space of that kind.
    pub index: u32,
}

/// A static core module of the component.
#[derive(Clone, Debug)]
pub struct StaticModule {
    /// Byte offset of its module section in the component.
    pub offset: u64,
    /// Its binary.
    pub bytes: Arc<[u8]>,
    /// Its imports, in order.
    pub imports: Vec<CoreImport>,
    /// Its exports, in order.
    pub exports: Vec<CoreExport>,
    /// How many items of each kind it imports: func, table, memory, global.
    pub imported_counts: [u32; 4],
    /// Whether it has a start function.
    pub has_start: bool,
    /// Its defined globals, in order (after the imported ones in the global index space).
    pub globals: Vec<CoreGlobal>,
    /// The body size in bytes of each defined function, in order.
    pub body_sizes: Vec<usize>,
    /// The instances made of it, in order.
    pub instantiations: Vec<RuntimeInstanceIndex>,
}

impl StaticModule {
    /// The export `name`.
    pub fn export(&self, name: &str) -> Option<&CoreExport> {
        self.exports.iter().find(|e| e.name == name)
    }

    /// Position in [`StaticModule::imports`] of the `index`-th import of `kind`.
    pub fn import_position(&self, kind: CoreKind, index: u32) -> Option<usize> {
        self.imports
            .iter()
            .enumerate()
            .filter(|(_, i)| i.kind == kind)
            .nth(index as usize)
            .map(|(pos, _)| pos)
    }

    /// How many items of `kind` the module imports.
    pub fn imported(&self, kind: CoreKind) -> u32 {
        self.imported_counts[kind as usize]
    }
}

/// A defined global of a static module, as far as wiring specialization needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreGlobal {
    /// Whether it is mutable.
    pub mutable: bool,
    /// Its initializer.
    pub init: GlobalInit,
}

/// The initializer of a defined global.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GlobalInit {
    /// `i32.const`.
    I32(i32),
    /// `i64.const`.
    I64(i64),
    /// `f32.const`, as IEEE bits.
    F32(u32),
    /// `f64.const`, as IEEE bits.
    F64(u64),
    /// `global.get` of global `index` (global index space).
    Global(u32),
    /// Anything else (extended constant expressions, references, `v128`).
    Other,
}

/// An argument of an instantiation, as written: `(with "name" (instance i))`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceArg {
    /// The name the module imports it by.
    pub name: String,
    /// The core instance passed.
    pub instance: CoreInstanceIndex,
}

/// How one import of an instantiation is satisfied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wire {
    /// Position of the import in the module's import list.
    pub import: usize,
    /// The argument instance it was found in (an instantiated one or one built from
    /// exports).
    pub via: CoreInstanceIndex,
    /// The definition it resolves to.
    pub def: CoreDef,
}

/// One instantiation of a static module: an initializer of the plan.
#[derive(Clone, Debug)]
pub struct Instantiation {
    /// Its index among instantiated instances (its place in the initializer order).
    pub instance: RuntimeInstanceIndex,
    /// Its index in the component's core instance index space.
    pub core_instance: CoreInstanceIndex,
    /// The module instantiated.
    pub module: ModuleIndex,
    /// The arguments as written.
    pub args: Vec<InstanceArg>,
    /// Per import of the module, in import order: where it comes from.
    pub wiring: Vec<Wire>,
    /// Byte offset of the instantiation in the component.
    pub offset: u64,
}

/// A core instance of the component's core instance index space.
#[derive(Clone, Debug)]
pub enum CoreInstance {
    /// Instantiated from a module.
    Instantiated(RuntimeInstanceIndex),
    /// Built from exports: a name for each item, nothing created at runtime.
    FromExports(Vec<(String, CoreDef)>),
}

/// A function import of the component.
#[derive(Clone, Debug)]
pub struct ComponentImport {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: FuncType,
}

/// A component import lowered to a core function with `canon lower`.
#[derive(Clone, Debug)]
pub struct Lowered {
    /// The import lowered.
    pub import: ImportIndex,
    /// Byte offset of the `canon lower`.
    pub offset: u64,
}

/// A function export of the component: a core function lifted with `canon lift`.
#[derive(Clone, Debug)]
pub struct ComponentExport {
    /// Its name.
    pub name: String,
    /// Its component type.
    pub ty: FuncType,
    /// The core function lifted.
    pub func: CoreDef,
}

/// The flattened component: everything needed to instantiate it.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// The static core modules, each compiled once.
    pub modules: Vec<StaticModule>,
    /// The component's core instance index space.
    pub core_instances: Vec<CoreInstance>,
    /// The initializers: instantiations in order.
    pub instantiations: Vec<Instantiation>,
    /// The component's function imports.
    pub imports: Vec<ComponentImport>,
    /// The lowered imports (host functions the core instances import).
    pub lowered: Vec<Lowered>,
    /// The component's function exports.
    pub exports: Vec<ComponentExport>,
}

/// What feeds one import of a static module across all its instantiations (the fact
/// wiring specialization (`wiring.rs`) attaches to each module import).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportFeed {
    /// Position of the import in the module's import list.
    pub import: usize,
    /// Per instantiation of the module, in order: the definition fed.
    pub sources: Vec<(RuntimeInstanceIndex, CoreDef)>,
}

impl ImportFeed {
    /// The definition every instantiation feeds the import from, when there is at least
    /// one instantiation and they all agree.
    pub fn known_definition(&self) -> Option<&CoreDef> {
        let (_, first) = self.sources.first()?;
        self.sources
            .iter()
            .all(|(_, d)| d == first)
            .then_some(first)
    }
}

impl Plan {
    /// The instantiation `instance`.
    pub fn instantiation(&self, instance: RuntimeInstanceIndex) -> &Instantiation {
        &self.instantiations[instance.index()]
    }

    /// The module whose instance `instance` is.
    pub fn module_of(&self, instance: RuntimeInstanceIndex) -> &StaticModule {
        &self.modules[self.instantiation(instance).module.index()]
    }

    /// Per import of `module`: the definitions its instantiations feed it from.
    pub fn import_feeds(&self, module: ModuleIndex) -> Vec<ImportFeed> {
        let m = &self.modules[module.index()];
        (0..m.imports.len())
            .map(|import| ImportFeed {
                import,
                sources: m
                    .instantiations
                    .iter()
                    .map(|&r| (r, self.instantiation(r).wiring[import].def.clone()))
                    .collect(),
            })
            .collect()
    }

    /// The export `name`.
    pub fn export(&self, name: &str) -> Option<&ComponentExport> {
        self.exports.iter().find(|e| e.name == name)
    }

    fn describe_def(&self, def: &CoreDef) -> String {
        match def {
            CoreDef::Export { instance, .. } => {
                let module = self.instantiation(*instance).module;
                let times = self.modules[module.index()].instantiations.len();
                format!("{def}, defined by {module} (instantiated {times}x)")
            }
            CoreDef::Lowered(l) => {
                let import = &self.imports[self.lowered[l.index()].import.index()];
                format!("{def}: host import \"{}\"", import.name)
            }
        }
    }
}

/// The plan as text: modules, instances and their arguments, and how every import of
/// every module is wired (`Component::inspect` adds how each is compiled).
impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, &|_, _| String::new())
    }
}

impl Plan {
    /// Writes the plan; `edge(module, import)` is inserted before each import's wiring.
    pub(crate) fn write(
        &self,
        f: &mut impl fmt::Write,
        edge: &dyn Fn(usize, usize) -> String,
    ) -> fmt::Result {
        writeln!(
            f,
            "component: {} static modules, {} core instances ({} instantiated), \
             {} imports, {} exports",
            self.modules.len(),
            self.core_instances.len(),
            self.instantiations.len(),
            self.imports.len(),
            self.exports.len()
        )?;
        for (i, import) in self.imports.iter().enumerate() {
            writeln!(f, "import {i} \"{}\": {}", import.name, import.ty)?;
        }
        for (l, lowered) in self.lowered.iter().enumerate() {
            let import = &self.imports[lowered.import.index()];
            writeln!(
                f,
                "lowered {l} = canon lower {} \"{}\" : core {}",
                lowered.import,
                import.name,
                import.ty.core_type()
            )?;
        }
        for (m, module) in self.modules.iter().enumerate() {
            let instances: Vec<String> = module
                .instantiations
                .iter()
                .map(|r| r.0.to_string())
                .collect();
            writeln!(
                f,
                "module {m} (offset {:#x}, {} bytes): {} imports, {} exports{}; instances [{}]",
                module.offset,
                module.bytes.len(),
                module.imports.len(),
                module.exports.len(),
                if module.has_start { ", start" } else { "" },
                instances.join(", ")
            )?;
            for feed in self.import_feeds(ModuleIndex(m as u32)) {
                let import = &module.imports[feed.import];
                write!(
                    f,
                    "  import \"{}\" \"{}\" ({}): {}",
                    import.module,
                    import.name,
                    import.ty,
                    edge(m, feed.import)
                )?;
                match feed.known_definition() {
                    Some(def) if feed.sources.len() == 1 => {
                        writeln!(f, "fed by {}", self.describe_def(def))?
                    }
                    Some(def) => writeln!(
                        f,
                        "every instantiation ({}) feeds {}",
                        feed.sources.len(),
                        self.describe_def(def)
                    )?,
                    None if feed.sources.is_empty() => writeln!(f, "never instantiated")?,
                    None => writeln!(f, "instantiations differ")?,
                }
            }
        }
        for (c, instance) in self.core_instances.iter().enumerate() {
            match instance {
                CoreInstance::Instantiated(r) => {
                    let inst = self.instantiation(*r);
                    writeln!(
                        f,
                        "core instance {c} = {r}: instantiate {} (offset {:#x})",
                        inst.module, inst.offset
                    )?;
                    for arg in &inst.args {
                        writeln!(f, "  with \"{}\" = {}", arg.name, arg.instance)?;
                    }
                    let module = &self.modules[inst.module.index()];
                    for wire in &inst.wiring {
                        let import = &module.imports[wire.import];
                        writeln!(
                            f,
                            "  import \"{}\" \"{}\" <- {} via {}",
                            import.module,
                            import.name,
                            self.describe_def(&wire.def),
                            wire.via
                        )?;
                    }
                }
                CoreInstance::FromExports(items) => {
                    writeln!(f, "core instance {c} = from exports")?;
                    for (name, def) in items {
                        writeln!(f, "  \"{name}\" = {}", self.describe_def(def))?;
                    }
                }
            }
        }
        for export in &self.exports {
            writeln!(
                f,
                "export \"{}\": {} = canon lift {}",
                export.name,
                export.ty,
                self.describe_def(&export.func)
            )?;
        }
        Ok(())
    }
}
