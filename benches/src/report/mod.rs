//! The output of `bench-workloads`: `RESULTS.md` (machine, method, tables), `results.json`
//! (every sample, for scripts) and two SVG plots.

pub mod machine;
mod markdown;
mod plots;

use crate::runner::EngineKind;
use crate::workloads::measure::{Options, WorkloadResult};
use anyhow::{Context, Result};
use machine::Machine;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The plot of each engine's time per workload, relative to stagec indirection.
pub const TIME_PLOT: &str = "time-normalized.svg";
/// The plot of stagec's specialization speedup per workload.
pub const SPEEDUP_PLOT: &str = "specialization-speedup.svg";

/// Everything one run measured, and how.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The command that regenerates the report (run from the repository root).
    pub command: String,
    /// The manifest read.
    pub manifest: String,
    /// The commit of the manifest's directory (see [`machine::commit_of`]).
    pub manifest_commit: String,
    /// Whether `--quick` was given.
    pub quick: bool,
    /// Runs, warm-up calls and whether node ran.
    pub options: Options,
    /// The machine and software.
    pub machine: Machine,
    /// Where the instruction counts come from (with `--counts`; see
    /// [`crate::counts::counter_description`]).
    pub counter: Option<String>,
    /// Per workload, in manifest order.
    pub workloads: Vec<WorkloadResult>,
}

impl Report {
    /// The engines that ran at least one workload, in table order.
    pub fn engines(&self) -> Vec<EngineKind> {
        EngineKind::ALL
            .into_iter()
            .filter(|&e| self.workloads.iter().any(|w| w.engine(e).is_some()))
            .collect()
    }

    /// Writes RESULTS.md, results.json and the plots into `dir`; returns the files written.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let json = dir.join("results.json");
        std::fs::write(&json, serde_json::to_string_pretty(self)? + "\n")
            .with_context(|| format!("writing {}", json.display()))?;
        let time_plot = dir.join(TIME_PLOT);
        plots::time_normalized(self, &time_plot)
            .with_context(|| format!("drawing {}", time_plot.display()))?;
        let speedup_plot = dir.join(SPEEDUP_PLOT);
        plots::specialization_speedup(self, &speedup_plot)
            .with_context(|| format!("drawing {}", speedup_plot.display()))?;
        let md = dir.join("RESULTS.md");
        std::fs::write(&md, markdown::render(self))
            .with_context(|| format!("writing {}", md.display()))?;
        Ok(vec![md, json, time_plot, speedup_plot])
    }
}
