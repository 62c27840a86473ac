//! Runs every workload of `workloads/manifest.toml` on stagec specialized, stagec with
//! runtime imports, wasmtime (generic and hand-specialized) and node (V8), checks every
//! result against the manifest's checksum, and writes `benches/results/`: RESULTS.md,
//! results.json and SVG plots (format: benches/README.md).
//!
//! ```sh
//! cargo run --release -p stagec-benches --bin bench-workloads -- [--runs N] [--quick]
//!     [--filter NAME]... [--manifest PATH] [--out DIR] [--warmup N] [--no-node]
//! ```

use anyhow::{Context, Result, bail};
use clap::Parser;
use stagec_benches::cli::positive;
use stagec_benches::counts;
use stagec_benches::report::Report;
use stagec_benches::report::machine::{self, Machine};
use stagec_benches::runner::{EngineKind, node};
use stagec_benches::stats::geomean;
use stagec_benches::workloads::manifest;
use stagec_benches::workloads::measure::{self, Options};
use std::path::{Path, PathBuf};

/// Runs the workloads of a manifest on stagec (specialized and with runtime imports),
/// wasmtime (generic and hand-specialized) and node, checks every result against the
/// manifest's checksum and writes RESULTS.md, results.json and SVG plots.
#[derive(Debug, Parser)]
struct Args {
    /// Timed rounds per workload [default: 15; with --quick: 5]
    #[arg(long, value_name = "N", value_parser = positive)]
    runs: Option<usize>,
    /// Untimed calls per engine after the checked first one [default: 2; with --quick: 1]
    #[arg(long, value_name = "N")]
    warmup: Option<usize>,
    /// Few rounds, for a first look
    #[arg(long)]
    quick: bool,
    /// Only workloads whose name contains NAME (repeatable)
    #[arg(long = "filter", value_name = "NAME")]
    filters: Vec<String>,
    /// The manifest [default: workloads/manifest.toml of the repository]
    #[arg(long, value_name = "PATH")]
    manifest: Option<PathBuf>,
    /// Where to write RESULTS.md, results.json and the plots [default: benches/results of
    /// the repository]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Do not run node even if it is on PATH
    #[arg(long)]
    no_node: bool,
    /// Also count the instructions of one call per in-process engine (callgrind; slow:
    /// every workload is compiled and called again under valgrind)
    #[arg(long)]
    counts: bool,
    /// Internal: the counting run under callgrind (see `stagec_benches::counts`)
    #[arg(long, hide = true)]
    count_child: bool,
}

impl Args {
    /// How to measure: the defaults filled in.
    fn options(&self) -> Options {
        let runs = self.runs.unwrap_or(if self.quick { 5 } else { 15 });
        let warmup = self.warmup.unwrap_or(if self.quick { 1 } else { 2 });
        Options {
            runs,
            warmup,
            node_warmup: warmup.max(3),
            node: !self.no_node,
        }
    }
}

/// The repository root (this crate's parent directory).
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benches lives in the workspace")
        .to_path_buf()
}

/// The command that regenerates the results, run from the repository root.
fn command(given: &[String]) -> String {
    let root = workspace();
    let mut args: Vec<String> = Vec::new();
    for (i, a) in given.iter().enumerate() {
        let is_path = i > 0 && matches!(given[i - 1].as_str(), "--manifest" | "--out");
        // Paths inside the repository are written relative to its root, others absolute.
        let text = match std::path::absolute(a) {
            Ok(path) if is_path => path
                .strip_prefix(&root)
                .unwrap_or(&path)
                .display()
                .to_string(),
            _ => a.clone(),
        };
        let plain = !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:@+,".contains(c));
        args.push(if plain {
            text
        } else {
            format!("'{}'", text.replace('\'', r"'\''"))
        });
    }
    let mut command = "cargo run --release -p stagec-benches --bin bench-workloads".to_string();
    if !args.is_empty() {
        command.push_str(" -- ");
        command.push_str(&args.join(" "));
    }
    command
}

fn main() -> Result<()> {
    // The arguments as given, for the regeneration command.
    let given: Vec<String> = std::env::args().skip(1).collect();
    let args = Args::parse();
    let manifest_path = args
        .manifest
        .clone()
        .unwrap_or_else(|| workspace().join("workloads/manifest.toml"));
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| workspace().join("benches/results"));
    let mut workloads = manifest::load(&manifest_path)?;
    if !args.filters.is_empty() {
        let names: Vec<String> = workloads.iter().map(|w| w.name.clone()).collect();
        workloads.retain(|w| args.filters.iter().any(|f| w.name.contains(f.as_str())));
        if workloads.is_empty() {
            bail!(
                "no workload matches {} (workloads: {})",
                args.filters.join(", "),
                names.join(", ")
            );
        }
    }
    if args.count_child {
        if !counts::running_on_valgrind() {
            bail!("--count-child runs under callgrind, started by --counts");
        }
        for workload in &workloads {
            measure::count(workload).with_context(|| format!("workload `{}`", workload.name))?;
        }
        return Ok(());
    }
    let mut options = args.options();
    let node_version = if options.node { node::version() } else { None };
    if options.node && node_version.is_none() {
        eprintln!("node is not on PATH: V8 is not measured");
        options.node = false;
    }
    let machine = Machine::collect(&workspace(), node_version);
    let scratch = node::Scratch::new()?;
    let mut results = Vec::new();
    let count = workloads.len();
    for (i, workload) in workloads.iter().enumerate() {
        let progress = format!("[{}/{count}] {}:", i + 1, workload.name);
        let result = measure::measure(workload, &options, &scratch, &progress)
            .with_context(|| format!("workload `{}`", workload.name))?;
        results.push(result);
    }
    let counter = if args.counts {
        let mut child = vec!["--count-child".to_string(), "--manifest".to_string()];
        child.push(manifest_path.display().to_string());
        for f in &args.filters {
            child.extend(["--filter".to_string(), f.clone()]);
        }
        eprintln!("counting instructions under callgrind ...");
        let counted = counts::Callgrind::new()?.run(&child)?;
        measure::add_counts(&mut results, &counted)?;
        counts::counter_description()
    } else {
        None
    };
    let manifest = std::path::absolute(&manifest_path)
        .ok()
        .and_then(|p| p.strip_prefix(workspace()).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| manifest_path.clone());
    let manifest_dir = manifest_path.parent().filter(|d| !d.as_os_str().is_empty());
    let report = Report {
        command: command(&given),
        manifest: manifest.display().to_string(),
        manifest_commit: machine::commit_of(manifest_dir.unwrap_or(Path::new(".")), &[]),
        quick: args.quick,
        options,
        machine,
        counter,
        workloads: results,
    };
    for file in report.write(&out)? {
        println!("wrote {}", file.display());
    }
    for engine in [
        EngineKind::StagecIndir,
        EngineKind::Wasmtime,
        EngineKind::WasmtimeHand,
        EngineKind::Node,
    ] {
        let speedups = report.workloads.iter().filter_map(|w| w.speedup(engine));
        if let Some(g) = geomean(speedups) {
            println!(
                "geomean speedup of stagec spec over {}: {g:.2}x",
                engine.label()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use stagec_benches::cli::try_parse;

    fn options(args: &[&str]) -> Options {
        try_parse::<Args>(args).unwrap().options()
    }

    #[test]
    fn flags_and_defaults() {
        let o = options(&[]);
        assert_eq!((o.runs, o.warmup, o.node_warmup, o.node), (15, 2, 3, true));
        let o = options(&["--quick"]);
        assert_eq!((o.runs, o.warmup, o.node_warmup), (5, 1, 3));
        // Explicit counts win over --quick.
        let o = options(&["--quick", "--runs", "7", "--warmup", "4", "--no-node"]);
        assert_eq!((o.runs, o.warmup, o.node_warmup, o.node), (7, 4, 4, false));
        let args = try_parse::<Args>(&[
            "--filter",
            "sha",
            "--filter=png",
            "--manifest",
            "m.toml",
            "--out",
            "o",
        ])
        .unwrap();
        assert_eq!(args.filters, ["sha", "png"]);
        assert_eq!(args.manifest, Some(PathBuf::from("m.toml")));
        assert_eq!(args.out, Some(PathBuf::from("o")));
        assert!(!args.counts && !args.count_child);
        assert!(try_parse::<Args>(&["--counts"]).unwrap().counts);
        assert!(try_parse::<Args>(&["--runs", "0"]).is_err());
    }
}
