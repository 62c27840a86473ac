//! A minimal test-only loader and instance for executing codegen's artifacts before the
//! real runtime exists: maps code executable, applies relocations, builds a vmctx from
//! `VMOffsets`, implements the builtins, and runs calls through entry trampolines.
//! Traps are observed in a forked child whose signal handler looks the faulting pc up in
//! the artifact's trap table. Linux x86-64 only.
//!
//! It supports modules whose imports come from the `spectest` module (host functions go
//! through codegen's host adapters).

#![allow(dead_code)]

use stagec_codegen::{Artifact, Compiler};
use stagec_frontend::{
    ConstExpr, DataMode, ElemMode, EntityType, ExternKind, FuncType, ModuleInfo, ParsedModule,
    ValType,
};
use stagec_runtime::artifact::{LibCall, RelocKind, RelocTarget, TrapSite};
use stagec_runtime::vm::{
    EntryTrampoline, VMFuncRef, VMHostFuncContext, VMMemoryDefinition, VMTableDefinition, ValRaw,
};
use stagec_runtime::{Builtin, TrapKind, VMOffsets};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

// ---- code memory -------------------------------------------------------------------------

/// An artifact mapped executable, relocations applied.
pub struct Code {
    base: *mut u8,
    len: usize,
    pub artifact: Artifact,
}

/// A loaded code region and its trap table (for the signal handler).
#[derive(Clone)]
struct CodeRegion {
    base: usize,
    len: usize,
    traps: Arc<[TrapSite]>,
}

impl CodeRegion {
    /// The trap kind of the instruction at `pc`, if `pc` is a trap site of this region.
    fn trap_at(&self, pc: usize) -> Option<TrapKind> {
        if pc < self.base || pc >= self.base + self.len {
            return None;
        }
        let offset = u32::try_from(pc - self.base).ok()?;
        let i = self
            .traps
            .binary_search_by_key(&offset, |t| t.code_offset)
            .ok()?;
        Some(self.traps[i].kind)
    }
}

/// Every loaded code region.
static CODE_REGIONS: Mutex<Vec<CodeRegion>> = Mutex::new(Vec::new());

// SAFETY: the mapping is immutable after load.
unsafe impl Send for Code {}
// SAFETY: the mapping is immutable after load.
unsafe impl Sync for Code {}

extern "C" fn ceil_f32(x: f32) -> f32 {
    x.ceil()
}
extern "C" fn ceil_f64(x: f64) -> f64 {
    x.ceil()
}
extern "C" fn floor_f32(x: f32) -> f32 {
    x.floor()
}
extern "C" fn floor_f64(x: f64) -> f64 {
    x.floor()
}
extern "C" fn trunc_f32(x: f32) -> f32 {
    x.trunc()
}
extern "C" fn trunc_f64(x: f64) -> f64 {
    x.trunc()
}
extern "C" fn nearest_f32(x: f32) -> f32 {
    x.round_ties_even()
}
extern "C" fn nearest_f64(x: f64) -> f64 {
    x.round_ties_even()
}
extern "C" fn fma_f32(a: f32, b: f32, c: f32) -> f32 {
    a.mul_add(b, c)
}
extern "C" fn fma_f64(a: f64, b: f64, c: f64) -> f64 {
    a.mul_add(b, c)
}

fn libcall_address(libcall: LibCall) -> usize {
    match libcall {
        LibCall::CeilF32 => ceil_f32 as *const () as usize,
        LibCall::CeilF64 => ceil_f64 as *const () as usize,
        LibCall::FloorF32 => floor_f32 as *const () as usize,
        LibCall::FloorF64 => floor_f64 as *const () as usize,
        LibCall::TruncF32 => trunc_f32 as *const () as usize,
        LibCall::TruncF64 => trunc_f64 as *const () as usize,
        LibCall::NearestF32 => nearest_f32 as *const () as usize,
        LibCall::NearestF64 => nearest_f64 as *const () as usize,
        LibCall::FmaF32 => fma_f32 as *const () as usize,
        LibCall::FmaF64 => fma_f64 as *const () as usize,
    }
}

impl Code {
    pub fn load(artifact: Artifact) -> Code {
        let len = artifact.code.len().max(1).next_multiple_of(4096);
        // SAFETY: anonymous private mapping of `len` bytes.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED);
        let base = base as *mut u8;
        // SAFETY: the mapping is at least `code.len()` bytes and writable.
        unsafe { std::ptr::copy_nonoverlapping(artifact.code.as_ptr(), base, artifact.code.len()) };
        for r in &artifact.relocations {
            let target = match r.target {
                RelocTarget::DefinedFunc(i) => {
                    base as usize + artifact.functions[i as usize].offset as usize
                }
                RelocTarget::LibCall(l) => libcall_address(l),
            };
            // SAFETY: relocation offsets lie inside the code.
            let site = unsafe { base.add(r.offset as usize) };
            match r.kind {
                RelocKind::X86PcRel4 => {
                    let value = target as i64 + r.addend - site as i64;
                    let value = i32::try_from(value).expect("pc-relative target in range");
                    // SAFETY: 4 bytes inside the code.
                    unsafe { (site as *mut i32).write_unaligned(value) };
                }
                RelocKind::Abs8 => {
                    let value = (target as i64 + r.addend) as u64;
                    // SAFETY: 8 bytes inside the code.
                    unsafe { (site as *mut u64).write_unaligned(value) };
                }
                RelocKind::Arm64Call => panic!("x86-64 only"),
            }
        }
        // SAFETY: our own mapping.
        let rc = unsafe { libc::mprotect(base.cast(), len, libc::PROT_READ | libc::PROT_EXEC) };
        assert_eq!(rc, 0);
        CODE_REGIONS.lock().unwrap().push(CodeRegion {
            base: base as usize,
            len,
            traps: artifact.traps.clone().into(),
        });
        Code {
            base,
            len,
            artifact,
        }
    }

    pub fn function(&self, defined_index: usize) -> *const u8 {
        // SAFETY: offset inside the mapping.
        unsafe {
            self.base
                .add(self.artifact.functions[defined_index].offset as usize)
        }
    }

    pub fn trampoline(&self, type_index: usize) -> EntryTrampoline {
        // SAFETY: offset inside the mapping; the code there is an entry trampoline.
        unsafe {
            let ptr = self
                .base
                .add(self.artifact.entry_trampolines[type_index].offset as usize);
            std::mem::transmute::<*const u8, EntryTrampoline>(ptr)
        }
    }
}

impl Drop for Code {
    fn drop(&mut self) {
        CODE_REGIONS
            .lock()
            .unwrap()
            .retain(|r| r.base != self.base as usize);
        // SAFETY: our own mapping.
        unsafe { libc::munmap(self.base.cast(), self.len) };
    }
}

mod builtins;

use builtins::builtin_address;

// ---- engine-wide state --------------------------------------------------------------------

fn type_id(ty: &FuncType) -> u32 {
    static IDS: OnceLock<Mutex<HashMap<FuncType, u32>>> = OnceLock::new();
    let mut ids = IDS.get_or_init(Default::default).lock().unwrap();
    let next = ids.len() as u32 + 1;
    *ids.entry(ty.clone()).or_insert(next)
}

fn compiler() -> &'static Compiler {
    static COMPILER: OnceLock<Compiler> = OnceLock::new();
    COMPILER.get_or_init(|| Compiler::new().unwrap())
}

/// The trap kind a builtin reported, read by the signal handler on a `Pending` trap.
static PENDING: AtomicU8 = AtomicU8::new(0);

fn pending(kind: TrapKind) -> u32 {
    PENDING.store(kind as u8, Ordering::SeqCst);
    1
}

#[repr(C)]
struct StoreContext {
    stack_limit: usize,
}

// ---- instances ----------------------------------------------------------------------------

const PAGE: usize = 65536;
const RESERVATION: usize = 8 << 30;

pub struct Memory {
    def: Box<VMMemoryDefinition>,
    max_pages: usize,
}

impl Memory {
    fn new(min: u64, max: Option<u64>) -> Memory {
        // SAFETY: reserving address space.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                RESERVATION,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED);
        let mut memory = Memory {
            def: Box::new(VMMemoryDefinition {
                base: base.cast(),
                current_length: 0,
            }),
            max_pages: max.unwrap_or(65536).min(65536) as usize,
        };
        assert!(memory.grow(min as usize).is_some());
        memory
    }

    fn pages(&self) -> usize {
        self.def.current_length / PAGE
    }

    fn grow(&mut self, delta: usize) -> Option<usize> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        if new > self.max_pages {
            return None;
        }
        if delta > 0 {
            // SAFETY: inside our reservation.
            let rc = unsafe {
                libc::mprotect(
                    self.def.base.cast(),
                    new * PAGE,
                    libc::PROT_READ | libc::PROT_WRITE,
                )
            };
            assert_eq!(rc, 0);
        }
        self.def.current_length = new * PAGE;
        Some(old)
    }

    fn bytes(&mut self) -> &mut [u8] {
        // SAFETY: the accessible part of the reservation.
        unsafe { std::slice::from_raw_parts_mut(self.def.base, self.def.current_length) }
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        // SAFETY: our own reservation.
        unsafe { libc::munmap(self.def.base.cast(), RESERVATION) };
    }
}

pub struct Table {
    def: VMTableDefinition,
    elements: Vec<usize>,
    max: u64,
}

impl Table {
    fn new(min: u64, max: Option<u64>, init: usize) -> Box<Table> {
        let mut table = Box::new(Table {
            def: VMTableDefinition {
                base: std::ptr::null_mut(),
                current_elements: 0,
            },
            elements: vec![init; min as usize],
            max: max.unwrap_or(u32::MAX as u64),
        });
        table.sync();
        table
    }

    fn sync(&mut self) {
        self.def.base = self.elements.as_mut_ptr();
        self.def.current_elements = self.elements.len() as u32;
    }
}

/// An entity that can be imported.
#[derive(Clone, Copy, Debug)]
pub enum Extern {
    /// A function: code (wasm convention) and the vmctx to call it with.
    Func { code: *const u8, vmctx: *mut u8 },
    /// A global's storage.
    Global(*mut u128),
    /// A table.
    Table(*mut Table),
    /// A linear memory.
    Memory(*mut Memory),
}

/// Why an instance could not be created.
#[derive(Debug)]
pub enum InstantiateError {
    /// An import other than `spectest`'s.
    UnsupportedImport(String),
    /// A segment did not fit (the spec's instantiation trap).
    SegmentOutOfBounds,
    /// Codegen failed.
    Compile(String),
}

/// The `spectest` host functions' callback: does nothing.
unsafe extern "C" fn spectest_print(
    _ctx: *mut VMHostFuncContext,
    _caller: *mut stagec_runtime::vm::VMContext,
    _values: *mut ValRaw,
    _capacity: usize,
) -> u32 {
    0
}

#[allow(
    clippy::vec_box,
    reason = "boxed for stable addresses referenced by compiled code"
)]
pub struct Instance {
    pub info: ModuleInfo,
    code: Code,
    offsets: VMOffsets,
    vmctx: Vec<u128>,
    store: Box<StoreContext>,
    builtins: Box<[usize; 10]>,
    type_ids: Vec<u32>,
    funcrefs: Vec<VMFuncRef>,
    memories: Vec<*mut Memory>,
    tables: Vec<*mut Table>,
    imported_globals: Vec<*mut u128>,
    owned_memories: Vec<Box<Memory>>,
    owned_tables: Vec<Box<Table>>,
    owned_globals: Vec<Box<u128>>,
    host_contexts: Vec<Box<VMHostFuncContext>>,
    host_code: Vec<Code>,
    datas: Vec<Vec<u8>>,
    elems: Vec<Vec<usize>>,
}

impl Instance {
    pub fn new(
        module: &ParsedModule,
        resolve: &mut dyn FnMut(&str, &str) -> Option<Extern>,
    ) -> Result<Box<Instance>, InstantiateError> {
        let info = module.info.clone();
        let artifact = compiler()
            .compile_module(module)
            .map_err(|e| InstantiateError::Compile(e.to_string()))?;
        let offsets = VMOffsets::new(&info);
        let mut instance = Box::new(Instance {
            code: Code::load(artifact),
            offsets,
            vmctx: vec![0; (offsets.size() as usize).div_ceil(16) + 1],
            store: Box::new(StoreContext { stack_limit: 0 }),
            builtins: Box::new([0; 10]),
            type_ids: info.types.iter().map(type_id).collect(),
            funcrefs: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            imported_globals: Vec::new(),
            owned_memories: Vec::new(),
            owned_tables: Vec::new(),
            owned_globals: Vec::new(),
            host_contexts: Vec::new(),
            host_code: Vec::new(),
            datas: info.datas.iter().map(|d| d.data.clone()).collect(),
            elems: Vec::new(),
            info,
        });
        for (i, &b) in Builtin::ALL.iter().enumerate() {
            instance.builtins[i] = builtin_address(b);
        }
        instance.link_imports(resolve)?;
        instance.define()?;
        Ok(instance)
    }

    fn vmctx_ptr(&self) -> *mut u8 {
        self.vmctx.as_ptr() as *mut u8
    }

    fn write_vmctx<T>(&mut self, offset: u32, value: T) {
        assert!(offset as usize + size_of::<T>() <= self.vmctx.len() * 16);
        // SAFETY: inside the vmctx buffer (checked above).
        unsafe { (self.vmctx_ptr().add(offset as usize) as *mut T).write_unaligned(value) };
    }

    fn read_vmctx<T>(&self, offset: u32) -> T {
        // SAFETY: inside the vmctx buffer.
        unsafe { (self.vmctx_ptr().add(offset as usize) as *const T).read_unaligned() }
    }

    fn link_imports(
        &mut self,
        resolve: &mut dyn FnMut(&str, &str) -> Option<Extern>,
    ) -> Result<(), InstantiateError> {
        let mut func = 0;
        let mut global = 0;
        for import in self.info.imports.clone() {
            let name = import.name.as_str();
            let unsupported =
                || InstantiateError::UnsupportedImport(format!("{}.{}", import.module, name));
            let resolved = if import.module == "spectest" {
                self.spectest(&import.ty, name)
            } else {
                resolve(&import.module, name)
            };
            match (&import.ty, resolved.ok_or_else(unsupported)?) {
                (EntityType::Func(_), Extern::Func { code, vmctx }) => {
                    let base = self.offsets.func_import(func);
                    self.write_vmctx(base, code as usize);
                    self.write_vmctx(base + 8, vmctx as usize);
                    func += 1;
                }
                (EntityType::Global(_), Extern::Global(ptr)) => {
                    self.write_vmctx(self.offsets.imported_global(global), ptr as usize);
                    self.imported_globals.push(ptr);
                    global += 1;
                }
                (EntityType::Table(_), Extern::Table(table)) => self.tables.push(table),
                (EntityType::Memory(_), Extern::Memory(memory)) => self.memories.push(memory),
                _ => return Err(unsupported()),
            }
        }
        Ok(())
    }

    /// The `spectest` module's entities.
    fn spectest(&mut self, ty: &EntityType, name: &str) -> Option<Extern> {
        Some(match (ty, name) {
            (EntityType::Func(t), name) if name.starts_with("print") => {
                let ty = self.info.types[*t as usize].clone();
                let adapter = Code::load(compiler().compile_host_adapter(&ty).unwrap());
                let mut ctx = Box::new(VMHostFuncContext {
                    callback: spectest_print,
                    data: std::ptr::null_mut(),
                });
                let vmctx = &mut *ctx as *mut VMHostFuncContext as *mut u8;
                let code = adapter.function(0);
                self.host_contexts.push(ctx);
                self.host_code.push(adapter);
                Extern::Func { code, vmctx }
            }
            (EntityType::Global(g), name) => {
                let value: u128 = match (name, g.ty) {
                    ("global_i32", ValType::I32) => 666,
                    ("global_i64", ValType::I64) => 666,
                    ("global_f32", ValType::F32) => 666.6f32.to_bits() as u128,
                    ("global_f64", ValType::F64) => 666.6f64.to_bits() as u128,
                    _ => return None,
                };
                let mut boxed = Box::new(value);
                let ptr = &mut *boxed as *mut u128;
                self.owned_globals.push(boxed);
                Extern::Global(ptr)
            }
            (EntityType::Table(_), "table") => {
                Extern::Table(self.own_table(Table::new(10, Some(20), 0)))
            }
            (EntityType::Memory(_), "memory") => {
                Extern::Memory(self.own_memory(Memory::new(1, Some(2))))
            }
            _ => return None,
        })
    }

    fn own_table(&mut self, mut table: Box<Table>) -> *mut Table {
        let ptr = &mut *table as *mut Table;
        self.owned_tables.push(table);
        ptr
    }

    fn own_memory(&mut self, memory: Memory) -> *mut Memory {
        let mut memory = Box::new(memory);
        let ptr = &mut *memory as *mut Memory;
        self.owned_memories.push(memory);
        ptr
    }

    fn table(&mut self, index: u32) -> &mut Table {
        // SAFETY: tables outlive the instances using them.
        unsafe { &mut *self.tables[index as usize] }
    }

    fn memory(&mut self, index: u32) -> &mut Memory {
        // SAFETY: memories outlive the instances using them.
        unsafe { &mut *self.memories[index as usize] }
    }

    /// The entity exported as `name`.
    pub fn get_export(&self, name: &str) -> Option<Extern> {
        let export = self.info.export(name)?;
        let i = export.index;
        Some(match export.kind {
            ExternKind::Func => {
                let f = &self.funcrefs[i as usize];
                Extern::Func {
                    code: f.code,
                    vmctx: f.vmctx.cast(),
                }
            }
            ExternKind::Global => Extern::Global(match self.info.defined_global_index(i) {
                // SAFETY: inside the vmctx.
                Some(d) => unsafe {
                    self.vmctx_ptr()
                        .add(self.offsets.defined_global(d) as usize)
                        .cast()
                },
                None => self.imported_globals[i as usize],
            }),
            ExternKind::Table => Extern::Table(self.tables[i as usize]),
            ExternKind::Memory => Extern::Memory(self.memories[i as usize]),
        })
    }

    fn define(&mut self) -> Result<(), InstantiateError> {
        let info = self.info.clone();
        // Header.
        let store = &*self.store as *const StoreContext as usize;
        let builtins = self.builtins.as_ptr() as usize;
        let this = self as *mut Instance as usize;
        let type_ids = self.type_ids.as_ptr() as usize;
        self.write_vmctx(VMOffsets::store_ctx(), store);
        self.write_vmctx(VMOffsets::builtins(), builtins);
        self.write_vmctx(VMOffsets::instance(), this);
        self.write_vmctx(VMOffsets::type_ids(), type_ids);

        // Function references (imported functions first).
        let vmctx = self.vmctx_ptr();
        for (f, &t) in info.functions.iter().enumerate() {
            let f = f as u32;
            let (code, callee_vmctx) = match info.defined_func_index(f) {
                Some(d) => (self.code.function(d as usize), vmctx),
                None => {
                    let base = self.offsets.func_import(f);
                    (
                        self.read_vmctx::<usize>(base) as *const u8,
                        self.read_vmctx::<usize>(base + 8) as *mut u8,
                    )
                }
            };
            self.funcrefs.push(VMFuncRef {
                code,
                vmctx: callee_vmctx.cast(),
                type_id: self.type_ids[t as usize],
            });
        }
        let funcrefs = self.funcrefs.as_ptr() as usize;
        self.write_vmctx(VMOffsets::funcrefs(), funcrefs);

        // Globals.
        for (d, init) in info.global_inits.iter().enumerate() {
            let value = self.eval(init);
            self.write_vmctx(self.offsets.defined_global(d as u32), value);
        }
        // Memories and tables.
        for m in &info.memories[info.num_imported_memories as usize..] {
            let memory = self.own_memory(Memory::new(m.limits.min, m.limits.max));
            self.memories.push(memory);
        }
        for (i, &memory) in self.memories.iter().enumerate() {
            // SAFETY: memories outlive the instances using them.
            let memory = unsafe { &*memory };
            let base = memory.def.base as usize;
            let def = &*memory.def as *const VMMemoryDefinition as usize;
            let offset = self.offsets.memory_base(i as u32);
            assert!(offset as usize + 16 <= self.vmctx.len() * 16);
            // SAFETY: inside the vmctx.
            unsafe {
                (vmctx.add(offset as usize) as *mut usize).write_unaligned(base);
                (vmctx.add(offset as usize + 8) as *mut usize).write_unaligned(def);
            }
        }
        for t in &info.tables[info.num_imported_tables as usize..] {
            let table = self.own_table(Table::new(t.limits.min, t.limits.max, 0));
            self.tables.push(table);
        }
        for i in 0..self.tables.len() {
            let def = &self.table(i as u32).def as *const VMTableDefinition as usize;
            self.write_vmctx(self.offsets.table_def(i as u32), def);
        }

        // Segments.
        self.elems = info
            .elems
            .iter()
            .map(|e| {
                e.items
                    .iter()
                    .map(|item| self.eval(item) as usize)
                    .collect()
            })
            .collect();
        for (i, elem) in info.elems.iter().enumerate() {
            match &elem.mode {
                ElemMode::Active { table, offset } => {
                    let offset = self.eval(offset) as u32 as usize;
                    let items = std::mem::take(&mut self.elems[i]);
                    let table = self.table(*table);
                    let end = offset
                        .checked_add(items.len())
                        .filter(|&end| end <= table.elements.len())
                        .ok_or(InstantiateError::SegmentOutOfBounds)?;
                    table.elements[offset..end].copy_from_slice(&items);
                }
                ElemMode::Declared => self.elems[i].clear(),
                ElemMode::Passive => {}
            }
        }
        for (i, data) in info.datas.iter().enumerate() {
            if let DataMode::Active { memory, offset } = &data.mode {
                let offset = self.eval(offset) as u32 as usize;
                let bytes = std::mem::take(&mut self.datas[i]);
                let memory = self.memory(*memory).bytes();
                let end = offset
                    .checked_add(bytes.len())
                    .filter(|&end| end <= memory.len())
                    .ok_or(InstantiateError::SegmentOutOfBounds)?;
                memory[offset..end].copy_from_slice(&bytes);
            }
        }
        Ok(())
    }

    fn eval(&self, expr: &ConstExpr) -> u128 {
        match *expr {
            ConstExpr::I32(v) => v as u32 as u128,
            ConstExpr::I64(v) => v as u64 as u128,
            ConstExpr::F32(bits) => bits as u128,
            ConstExpr::F64(bits) => bits as u128,
            ConstExpr::RefNull(_) => 0,
            ConstExpr::RefFunc(f) => &self.funcrefs[f as usize] as *const VMFuncRef as u128,
            ConstExpr::GlobalGet(g) => self.global(g),
        }
    }

    /// The value of global `index` (low bytes significant).
    pub fn global(&self, index: u32) -> u128 {
        let raw = match self.info.defined_global_index(index) {
            Some(d) => self.read_vmctx::<u128>(self.offsets.defined_global(d)),
            // SAFETY: imported globals outlive the instance.
            None => unsafe { *self.imported_globals[index as usize] },
        };
        match self.info.globals[index as usize].ty {
            ValType::I32 | ValType::F32 => raw as u32 as u128,
            _ => raw as u64 as u128,
        }
    }

    pub fn export(&self, name: &str, kind: ExternKind) -> Option<u32> {
        self.info
            .exports
            .iter()
            .find(|e| e.name == name && e.kind == kind)
            .map(|e| e.index)
    }

    /// Calls function `func_index` with raw arguments; returns raw results.
    pub fn invoke(&mut self, func_index: u32, args: &[u128]) -> Vec<u128> {
        let ty = self.info.func_type(func_index).clone();
        assert_eq!(args.len(), ty.params.len());
        let type_index = self.info.functions[func_index as usize] as usize;
        let mut values = vec![ValRaw(0); ty.params.len().max(ty.results.len()).max(1)];
        for (slot, &arg) in values.iter_mut().zip(args) {
            *slot = ValRaw(arg);
        }
        let funcref = &self.funcrefs[func_index as usize];
        let trampoline = self.code.trampoline(type_index);
        // SAFETY: the trampoline matches the callee's type; `values` is large enough.
        unsafe {
            trampoline(
                funcref.code,
                funcref.vmctx,
                self.vmctx_ptr().cast(),
                values.as_mut_ptr(),
            );
        }
        values[..ty.results.len()]
            .iter()
            .zip(ty.results.iter())
            .map(|(v, t)| match t {
                ValType::I32 | ValType::F32 => v.0 as u32 as u128,
                _ => v.0 as u64 as u128,
            })
            .collect()
    }

    /// Runs `f` in a forked child with trap handling; returns the trap it raised, or
    /// `Ok(None)` if it returned normally, or `Err` with a description of a crash.
    pub fn run_trapping(
        &mut self,
        f: impl FnOnce(&mut Instance),
    ) -> Result<Option<TrapKind>, String> {
        // SAFETY: the child only runs wasm code and exits with `_exit`.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            self.child_setup();
            f(self);
            // SAFETY: leaving the child without running destructors.
            unsafe { libc::_exit(0) };
        }
        let mut status = 0;
        // SAFETY: waiting for our child.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        if libc::WIFEXITED(status) {
            match libc::WEXITSTATUS(status) {
                0 => Ok(None),
                code if code >= 100 => TrapKind::from_u8((code - 100) as u8)
                    .map(Some)
                    .ok_or_else(|| format!("bad exit code {code}")),
                97 => Err("fault at a pc that is not a trap site".to_string()),
                code => Err(format!("child exited with {code}")),
            }
        } else {
            Err(format!("child killed by signal {}", libc::WTERMSIG(status)))
        }
    }

    fn child_setup(&mut self) {
        let sp = &self as *const _ as usize;
        self.store.stack_limit = sp - (256 << 10);
        let regions = CODE_REGIONS.lock().unwrap().clone();
        CHILD_REGIONS.with(|cell| *cell.borrow_mut() = regions);
        // SAFETY: installing signal handlers on an alternate stack in the child.
        unsafe {
            let stack_size = 1 << 16;
            let stack = libc::mmap(
                std::ptr::null_mut(),
                stack_size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            let ss = libc::stack_t {
                ss_sp: stack,
                ss_flags: 0,
                ss_size: stack_size,
            };
            libc::sigaltstack(&ss, std::ptr::null_mut());
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = trap_handler as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            for sig in [
                libc::SIGILL,
                libc::SIGSEGV,
                libc::SIGBUS,
                libc::SIGFPE,
                libc::SIGTRAP,
            ] {
                libc::sigaction(sig, &action, std::ptr::null_mut());
            }
        }
    }
}

thread_local! {
    static CHILD_REGIONS: std::cell::RefCell<Vec<CodeRegion>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

extern "C" fn trap_handler(_sig: i32, _info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a ucontext_t to SA_SIGINFO handlers.
    let pc = unsafe { (*(ctx as *mut libc::ucontext_t)).uc_mcontext.gregs[libc::REG_RIP as usize] }
        as usize;
    let kind = CHILD_REGIONS.with(|cell| cell.borrow().iter().find_map(|r| r.trap_at(pc)));
    let code = match kind {
        Some(TrapKind::Pending) => 100 + PENDING.load(Ordering::SeqCst) as i32,
        Some(kind) => 100 + kind as i32,
        None => 97,
    };
    // SAFETY: terminating the child.
    unsafe { libc::_exit(code) };
}
