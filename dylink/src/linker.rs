//! The `dylink.0` dynamic linker, built only on the loader and the engine's public API.
//!
//! A main module (non-PIE, exporting its memory, its table `__indirect_function_table`,
//! `__stack_pointer`, `aligned_alloc` and its symbols) is instantiated by the host; side
//! modules (`wasm-ld --experimental-pic -shared`) are then loaded into its store. Per
//! library the linker allocates `memory_size` bytes at `2^memory_alignment` (with the main
//! module's `aligned_alloc`) and `table_size` slots at `2^table_alignment` (growing the
//! table), resolves `env.*` functions and the `GOT.mem.*` (addresses) and `GOT.func.*`
//! (table slots) entries against the main module, the libraries loaded before, and the
//! library itself (first definition wins; an undefined weak symbol is 0; an `env` import
//! of its own export calls it through its table slot, `trampoline.rs`), instantiates it,
//! and runs `__wasm_apply_data_relocs` then `__wasm_call_ctors`. `NEEDED` libraries load
//! first. A function has one table slot, whoever asks for its address.
//!
//! **Specialization** ([`LinkOptions::specialize`]): everything the library's imports
//! resolve to is known before it is compiled, so it is compiled with them as
//! [`Preimports`] (`instantiate.rs`): `__memory_base`, `__table_base` and every GOT entry
//! are constants (the GOT imports are made immutable first, see `rewrite.rs`). The main
//! module's memory, table, `__stack_pointer` and functions are runtime imports, so the
//! compilation is cacheable and keyed by the constants; with
//! [`LinkOptions::bind_objects`] they are bound at compile time too (fixed addresses). A
//! live function is called through its import slot either way (the engine compiles into
//! an artifact only functions of providers, which are instantiated anew for each
//! compilation), so calls into the main module stay indirect calls. The generic path
//! (`specialize: false`) links the same values as ordinary runtime imports.

use crate::dylink0::DylinkInfo;
use crate::error::LinkError;
use crate::inspect::{ItemType, ModuleDescription};
use crate::instantiate::{self, Resolved};
use crate::libraries::{FoundLibrary, LibraryPath};
use crate::loader::Loader;
use crate::trampoline::slot_trampoline;
use stagec::{
    Extern, Func, FuncType, Global, Instance, Memory, Module, Preimports, Store, Table, Val,
    ValType,
};
use std::collections::HashMap;
use std::path::PathBuf;

/// How libraries are linked.
#[derive(Clone, Copy, Debug)]
pub struct LinkOptions {
    /// Compile each library specialized on its bases, GOT entries and imports (when the
    /// loader may compile); `false` links them as runtime imports (the generic path).
    pub specialize: bool,
    /// When specializing, also bind the main module's memory, table, stack pointer and
    /// functions at compile time (fixed addresses; the module is then tied to the store
    /// and never cached). Without it they are runtime imports and the compilation is
    /// keyed by the constants alone: loading a library at the same bases again is a
    /// cache hit, and the specialized module can be serialized.
    pub bind_objects: bool,
}

impl Default for LinkOptions {
    fn default() -> Self {
        LinkOptions {
            specialize: true,
            bind_objects: false,
        }
    }
}

/// Whose symbols a library's exports resolve (`RTLD_GLOBAL` / `RTLD_LOCAL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Its exports join the global scope: libraries loaded later resolve against them.
    Global,
    /// Its exports resolve only the imports of libraries that need it (its dependents);
    /// the libraries it needs and that were not loaded yet are loaded local too.
    Local,
}

/// A loaded library (index into the linker's list).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LibraryHandle(usize);

/// A symbol's definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Symbol {
    /// A function.
    Func(Func),
    /// A data symbol at this address.
    Data(u32),
}

/// A library once loaded.
#[derive(Debug)]
pub struct Library {
    name: String,
    path: Option<PathBuf>,
    instance: Instance,
    memory_base: u32,
    table_base: u32,
    info: DylinkInfo,
    specialized: bool,
    module: Module,
    /// The bytes compiled (GOT imports frozen when specialized).
    compiled_bytes: Vec<u8>,
    /// The constants it was specialized on (bases and GOT entries).
    constants: Preimports,
    /// The libraries it needs, loaded before it.
    needed: Vec<LibraryHandle>,
    /// Whether its exports are in the global scope.
    global: bool,
}

impl Library {
    /// The name it was loaded by.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The file it was read from (`None` for an in-memory library).
    pub fn path(&self) -> Option<&std::path::Path> {
        self.path.as_deref()
    }
    /// Its instance.
    pub fn instance(&self) -> Instance {
        self.instance
    }
    /// Where its data starts in the main module's memory.
    pub fn memory_base(&self) -> u32 {
        self.memory_base
    }
    /// Its first table slot.
    pub fn table_base(&self) -> u32 {
        self.table_base
    }
    /// Its `dylink.0` section.
    pub fn info(&self) -> &DylinkInfo {
        &self.info
    }
    /// Its compiled module (whose timings tell which cache answered).
    pub fn module(&self) -> &Module {
        &self.module
    }
    /// Whether it was compiled specialized.
    pub fn specialized(&self) -> bool {
        self.specialized
    }
    /// The constants it was specialized on (empty on the generic path).
    pub fn constants(&self) -> &Preimports {
        &self.constants
    }
    /// The module bytes compiled (its GOT imports immutable when specialized).
    pub fn compiled_bytes(&self) -> &[u8] {
        &self.compiled_bytes
    }
    /// The libraries it needs.
    pub fn needed(&self) -> &[LibraryHandle] {
        &self.needed
    }
    /// Whether its exports are in the global scope ([`Scope::Global`]).
    pub fn is_global(&self) -> bool {
        self.global
    }
}

/// The dynamic linker of one main instance.
#[derive(Debug)]
pub struct DynamicLinker {
    loader: Loader,
    options: LinkOptions,
    path: LibraryPath,
    memory: Memory,
    table: Table,
    stack_pointer: Global,
    allocator: Func,
    /// The global scope: the first definition of each symbol.
    symbols: HashMap<String, Symbol>,
    /// The table slot of each function whose address was taken.
    slots: Vec<(Func, u32)>,
    libraries: Vec<Library>,
    by_name: HashMap<String, LibraryHandle>,
    /// Names being loaded (for cycles).
    loading: Vec<String>,
}

const APPLY_DATA_RELOCS: &str = "__wasm_apply_data_relocs";
const CALL_CTORS: &str = "__wasm_call_ctors";

impl DynamicLinker {
    /// A linker for the main module instance `main` of `store`, loading libraries found on
    /// `path` with `loader`.
    pub fn new(
        store: &Store,
        main: &Instance,
        loader: Loader,
        path: LibraryPath,
        options: LinkOptions,
    ) -> Result<DynamicLinker, LinkError> {
        let missing = |name: &str| LinkError::MainExport {
            name: name.to_string(),
        };
        let memory = main
            .get_memory(store, "memory")
            .ok_or_else(|| missing("memory"))?;
        let table = main
            .get_table(store, "__indirect_function_table")
            .ok_or_else(|| missing("__indirect_function_table"))?;
        let stack_pointer = main
            .get_global(store, "__stack_pointer")
            .ok_or_else(|| missing("__stack_pointer"))?;
        let allocator = main
            .get_func(store, "aligned_alloc")
            .ok_or_else(|| missing("aligned_alloc"))?;
        let mut symbols = HashMap::new();
        for (name, item) in main.exports(store) {
            let symbol = match item {
                Extern::Func(f) => Symbol::Func(f),
                Extern::Global(g) if !g.ty().mutable && g.ty().ty == ValType::I32 => {
                    Symbol::Data(g.get(store).i32().expect("an i32 global") as u32)
                }
                _ => continue,
            };
            symbols.insert(name, symbol);
        }
        let mut slots = Vec::new();
        for i in 0..table.size(store) {
            if let Some(Val::FuncRef(Some(f))) = table.get(store, i) {
                slots.push((f, i));
            }
        }
        Ok(DynamicLinker {
            loader,
            options,
            path,
            memory,
            table,
            stack_pointer,
            allocator,
            symbols,
            slots,
            libraries: Vec::new(),
            by_name: HashMap::new(),
            loading: Vec::new(),
        })
    }

    /// The library of `handle`.
    pub fn library(&self, handle: LibraryHandle) -> &Library {
        &self.libraries[handle.0]
    }

    /// The loaded library named `name`, if any.
    pub fn loaded(&self, name: &str) -> Option<LibraryHandle> {
        self.by_name.get(name).copied()
    }

    /// The global scope's definition of `name` (the first one loaded).
    pub fn symbol(&self, name: &str) -> Option<Symbol> {
        self.symbols.get(name).copied()
    }

    /// What `dlsym(handle, name)` answers: the address of data symbol `name`, or the table
    /// slot of function `name` (allocated the first time), looked up in library `handle`
    /// and then in the libraries it needs (depth first, in `NEEDED` order); `None` when
    /// none of them exports it.
    pub fn lookup(
        &mut self,
        store: &mut Store,
        handle: LibraryHandle,
        name: &str,
    ) -> Result<Option<u32>, stagec::Error> {
        let mut order = vec![handle];
        let mut i = 0;
        while let Some(&h) = order.get(i) {
            i += 1;
            match self.library_symbol(store, h, name) {
                Some(Symbol::Func(f)) => return self.func_slot(store, f).map(Some),
                Some(Symbol::Data(address)) => return Ok(Some(address)),
                None => {}
            }
            for needed in self.libraries[h.0].needed.iter().rev() {
                if !order.contains(needed) {
                    order.insert(i, *needed);
                }
            }
        }
        Ok(None)
    }

    /// Export `name` of library `handle` as a symbol: a function, or an exported
    /// immutable i32 global (an offset from the library's memory base).
    fn library_symbol(&self, store: &Store, handle: LibraryHandle, name: &str) -> Option<Symbol> {
        if name == APPLY_DATA_RELOCS || name == CALL_CTORS {
            return None;
        }
        let library = &self.libraries[handle.0];
        match library.instance.get_export(store, name)? {
            Extern::Func(f) => Some(Symbol::Func(f)),
            Extern::Global(g) if !g.ty().mutable && g.ty().ty == ValType::I32 => {
                let offset = g.get(store).i32().expect("an i32 global") as u32;
                Some(Symbol::Data(library.memory_base.wrapping_add(offset)))
            }
            _ => None,
        }
    }

    /// The definition of `name` for a library whose dependencies (transitively) are
    /// `group`: the global scope's, else the first of the group's.
    fn find_symbol(&self, store: &Store, name: &str, group: &[LibraryHandle]) -> Option<Symbol> {
        self.symbols.get(name).copied().or_else(|| {
            group
                .iter()
                .find_map(|&h| self.library_symbol(store, h, name))
        })
    }

    /// Adds the exports of library `handle` to the global scope (first definition wins).
    fn make_global(&mut self, store: &Store, handle: LibraryHandle) {
        let instance = self.libraries[handle.0].instance;
        for (name, _) in instance.exports(store) {
            if let Some(symbol) = self.library_symbol(store, handle, &name) {
                self.symbols.entry(name).or_insert(symbol);
            }
        }
        self.libraries[handle.0].global = true;
    }

    /// The libraries `needed` and those they need, transitively, depth first.
    fn dependency_group(&self, needed: &[LibraryHandle]) -> Vec<LibraryHandle> {
        let mut group = Vec::new();
        let mut stack: Vec<LibraryHandle> = needed.iter().rev().copied().collect();
        while let Some(h) = stack.pop() {
            if !group.contains(&h) {
                group.push(h);
                stack.extend(self.libraries[h.0].needed.iter().rev());
            }
        }
        group
    }

    /// The loader.
    pub fn loader(&self) -> &Loader {
        &self.loader
    }

    /// The table slot of `func`, allocating one (growing the table) the first time.
    pub fn func_slot(&mut self, store: &mut Store, func: Func) -> Result<u32, stagec::Error> {
        if let Some(&(_, slot)) = self.slots.iter().find(|(f, _)| *f == func) {
            return Ok(slot);
        }
        let slot = self.table.grow(store, 1, Val::FuncRef(Some(func)))?;
        self.slots.push((func, slot));
        Ok(slot)
    }

    /// Loads library `name` (and, first, the libraries it needs), or returns the handle
    /// of the one already loaded under that name.
    pub fn load(&mut self, store: &mut Store, name: &str) -> Result<LibraryHandle, LinkError> {
        self.load_in(store, name, Scope::Global)
    }

    /// [`DynamicLinker::load`] with the scope of its exports. Loading a library already
    /// loaded local with [`Scope::Global`] makes it global.
    pub fn load_in(
        &mut self,
        store: &mut Store,
        name: &str,
        scope: Scope,
    ) -> Result<LibraryHandle, LinkError> {
        let handle = self.load_needed(store, name, &[], None, scope)?;
        if scope == Scope::Global && !self.libraries[handle.0].global {
            self.make_global(store, handle);
        }
        Ok(handle)
    }

    fn load_needed(
        &mut self,
        store: &mut Store,
        name: &str,
        runpath: &[String],
        origin: Option<&std::path::Path>,
        scope: Scope,
    ) -> Result<LibraryHandle, LinkError> {
        if let Some(handle) = self.loaded(name) {
            return Ok(handle);
        }
        if let Some(at) = self.loading.iter().position(|n| n == name) {
            let mut chain = self.loading[at..].to_vec();
            chain.push(name.to_string());
            return Err(LinkError::Cycle { chain });
        }
        let library = || name.to_string();
        let found = self
            .path
            .find(name, runpath, origin)
            .map_err(|source| LinkError::Load {
                library: library(),
                source,
            })?
            .ok_or_else(|| LinkError::NotFound { library: library() })?;
        let description =
            ModuleDescription::parse(&found.bytes).map_err(|source| LinkError::Inspect {
                library: library(),
                source,
            })?;
        let info = description
            .dylink
            .clone()
            .ok_or_else(|| LinkError::NotALibrary { library: library() })?;
        self.loading.push(name.to_string());
        let origin = found.path.as_deref().and_then(|p| p.parent());
        let mut needed = Vec::new();
        let result = (|| {
            for n in &info.needed {
                needed.push(self.load_needed(store, n, &info.runtime_path, origin, scope)?);
            }
            Ok(())
        })();
        self.loading.pop();
        result?;
        let handle = self.link(store, name, found, description, needed, scope)?;
        Ok(handle)
    }

    /// Allocates, resolves, instantiates and initializes one library whose needed
    /// libraries are loaded.
    fn link(
        &mut self,
        store: &mut Store,
        name: &str,
        found: FoundLibrary,
        description: ModuleDescription,
        needed: Vec<LibraryHandle>,
        scope: Scope,
    ) -> Result<LibraryHandle, LinkError> {
        let FoundLibrary { bytes, path } = found;
        let engine_error = |source| LinkError::Engine {
            library: name.to_string(),
            source,
        };
        let info = description.dylink.clone().expect("checked by the caller");
        let mem = info.mem_info;
        let memory_base =
            self.allocate_memory(store, name, mem.memory_size, mem.memory_alignment)?;
        let table_base = self
            .allocate_table(store, mem.table_size, mem.table_alignment)
            .map_err(engine_error)?;
        // Functions of this library whose slots are taken before it is instantiated.
        let mut own_slots: Vec<(String, u32)> = Vec::new();
        let group = self.dependency_group(&needed);
        let mut resolved = Vec::new();
        for import in &description.imports {
            let r = self.resolve(
                store,
                name,
                &description,
                import,
                (memory_base, table_base),
                &group,
                &mut own_slots,
            )?;
            resolved.push(r);
        }
        let specialize = self.options.specialize && self.loader.can_compile();
        let imports = &description.imports;
        let made = if specialize {
            let bind = self.options.bind_objects;
            instantiate::specialized(&self.loader, store, name, &bytes, imports, &resolved, bind)?
        } else {
            instantiate::generic(&self.loader, store, name, bytes, imports, &resolved)?
        };
        let instance = made.instance;
        for (export, slot) in &own_slots {
            let f = instance
                .get_func(store, export)
                .expect("resolved against the library's exports");
            self.table
                .set(store, *slot, Val::FuncRef(Some(f)))
                .map_err(engine_error)?;
            self.slots.push((f, *slot));
        }
        for init in [APPLY_DATA_RELOCS, CALL_CTORS] {
            if let Some(f) = instance.get_func(store, init) {
                f.call(store, &[], &mut []).map_err(engine_error)?;
            }
        }
        let handle = LibraryHandle(self.libraries.len());
        self.libraries.push(Library {
            name: name.to_string(),
            path,
            instance,
            memory_base,
            table_base,
            info,
            specialized: specialize,
            module: made.module,
            compiled_bytes: made.bytes,
            constants: made.constants,
            needed,
            global: false,
        });
        if scope == Scope::Global {
            self.make_global(store, handle);
        }
        self.by_name.insert(name.to_string(), handle);
        Ok(handle)
    }

    /// `size` zeroed bytes at `2^alignment` from the main module's `aligned_alloc`.
    fn allocate_memory(
        &mut self,
        store: &mut Store,
        library: &str,
        size: u32,
        alignment: u32,
    ) -> Result<u32, LinkError> {
        if size == 0 {
            return Ok(0);
        }
        let align = 1u32 << alignment.min(16);
        let mut out = [Val::I32(0)];
        let args = [
            Val::I32(align as i32),
            Val::I32(size.next_multiple_of(align) as i32),
        ];
        self.allocator
            .call(store, &args, &mut out)
            .map_err(|source| LinkError::Engine {
                library: library.to_string(),
                source,
            })?;
        let base = out[0].i32().unwrap_or(0) as u32;
        if base == 0 {
            return Err(LinkError::Allocation {
                library: library.to_string(),
                size,
            });
        }
        let data = self.memory.data_mut(store);
        let end = base as usize + size as usize;
        let region = data
            .get_mut(base as usize..end)
            .ok_or_else(|| LinkError::Allocation {
                library: library.to_string(),
                size,
            })?;
        region.fill(0);
        Ok(base)
    }

    /// `size` table slots at `2^alignment`; returns the first.
    fn allocate_table(
        &mut self,
        store: &mut Store,
        size: u32,
        alignment: u32,
    ) -> Result<u32, stagec::Error> {
        let old = self.table.size(store);
        let base = old.next_multiple_of(1u32 << alignment.min(16));
        if size > 0 || base > old {
            self.table
                .grow(store, base - old + size, Val::FuncRef(None))?;
        }
        Ok(base)
    }

    /// What import `import` of library `name` resolves to.
    #[allow(clippy::too_many_arguments)]
    fn resolve(
        &mut self,
        store: &mut Store,
        name: &str,
        description: &ModuleDescription,
        import: &crate::inspect::ImportDesc,
        (memory_base, table_base): (u32, u32),
        group: &[LibraryHandle],
        own_slots: &mut Vec<(String, u32)>,
    ) -> Result<Resolved, LinkError> {
        let symbol = import.name.as_str();
        let found = self.find_symbol(store, symbol, group);
        let info = description.dylink.as_ref().expect("a library");
        let weak =
            info.is_weak_import("env", symbol) || info.is_weak_import(&import.module, symbol);
        let undefined = || LinkError::Undefined {
            library: name.to_string(),
            symbol: symbol.to_string(),
        };
        let engine_error = |source| LinkError::Engine {
            library: name.to_string(),
            source,
        };
        let got = |value: u32| Resolved::I32 {
            value: value as i32,
            mutable: true,
        };
        let own = description.export(symbol);
        Ok(match (import.module.as_str(), symbol, &import.ty) {
            ("env", "memory", ItemType::Memory(_)) => Resolved::Item(self.memory.into()),
            ("env", "__indirect_function_table", ItemType::Table(_)) => {
                Resolved::Item(self.table.into())
            }
            ("env", "__stack_pointer", ItemType::Global(_)) => {
                Resolved::Item(self.stack_pointer.into())
            }
            ("env", "__memory_base", ItemType::Global(_)) => Resolved::I32 {
                value: memory_base as i32,
                mutable: false,
            },
            ("env", "__table_base", ItemType::Global(_)) => Resolved::I32 {
                value: table_base as i32,
                mutable: false,
            },
            ("GOT.mem", _, ItemType::Global(_)) => match found.as_ref() {
                Some(Symbol::Data(address)) => got(*address),
                Some(Symbol::Func(_)) => return Err(undefined()),
                None => match own.and_then(|e| e.const_value) {
                    Some(offset) => got(memory_base.wrapping_add(offset as u32)),
                    None if weak => got(0),
                    None => return Err(undefined()),
                },
            },
            ("GOT.func", _, ItemType::Global(_)) => match found.as_ref() {
                Some(Symbol::Func(f)) => {
                    let f = *f;
                    got(self.func_slot(store, f).map_err(engine_error)?)
                }
                Some(Symbol::Data(_)) => return Err(undefined()),
                None => match own.map(|e| &e.ty) {
                    Some(ItemType::Func(_)) => got(self
                        .own_slot(store, symbol, own_slots)
                        .map_err(engine_error)?),
                    _ if weak => got(0),
                    _ => return Err(undefined()),
                },
            },
            ("env", _, ItemType::Func(expected)) => match found.as_ref() {
                Some(Symbol::Func(f)) => {
                    let actual = f.ty(store);
                    if actual != *expected {
                        return Err(LinkError::Signature {
                            library: name.to_string(),
                            symbol: symbol.to_string(),
                            expected: expected.clone(),
                            actual,
                        });
                    }
                    Resolved::Item((*f).into())
                }
                Some(Symbol::Data(_)) => return Err(undefined()),
                None if matches!(own.map(|e| &e.ty), Some(ItemType::Func(t)) if t == expected) => {
                    let slot = self
                        .own_slot(store, symbol, own_slots)
                        .map_err(engine_error)?;
                    let f = slot_trampoline(&self.loader, store, self.table, slot, expected)
                        .map_err(|source| LinkError::Load {
                            library: name.to_string(),
                            source,
                        })?;
                    Resolved::Item(f.into())
                }
                None if weak => Resolved::Item(
                    undefined_weak_stub(store, name, symbol, expected.clone())
                        .map_err(engine_error)?
                        .into(),
                ),
                None => return Err(undefined()),
            },
            _ => {
                return Err(LinkError::UnsupportedImport {
                    library: name.to_string(),
                    module: import.module.clone(),
                    name: symbol.to_string(),
                });
            }
        })
    }

    /// A table slot for the library's own exported function `symbol`, filled once the
    /// library is instantiated (one per function).
    fn own_slot(
        &mut self,
        store: &mut Store,
        symbol: &str,
        own_slots: &mut Vec<(String, u32)>,
    ) -> Result<u32, stagec::Error> {
        if let Some((_, slot)) = own_slots.iter().find(|(s, _)| s == symbol) {
            return Ok(*slot);
        }
        let slot = self.table.grow(store, 1, Val::FuncRef(None))?;
        own_slots.push((symbol.to_string(), slot));
        Ok(slot)
    }

    /// Where libraries are found.
    pub fn library_path(&self) -> &LibraryPath {
        &self.path
    }

    /// What specializing library `handle` on its constants did to function `func`:
    /// the engine's explanation of the specialized and the generic build (the memory,
    /// table and stack pointer, live objects, are not bound here).
    pub fn explain(
        &self,
        handle: LibraryHandle,
        func: &str,
    ) -> Result<stagec::Explained, stagec::Error> {
        let library = self.library(handle);
        Module::explain(
            self.loader.engine(),
            &library.compiled_bytes,
            &library.constants,
            func,
            &stagec::CompileOptions::default(),
        )
    }
}

/// The function bound to an undefined weak function: code may take its address (0) and
/// test it, but calling it traps with a message naming it.
fn undefined_weak_stub(
    store: &mut Store,
    library: &str,
    symbol: &str,
    ty: FuncType,
) -> stagec::Result<Func> {
    let message = format!("{library}: called undefined weak function `{symbol}`");
    Func::new(store, ty, move |_, _, _| {
        Err(stagec::Error::host(message.clone()))
    })
}
