//! Dynamic loading for the stagec engine: the module loader of component-model issue 401
//! and a `dylink.0` dynamic linker built on it, which specializes each shared library on
//! the values its loader chooses (DESIGN.md §4, §6).
//!
//! - [`ModuleDescription`]: inspection without compiling (imports, exports, custom
//!   sections, the parsed [`DylinkInfo`]).
//! - [`Loader`]: precompiled modules looked up by opaque id in sources the host registers
//!   ([`DirectorySource`], [`MemorySource`]); compiling from bytes is a separate
//!   capability the host grants or denies when building it; [`Imports`] binds existing
//!   objects or new globals under (module, name) for instantiation.
//! - [`DynamicLinker`]: `dylink.0` shared libraries linked into a main module's
//!   instance, each compiled specialized on the bases and GOT entries its loader chose
//!   ([`LinkOptions`]); see docs/dylink.md.
//!
//! Everything here is a client of the engine's public API.

#![deny(missing_docs)]

mod dylink0;
mod error;
mod inspect;
mod instantiate;
mod libraries;
mod linker;
mod loader;
mod rewrite;
mod trampoline;

pub use dylink0::{DylinkInfo, ExportInfo, ImportInfo, MemInfo, SECTION_NAME, flags};
pub use error::{Dylink0Error, Dylink0Problem, InspectError, LinkError, LoadError};
pub use inspect::{CustomSection, ExportDesc, ImportDesc, ItemType, ModuleDescription};
pub use libraries::LibraryPath;
pub use linker::{DynamicLinker, Library, LibraryHandle, LinkOptions, Scope, Symbol};
pub use loader::{
    ARTIFACT_EXTENSION, Compilation, DirectorySource, Imports, Loader, MemorySource, ModuleSource,
    export,
};
