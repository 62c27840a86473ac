//! Runtime-level tests: the signal path turns a faulting instruction in registered code
//! into a trap, memories/tables grow within their limits, and what cannot be created or
//! loaded is a typed error.

use stagec_environ::TrapKind;
use stagec_environ::artifact::{
    Artifact, ArtifactError, CodeRange, RelocKind, RelocTarget, Relocation, TrapSite,
};
use stagec_frontend::{Limits, MemoryType, TableType, ValType};
use stagec_runtime::{
    CodeMemory, FuncName, LoadError, Memory, MemoryError, PAGE_SIZE, Table, TrapReason, Trapped,
    catch_traps,
};
use std::error::Error as _;

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
    let name = FuncName {
        unit: 0,
        index: 5,
        name: Some("trapper".into()),
    };
    let mem = CodeMemory::load_owned(artifact, vec![name.clone()]).unwrap();
    // SAFETY: the code is a single trapping instruction taking no arguments.
    let f: extern "C" fn() = unsafe { std::mem::transmute(mem.function(0)) };
    for _ in 0..1000 {
        match catch_traps(|| f()) {
            Err(Trapped {
                reason: TrapReason::Wasm { kind, wasm_offset },
                backtrace,
            }) => {
                assert_eq!(kind, TrapKind::IntegerDivisionByZero);
                assert_eq!(wasm_offset, Some(42));
                // The trapping function is the one frame: its caller is Rust code.
                let frames: Vec<_> = backtrace.frames.iter().map(|f| f.func_index).collect();
                assert_eq!(frames, [name.index], "{backtrace:?}");
                assert_eq!(backtrace.frames[0].func_name, name.name);
                assert_eq!(backtrace.frames[0].wasm_offset, Some(42));
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
        index: stagec_frontend::IndexType::I32,
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
fn memory_minimum_past_4gib_or_the_host_limit_is_an_error() {
    let ty = |min| MemoryType {
        limits: Limits { min, max: None },
        index: stagec_frontend::IndexType::I32,
    };
    let e = Memory::new(ty(65537)).unwrap_err();
    assert!(
        matches!(
            e,
            MemoryError::MinimumTooLarge {
                pages: 65537,
                max_pages: 65536
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "memory minimum of 65537 pages exceeds the limit of 65536 pages (4 GiB)"
    );
    let e = Memory::with_limit(ty(2), Some(100_000)).unwrap_err();
    assert!(
        matches!(
            e,
            MemoryError::MinimumOverLimit {
                pages: 2,
                limit_bytes: 100_000
            }
        ),
        "{e:?}"
    );
    assert!(e.source().is_none());
    assert!(Memory::with_limit(ty(1), Some(100_000)).is_ok());
}

#[test]
fn loading_a_relocation_to_nothing_is_a_typed_error() {
    let artifact = |target| Artifact {
        code: vec![0; 16].into(),
        functions: vec![CodeRange { offset: 0, len: 16 }],
        relocations: vec![Relocation {
            offset: 0,
            kind: RelocKind::Abs8,
            target,
            addend: 0,
        }],
        ..Default::default()
    };
    let e = CodeMemory::load(&artifact(RelocTarget::DefinedFunc(1))).unwrap_err();
    assert!(
        matches!(
            e,
            LoadError::Artifact(ArtifactError::UnknownFunction { index: 1 })
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "cannot load compiled code: relocation to unknown function 1"
    );
    let source = e.source().expect("the artifact error");
    assert!(source.downcast_ref::<ArtifactError>().is_some());
    let e = CodeMemory::load(&artifact(RelocTarget::Fixed(0))).unwrap_err();
    assert!(
        matches!(
            e,
            LoadError::Artifact(ArtifactError::UnknownFixedSlot { slot: 0 })
        ),
        "{e:?}"
    );
    assert!(CodeMemory::load(&artifact(RelocTarget::DefinedFunc(0))).is_ok());
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
            index: stagec_frontend::IndexType::I32,
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
