//! Which functions of a module a context unit compiles: the known-code entries an importer
//! calls, and the functions they call directly, within a size budget. A call from a copied
//! function to one left out goes through the instance's funcref (`CallTarget::OwnFuncref`),
//! so the budget only trades compile time and code size for direct, inlinable calls.

use crate::CodegenError;
use stagec_frontend::ParsedModule;
use std::collections::BTreeSet;
use wasmparser::{BinaryReader, FunctionBody, Operator};

/// Wasm body bytes of the functions a context unit copies besides its entries.
pub const KNOWN_CODE_CALLEE_BUDGET: usize = 4096;

/// Entries whose body is larger than this are not worth copying (a component keeps such an
/// import ordinary): at ~1,000 operators and more, a direct call saves nothing measurable
/// over the call through the import slot, while the copy costs the importer a second
/// compilation of the whole body (`docs/components.md`).
pub const KNOWN_CODE_MAX_BODY: usize = 2048;

/// The defined functions (defined-function indices, ascending) a context unit of `module`
/// compiles for the known-code `entries` (function indices of defined functions): the
/// entries, then, breadth first, the defined functions they call directly (`call`,
/// `return_call`) while the callees' bodies fit in [`KNOWN_CODE_CALLEE_BUDGET`] bytes.
/// An entry that is not a defined function is an error naming it.
pub fn known_code_functions(
    module: &ParsedModule,
    entries: &[u32],
) -> Result<Vec<u32>, CodegenError> {
    let info = &module.info;
    let mut chosen = BTreeSet::new();
    let mut queue = std::collections::VecDeque::new();
    for &entry in entries {
        let defined = info.defined_func_index(entry).ok_or_else(|| {
            CodegenError::new(crate::CodegenErrorKind::NoSuchFunction {
                defined_index: entry,
            })
        })?;
        if chosen.insert(defined) {
            queue.push_back(defined);
        }
    }
    let mut budget = KNOWN_CODE_CALLEE_BUDGET;
    while let Some(defined) = queue.pop_front() {
        for callee in direct_callees(module, defined)? {
            let Some(callee) = info.defined_func_index(callee) else {
                continue;
            };
            let size = info.bodies[callee as usize].range.len();
            if chosen.contains(&callee) || size > budget {
                continue;
            }
            budget -= size;
            chosen.insert(callee);
            queue.push_back(callee);
        }
    }
    Ok(chosen.into_iter().collect())
}

/// The functions defined function `defined` calls directly, in order of their calls.
fn direct_callees(module: &ParsedModule, defined: u32) -> Result<Vec<u32>, CodegenError> {
    let range = module.info.bodies[defined as usize].range.clone();
    let bytes = module
        .bytes
        .get(range.clone())
        .ok_or_else(|| CodegenError::new(crate::CodegenErrorKind::BodyOutsideModule))?;
    let body = FunctionBody::new(BinaryReader::new(bytes, range.start as u64));
    let mut reader = body.get_operators_reader()?;
    let mut callees = Vec::new();
    while !reader.eof() {
        match reader.read()? {
            Operator::Call { function_index } | Operator::ReturnCall { function_index } => {
                callees.push(function_index)
            }
            _ => {}
        }
    }
    Ok(callees)
}
