//! Compiled modules as instances use them: loaded code, engine-wide type ids, how the
//! preimported imports are filled in, the memory image, and whatever compile-time state
//! the code refers to (kept alive, type-erased: this module knows nothing of how it was
//! made). Stores and instances hold a [`CompiledModule`]; the public
//! [`Module`](crate::Module) wraps one with what compiling it produced.

use crate::engine::Engine;
use crate::error::Result;
use stagec_codegen::{ConstValue, ImportBinding, MemoryExtent};
use stagec_environ::artifact::Artifact;
use stagec_frontend::{ExternKind, ModuleInfo};
use stagec_runtime::vm::{VMFuncImport, VMGlobal};
use stagec_runtime::{CodeMemory, MemoryImage};
use std::any::Any;
use std::sync::{Arc, OnceLock};

/// Where an entity bound at compile time lives: how an import of it is filled in at
/// instantiation, and (as [`BoundImport::fixed_binding`]) how code reaches it at its fixed
/// address. The only conversions of live objects to addresses are the constructors
/// [`BoundImport::of_export`] and `Extern::address`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum BoundImport {
    Func(VMFuncImport),
    Global(*mut VMGlobal),
    Memory {
        memory: *mut stagec_runtime::Memory,
        /// The memory's base (fixed: memories never move).
        base: usize,
        /// Its `VMMemoryDefinition`.
        def: usize,
        /// What its type guarantees of its length (its declared limits, not its length
        /// now: code compiled against it must not depend on state outside the cache key).
        extent: MemoryExtent,
    },
    Table {
        table: *mut stagec_runtime::Table,
        /// Its `VMTableDefinition`.
        def: usize,
    },
}

impl BoundImport {
    /// The entity `index` of kind `kind` of `instance`.
    pub(crate) fn of_export(
        instance: &stagec_runtime::Instance,
        kind: ExternKind,
        index: u32,
    ) -> BoundImport {
        match kind {
            ExternKind::Func => {
                // SAFETY: a funcref of a live instance, which holds it as long as it lives.
                let funcref = unsafe { &*instance.funcref(index) };
                BoundImport::Func(VMFuncImport {
                    code: funcref.code,
                    vmctx: funcref.vmctx,
                })
            }
            ExternKind::Global => BoundImport::Global(instance.global(index)),
            // SAFETY: the memories and tables of a live instance are live.
            ExternKind::Memory => unsafe { BoundImport::of_memory(instance.memory(index)) },
            // SAFETY: as above.
            ExternKind::Table => unsafe { BoundImport::of_table(instance.table(index)) },
        }
    }

    /// The memory at `memory`.
    ///
    /// # Safety
    /// `memory` must point to a live memory not borrowed elsewhere.
    pub(crate) unsafe fn of_memory(memory: *mut stagec_runtime::Memory) -> BoundImport {
        // SAFETY: forwarded from the caller.
        let m = unsafe { &mut *memory };
        BoundImport::Memory {
            memory,
            base: m.base() as usize,
            def: m.definition() as usize,
            extent: MemoryExtent::of_type(&m.ty()),
        }
    }

    /// The table at `table`.
    ///
    /// # Safety
    /// `table` must point to a live table not borrowed elsewhere.
    pub(crate) unsafe fn of_table(table: *mut stagec_runtime::Table) -> BoundImport {
        // SAFETY: forwarded from the caller.
        let def = unsafe { (*table).definition() } as usize;
        BoundImport::Table { table, def }
    }

    /// How compiled code reaches the entity at its fixed address (a function: through its
    /// import slot, which instantiation fills in).
    pub(crate) fn fixed_binding(&self) -> ImportBinding {
        match *self {
            BoundImport::Func(_) => ImportBinding::Runtime,
            BoundImport::Global(g) => ImportBinding::GlobalAt(g as usize),
            BoundImport::Memory {
                base, def, extent, ..
            } => ImportBinding::MemoryAt { base, def, extent },
            BoundImport::Table { def, .. } => ImportBinding::TableAt { def },
        }
    }
}

/// What a module's code is, as far as known code compiled from it elsewhere depends on
/// (`Preimport::Code`): its bytes, and per import the constant it was compiled with or
/// the known code it calls. Two compilations with the same identity have the same vmctx
/// layout, fold the same values and call the same known code, whatever else they bind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct CodeIdentity([u8; 32]);

/// What one import contributes to a [`CodeIdentity`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ImportKey {
    /// Reached through the vmctx (a runtime import, or a fixed address).
    Runtime,
    /// Compiled as this constant.
    Constant(ConstValue),
    /// Compiled as known code: function `func` of code of that identity.
    Known(CodeIdentity, u32),
}

impl CodeIdentity {
    /// The identity of module `bytes` compiled with `imports` (one key per import).
    pub(crate) fn of(bytes: &[u8], imports: &[ImportKey]) -> CodeIdentity {
        let mut h = blake3::Hasher::new();
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(bytes);
        for key in imports {
            let (tag, bits) = match *key {
                ImportKey::Runtime => (0u8, 0u64),
                ImportKey::Constant(ConstValue::I32(x)) => (1, x as u32 as u64),
                ImportKey::Constant(ConstValue::I64(x)) => (2, x as u64),
                ImportKey::Constant(ConstValue::F32(x)) => (3, u64::from(x)),
                ImportKey::Constant(ConstValue::F64(x)) => (4, x),
                ImportKey::Constant(ConstValue::V128(x)) => {
                    h.update(&[6]);
                    h.update(&(x as u64).to_le_bytes());
                    (6, (x >> 64) as u64)
                }
                ImportKey::Known(identity, func) => {
                    h.update(&[5]);
                    h.update(&identity.0);
                    (5, u64::from(func))
                }
            };
            h.update(&[tag]);
            h.update(&bits.to_le_bytes());
        }
        CodeIdentity(*h.finalize().as_bytes())
    }
}

/// What instantiation checks of an import compiled as known code: the function supplied
/// must be defined function `func` of an instance whose module has `identity`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KnownCheck {
    pub(crate) identity: CodeIdentity,
    /// Function index in that module.
    pub(crate) func: u32,
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

/// Compile-time state that compiled code refers to (provider instances, constants),
/// owned by the module and shared by everything holding it.
pub(crate) type KeepAlive = Arc<dyn Any + Send + Sync>;

/// How backtraces name the functions of `artifact`, the code of module `info`: unit 0's
/// by their index in the module and name-section name; the providers' (later units) by
/// their defined-function index in their unit.
fn frame_names(info: &ModuleInfo, artifact: &Artifact) -> Vec<stagec_runtime::FuncName> {
    let starts = &artifact.unit_starts;
    (0..artifact.functions.len() as u32)
        .map(|i| {
            let unit = starts.partition_point(|&s| s <= i).saturating_sub(1);
            if unit == 0 {
                let index = info.num_imported_funcs + i;
                stagec_runtime::FuncName {
                    unit: 0,
                    index,
                    name: info.func_name(index).map(Into::into),
                }
            } else {
                stagec_runtime::FuncName {
                    unit: unit as u32,
                    index: i - starts[unit],
                    name: None,
                }
            }
        })
        .collect()
}

/// A module's code and everything instantiating it needs.
pub(crate) struct CompiledModule {
    pub(crate) info: Arc<ModuleInfo>,
    pub(crate) code: Arc<CodeMemory>,
    pub(crate) type_ids: Box<[u32]>,
    /// Per import: how a preimported import is filled in; `None` for runtime imports.
    pub(crate) bound: Vec<Option<BoundImport>>,
    /// Per import (or empty: none): the runtime imports compiled as known code, which
    /// instantiation checks.
    pub(crate) known: Vec<Option<KnownCheck>>,
    /// What known code compiled from this module elsewhere needs its instances to be;
    /// `None` for compile-time instances (providers), which no store's code imports.
    pub(crate) identity: Option<CodeIdentity>,
    /// The stages of a staged module (a core module is one `multi` stage, `main`).
    pub(crate) stages: Vec<StageInfo>,
    /// The store whose live objects are bound into the code (`Preimport::Extern`): the
    /// module may only be instantiated there.
    pub(crate) required_store: Option<u64>,
    /// What the code and `bound` point into.
    pub(crate) state: Option<KeepAlive>,
    /// The copy-on-write image of memory 0, built at the first instantiation.
    memory_images: OnceLock<Vec<Option<MemoryImage>>>,
}

// SAFETY: the raw pointers in `bound` point into `state` (shared by design, see
// `CompileState`) or into the objects of `required_store`, which only instantiation in
// that store (with the store borrowed mutably) reads.
unsafe impl Send for CompiledModule {}
// SAFETY: as above.
unsafe impl Sync for CompiledModule {}

impl CompiledModule {
    /// Loads `artifact`, the code of module `info`.
    pub(crate) fn load(
        engine: &Engine,
        info: Arc<ModuleInfo>,
        artifact: Artifact,
        bound: Vec<Option<BoundImport>>,
        state: Option<KeepAlive>,
    ) -> Result<CompiledModule> {
        let names = frame_names(&info, &artifact);
        let code = Arc::new(CodeMemory::load_owned(artifact, names)?);
        let type_ids = info.types.iter().map(|t| engine.signature_id(t)).collect();
        Ok(CompiledModule {
            info,
            code,
            type_ids,
            bound,
            known: Vec::new(),
            identity: None,
            stages: vec![StageInfo::main()],
            required_store: None,
            state,
            memory_images: OnceLock::new(),
        })
    }

    /// The module's memory images by memory index: an image where instantiating from it
    /// is equivalent to applying the data segments that target the memory (see
    /// `MemoryImage::for_memory`; offsets that read globals are known only at
    /// instantiation, so such a memory has none).
    pub(crate) fn memory_images(&self) -> &[Option<MemoryImage>] {
        self.memory_images
            .get_or_init(|| MemoryImage::for_module(&self.info, &|_| None))
    }
}
