//! The `spectest` host module of the reference interpreter, which spec scripts import from.

use crate::{
    Func, FuncType, Global, GlobalType, Limits, Linker, Memory, MemoryType, Result, Store, Table,
    TableType, Val, ValType,
};

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

    let globals = [
        ("global_i32", Val::I32(666)),
        ("global_i64", Val::I64(666)),
        ("global_f32", Val::from(666.6f32)),
        ("global_f64", Val::from(666.6f64)),
    ];
    for (name, value) in globals {
        let ty = GlobalType {
            ty: value.ty(),
            mutable: false,
        };
        let global = Global::new(store, ty, value)?;
        linker.define("spectest", name, global);
    }

    let table_ty = TableType {
        element: ValType::FuncRef,
        limits: Limits {
            min: 10,
            max: Some(20),
        },
    };
    let table = Table::new(store, table_ty, Val::FuncRef(None))?;
    linker.define("spectest", "table", table);

    let memory_ty = MemoryType {
        limits: Limits {
            min: 1,
            max: Some(2),
        },
    };
    let memory = Memory::new(store, memory_ty)?;
    linker.define("spectest", "memory", memory);
    Ok(())
}
