//! `stagec bench` of a program (a module importing WASI or the sightglass hooks): the
//! sightglass convention. Each sample is one run of the program in a fresh instance with
//! a fresh WASI context (its standard output and error captured, never printed), timing
//! the regions between its calls of `bench.start` and `bench.end` (or its whole `_start`,
//! for a program without the hooks). The two builds (specialized on the `--preimport`
//! bindings, and with them as runtime imports) must first exit with status 0 and the same
//! output; then they run interleaved, run by run.

use crate::bench::{Agreement, BenchArgs, BuildTimes, Report, Timed, build_name, json_line};
use crate::program::{self, Stdio};
use crate::{Specialize, link_into};
use anyhow::{Context, Result, bail};
use stagec::{Engine, Linker, Module, Preimports, Store};
use stagec_wasi::{BENCH_MODULE, BenchTimer, WasiError};
use std::time::{Duration, Instant};

/// What one run produced.
#[derive(Debug, PartialEq, Eq)]
struct RunOutput {
    status: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// One build of the program: compiled once, instantiated for every run.
struct ProgramBuild {
    name: &'static str,
    engine: Engine,
    module: Module,
    runtime: Preimports,
    compile: Duration,
    samples: Vec<Duration>,
}

impl ProgramBuild {
    fn new(binary: &[u8], args: &BenchArgs, specialize: Specialize) -> Result<ProgramBuild> {
        let engine = crate::engine()?;
        let start = Instant::now();
        let (module, runtime) = crate::compile(&engine, binary, &args.bindings(specialize))?;
        Ok(ProgramBuild {
            name: build_name(specialize),
            engine,
            module,
            runtime,
            compile: start.elapsed(),
            samples: Vec::new(),
        })
    }

    /// Runs the program once with arguments `argv`; returns what it wrote and the time
    /// `timed` says.
    fn run(
        &self,
        args: &BenchArgs,
        argv: &[String],
        timed: Timed,
    ) -> Result<(RunOutput, Duration)> {
        let context = || format!("{} build", self.name);
        let mut store = Store::new(&self.engine);
        let wasi = args.options.wasi.context(argv, Stdio::Capture)?;
        let timer = BenchTimer::new();
        let mut linker = Linker::new();
        program::define(&mut linker, &mut store, &wasi, Some(&timer))?;
        link_into(&mut store, &mut linker, &self.module, &self.runtime)?;
        let instance = linker
            .instantiate(&mut store, &self.module)
            .with_context(context)?;
        program::initialize(&mut store, &instance).with_context(context)?;
        let start = instance
            .get_func(&store, "_start")
            .ok_or(WasiError::MissingStart)
            .context("use --invoke NAME to time another function")?;
        let began = Instant::now();
        let outcome = start.call(&mut store, &[], &mut []);
        let elapsed = began.elapsed();
        let status = match outcome {
            Ok(()) => 0,
            Err(e) => match e.exit_code() {
                Some(code) => code,
                None => return Err(anyhow::Error::from(e).context(context())),
            },
        };
        let time = match timed {
            Timed::BenchRegion => {
                let regions = timer.regions();
                if regions.is_empty() && status == 0 {
                    bail!("{}: the program never called `bench.start`", context());
                }
                regions.iter().sum()
            }
            Timed::Start | Timed::Call => elapsed,
        };
        let output = RunOutput {
            status,
            stdout: wasi.captured_stdout().unwrap_or_default(),
            stderr: wasi.captured_stderr().unwrap_or_default(),
        };
        Ok((output, time))
    }
}

/// The first line of a program's standard error, for an error message.
fn first_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    match text.lines().next() {
        Some(line) => format!(": {line}"),
        None => String::new(),
    }
}

pub fn bench_program(args: &BenchArgs) -> Result<()> {
    let binary = crate::read_module(&args.file)?;
    let argv: Vec<String> = std::iter::once(args.file.display().to_string())
        .chain(args.args.iter().cloned())
        .collect();
    let mut builds = [
        ProgramBuild::new(&binary, args, Specialize::On)?,
        ProgramBuild::new(&binary, args, Specialize::Off)?,
    ];
    let timed = if builds[0]
        .module
        .imports()
        .any(|(m, _, _)| m == BENCH_MODULE)
    {
        Timed::BenchRegion
    } else {
        Timed::Start
    };

    // Both builds must succeed and agree before anything is timed.
    let (expected, _) = builds[0].run(args, &argv, timed)?;
    if expected.status != 0 {
        bail!(
            "the program exited with status {}{}",
            expected.status,
            first_line(&expected.stderr)
        );
    }
    let (other, _) = builds[1].run(args, &argv, timed)?;
    if other != expected {
        bail!(
            "the builds disagree: the program's exit status or output differs between the \
             specialized build and the one with runtime imports"
        );
    }
    if args.options.check_only {
        if args.options.json {
            let agreed = Agreement {
                file: args.file.display().to_string(),
                invoke: "_start",
                results: vec![expected.status.to_string()],
                same: true,
            };
            println!("{}", json_line(&agreed)?);
        } else {
            println!(
                "specialized and indirection agree: {} exits with status 0 and writes the \
                 same {} bytes of output",
                argv.join(" "),
                expected.stdout.len()
            );
        }
        return Ok(());
    }

    for _ in 0..args.options.warmup {
        for b in &builds {
            b.run(args, &argv, timed)?;
        }
    }
    for run in 0..args.options.runs {
        // Alternate which build goes first, so that drift falls on both alike.
        for i in 0..2 {
            let b = &mut builds[(run + i) % 2];
            let (output, time) = b.run(args, &argv, timed)?;
            if output.status != 0 {
                bail!(
                    "{} build: the program exited with status {}{}",
                    b.name,
                    output.status,
                    first_line(&output.stderr)
                );
            }
            b.samples.push(time);
        }
    }
    let [spec, indir] = &builds;
    let times = [spec, indir].map(|b| BuildTimes::new(&b.samples, 1, b.compile));
    Report::new(args, "_start", timed, vec!["0".into()], 1, times).print(args.options.json)
}
