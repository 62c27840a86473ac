//! stagec environ: what codegen and the runtime must agree on, and nothing else.
//!
//! - [`vmoffsets`]: the layout of the instance context (`vmctx`) and of the structures it
//!   points to, which codegen reads and writes at fixed offsets and the runtime fills in
//!   (the runtime's `#[repr(C)]` structures are tested against these offsets);
//! - [`Builtin`] and [`AbiType`]: the runtime entry points compiled code calls, with their
//!   signatures;
//! - [`TrapKind`]: why compiled code trapped, as recorded in trap tables;
//! - [`memory`]: the address-space layout of linear memories (reservations and guard
//!   regions) that codegen's bounds checks rely on;
//! - [`artifact`]: the relocatable output of codegen and input of the runtime's loader
//!   (code, relocations, trap tables, fixed-address slots), and its serialized form
//!   written with [`codec`].
//!
//! codegen depends on this crate and not on the runtime, so the compiler builds without
//! the runtime's signal handlers and C helper.

#![deny(missing_docs)]

pub mod artifact;
mod builtins;
pub mod code;
pub mod codec;
pub mod memory;
mod trap;
pub mod vmoffsets;

pub use artifact::{Artifact, ArtifactError};
pub use builtins::{AbiType, Builtin};
pub use codec::{DecodeError, DecodeErrorKind};
pub use trap::TrapKind;
pub use vmoffsets::VMOffsets;
