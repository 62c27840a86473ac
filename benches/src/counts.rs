//! Instruction counts of timed regions, for `--counts`: the deterministic figure beside
//! every wall-time ratio.
//!
//! The development machine (a KVM guest) has no hardware performance counters (`perf stat
//! -e instructions` answers "not supported"), so the counts come from valgrind's callgrind:
//! `Ir`, the instructions the simulated x86-64 CPU executed, which do not depend on the
//! machine's load, frequency or code placement. A benchmark binary re-runs itself under
//! `valgrind --tool=callgrind --instr-atstart=no` with a child flag ([`Callgrind::run`]);
//! the child builds every variant without instrumentation (so compiling costs only
//! valgrind's base slowdown), makes the checked first call and a warm-up call, and
//! wraps one more call in [`region`]: instrumentation on, statistics zeroed, the call,
//! the statistics dumped under the region's label, instrumentation off. The parent reads
//! one dump per region. A region counts everything the call executes: the engine's entry
//! path, the compiled code and whatever it calls (builtins, host functions).

use crate::runner::{EngineKind, Runner};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Callgrind's client requests (valgrind/callgrind.h: `VG_USERREQ_TOOL_BASE('C','T')` + n).
#[derive(Clone, Copy)]
#[repr(usize)]
enum Request {
    ZeroStats = 0x4354_0001,
    DumpStatsAt = 0x4354_0003,
    StartInstrumentation = 0x4354_0004,
    StopInstrumentation = 0x4354_0005,
    /// valgrind.h's `VG_USERREQ__RUNNING_ON_VALGRIND` (answers the nesting depth).
    RunningOnValgrind = 0x1001,
}

/// Makes a valgrind client request: the magic instruction sequence of valgrind.h for
/// amd64, a no-op (answering `default`) on a real CPU.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn client_request(request: Request, arg1: usize) -> usize {
    let args: [usize; 6] = [request as usize, arg1, 0, 0, 0, 0];
    let default = 0usize;
    let result: usize;
    // SAFETY: the four rotations of rdi add up to 128 bits (rdi is unchanged, and declared
    // clobbered anyway) and `xchg rbx, rbx` changes nothing: natively the sequence has no
    // effect. Under valgrind it is the client-request marker; valgrind reads the six words
    // at rax (which live until the asm returns) and answers in rdx.
    unsafe {
        std::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            inout("rdx") default => result,
            in("rax") args.as_ptr(),
            inout("rdi") 0usize => _,
            options(nostack),
        );
    }
    result
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn client_request(_request: Request, _arg1: usize) -> usize {
    0
}

/// Whether this process runs under valgrind.
pub fn running_on_valgrind() -> bool {
    client_request(Request::RunningOnValgrind, 0) != 0
}

/// Runs `f` as a counted region called `label` (under callgrind; natively just `f`).
/// `label` names the region's dump and must be one line.
pub fn region<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let label = std::ffi::CString::new(label.replace('\n', " ")).expect("labels have no NUL");
    client_request(Request::StartInstrumentation, 0);
    client_request(Request::ZeroStats, 0);
    let result = std::hint::black_box(f());
    client_request(Request::DumpStatsAt, label.as_ptr() as usize);
    client_request(Request::StopInstrumentation, 0);
    result
}

/// The counted regions of one child run: (label, instructions), in the order they ran.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts(pub Vec<(String, u64)>);

impl Counts {
    /// The count of region `label`.
    pub fn get(&self, label: &str) -> Option<u64> {
        self.0.iter().find(|(l, _)| l == label).map(|&(_, n)| n)
    }
}

/// What the machine can count with, as written into the results: the counter's name and
/// version.
pub fn counter_description() -> Option<String> {
    let out = Command::new("valgrind").arg("--version").output().ok()?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    out.status.success().then(|| {
        format!(
            "callgrind `Ir` ({version}): instructions executed by the simulated x86-64 CPU in \
             one call, counted by `valgrind --tool=callgrind` (the machine has no hardware \
             counters)"
        )
    })
}

/// Runs the current executable under callgrind.
pub struct Callgrind {
    dir: PathBuf,
}

impl Callgrind {
    /// A scratch directory for the dumps, removed on drop.
    pub fn new() -> Result<Callgrind> {
        let dir = std::env::temp_dir().join(format!("stagec-counts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Callgrind { dir })
    }

    /// Runs this executable with `args` under callgrind (instrumentation off but in
    /// [`region`]s) and returns the regions' counts. Fails if valgrind is missing, the
    /// child fails, or it counted nothing.
    pub fn run(&self, args: &[String]) -> Result<Counts> {
        let exe = std::env::current_exe().context("the benchmark's own executable")?;
        let out = self.dir.join("callgrind.out");
        let status = Command::new("valgrind")
            .args([
                "--tool=callgrind",
                "--instr-atstart=no",
                "--dump-instr=no",
                "--dump-line=no",
                "--compress-strings=no",
                "--compress-pos=no",
                "--quiet",
            ])
            .arg(format!("--callgrind-out-file={}", out.display()))
            .arg(&exe)
            .args(args)
            .status()
            .context("running valgrind (is it installed? `apt-get install valgrind`)")?;
        if !status.success() {
            bail!("the counting run under callgrind failed ({status})");
        }
        let counts = read_dumps(&self.dir)?;
        if counts.0.is_empty() {
            bail!("the counting run under callgrind counted no region");
        }
        Ok(counts)
    }
}

impl Drop for Callgrind {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The regions' counts in the callgrind dumps of `dir` (`callgrind.out.N`, N the dump's
/// number, in order), emptying it.
fn read_dumps(dir: &Path) -> Result<Counts> {
    let mut dumps = Vec::new();
    for item in std::fs::read_dir(dir)? {
        let path = item?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let number = name
            .as_deref()
            .and_then(|n| n.strip_prefix("callgrind.out."))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(number) = number {
            dumps.push((number, path));
        } else {
            // The final dump at exit (`callgrind.out`, outside every region).
            let _ = std::fs::remove_file(&path);
        }
    }
    dumps.sort();
    let mut counts = Vec::new();
    for (_, path) in dumps {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let _ = std::fs::remove_file(&path);
        if let Some(count) = parse_dump(&text) {
            counts.push(count);
        }
    }
    Ok(Counts(counts))
}

/// The label and total `Ir` of one callgrind dump made by [`region`]; `None` for a dump
/// with another trigger.
fn parse_dump(text: &str) -> Option<(String, u64)> {
    let label = text
        .lines()
        .find_map(|l| l.strip_prefix("desc: Trigger: Client Request: "))?;
    let total = text
        .lines()
        .find_map(|l| l.strip_prefix("totals: "))
        .or_else(|| text.lines().find_map(|l| l.strip_prefix("summary: ")))?;
    let ir = total.split_whitespace().next()?.parse().ok()?;
    Some((label.trim().to_string(), ir))
}

/// The label of the region of `engine` running `what` (a kernel or workload).
pub fn label(what: &str, engine: EngineKind) -> String {
    format!("{what}\t{}", engine.name())
}

/// The child's part: for every runner, a call checked against `expected`, a warm-up call,
/// then one call as the region [`label`]`(what, engine)`, checked again.
pub fn count_runners(
    what: &str,
    runners: &mut [(EngineKind, Box<dyn Runner>)],
    args: &[i32],
    expected: i64,
) -> Result<()> {
    for (engine, runner) in runners {
        for call in ["first", "warm-up"] {
            let sum = runner.call(args)?;
            if sum != expected {
                bail!(
                    "{what}: {} returned {sum} in the {call} call, expected {expected}",
                    engine.label()
                );
            }
        }
        let sum = region(&label(what, *engine), || runner.call(args))?;
        if sum != expected {
            bail!(
                "{what}: {} returned {sum} in the counted call, expected {expected}",
                engine.label()
            );
        }
    }
    Ok(())
}

/// `a / b` of two counts, for the ratio columns.
pub fn ratio(a: u64, b: u64) -> f64 {
    a as f64 / b.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natively_a_region_is_the_call() {
        assert!(!running_on_valgrind());
        assert_eq!(region("label", || 41 + 1), 42);
    }

    #[test]
    fn dumps_give_label_and_total() {
        let dump = "# callgrind format\nversion: 1\ncreator: callgrind-3.19.0\npart: 1\n\
                    desc: Trigger: Client Request: sha\tstagec-spec\n\nevents: Ir\n\
                    summary: 1234\nfn=(1) f\n0 1234\ntotals: 1234\n";
        assert_eq!(parse_dump(dump), Some(("sha\tstagec-spec".into(), 1234)));
        let at_exit = "desc: Trigger: Program termination\ntotals: 99\n";
        assert_eq!(parse_dump(at_exit), None);
        let dir = std::env::temp_dir().join(format!("stagec-counts-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("callgrind.out.2"), dump.replace("1234", "7")).unwrap();
        std::fs::write(dir.join("callgrind.out.1"), dump).unwrap();
        std::fs::write(dir.join("callgrind.out"), at_exit).unwrap();
        let counts = read_dumps(&dir).unwrap();
        assert_eq!(counts.0.len(), 2);
        assert_eq!(counts.0[0].1, 1234, "dumps are read in their order");
        assert_eq!(counts.get("sha\tstagec-spec"), Some(1234));
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "dumps are removed"
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(ratio(300, 200), 1.5);
    }
}
