//! Runtime-level tests: the signal path turns a faulting instruction in registered code
//! into a trap, and memories/tables grow within their limits.

use stagec_environ::TrapKind;
use stagec_environ::artifact::{Artifact, CodeRange, TrapSite};
use stagec_frontend::{Limits, MemoryType, TableType, ValType};
use stagec_runtime::{CodeMemory, Memory, PAGE_SIZE, Table, TrapReason, catch_traps};

/// A function that executes a trap instruction at offset 0.
fn trapping_code() -> Vec<u8> {
    if cfg!(target_arch = "x86_64") {
        vec![0x0f, 0x0b] // ud2
    } else {
        0xd420_0000u32.to_le_bytes().to_vec() // brk #0
    }
}

#[test]
fn trap_instruction_becomes_trap_and_host_survives() {
    let code = trapping_code();
    let artifact = Artifact {
        functions: vec![CodeRange {
            offset: 0,
            len: code.len() as u32,
        }],
        code: code.into(),
        traps: vec![TrapSite {
            code_offset: 0,
            kind: TrapKind::IntegerDivisionByZero,
            wasm_offset: 42,
        }],
        ..Default::default()
    };
    let mem = CodeMemory::load(&artifact).unwrap();
    // SAFETY: the code is a single trapping instruction taking no arguments.
    let f: extern "C" fn() = unsafe { std::mem::transmute(mem.function(0)) };
    for _ in 0..1000 {
        match catch_traps(|| f()) {
            Err(TrapReason::Wasm { kind, wasm_offset }) => {
                assert_eq!(kind, TrapKind::IntegerDivisionByZero);
                assert_eq!(wasm_offset, Some(42));
            }
            other => panic!("expected a trap, got {other:?}"),
        }
    }
    assert!(catch_traps(|| {}).is_ok());
}

#[test]
fn memory_grows_up_to_its_maximum() {
    let mut m = Memory::new(MemoryType {
        limits: Limits {
            min: 1,
            max: Some(3),
        },
    })
    .unwrap();
    assert_eq!(m.pages(), 1);
    assert_eq!(m.data().len(), PAGE_SIZE);
    m.data_mut()[PAGE_SIZE - 1] = 7;
    assert_eq!(m.grow(2), Some(1));
    assert_eq!(m.data()[PAGE_SIZE - 1], 7);
    m.data_mut()[3 * PAGE_SIZE - 1] = 1;
    assert_eq!(m.grow(1), None);
    assert_eq!(m.grow(0), Some(3));
    let base = m.base();
    assert_eq!(m.grow(0), Some(3));
    assert_eq!(base, m.base(), "a memory's base never moves");
}

#[test]
fn memory_minimum_past_4gib_is_an_error() {
    assert!(
        Memory::new(MemoryType {
            limits: Limits {
                min: 65537,
                max: None
            }
        })
        .is_err()
    );
}

#[test]
fn table_grows_up_to_its_maximum() {
    let mut t = Table::new(
        TableType {
            element: ValType::FuncRef,
            limits: Limits {
                min: 2,
                max: Some(4),
            },
        },
        0,
    )
    .unwrap();
    assert_eq!(t.grow(2, 9), Some(2));
    assert_eq!(t.get(3), Some(9));
    assert_eq!(t.grow(1, 0), None);
    assert!(!t.set(4, 1));
    assert!(t.set(0, 5));
    assert_eq!(t.elements(), &[5, 0, 9, 9]);
}
