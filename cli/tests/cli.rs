//! Tests of the `stagec` command line.
//!
//! Snapshot tests: every `tests/cli/*.wat`, `*.wast` or `*.swat` file has `;; RUN: ARGS`
//! lines (`%` stands for the file; `%t` in an argument for a path prefix in a scratch
//! directory, for outputs such as `pack % -o %t.swasm`). Each is run with `tests/cli` as
//! working directory, and the exit status, stdout and stderr of all runs are compared with
//! `FILE.snap`. Regenerate the
//! snapshots with `STAGEC_BLESS=1 cargo test -p stagec-cli --test cli`.
//!
//! Every run, snapshot or not, must also behave: no panic, and an error is exactly one line
//! `error: FILE: message` on stderr with a non-zero exit status.
//!
//! `tests/cli/programs` holds the snapshots of programs (modules importing WASI or the
//! bench hooks), run with that directory as working directory. Their status is the
//! program's own, their stderr the program's too, and after a trap the `error:` line is
//! followed by the wasm backtrace: they only must not panic or die of a signal, and an
//! `error:` line may only be followed by backtrace lines.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const STAGEC: &str = env!("CARGO_BIN_EXE_stagec");

fn cli_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli")
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli lives in the workspace")
        .to_path_buf()
}

fn stagec(dir: &Path, args: &[&str]) -> Output {
    Command::new(STAGEC)
        .args(args)
        .current_dir(dir)
        // Runs cache what they compile: in a scratch directory, never the user's cache.
        .env("XDG_CACHE_HOME", scratch("xdg-cache"))
        .output()
        .expect("run stagec")
}

/// Checks the rules every run follows; `file` must be named in any error message.
fn check_behaviour(output: &Output, file: &str, what: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{what}: panicked:\n{stderr}");
    if let Some(code) = output.status.code() {
        assert!(
            code == 0 || code == 1,
            "{what}: exit status {code}\n{stderr}"
        );
    } else {
        panic!("{what}: killed by a signal: {:?}\n{stderr}", output.status);
    }
    if !output.status.success() && !what.contains(" wast ") {
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{what}: stderr is not one line:\n{stderr}");
        assert!(
            lines[0].starts_with(&format!("error: {file}: ")),
            "{what}: stderr does not start with `error: {file}: `:\n{stderr}"
        );
    }
}

/// Runs one failing command; returns its one-line error message.
fn expect_error(dir: &Path, args: &[&str], file: &str) -> String {
    let what = format!("stagec {}", args.join(" "));
    let output = stagec(dir, args);
    assert!(!output.status.success(), "{what}: succeeded");
    check_behaviour(&output, file, &what);
    String::from_utf8_lossy(&output.stderr)
        .trim_end()
        .to_string()
}

fn expect_stdout(dir: &Path, args: &[&str]) -> String {
    let what = format!("stagec {}", args.join(" "));
    let output = stagec(dir, args);
    check_behaviour(&output, "", &what);
    assert!(
        output.status.success(),
        "{what}: failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn snapshots() {
    check_snapshots(&cli_dir(), "snapshots", check_behaviour);
}

#[test]
fn program_snapshots() {
    check_snapshots(
        &cli_dir().join("programs"),
        "program-snapshots",
        check_program_behaviour,
    );
}

/// The rules a run of a program follows (see the module's doc).
fn check_program_behaviour(output: &Output, _file: &str, what: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{what}: panicked:\n{stderr}");
    assert!(
        output.status.code().is_some(),
        "{what}: killed by a signal: {:?}\n{stderr}",
        output.status
    );
    let mut lines = stderr.lines().skip_while(|l| !l.starts_with("error: "));
    if lines.next().is_some() {
        let rest: Vec<&str> = lines.collect();
        if let Some((first, frames)) = rest.split_first() {
            assert_eq!(*first, "wasm backtrace:", "{what}:\n{stderr}");
            assert!(!frames.is_empty(), "{what}: a backtrace without frames");
            assert!(
                frames.iter().all(|l| l.contains(" - ")),
                "{what}: not a backtrace:\n{stderr}"
            );
        }
    }
}

/// Runs the `;; RUN:` lines of every input in `dir` and compares with the snapshots
/// (see the module's doc); `check` is the rule every run follows.
fn check_snapshots(dir: &Path, label: &str, check: fn(&Output, &str, &str)) {
    let bless = std::env::var_os("STAGEC_BLESS").is_some_and(|v| v != "0");
    let scratch = scratch(label);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("snapshot directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "wat" || e == "wast" || e == "swat")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no snapshot inputs in {}", dir.display());
    let mut mismatches = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let source = std::fs::read_to_string(path).expect("read input");
        let mut actual = String::new();
        let runs: Vec<&str> = source
            .lines()
            .filter_map(|l| l.trim().strip_prefix(";; RUN:"))
            .map(str::trim)
            .collect();
        assert!(!runs.is_empty(), "{name}: no `;; RUN:` line");
        for run in runs {
            let args: Vec<String> = run
                .split_whitespace()
                .map(|a| {
                    if a == "%" {
                        name.clone()
                    } else {
                        let prefix = scratch.join(&name);
                        a.replace("%t", &prefix.to_string_lossy())
                    }
                })
                .collect();
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let what = format!("{name}: stagec {run}");
            let output = stagec(dir, &args);
            check(&output, &name, &what);
            let _ = writeln!(actual, "== stagec {run}");
            let _ = writeln!(actual, "-- status: {}", output.status.code().unwrap_or(-1));
            let _ = writeln!(actual, "-- stdout");
            actual.push_str(&String::from_utf8_lossy(&output.stdout));
            let _ = writeln!(actual, "-- stderr");
            actual.push_str(&String::from_utf8_lossy(&output.stderr));
        }
        let snap = path.with_file_name(format!("{name}.snap"));
        if bless {
            std::fs::write(&snap, &actual).expect("write snapshot");
            continue;
        }
        match std::fs::read_to_string(&snap) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => mismatches.push(format!(
                "{}: snapshot differs\n--- expected\n{expected}--- actual\n{actual}",
                snap.display()
            )),
            Err(_) => mismatches.push(format!("{}: missing snapshot", snap.display())),
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(
        mismatches.is_empty(),
        "{}\n(rerun with STAGEC_BLESS=1 to accept the new output)",
        mismatches.join("\n")
    );
}

/// `--inherit-env` passes stagec's whole environment; `--env NAME=VALUE` takes
/// precedence over it, and `--env NAME` passes stagec's own value of NAME alone.
#[test]
fn program_environment_from_stagec() {
    let dir = cli_dir().join("programs");
    let run = |args: &[&str]| {
        let output = Command::new(STAGEC)
            .args(args)
            .current_dir(&dir)
            .env("STAGEC_PROBE", "inherited")
            .env("STAGEC_OTHER", "other")
            .env("XDG_CACHE_HOME", scratch("xdg-cache"))
            .output()
            .expect("run stagec");
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        stdout
            .lines()
            .filter(|l| l.starts_with("env: STAGEC_"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let mut inherited = run(&["run", "--inherit-env", "echo.wat"]);
    inherited.sort();
    assert_eq!(
        inherited,
        ["env: STAGEC_OTHER=other", "env: STAGEC_PROBE=inherited"]
    );
    let mut overridden = run(&[
        "run",
        "--inherit-env",
        "--env",
        "STAGEC_PROBE=given",
        "echo.wat",
    ]);
    overridden.sort();
    assert_eq!(
        overridden,
        ["env: STAGEC_OTHER=other", "env: STAGEC_PROBE=given"]
    );
    assert_eq!(
        run(&["run", "--env", "STAGEC_PROBE", "echo.wat"]),
        ["env: STAGEC_PROBE=inherited"]
    );
    assert!(
        run(&["run", "echo.wat"]).is_empty(),
        "the environment is empty by default"
    );
}

#[test]
fn bundled_examples() {
    let root = workspace_root();
    // The README's first command: a bundled WASI program on a bundled file.
    let html = expect_stdout(
        &root,
        &[
            "run",
            "--dir",
            "wasi/programs/inputs::/in",
            "wasi/programs/rust/markdown.wasm",
            "/in/guide.md",
        ],
    );
    assert!(
        html.starts_with("<h1>stagec and WASI: a field guide</h1>\n"),
        "{html}"
    );
    assert_eq!(html.matches("<h2>").count(), 4, "{html}");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    assert!(
        readme.contains(
            "cargo run --release -p stagec-cli -- run --dir wasi/programs/inputs::/in \
             wasi/programs/rust/markdown.wasm /in/guide.md"
        ),
        "the README's first command is the one tested here"
    );
    let fib = expect_stdout(&root, &["run", "examples/fib.wat", "--invoke", "fib", "20"]);
    assert_eq!(fib, "6765\n");
    let fib_iter = expect_stdout(
        &root,
        &["run", "examples/fib.wat", "--invoke", "fib_iter", "90"],
    );
    assert_eq!(fib_iter, "2880067194370816120\n");
    let main = expect_stdout(&root, &["run", "examples/fib.wat"]);
    assert_eq!(main, "55\n");
    let sum = expect_stdout(
        &root,
        &["run", "examples/sum.wat", "--invoke", "sum_to", "100"],
    );
    assert_eq!(sum, "5050\n");
    let avg = expect_stdout(
        &root,
        &[
            "run",
            "examples/sum.wat",
            "--invoke",
            "average",
            "1.5",
            "2.5",
        ],
    );
    assert_eq!(avg, "2\n");
    let divmod = expect_stdout(
        &root,
        &["run", "examples/sum.wat", "--invoke", "divmod", "-7", "2"],
    );
    assert_eq!(divmod, "-3\n-1\n");
    let err = expect_error(
        &root,
        &["run", "examples/sum.wat", "--invoke", "div", "7", "0"],
        "examples/sum.wat",
    );
    assert!(err.contains("integer divide by zero"), "{err}");
    assert!(err.contains("0x"), "{err}");
}

/// A scratch directory for generated inputs.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stagec-cli-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

#[test]
fn malformed_binaries() {
    let dir = scratch("malformed");
    let cases: [(&str, &[u8]); 5] = [
        ("empty.wasm", b""),
        ("truncated-header.wasm", b"\0asm\x01\0"),
        ("bad-version.wasm", b"\0asm\x02\0\0\0"),
        ("truncated-section.wasm", b"\0asm\x01\0\0\0\x01\x10\x01"),
        ("garbage.wasm", b"\0asm\x01\0\0\0\xff\xff\xff\xff\xff\xff"),
    ];
    for (name, bytes) in cases {
        std::fs::write(dir.join(name), bytes).expect("write input");
        let err = expect_error(&dir, &["run", name], name);
        assert!(err.contains("0x"), "{name}: no offset in `{err}`");
    }
    // `.wasm` files are binary even when they hold text.
    std::fs::write(dir.join("text.wasm"), "(module)").expect("write input");
    let err = expect_error(&dir, &["run", "text.wasm"], "text.wasm");
    assert!(err.contains("0x0"), "{err}");
    // Neither binary nor text.
    std::fs::write(dir.join("noise.bin"), [0xc3u8, 0x28, 0xa0, 0xa1]).expect("write input");
    expect_error(&dir, &["run", "noise.bin"], "noise.bin");
    // Missing file.
    let err = expect_error(&dir, &["run", "missing.wat"], "missing.wat");
    assert!(err.contains("missing.wat"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage_errors_name_the_problem() {
    let root = workspace_root();
    let file = "examples/fib.wat";
    let err = expect_error(&root, &["run", file, "--invoke", "nope"], file);
    assert!(err.contains("`nope`") && err.contains("fib"), "{err}");
    let err = expect_error(&root, &["run", file, "--invoke", "fib"], file);
    assert!(err.contains("1 argument"), "{err}");
    let err = expect_error(&root, &["run", file, "--invoke", "fib", "1", "2"], file);
    assert!(err.contains("2 given"), "{err}");
    let err = expect_error(&root, &["run", file, "--invoke", "fib", "ten"], file);
    assert!(err.contains("invalid i32 `ten`"), "{err}");
    let err = expect_error(
        &root,
        &["run", file, "--invoke", "fib", "0x1_0000_0000"],
        file,
    );
    assert!(err.contains("invalid i32"), "{err}");
}

#[test]
fn staged_binaries() {
    let dir = scratch("staged");
    let swat = r#"(staged
        (stage $layout pre (module (global (export "off") i32 (i32.const 8))))
        (stage $main multi (module (import "layout" "off" (global i32)))))"#;
    std::fs::write(dir.join("two.swat"), swat).expect("write input");
    // Without -o, `pack` writes next to the input; the result inspects like the text.
    expect_stdout(&dir, &["pack", "two.swat"]);
    let packed = std::fs::read(dir.join("two.swasm")).expect("pack wrote two.swasm");
    assert!(packed.starts_with(b"\0asm\x01\x00\x53\x47"));
    assert_eq!(
        expect_stdout(&dir, &["inspect", "two.swasm"]),
        expect_stdout(&dir, &["inspect", "two.swat"])
    );
    // A `.swasm` input needs an explicit output.
    let err = expect_error(&dir, &["pack", "two.swasm"], "two.swasm");
    assert!(err.contains("-o"), "{err}");
    // Files named otherwise are recognised by their header.
    std::fs::write(dir.join("two.bin"), &packed).expect("write input");
    assert_eq!(
        expect_stdout(&dir, &["inspect", "two.bin"]),
        expect_stdout(&dir, &["inspect", "two.swat"])
    );

    let mut bad_kind = packed.clone();
    let kind_at = packed
        .windows(2)
        .position(|w| w == [0x00, 6])
        .expect("the first stage's kind and name length");
    bad_kind[kind_at] = 7;
    let cases: [(&str, &[u8], &str); 5] = [
        ("empty.swasm", b"", "0x0"),
        ("core.swasm", b"\0asm\x01\0\0\0", "core module"),
        (
            "truncated.swasm",
            &packed[..packed.len() - 1],
            "unexpected end of input",
        ),
        ("bad-kind.swasm", &bad_kind, "unknown stage kind 0x07"),
        (
            "section.swasm",
            b"\0asm\x01\0SG\x05\0",
            "unknown section id 0x05",
        ),
    ];
    for (name, bytes, expected) in cases {
        std::fs::write(dir.join(name), bytes).expect("write input");
        for args in [&["inspect", name][..], &["pack", name, "-o", "out.swasm"]] {
            let err = expect_error(&dir, args, name);
            assert!(err.contains(expected), "{name}: `{err}` lacks `{expected}`");
            assert!(
                err.contains("(at offset 0x"),
                "{name}: no offset in `{err}`"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn inspect_prints_a_shared_library_s_dylink_section() {
    let dir = workspace_root().join("dylink/programs/c");
    let out = expect_stdout(&dir, &["inspect", "libuser.so"]);
    let section = out
        .split_once("dylink.0:\n")
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("no dylink.0 in:\n{out}"));
    assert_eq!(
        section,
        "  mem_info: memory 0 bytes at 2^0, table 0 slots at 2^0\n\
         \x20 needed: 1\n\
         \x20   libfptr.so\n\
         \x20 runtime_path: 0\n\
         \x20 export_info: 0\n\
         \x20 import_info: 0\n"
    );
    // A module without the section prints none.
    let out = expect_stdout(&dir, &["inspect", "main.wasm"]);
    assert!(!out.contains("dylink.0"), "{out}");
}

/// `stagec explain` ends with a summary that counts, specialized next to generic, the
/// instructions, the vmctx loads and the calls by kind.
#[test]
fn explain_summarizes_vmctx_loads_and_calls() {
    let dir = scratch("explain");
    std::fs::write(
        dir.join("g.wat"),
        r#"(module
  (import "env" "k" (global $k i32))
  (import "env" "f" (func $f (param i32) (result i32)))
  (memory 1)
  (func (export "g") (param $x i32) (result i32)
    (memory.fill (local.get $x) (i32.const 0) (global.get $k))
    (call $f (global.get $k))))"#,
    )
    .unwrap();
    let out = stagec(
        &dir,
        &["explain", "g.wat", "--func", "g", "--preimport", "env.k=3"],
    );
    check_behaviour(&out, "g.wat", "explain");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = |prefix: &str| {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` line:\n{stdout}"));
        line.split_whitespace()
            .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
            .map(str::to_string)
            .collect::<Vec<String>>()
    };
    // `$k` is read through the vmctx in the generic build only: one load fewer.
    let loads = line("vmctx loads:");
    let loads: Vec<usize> = loads.iter().map(|n| n.parse().unwrap()).collect();
    assert_eq!(loads.len(), 2, "{stdout}");
    assert_eq!(loads[0] + 1, loads[1], "{stdout}");
    // The runtime import `f` is an indirect call, `memory.fill` a builtin, in both.
    assert_eq!(
        line("calls (direct/indirect/builtin):"),
        ["0/1/1", "0/1/1"],
        "{stdout}"
    );
}
