//! What machine and software a run was made on.

use serde::Serialize;
use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// The machine, the toolchain and the commit measured.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    /// `model name` of /proc/cpuinfo.
    pub cpu: String,
    /// Logical CPUs available to the process.
    pub cores: usize,
    /// PRETTY_NAME of /etc/os-release, and the kernel release.
    pub os: String,
    /// `rustc --version`.
    pub rustc: String,
    /// `node --version`, if node ran.
    pub node: Option<String>,
    /// The wasmtime version in Cargo.lock.
    pub wasmtime: String,
    /// UTC, `YYYY-MM-DD HH:MM`.
    pub date: String,
    /// `git rev-parse --short HEAD`, with `-dirty` if files other than the results differ.
    pub commit: String,
    /// The load average (1, 5, 15 minutes) when the run started.
    pub load: String,
}

impl Machine {
    /// Collects everything from the running system; `workspace` is the repository root.
    pub fn collect(workspace: &Path, node: Option<String>) -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| {
                let (key, value) = l.split_once(':')?;
                (key.trim() == "model name").then(|| value.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
        let pretty = os_release
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|v| v.trim_matches('"').to_string())
            .unwrap_or_else(|| std::env::consts::OS.to_string());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|k| format!(", Linux {}", k.trim()))
            .unwrap_or_default();
        let load = std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "unknown".into());
        Machine {
            cpu,
            cores,
            os: format!("{pretty}{kernel}"),
            rustc: output("rustc", &["--version"], workspace).unwrap_or_else(|| "unknown".into()),
            node,
            wasmtime: locked_version(workspace, "wasmtime").unwrap_or_else(|| "unknown".into()),
            date: utc_now(),
            commit: commit(workspace),
            load,
        }
    }
}

/// The trimmed stdout of a successful command.
fn output(program: &str, args: &[&str], dir: &Path) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn commit(workspace: &Path) -> String {
    commit_of(workspace, &[":!benches/results"])
}

/// The commit checked out at `dir` (`git rev-parse --short HEAD`), with `-dirty` if files
/// under `dir` other than those `excluded` (git pathspecs) differ from it or are untracked.
pub fn commit_of(dir: &Path, excluded: &[&str]) -> String {
    let Some(head) = output("git", &["rev-parse", "--short=12", "HEAD"], dir) else {
        return "unknown".into();
    };
    let mut args = vec!["status", "--porcelain", "--", "."];
    args.extend_from_slice(excluded);
    match output("git", &args, dir) {
        Some(s) if !s.is_empty() => format!("{head}-dirty"),
        _ => head,
    }
}

/// The version of `package` recorded in the workspace's Cargo.lock.
fn locked_version(workspace: &Path, package: &str) -> Option<String> {
    let lock = std::fs::read_to_string(workspace.join("Cargo.lock")).ok()?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{package}\"") {
            let version = lines.next()?.strip_prefix("version = ")?;
            return Some(version.trim_matches('"').to_string());
        }
    }
    None
}

/// The current UTC time as `YYYY-MM-DD HH:MM UTC`.
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }
}
