//! The operator dispatch: [`Dispatch`] implements wasmparser's `VisitOperator` and
//! `VisitSimdOperator`, with one method per operator generated from
//! `for_each_visit_operator!` / `for_each_visit_simd_operator!`. Each method is routed by
//! [`route_operator!`](super::unsupported::route_operator) either to an `unsupported` arm
//! of its proposal or to the [`Translator`] method of the same name in a family file, so
//! an operator that no family handles, or that two handle, does not compile.

use super::{Result, Translator};
use crate::{CodegenError, Unsupported};
use wasmparser::{VisitOperator, VisitSimdOperator};

/// One operator's translation: the translator and the operator's byte offset (for
/// errors).
pub(super) struct Dispatch<'t, 'a, 'm> {
    pub(super) translator: &'t mut Translator<'a, 'm>,
    pub(super) offset: u64,
}

impl Dispatch<'_, '_, '_> {
    /// The error for an operator of a proposal stagec does not translate.
    #[cold]
    fn unsupported(&self, name: &'static str, proposal: &'static str) -> Result<()> {
        Err(CodegenError::at(
            Unsupported::Operator { name, proposal },
            self.offset,
        ))
    }
}

/// What a family method returns: nothing, or a `Result` where translating can fail.
pub(super) trait FamilyOutcome {
    fn into_result(self) -> Result<()>;
}

impl FamilyOutcome for () {
    #[inline]
    fn into_result(self) -> Result<()> {
        Ok(())
    }
}

impl FamilyOutcome for Result<()> {
    #[inline]
    fn into_result(self) -> Result<()> {
        self
    }
}

/// Defines a `VisitOperator` method that calls the family method of the same name.
macro_rules! to_family {
    ($op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident) => {
        #[inline]
        fn $visit(&mut self $($(, $arg: $argty)*)?) -> Self::Output {
            $crate::translate::dispatch::FamilyOutcome::into_result(
                self.translator.$visit($($($arg),*)?),
            )
        }
    };
}
pub(super) use to_family;

/// Routes every operator of a `for_each_visit_*operator!` list.
macro_rules! route_operators {
    ($(
        @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*)
    )*) => {
        $(
            $crate::translate::unsupported::route_operator!(
                @$proposal $op $({ $($arg: $argty),* })? => $visit
            );
        )*
    };
}

impl<'a> VisitOperator<'a> for Dispatch<'_, '_, '_> {
    type Output = Result<()>;

    fn simd_visitor(&mut self) -> Option<&mut dyn VisitSimdOperator<'a, Output = Result<()>>> {
        Some(self)
    }

    wasmparser::for_each_visit_operator!(route_operators);
}

impl<'a> VisitSimdOperator<'a> for Dispatch<'_, '_, '_> {
    wasmparser::for_each_visit_simd_operator!(route_operators);
}
