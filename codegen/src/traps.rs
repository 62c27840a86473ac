//! The one mapping between [`TrapKind`] and Cranelift trap codes.
//!
//! Kinds that Cranelift itself raises (stack overflow, heap access, integer overflow and
//! division, float-to-int conversion) use Cranelift's reserved codes; every other kind is
//! `TrapCode::user(kind as u8)`. The kind codes are small (1..=13) and Cranelift reserves
//! the top of the byte range, so the two never collide (checked by a test below).

use cranelift_codegen::ir::TrapCode;
use stagec_environ::TrapKind;

/// The Cranelift trap code that stands for `kind`.
pub(crate) fn trap_code(kind: TrapKind) -> TrapCode {
    match kind {
        TrapKind::StackOverflow => TrapCode::STACK_OVERFLOW,
        TrapKind::MemoryOutOfBounds => TrapCode::HEAP_OUT_OF_BOUNDS,
        TrapKind::IntegerOverflow => TrapCode::INTEGER_OVERFLOW,
        TrapKind::IntegerDivisionByZero => TrapCode::INTEGER_DIVISION_BY_ZERO,
        TrapKind::BadConversionToInteger => TrapCode::BAD_CONVERSION_TO_INTEGER,
        TrapKind::TableOutOfBounds
        | TrapKind::UndefinedElement
        | TrapKind::UninitializedElement
        | TrapKind::BadSignature
        | TrapKind::Unreachable
        | TrapKind::Pending
        | TrapKind::Interrupted
        | TrapKind::OutOfFuel => TrapCode::unwrap_user(kind as u8),
    }
}

/// The kind a Cranelift trap code stands for, if it is one codegen emits.
pub(crate) fn trap_kind(code: TrapCode) -> Option<TrapKind> {
    Some(match code {
        TrapCode::STACK_OVERFLOW => TrapKind::StackOverflow,
        TrapCode::HEAP_OUT_OF_BOUNDS => TrapKind::MemoryOutOfBounds,
        TrapCode::INTEGER_OVERFLOW => TrapKind::IntegerOverflow,
        TrapCode::INTEGER_DIVISION_BY_ZERO => TrapKind::IntegerDivisionByZero,
        TrapCode::BAD_CONVERSION_TO_INTEGER => TrapKind::BadConversionToInteger,
        other => {
            let kind = TrapKind::from_u8(other.as_raw().get())?;
            // Only kinds that are mapped to user codes may come back as user codes.
            if trap_code(kind) != other {
                return None;
            }
            kind
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips() {
        for &kind in TrapKind::ALL {
            assert_eq!(trap_kind(trap_code(kind)), Some(kind), "{kind:?}");
        }
    }

    #[test]
    fn user_codes_do_not_collide_with_reserved_codes() {
        for &kind in TrapKind::ALL {
            let code = trap_code(kind);
            let reserved = TrapCode::non_user_traps().contains(&code);
            // Either a reserved code, or exactly the user code of the kind's number.
            assert!(
                reserved || TrapCode::user(kind as u8) == Some(code),
                "{kind:?}"
            );
        }
        let user_codes: Vec<_> = TrapKind::ALL
            .iter()
            .map(|&k| trap_code(k))
            .filter(|c| !TrapCode::non_user_traps().contains(c))
            .collect();
        assert!(
            user_codes
                .iter()
                .all(|c| TrapCode::user(c.as_raw().get()).is_some())
        );
    }
}
