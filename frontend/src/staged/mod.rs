//! Staged modules (DESIGN §2, §3): an ordered list of stages, each a core module plus a
//! kind, in the text format `.swat` and the binary format `.swasm`.
//!
//! This module owns the formats and the stage graph's structure rules
//! ([`StagedModule::validate`]) and finds stage references ([`StagedModule::references`]);
//! resolving a reference to an export of the earlier stage, and everything a stage means at
//! compile and run time, belongs to the engine.

mod binary;
mod text;

pub use binary::{SwasmReader, encode_swasm, is_swasm, parse_swasm};
pub use text::parse_swat;

use crate::{FrontendError, StagedErrorKind};
use std::fmt;

/// When a stage is compiled and how often it can be instantiated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StageKind {
    /// Compile-time stage: instantiated once and run while the staged module is compiled;
    /// its exports are preexports.
    Pre,
    /// Instantiated exactly once per compilation; its instance data is shared by every
    /// later stage.
    Single,
    /// The ordinary wasm case: instantiated any number of times. At most one, and last.
    Multi,
}

impl StageKind {
    /// The kind's code in a `.swasm` stage section.
    pub fn code(self) -> u8 {
        match self {
            StageKind::Pre => 0,
            StageKind::Single => 1,
            StageKind::Multi => 2,
        }
    }

    /// The kind with `.swasm` code `code`, if any.
    pub fn from_code(code: u8) -> Option<StageKind> {
        match code {
            0 => Some(StageKind::Pre),
            1 => Some(StageKind::Single),
            2 => Some(StageKind::Multi),
            _ => None,
        }
    }
}

impl fmt::Display for StageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StageKind::Pre => "pre",
            StageKind::Single => "single",
            StageKind::Multi => "multi",
        })
    }
}

/// One stage of a staged module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    /// The stage's name: later stages import its exports with it as module name.
    pub name: String,
    /// The stage's kind.
    pub kind: StageKind,
    /// The stage's core module (binary format).
    pub module: Vec<u8>,
    /// Byte offset of the stage's section in the `.swasm` it was read from; 0 for `.swat`.
    pub offset: u64,
}

/// A staged module: stages in order, plus the custom sections of its `.swasm` container
/// (not those inside stage modules).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StagedModule {
    /// The stages, in order.
    pub stages: Vec<Stage>,
    /// Container-level custom sections (name, contents), in order.
    pub custom_sections: Vec<(String, Vec<u8>)>,
}

impl StagedModule {
    /// Checks the structure rules, each error naming the stage(s) and import concerned:
    ///
    /// - stage names are non-empty and unique;
    /// - order: any number of `pre`, then `single`s, then at most one `multi`, last;
    /// - every stage's module parses and validates, function bodies included (the error's
    ///   offset is then within that stage's core module);
    /// - an import whose module name is the stage's own name or a later stage's is an
    ///   error: stages may only reference earlier stages.
    ///
    /// Whether a reference names an existing export of the right type is checked when the
    /// staged module is compiled.
    pub fn validate(&self) -> Result<(), FrontendError> {
        self.check_names()?;
        self.check_order()?;
        for stage in &self.stages {
            validate_stage(stage)?;
        }
        for index in 0..self.stages.len() {
            self.references(index)?;
        }
        Ok(())
    }

    /// The stage references of stage `stage`: every import whose module name is the name
    /// of an earlier stage, as (import index, referenced stage index), in import order.
    ///
    /// An import naming the stage itself or a later stage is an error. Only the stage's
    /// import section is read; the rest of its module is not validated here.
    pub fn references(&self, stage: usize) -> Result<Vec<(usize, usize)>, FrontendError> {
        let this = self.stages.get(stage).ok_or_else(|| {
            FrontendError::staged(
                StagedErrorKind::NoSuchStage {
                    index: stage,
                    count: self.stages.len(),
                },
                0,
            )
        })?;
        let mut references = Vec::new();
        for (index, (module, name)) in import_names(this)?.into_iter().enumerate() {
            // The nearest stage of that name: names are unique once `validate` passed.
            let Some(target) = self.stages.iter().rposition(|s| s.name == module) else {
                continue;
            };
            if target < stage {
                references.push((index, target));
                continue;
            }
            return Err(stage_error(
                this,
                StagedErrorKind::ForwardReference {
                    stage: this.name.clone(),
                    module,
                    name,
                    itself: target == stage,
                },
            ));
        }
        Ok(references)
    }

    fn check_names(&self) -> Result<(), FrontendError> {
        for (index, stage) in self.stages.iter().enumerate() {
            if stage.name.is_empty() {
                return Err(stage_error(
                    stage,
                    StagedErrorKind::EmptyName {
                        index,
                        kind: stage.kind,
                    },
                ));
            }
            if let Some(first) = self.stages[..index]
                .iter()
                .position(|s| s.name == stage.name)
            {
                return Err(stage_error(
                    stage,
                    StagedErrorKind::DuplicateName {
                        name: stage.name.clone(),
                        first,
                        second: index,
                    },
                ));
            }
        }
        Ok(())
    }

    fn check_order(&self) -> Result<(), FrontendError> {
        let mut last_single: Option<&Stage> = None;
        let mut multi: Option<&Stage> = None;
        for stage in &self.stages {
            if let Some(multi) = multi {
                return Err(stage_error(
                    stage,
                    StagedErrorKind::AfterMulti {
                        stage: stage.name.clone(),
                        kind: stage.kind,
                        multi: multi.name.clone(),
                    },
                ));
            }
            match stage.kind {
                StageKind::Pre => {
                    if let Some(single) = last_single {
                        return Err(stage_error(
                            stage,
                            StagedErrorKind::PreAfterSingle {
                                stage: stage.name.clone(),
                                single: single.name.clone(),
                            },
                        ));
                    }
                }
                StageKind::Single => last_single = Some(stage),
                StageKind::Multi => multi = Some(stage),
            }
        }
        Ok(())
    }
}

/// An error about a whole stage, located at its section (0 for `.swat`).
fn stage_error(stage: &Stage, kind: StagedErrorKind) -> FrontendError {
    FrontendError::staged(kind, stage.offset)
}

/// An error inside a stage's module, prefixed with the stage's name; the offset stays
/// within the module.
fn in_stage(stage: &Stage, e: impl Into<FrontendError>) -> FrontendError {
    FrontendError::InStage {
        stage: stage.name.clone(),
        source: Box::new(e.into()),
    }
}

/// Parses and fully validates one stage's module.
fn validate_stage(stage: &Stage) -> Result<(), FrontendError> {
    let parsed = crate::parse(stage.module.as_slice()).map_err(|e| in_stage(stage, e))?;
    let mut allocations = wasmparser::FuncValidatorAllocations::default();
    for (func, body) in parsed.validators.into_iter().zip(&parsed.info.bodies) {
        let reader = wasmparser::BinaryReader::new(
            &parsed.bytes[body.range.clone()],
            body.range.start as u64,
        );
        let mut validator = func.into_validator(allocations);
        validator
            .validate(&wasmparser::FunctionBody::new(reader))
            .map_err(|e| in_stage(stage, e))?;
        allocations = validator.into_allocations();
    }
    Ok(())
}

/// (module, name) of every import of a stage, reading only up to its import section.
fn import_names(stage: &Stage) -> Result<Vec<(String, String)>, FrontendError> {
    let mut names = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&stage.module) {
        match payload.map_err(|e| in_stage(stage, e))? {
            wasmparser::Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.map_err(|e| in_stage(stage, e))?;
                    names.push((import.module.to_string(), import.name.to_string()));
                }
                break;
            }
            // Sections are ordered: past these, there is no import section.
            wasmparser::Payload::FunctionSection(_)
            | wasmparser::Payload::TableSection(_)
            | wasmparser::Payload::MemorySection(_)
            | wasmparser::Payload::GlobalSection(_)
            | wasmparser::Payload::ExportSection(_)
            | wasmparser::Payload::CodeSectionStart { .. }
            | wasmparser::Payload::DataSection(_)
            | wasmparser::Payload::End(_) => break,
            _ => {}
        }
    }
    Ok(names)
}
