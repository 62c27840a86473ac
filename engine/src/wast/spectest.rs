//! The `spectest` host module of the reference interpreter, which spec scripts import from.

use crate::{
    EntityType, Func, FuncType, Global, GlobalType, IndexType, Linker, Memory, MemoryType,
    Preimports, Result, Store, Table, TableType, Val, ValType,
};

/// The values of the `spectest` globals.
fn global_values() -> [(&'static str, Val); 4] {
    [
        ("global_i32", Val::I32(666)),
        ("global_i64", Val::I64(666)),
        ("global_f32", Val::from(666.6f32)),
        ("global_f64", Val::from(666.6f64)),
    ]
}

/// Preimports binding each `spectest` global that the module imports with the matching
/// immutable type; imports of another type stay runtime imports (so that linking still
/// reports them as incompatible). Unparsable bytes give an empty set.
pub(super) fn global_preimports(bytes: &[u8]) -> Preimports {
    let mut preimports = Preimports::new();
    let Ok(imports) = crate::Module::import_types(bytes) else {
        return preimports;
    };
    for (name, value) in global_values() {
        let wanted = EntityType::Global(GlobalType {
            ty: value.ty(),
            mutable: false,
        });
        if imports
            .iter()
            .any(|(m, n, ty)| m == "spectest" && n == name && *ty == wanted)
        {
            preimports.value("spectest", name, value);
        }
    }
    preimports
}

/// Defines `spectest`.* in `linker`, creating its objects in `store`.
pub(super) fn define(store: &mut Store, linker: &mut Linker) -> Result<()> {
    use ValType::{F32, F64, I32, I64};
    let prints: [(&str, &[ValType]); 7] = [
        ("print", &[]),
        ("print_i32", &[I32]),
        ("print_i64", &[I64]),
        ("print_f32", &[F32]),
        ("print_f64", &[F64]),
        ("print_i32_f32", &[I32, F32]),
        ("print_f64_f64", &[F64, F64]),
    ];
    for (name, params) in prints {
        let ty = FuncType::new(params.iter().copied(), []);
        let func = Func::new(store, ty, |_, _, _| Ok(()))?;
        linker.define("spectest", name, func);
    }

    for (name, value) in global_values() {
        let ty = GlobalType {
            ty: value.ty(),
            mutable: false,
        };
        let global = Global::new(store, ty, value)?;
        linker.define("spectest", name, global);
    }

    let table_ty = TableType::new(ValType::FuncRef, 10, Some(20));
    let table = Table::new(store, table_ty, Val::FuncRef(None))?;
    linker.define("spectest", "table", table);
    let table64_ty = TableType {
        index: IndexType::I64,
        ..table_ty
    };
    let table64 = Table::new(store, table64_ty, Val::FuncRef(None))?;
    linker.define("spectest", "table64", table64);

    let memory_ty = MemoryType::new(1, Some(2));
    let memory = Memory::new(store, memory_ty)?;
    linker.define("spectest", "memory", memory);
    Ok(())
}
