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
use stagec_benches::report::Report;
use stagec_benches::report::machine::{self, Machine};
use stagec_benches::workloads::measure::{self, Options, geomean};
use stagec_benches::workloads::{EngineKind, manifest, node};
use std::path::{Path, PathBuf};

const USAGE: &str = "usage: bench-workloads [--runs N] [--warmup N] [--quick] [--filter NAME]... \
[--manifest PATH] [--out DIR] [--no-node]

  --runs N         timed rounds per workload (default 15; --quick: 5)
  --warmup N       untimed calls per engine after the checked first one (default 2; --quick: 1)
  --quick          few rounds, for a first look
  --filter NAME    only workloads whose name contains NAME (repeatable)
  --manifest PATH  the manifest (default: workloads/manifest.toml of the repository)
  --out DIR        where to write RESULTS.md, results.json and the plots
                   (default: benches/results of the repository)
  --no-node        do not run node even if it is on PATH";

struct Args {
    options: Options,
    quick: bool,
    filters: Vec<String>,
    manifest: PathBuf,
    out: PathBuf,
    /// The arguments as given, for the regeneration command.
    given: Vec<String>,
}

/// The repository root (this crate's parent directory).
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benches lives in the workspace")
        .to_path_buf()
}

fn parse_args() -> Result<Args> {
    let given: Vec<String> = std::env::args().skip(1).collect();
    let (mut runs, mut warmup, mut quick, mut no_node) = (None, None, false, false);
    let mut filters = Vec::new();
    let mut manifest = workspace().join("workloads/manifest.toml");
    let mut out = workspace().join("benches/results");
    let mut args = given.iter();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .cloned()
                .with_context(|| format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--runs" => runs = Some(value()?.parse::<usize>().context("--runs")?),
            "--warmup" => warmup = Some(value()?.parse::<usize>().context("--warmup")?),
            "--quick" => quick = true,
            "--filter" => filters.push(value()?),
            "--manifest" => manifest = PathBuf::from(value()?),
            "--out" => out = PathBuf::from(value()?),
            "--no-node" => no_node = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            _ => bail!("unknown argument `{arg}`\n{USAGE}"),
        }
    }
    let runs = runs.unwrap_or(if quick { 5 } else { 15 });
    if runs == 0 {
        bail!("--runs must be at least 1");
    }
    let warmup = warmup.unwrap_or(if quick { 1 } else { 2 });
    Ok(Args {
        options: Options {
            runs,
            warmup,
            node_warmup: warmup.max(3),
            node: !no_node,
        },
        quick,
        filters,
        manifest,
        out,
        given,
    })
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
    let args = parse_args()?;
    let mut workloads = manifest::load(&args.manifest)?;
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
    let mut options = args.options.clone();
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
    let manifest = std::path::absolute(&args.manifest)
        .ok()
        .and_then(|p| p.strip_prefix(workspace()).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| args.manifest.clone());
    let manifest_dir = args.manifest.parent().filter(|d| !d.as_os_str().is_empty());
    let report = Report {
        command: command(&args.given),
        manifest: manifest.display().to_string(),
        manifest_commit: machine::commit_of(manifest_dir.unwrap_or(Path::new(".")), &[]),
        quick: args.quick,
        options,
        machine,
        workloads: results,
    };
    for file in report.write(&args.out)? {
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
