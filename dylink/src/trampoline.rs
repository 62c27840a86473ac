//! Calls of a library into its own exported functions through an `env` import: the import
//! of a weak definition that nothing loaded before overrides. The function is not
//! instantiated yet when the import must be bound, so the import is bound to a small
//! generated module that calls the function's table slot, which the linker fills once the
//! library is instantiated.

use crate::error::LoadError;
use crate::loader::{Imports, Loader};
use stagec::{Func, FuncType, Store, Table};

/// A function of type `ty` calling `call_indirect` slot `slot` of `table`.
pub(crate) fn slot_trampoline(
    loader: &Loader,
    store: &mut Store,
    table: Table,
    slot: u32,
    ty: &FuncType,
) -> Result<Func, LoadError> {
    let list = |kind: &str, types: &[stagec::ValType]| {
        if types.is_empty() {
            return String::new();
        }
        let names: Vec<String> = types.iter().map(|t| t.to_string()).collect();
        format!("({kind} {})", names.join(" "))
    };
    let (params, results) = (list("param", &ty.params), list("result", &ty.results));
    let args: String = (0..ty.params.len())
        .map(|i| format!("(local.get {i}) "))
        .collect();
    let wat = format!(
        r#"(module
  (import "env" "table" (table 0 funcref))
  (type $t (func {params} {results}))
  (func (export "f") {params} {results}
    (call_indirect (type $t) {args}(i32.const {slot}))))"#
    );
    let module = loader.compile(wat.as_bytes())?;
    let mut imports = Imports::new();
    imports.table("env", "table", table);
    let instance = imports.instantiate(store, &module)?;
    Ok(instance
        .get_func(store, "f")
        .expect("the trampoline exports f"))
}
