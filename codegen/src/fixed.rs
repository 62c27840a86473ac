//! Fixed addresses: the state a specialized compilation bakes into its code.
//!
//! A provider instantiated at compile time lives at fixed addresses (its vmctx, memories,
//! tables, globals), and so do the live objects a compilation binds. Code reaches each of
//! them through a relocation against a *slot* rather than an immediate, so that a
//! serialized artifact can be loaded against a state re-created later: the slots are
//! numbered by a deterministic walk over the compilation units ([`fixed_addresses`]), and
//! re-creating the same providers from the same inputs yields units whose walk gives the
//! same slots with the new addresses.

use crate::units::{CompileUnit, ImportBinding};
use std::collections::HashMap;

/// `UserExternalName` namespace of artifact functions (direct calls).
pub(crate) const FUNCTION_NAMESPACE: u32 = 0;
/// `UserExternalName` namespace of fixed-address slots.
pub(crate) const FIXED_NAMESPACE: u32 = 1;

/// The slot of every fixed address of a compilation.
#[derive(Debug, Default)]
pub(crate) struct FixedSlots {
    addresses: Vec<usize>,
    slots: HashMap<usize, u32>,
}

impl FixedSlots {
    pub(crate) fn of_units(units: &[CompileUnit<'_>]) -> FixedSlots {
        let mut table = FixedSlots::default();
        for address in walk(units) {
            if let std::collections::hash_map::Entry::Vacant(e) = table.slots.entry(address) {
                e.insert(table.addresses.len() as u32);
                table.addresses.push(address);
            }
        }
        table
    }

    /// The slot of `address`. Every address the environment bakes in comes from the units
    /// the table was built from, so a miss is a compiler bug.
    pub(crate) fn slot(&self, address: usize) -> u32 {
        match self.slots.get(&address) {
            Some(&slot) => slot,
            None => panic!("fixed address {address:#x} is not in the compilation's units"),
        }
    }

    /// The addresses, by slot.
    pub(crate) fn addresses(&self) -> &[usize] {
        &self.addresses
    }
}

/// The fixed addresses of a compilation's units, by slot: what
/// [`Artifact::fixed`](stagec_environ::artifact::Artifact::fixed) holds for an artifact
/// compiled from `units`. An engine loading a serialized artifact calls this on units
/// built from its re-created state.
pub fn fixed_addresses(units: &[CompileUnit<'_>]) -> Vec<usize> {
    FixedSlots::of_units(units).addresses
}

/// Every fixed address in `units`, in a deterministic order, with repeats.
fn walk(units: &[CompileUnit<'_>]) -> Vec<usize> {
    let mut out = Vec::new();
    for unit in units {
        if let Some(fixed) = &unit.fixed {
            out.push(fixed.vmctx);
            for &(base, def) in &fixed.memories {
                out.extend([base, def]);
            }
            out.extend(&fixed.tables);
            out.extend(&fixed.globals);
        }
        for binding in &unit.imports {
            match *binding {
                ImportBinding::GlobalAt(address) => out.push(address),
                ImportBinding::MemoryAt { base, def, .. } => out.extend([base, def]),
                ImportBinding::TableAt { def } => out.push(def),
                ImportBinding::Runtime
                | ImportBinding::Constant(_)
                | ImportBinding::Function { .. }
                | ImportBinding::KnownFunction { .. } => {}
            }
        }
    }
    out
}
