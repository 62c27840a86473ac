//! Compiles every module of the WebAssembly spec suite that the frontend accepts.
//!
//! - `(module ...)` / `(module definition ...)`: must compile (no error, no Cranelift
//!   verifier failure — the verifier is on in debug builds), unless codegen reports the
//!   body as `unsupported` (a proposal outside stagec's feature set, e.g. SIMD inside a
//!   body, which the frontend's module-level pass cannot see);
//! - `(assert_invalid ...)` and binary `(assert_malformed ...)` modules that pass the
//!   frontend's module-level pass: codegen validates function bodies, so it must reject
//!   them.
//!
//! The suite is `$STAGEC_SPEC_TESTSUITE` or `/work/shared/testsuite` (its `core/*.wast`).
//! When it is missing the test is skipped loudly, unless `CI=true`.

use stagec_codegen::Compiler;
use std::path::{Path, PathBuf};
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective};

fn suite_core_dir() -> Option<PathBuf> {
    let root = std::env::var_os("STAGEC_SPEC_TESTSUITE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/testsuite"));
    let core = root.join("core");
    core.is_dir().then_some(core)
}

#[derive(Default, Debug)]
struct Counts {
    files: usize,
    unparsable_files: usize,
    modules_compiled: usize,
    modules_rejected_by_frontend: usize,
    modules_unsupported_by_codegen: usize,
    invalid_rejected_by_codegen: usize,
    malformed_rejected_by_codegen: usize,
}

#[test]
fn spec_suite_modules_compile() {
    let Some(dir) = suite_core_dir() else {
        let message = "\n\n!!!!! spec testsuite not found: set STAGEC_SPEC_TESTSUITE \
                       (expected <dir>/core/*.wast); SKIPPING spec compile test !!!!!\n";
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{message}");
        }
        eprintln!("{message}");
        return;
    };
    let compiler = Compiler::new().expect("host compiler");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read testsuite dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wast"))
        .collect();
    files.sort();

    let mut counts = Counts::default();
    let mut failures = Vec::new();
    for file in &files {
        counts.files += 1;
        run_file(&compiler, file, &mut counts, &mut failures);
    }
    println!("spec compile: {counts:#?}");
    eprintln!(
        "spec compile: {} modules compiled, {} rejected by the frontend, {} unsupported \
         bodies, {} invalid and {} malformed bodies rejected by codegen, {} files",
        counts.modules_compiled,
        counts.modules_rejected_by_frontend,
        counts.modules_unsupported_by_codegen,
        counts.invalid_rejected_by_codegen,
        counts.malformed_rejected_by_codegen,
        counts.files,
    );
    assert!(counts.modules_compiled > 0, "no module compiled");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn run_file(compiler: &Compiler, file: &Path, counts: &mut Counts, failures: &mut Vec<String>) {
    let Ok(text) = std::fs::read_to_string(file) else {
        counts.unparsable_files += 1;
        return;
    };
    let Ok(buf) = ParseBuffer::new(&text) else {
        counts.unparsable_files += 1;
        return;
    };
    let Ok(wast) = parser::parse::<Wast>(&buf) else {
        counts.unparsable_files += 1;
        return;
    };
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    for directive in wast.directives {
        let (line, _) = directive.span().linecol_in(&text);
        let location = format!("{name}:{}", line + 1);
        match directive {
            WastDirective::Module(module) | WastDirective::ModuleDefinition(module) => {
                let Some(bytes) = encode(module) else {
                    continue;
                };
                match stagec_frontend::parse(bytes) {
                    Ok(parsed) => match compiler.compile_module(&parsed) {
                        Ok(artifact) => {
                            counts.modules_compiled += 1;
                            if artifact.functions.len() != parsed.info.bodies.len()
                                || artifact.entry_trampolines.len() != parsed.info.types.len()
                            {
                                failures.push(format!("{location}: artifact tables mismatch"));
                            }
                        }
                        // Bodies using a proposal outside stagec's feature set (the
                        // frontend's module-level pass cannot see those).
                        Err(e) if e.is_unsupported() => counts.modules_unsupported_by_codegen += 1,
                        Err(e) => failures.push(format!("{location}: {e}")),
                    },
                    Err(_) => counts.modules_rejected_by_frontend += 1,
                }
            }
            WastDirective::AssertInvalid {
                module, message, ..
            } => {
                let Some(bytes) = encode(module) else {
                    continue;
                };
                if let Ok(parsed) = stagec_frontend::parse(bytes) {
                    match compiler.compile_module(&parsed) {
                        Ok(_) => failures.push(format!(
                            "{location}: invalid module compiled (expected \"{message}\")"
                        )),
                        Err(e) => {
                            counts.invalid_rejected_by_codegen += 1;
                            if std::env::var_os("STAGEC_SHOW_MESSAGES").is_some()
                                && !e.kind.to_string().contains(message)
                            {
                                eprintln!("{location}: expected \"{message}\", got \"{e}\"");
                            }
                        }
                    }
                }
            }
            WastDirective::AssertMalformed {
                module: module @ QuoteWat::Wat(_),
                message,
                ..
            } => {
                let Some(bytes) = encode(module) else {
                    continue;
                };
                if let Ok(parsed) = stagec_frontend::parse(bytes) {
                    match compiler.compile_module(&parsed) {
                        Ok(_) => failures.push(format!(
                            "{location}: malformed module compiled (expected \"{message}\")"
                        )),
                        Err(_) => counts.malformed_rejected_by_codegen += 1,
                    }
                }
            }
            _ => {}
        }
    }
}

/// The binary of a text or binary module; `None` for components and for text that does
/// not parse.
fn encode(mut module: QuoteWat<'_>) -> Option<Vec<u8>> {
    if matches!(module, QuoteWat::QuoteComponent(..)) {
        return None;
    }
    if let QuoteWat::Wat(wast::Wat::Component(_)) = module {
        return None;
    }
    module.encode().ok()
}
