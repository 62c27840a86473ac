//! Where a compilation's artifacts come from: the compiler, or a serialized compilation
//! being loaded (replayed) without compiling.

use crate::engine::Engine;
use crate::error::{ArtifactError, Result};
use crate::snapshot::Snapshot;
use stagec_codegen::{CompileOptions, CompileUnit};
use stagec_environ::artifact::Artifact;

/// Where a compilation's artifacts come from.
pub(crate) enum ArtifactSource {
    /// The compiler; every artifact made (providers first, in instantiation order, the
    /// module last) is kept, for serialization.
    Compile { produced: Vec<Artifact> },
    /// A serialized compilation: its artifacts in the same order, each loaded against
    /// the fixed addresses of the state re-created for it; with a snapshot, the
    /// providers' start functions are skipped and their state restored from it.
    Replay {
        artifacts: std::vec::IntoIter<Artifact>,
        snapshot: Option<Snapshot>,
    },
}

impl ArtifactSource {
    /// A source that compiles.
    pub(crate) fn compile() -> ArtifactSource {
        ArtifactSource::Compile {
            produced: Vec::new(),
        }
    }

    /// The artifact of `units`: compiled, or the next serialized one with its fixed slots
    /// bound to the addresses of `units`.
    pub(crate) fn artifact(
        &mut self,
        engine: &Engine,
        units: &[CompileUnit<'_>],
        options: &CompileOptions,
    ) -> Result<Artifact> {
        match self {
            ArtifactSource::Compile { produced } => {
                let artifact = engine.compile_units(units, options)?;
                produced.push(artifact.clone());
                Ok(artifact)
            }
            ArtifactSource::Replay { artifacts, .. } => {
                let mut artifact = artifacts.next().ok_or(ArtifactError::TooFewArtifacts)?;
                let fixed = stagec_codegen::fixed_addresses(units);
                if fixed.len() != artifact.fixed.len() {
                    return Err(ArtifactError::FixedAddresses {
                        code: artifact.fixed.len(),
                        state: fixed.len(),
                    }
                    .into());
                }
                artifact.fixed = fixed;
                Ok(artifact)
            }
        }
    }

    /// The snapshot to restore instead of running start functions, when replaying one.
    pub(crate) fn snapshot(&self) -> Option<&Snapshot> {
        match self {
            ArtifactSource::Replay { snapshot, .. } => snapshot.as_ref(),
            ArtifactSource::Compile { .. } => None,
        }
    }

    /// Whether the artifacts come from a serialized compilation.
    pub(crate) fn is_replay(&self) -> bool {
        matches!(self, ArtifactSource::Replay { .. })
    }

    /// Fails when replaying and artifacts are left over: the file and its recipe disagree.
    pub(crate) fn check_exhausted(&self) -> Result<()> {
        match self {
            ArtifactSource::Replay { artifacts, .. } if artifacts.len() > 0 => {
                Err(ArtifactError::TooManyArtifacts.into())
            }
            _ => Ok(()),
        }
    }

    /// The artifacts compiled (empty when replaying).
    pub(crate) fn into_produced(self) -> Vec<Artifact> {
        match self {
            ArtifactSource::Compile { produced } => produced,
            ArtifactSource::Replay { .. } => Vec::new(),
        }
    }
}
