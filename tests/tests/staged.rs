//! The staged-semantics suite: every `tests/staged/*.swat` is compiled as a staged module
//! and checked against its header:
//!
//! - `;; PREIMPORT: MOD.NAME=INT` binds an integer global import of any stage;
//! - `;; INVOKE: NAME ARGS... => RESULTS...` calls an export (i32/i64 arguments and
//!   results, by the function's type) on a first instance, `;; INVOKE2:` on a second
//!   instance of the same compiled module (which shares the `pre`/`single` stages' state
//!   with the first), in file order;
//! - `;; ERROR: TEXT` expects compilation to fail with a message containing TEXT.
//!
//! A file with neither `INVOKE` nor `ERROR` lines checks nothing and fails; the suite's
//! number of files, expected errors and invocations is fixed ([`SUITE`]).

use anyhow::{Context, Result, anyhow, bail, ensure};
use stagec::{
    Config, Engine, EntityType, Linker, Module, Preimports, StagedModule, Store, Val, ValType,
};
use std::path::{Path, PathBuf};

/// What the suite checks: files, of which expect an error, and invocations in the others.
/// Adding a file means updating these.
const SUITE: Checked = Checked {
    files: 11,
    errors: 6,
    invokes: 13,
};

/// Counts of what the suite checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Checked {
    files: usize,
    errors: usize,
    invokes: usize,
}

fn header(text: &str, key: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix(key))
        .map(|rest| rest.trim().to_string())
        .collect()
}

fn preimports(staged: &StagedModule, text: &str) -> Result<Preimports> {
    let mut set = Preimports::new();
    for binding in header(text, ";; PREIMPORT:") {
        let (key, value) = binding.split_once('=').context("MOD.NAME=INT")?;
        let (module, name) = key.split_once('.').context("MOD.NAME")?;
        let value: i64 = value.parse()?;
        let ty = staged
            .stages
            .iter()
            .flat_map(|s| Module::import_types(&s.module).unwrap_or_default())
            .find(|(m, n, _)| m == module && n == name)
            .map(|(_, _, ty)| ty)
            .ok_or_else(|| anyhow!("no stage imports {key}"))?;
        let val = match ty {
            EntityType::Global(g) if g.ty == ValType::I64 => Val::I64(value),
            _ => Val::I32(value as i32),
        };
        set.value(module, name, val);
    }
    Ok(set)
}

fn parse_val(text: &str, ty: ValType) -> Result<Val> {
    Ok(match ty {
        ValType::I64 => Val::I64(text.parse()?),
        _ => Val::I32(text.parse()?),
    })
}

fn show(v: &Val) -> String {
    match v {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        other => format!("{other:?}"),
    }
}

/// Runs one file; returns what it checked.
fn run_file(engine: &Engine, path: &Path) -> Result<Checked> {
    let text = std::fs::read_to_string(path)?;
    let staged = stagec_frontend::parse_swat(&text);
    let errors = header(&text, ";; ERROR:");
    let compiled = staged.map_err(anyhow::Error::from).and_then(|staged| {
        let pre = preimports(&staged, &text)?;
        Ok(Module::from_staged(engine, &staged, &pre)?)
    });
    if let Some(expected) = errors.first() {
        return match compiled {
            Ok(_) => bail!("expected an error containing `{expected}`, but it compiled"),
            Err(e) if e.to_string().contains(expected.as_str()) => Ok(Checked {
                files: 1,
                errors: 1,
                invokes: 0,
            }),
            Err(e) => bail!("expected an error containing `{expected}`, got `{e}`"),
        };
    }
    let module = compiled?;
    let mut store = Store::new(engine);
    let first = Linker::new().instantiate(&mut store, &module)?;
    let second = Linker::new().instantiate(&mut store, &module)?;
    let invokes = text.lines().filter_map(|l| {
        l.strip_prefix(";; INVOKE:")
            .map(|r| (first, r))
            .or_else(|| l.strip_prefix(";; INVOKE2:").map(|r| (second, r)))
    });
    let mut checked = Checked {
        files: 1,
        ..Checked::default()
    };
    for (instance, invoke) in invokes {
        let (call, expected) = invoke.split_once("=>").context("NAME ARGS => RESULTS")?;
        let mut words = call.split_whitespace();
        let name = words.next().context("a function name")?;
        {
            let func = instance
                .get_func(&store, name)
                .ok_or_else(|| anyhow!("no export `{name}`"))?;
            let ty = func.ty(&store);
            let args = words
                .clone()
                .zip(ty.params.iter())
                .map(|(w, t)| parse_val(w, *t))
                .collect::<Result<Vec<_>>>()?;
            let mut results: Vec<Val> = ty.results.iter().map(|t| Val::default_for(*t)).collect();
            func.call(&mut store, &args, &mut results)
                .with_context(|| format!("calling `{name}`"))?;
            let actual: Vec<String> = results.iter().map(show).collect();
            let expected: Vec<&str> = expected.split_whitespace().collect();
            if actual != expected {
                bail!("`{invoke}`: got {actual:?}");
            }
        }
        checked.invokes += 1;
    }
    ensure!(
        checked.invokes > 0,
        "checks nothing: add `;; INVOKE:` or `;; ERROR:` lines"
    );
    Ok(checked)
}

#[test]
fn staged_semantics_suite() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("staged");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "swat"))
        .collect();
    files.sort();
    let engine = Engine::new(Config::default()).unwrap();
    let mut failures = Vec::new();
    let mut total = Checked::default();
    for f in &files {
        match run_file(&engine, f) {
            Ok(c) => {
                total.files += c.files;
                total.errors += c.errors;
                total.invokes += c.invokes;
            }
            Err(e) => failures.push(format!(
                "{}: {e:#}",
                f.file_name().unwrap().to_string_lossy()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!(
        "staged suite: {} files, {} expected errors, {} invocations",
        total.files, total.errors, total.invokes
    );
    assert_eq!(
        total, SUITE,
        "the staged suite checked something else than SUITE says (update it when adding files)"
    );
}

#[test]
fn fresh_differs_between_compilations_and_not_between_instances() {
    let engine = Engine::new(Config::default()).unwrap();
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("staged/fresh.swat"))
            .unwrap();
    let staged = stagec_frontend::parse_swat(&text).unwrap();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let module = Module::from_staged(&engine, &staged, &Preimports::new()).unwrap();
        let mut store = Store::new(&engine);
        let mut per_instance = Vec::new();
        for _ in 0..2 {
            let i = Linker::new().instantiate(&mut store, &module).unwrap();
            let mut out = [Val::I64(0)];
            i.get_func(&store, "id")
                .unwrap()
                .call(&mut store, &[], &mut out)
                .unwrap();
            per_instance.push(out[0].i64().unwrap());
        }
        assert_eq!(per_instance[0], per_instance[1]);
        ids.push(per_instance[0]);
    }
    assert_ne!(ids[0], ids[1], "two compilations got the same fresh value");
}
