//! Compiling and instantiating one library once its imports are resolved: specialized
//! (the resolved values as preimports) or generic (the same values as runtime imports).

use crate::error::{LinkError, LoadError};
use crate::inspect::ImportDesc;
use crate::loader::{Imports, Loader};
use crate::rewrite::freeze_imported_globals;
use stagec::{
    Extern, Global, GlobalType, Instance, Module, Preimport, Preimports, Store, Val, ValType,
};

/// How one import of a library is satisfied.
pub(crate) enum Resolved {
    /// An existing object (the main module's memory, table, stack pointer, a function).
    Item(Extern),
    /// An i32 value: a base or a GOT entry (a new global on the generic path).
    I32 { value: i32, mutable: bool },
}

/// A library's instance and what was compiled for it.
pub(crate) struct Instantiated {
    pub(crate) instance: Instance,
    pub(crate) module: Module,
    /// The bytes compiled (GOT imports frozen when specialized).
    pub(crate) bytes: Vec<u8>,
    /// The constants it was specialized on.
    pub(crate) constants: Preimports,
}

/// The library `name` (`bytes`, whose `imports` resolve to `resolved`) compiled
/// specialized: the bases and GOT entries as constants; the existing objects bound at
/// compile time too when `bind_objects` (the module is then tied to `store` and cannot
/// be cached), or else supplied at instantiation (the module is keyed by the constants
/// alone, so loading the library at the same bases again is a cache hit).
pub(crate) fn specialized(
    loader: &Loader,
    store: &mut Store,
    name: &str,
    bytes: &[u8],
    imports: &[ImportDesc],
    resolved: &[Resolved],
    bind_objects: bool,
) -> Result<Instantiated, LinkError> {
    let engine_error = |source| LinkError::Engine {
        library: name.to_string(),
        source,
    };
    let load_error = |source| LinkError::Load {
        library: name.to_string(),
        source,
    };
    let got = |m: &str, _: &str| m == "GOT.mem" || m == "GOT.func";
    let frozen = freeze_imported_globals(bytes, got).map_err(|source| LinkError::Inspect {
        library: name.to_string(),
        source,
    })?;
    let mut pre = Preimports::new();
    let mut constants = Preimports::new();
    let mut runtime = Imports::new();
    for (import, r) in imports.iter().zip(resolved) {
        let (m, n) = (import.module.as_str(), import.name.as_str());
        let frozen_here = frozen.changed.iter().any(|(cm, cn)| cm == m && cn == n);
        match *r {
            Resolved::Item(item) if bind_objects => {
                pre.bind(m, n, Preimport::Extern(item));
            }
            Resolved::Item(item) => {
                runtime.item(m, n, item);
            }
            Resolved::I32 { value, mutable } if !mutable || frozen_here => {
                constants.value(m, n, Val::I32(value));
                pre.value(m, n, Val::I32(value));
            }
            Resolved::I32 { value, .. } if bind_objects => {
                let ty = GlobalType {
                    ty: ValType::I32,
                    mutable: true,
                };
                let global = Global::new(store, ty, Val::I32(value)).map_err(engine_error)?;
                pre.bind(m, n, Preimport::Extern(global.into()));
            }
            Resolved::I32 { value, .. } => {
                runtime.new_i32_global(m, n, value, true);
            }
        }
    }
    let module = if bind_objects {
        loader.compile_specialized(store, &frozen.bytes, &pre)
    } else {
        loader.compile_with_preimports(&frozen.bytes, &pre)
    }
    .map_err(load_error)?;
    let instance = runtime.instantiate(store, &module).map_err(load_error)?;
    Ok(Instantiated {
        instance,
        module,
        bytes: frozen.bytes,
        constants,
    })
}

/// The library `name` on the generic path: its precompiled module from the loader's
/// sources, or compiled (when the loader may), with every resolved value a runtime
/// import.
pub(crate) fn generic(
    loader: &Loader,
    store: &mut Store,
    name: &str,
    bytes: Vec<u8>,
    imports: &[ImportDesc],
    resolved: &[Resolved],
) -> Result<Instantiated, LinkError> {
    let load_error = |source| LinkError::Load {
        library: name.to_string(),
        source,
    };
    let module = match loader.load(name) {
        Ok(module) => module,
        Err(LoadError::NotFound { .. }) => loader.compile(&bytes).map_err(load_error)?,
        Err(e) => return Err(load_error(e)),
    };
    let mut runtime = Imports::new();
    for (import, r) in imports.iter().zip(resolved) {
        let (m, n) = (import.module.as_str(), import.name.as_str());
        match *r {
            Resolved::Item(item) => runtime.item(m, n, item),
            Resolved::I32 { value, mutable } => runtime.new_i32_global(m, n, value, mutable),
        };
    }
    let instance = runtime.instantiate(store, &module).map_err(load_error)?;
    Ok(Instantiated {
        instance,
        module,
        bytes,
        constants: Preimports::new(),
    })
}
