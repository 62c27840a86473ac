//! Module linking for stagec: components limited to core modules and their wiring
//! (bytecodealliance/rfcs#46, "just the module linking, please").
//!
//! A [`Component`] is read from its binary or text form, checked against the subset
//! (core modules, core instances made by instantiation with named instance arguments or
//! from exports, core export aliases, core types, and component function imports and
//! exports of scalar types through `canon lower` / `canon lift` without options;
//! anything else is an [`Error::Unsupported`] naming the construct and its offset), and
//! flattened into a [`Plan`]: static modules, then instantiations in order, each import
//! of each instantiation resolved to its defining export or lowered host import. Every
//! static module is compiled once, with the wiring edges every instantiation agrees on
//! specialized (known code, constants: [`Edge`]), and shared by all its instances; a
//! [`Linker`] supplies the component's imports as host functions and instantiates it into
//! a [`stagec::Store`], and [`ComponentInstance::call`] calls its exports with scalar
//! [`Value`]s. See `docs/components.md`.
//!
//! Modules depend in one direction: `types` ← `plan` ← `core_module`, `translate`,
//! `wiring` ← `component` ← `linker`; `error` is used by all.

#![deny(missing_docs)]

mod component;
mod core_module;
mod error;
mod linker;
pub mod plan;
mod translate;
mod types;
mod wiring;

pub use component::{Component, is_component};
pub use error::{Error, Result, SignatureMismatch};
pub use linker::{ComponentInstance, HostError, HostFunc, Linker};
pub use plan::Plan;
pub use types::{FuncType, LiftError, ScalarType, Value};
pub use wiring::{ComponentOptions, Edge, Ordinary, Specialize};
