//! A runner for `.wast` scripts, the format of the WebAssembly spec test suite.
//!
//! Every directive of a script is run against one fresh [`Store`](crate::Store) with the
//! standard `spectest` host module defined. Each command ends up *passed*, *failed* or
//! *skipped*:
//!
//! - A module that stagec rejects as unsupported ([`Error::is_unsupported`]), or that is valid
//!   under every wasmparser feature but not under stagec's feature set
//!   ([`stagec_frontend::FEATURES`]), is skipped, and so is every later command that uses it
//!   (by name, as the current module, or through a name it was registered under).
//! - Commands using values stagec has no type for (GC references) are skipped, as are
//!   directives of other proposals (threads, exceptions, stack switching, custom annotations).
//! - A command that fails only because the module it uses failed is a failure that records
//!   the module's line in [`WastFailure::caused_by`].
//! - A panic inside the engine is caught and counted as a failure of its directive.
//!
//! ```no_run
//! let report = stagec::wast::run_wast_file("testsuite/core/i32.wast");
//! println!("{report}");
//! ```
//!
//! [`Error::is_unsupported`]: crate::Error::is_unsupported

mod run;
mod spectest;
mod values;

use crate::{Config, Engine};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// The outcome of running one script.
#[derive(Clone, Debug, Default)]
pub struct WastReport {
    /// The script's name: its path, or the name given to [`run_wast_source`].
    pub name: String,
    /// Commands that passed.
    pub passed: usize,
    /// Commands that were not run because they need something stagec does not support.
    pub skipped: usize,
    /// Why commands were skipped: reason → count.
    pub skip_reasons: BTreeMap<String, usize>,
    /// Commands that failed, in script order.
    pub failures: Vec<WastFailure>,
}

impl WastReport {
    /// Number of commands that failed.
    pub fn failed(&self) -> usize {
        self.failures.len()
    }

    /// Whether no command failed.
    pub fn is_ok(&self) -> bool {
        self.failures.is_empty()
    }

    /// The one-line summary `NAME: N passed, N failed, N skipped`.
    pub fn summary(&self) -> String {
        format!(
            "{}: {} passed, {} failed, {} skipped",
            self.name,
            self.passed,
            self.failed(),
            self.skipped
        )
    }
}

impl fmt::Display for WastReport {
    /// The summary line, then one indented line per failure.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.summary())?;
        for failure in &self.failures {
            write!(f, "\n  {}:{failure}", self.name)?;
        }
        Ok(())
    }
}

/// One failed command of a script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WastFailure {
    /// 1-based line of the directive.
    pub line: usize,
    /// 1-based column of the directive.
    pub column: usize,
    /// The directive's keyword, e.g. `assert_return`.
    pub directive: &'static str,
    /// What went wrong.
    pub message: String,
    /// When the command failed only because the module it uses failed to compile or
    /// instantiate: the line of that module's directive.
    pub caused_by: Option<usize>,
}

impl fmt::Display for WastFailure {
    /// `LINE:COL: DIRECTIVE: MESSAGE`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.line, self.column, self.directive, self.message
        )
    }
}

/// How a script's modules are compiled: the spec suite is rerun under each configuration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WastConfig {
    /// Bind every `spectest` global a module imports (with the matching immutable type) at
    /// compile time, so the module is compiled specialized on the values; the other imports
    /// stay runtime imports.
    pub preimport_spectest_globals: bool,
    /// Compile every module as the one `single` stage of a staged module, instantiated
    /// while compiling: its imports (spectest, registered instances) are bound at compile
    /// time to the live objects at fixed addresses, and the compiled module re-exports the
    /// stage's exports.
    pub single_stage: bool,
}

impl WastConfig {
    /// The plain configuration: every import is a runtime import.
    pub const PLAIN: WastConfig = WastConfig {
        preimport_spectest_globals: false,
        single_stage: false,
    };
    /// Every `spectest` global import preimported.
    pub const PREIMPORT: WastConfig = WastConfig {
        preimport_spectest_globals: true,
        single_stage: false,
    };
    /// Every module compiled as a `single` stage.
    pub const SINGLE: WastConfig = WastConfig {
        preimport_spectest_globals: false,
        single_stage: true,
    };
}

/// Runs the script in `path` with a default engine.
///
/// A file that cannot be read gives a report with one failure.
pub fn run_wast_file(path: impl AsRef<Path>) -> WastReport {
    let path = path.as_ref();
    let name = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => run_wast_source(&name, &text),
        Err(e) => WastReport::single_failure(&name, "script", format!("cannot read: {e}")),
    }
}

/// Runs the script `text`, called `name` in the report, with a default engine.
pub fn run_wast_source(name: &str, text: &str) -> WastReport {
    match Engine::new(Config::default()) {
        Ok(engine) => run_wast_source_with(&engine, name, text),
        Err(e) => WastReport::single_failure(name, "script", format!("cannot create engine: {e}")),
    }
}

/// Runs the script `text`, called `name` in the report, on `engine`, in a fresh store.
///
/// Wasm code runs on the calling thread: spec scripts recurse deeply, so call this on a
/// thread with a large stack (the `stagec` CLI and the spec test use 64 MiB).
pub fn run_wast_source_with(engine: &Engine, name: &str, text: &str) -> WastReport {
    run::run(engine, WastConfig::PLAIN, name, text)
}

/// [`run_wast_source_with`] under configuration `config`.
pub fn run_wast_source_config(
    engine: &Engine,
    config: WastConfig,
    name: &str,
    text: &str,
) -> WastReport {
    run::run(engine, config, name, text)
}

impl WastReport {
    fn single_failure(name: &str, directive: &'static str, message: String) -> WastReport {
        WastReport {
            name: name.to_string(),
            passed: 0,
            skipped: 0,
            skip_reasons: BTreeMap::new(),
            failures: vec![WastFailure {
                line: 1,
                column: 1,
                directive,
                message,
                caused_by: None,
            }],
        }
    }
}
