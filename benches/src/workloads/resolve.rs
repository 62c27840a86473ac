//! A workload's bindings resolved against the modules' actual imports: which value or
//! which provider export each import of the generic module (and of each provider) gets.
//! Every engine builds its instances from the same [`Plan`].

use super::manifest::{Binding, BindingValue, Workload};
use crate::plan::{Bound, Import, ModuleSpec, Plan, Value, read_binary};
use anyhow::{Context, Result, bail};
use stagec::{EntityType, ValType};
use std::path::{Path, PathBuf};

/// Resolves `workload`'s bindings against the imports of its modules. Every import must be
/// bound; a binding that no module uses is reported in the returned warnings.
pub fn plan(workload: &Workload) -> Result<(Plan, Vec<String>)> {
    let mut resolver = Resolver {
        bindings: &workload.bindings,
        used: vec![false; workload.bindings.len()],
        providers: Vec::new(),
        visiting: Vec::new(),
    };
    let main = resolver
        .module(&workload.wasm)
        .with_context(|| format!("module {}", workload.wasm.display()))?;
    let hand = match &workload.hand {
        Some(path) => {
            let (binary, file_is_binary) = read_binary(path)?;
            let imports = stagec::Module::import_types(&binary)
                .with_context(|| format!("hand module {}", path.display()))?;
            if let Some((m, n, _)) = imports.first() {
                bail!(
                    "hand module {} imports `{m}`.`{n}`: a hand-specialized module has no imports",
                    path.display()
                );
            }
            Some(ModuleSpec {
                path: path.clone(),
                binary,
                file_is_binary,
                imports: Vec::new(),
            })
        }
        None => None,
    };
    let warnings = workload
        .bindings
        .iter()
        .zip(&resolver.used)
        .filter(|(_, used)| !**used)
        .map(|(b, _)| format!("preimport `{}` binds no import of any module", b.text))
        .collect();
    let plan = Plan {
        providers: resolver.providers,
        main,
        hand,
    };
    Ok((plan, warnings))
}

struct Resolver<'a> {
    bindings: &'a [Binding],
    used: Vec<bool>,
    providers: Vec<ModuleSpec>,
    /// Providers being resolved, to report a cycle.
    visiting: Vec<PathBuf>,
}

impl Resolver<'_> {
    fn module(&mut self, path: &Path) -> Result<ModuleSpec> {
        let (binary, file_is_binary) = read_binary(path)?;
        let mut imports = Vec::new();
        for (module, name, ty) in stagec::Module::import_types(&binary)? {
            let bound = self
                .bind(&module, &name, &ty)
                .with_context(|| format!("import `{module}`.`{name}`"))?;
            imports.push(Import {
                module,
                name,
                bound,
            });
        }
        Ok(ModuleSpec {
            path: path.to_path_buf(),
            binary,
            file_is_binary,
            imports,
        })
    }

    fn bind(&mut self, module: &str, name: &str, ty: &EntityType) -> Result<Bound> {
        // An exact `MOD.NAME=` binding wins over a whole-module `MOD=@FILE`.
        let exact = self
            .bindings
            .iter()
            .position(|b| b.module == module && b.name == name);
        let whole = || {
            self.bindings
                .iter()
                .position(|b| b.module == module && matches!(b.value, BindingValue::Module { .. }))
        };
        let Some(i) = exact.or_else(whole) else {
            bail!("not bound by the manifest's preimports");
        };
        self.used[i] = true;
        let binding = &self.bindings[i];
        match &binding.value {
            BindingValue::Literal(text) => {
                let EntityType::Global(g) = ty else {
                    bail!("`{}`: a number binds only a global import", binding.text);
                };
                if g.mutable {
                    bail!("`{}`: the global import is mutable", binding.text);
                }
                let value =
                    parse_value(text, g.ty).with_context(|| format!("`{}`", binding.text))?;
                Ok(Bound::Value(value))
            }
            BindingValue::Export { file, export } => {
                let (file, export) = (file.clone(), export.clone());
                let text = binding.text.clone();
                let provider = self.provider(&file).with_context(|| format!("`{text}`"))?;
                Ok(Bound::Export { provider, export })
            }
            BindingValue::Module { file } => {
                let (file, text) = (file.clone(), binding.text.clone());
                let provider = self.provider(&file).with_context(|| format!("`{text}`"))?;
                Ok(Bound::Export {
                    provider,
                    export: name.to_string(),
                })
            }
        }
    }

    /// The index of the provider module `file`, resolving it (and its own imports) once.
    fn provider(&mut self, file: &Path) -> Result<usize> {
        if let Some(i) = self.providers.iter().position(|p| p.path == file) {
            return Ok(i);
        }
        if self.visiting.iter().any(|f| f == file) {
            bail!("provider {} provides itself", file.display());
        }
        self.visiting.push(file.to_path_buf());
        let spec = self
            .module(file)
            .with_context(|| format!("provider {}", file.display()));
        self.visiting.pop();
        self.providers.push(spec?);
        Ok(self.providers.len() - 1)
    }
}

/// Parses a literal of type `ty` in stagec's syntax ([`stagec::Val::parse`]): integers
/// in decimal or `0x` hex (an i32 may be given unsigned, up to 2^32 - 1), floats.
pub fn parse_value(text: &str, ty: ValType) -> Result<Value> {
    Ok(match stagec::Val::parse(text, ty)? {
        stagec::Val::I32(v) => Value::I32(v),
        stagec::Val::I64(v) => Value::I64(v),
        stagec::Val::F32(v) => Value::F32(v),
        stagec::Val::F64(v) => Value::F64(v),
        stagec::Val::V128(_) => bail!("the benchmark plans take no v128 values"),
        stagec::Val::FuncRef(_) | stagec::Val::ExternRef(_) => {
            bail!("a {ty} global cannot be bound to a number")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::manifest::parse;

    #[test]
    fn values_follow_the_import_type() {
        assert_eq!(
            parse_value("0xffffffff", ValType::I32).unwrap(),
            Value::I32(-1)
        );
        assert_eq!(parse_value("-7", ValType::I64).unwrap(), Value::I64(-7));
        assert_eq!(
            parse_value("1.5", ValType::F64).unwrap(),
            Value::F64(1.5f64.to_bits())
        );
        assert!(parse_value("0x1_0000_0000", ValType::I32).is_err());
        assert!(parse_value("x", ValType::I64).is_err());
    }

    #[test]
    fn bindings_resolve_against_the_imports() {
        let dir =
            std::env::temp_dir().join(format!("stagec-benches-resolve-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let main = r#"(module
            (import "env" "n" (global i32))
            (import "env" "big" (global i64))
            (import "lib" "f" (func))
            (import "lib" "g" (func)))"#;
        let p = r#"(module (func (export "f")) (func (export "g")))"#;
        let q = r#"(module (import "env" "n" (global i32)) (func (export "h")))"#;
        for (name, text) in [("m.wat", main), ("p.wat", p), ("q.wat", q)] {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let text = r#"
[[workload]]
name = "a"
kind = "c"
wasm = "m.wat"
invoke = "run"
preimports = ["env.n=0xffffffff", "env.big=-3", "lib=@p.wat", "lib.g=@q.wat#h", "env.unused=1"]
checksum = 0
"#;
        let workload = &parse(text, &dir).unwrap()[0];
        let (plan, warnings) = plan(workload).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let bound: Vec<(&str, &str, &Bound)> = plan
            .main
            .imports
            .iter()
            .map(|i| (i.module.as_str(), i.name.as_str(), &i.bound))
            .collect();
        let export = |provider, export: &str| Bound::Export {
            provider,
            export: export.into(),
        };
        // An exact binding wins over the whole-module one; numbers follow the import type.
        assert_eq!(
            bound,
            [
                ("env", "n", &Bound::Value(Value::I32(-1))),
                ("env", "big", &Bound::Value(Value::I64(-3))),
                ("lib", "f", &export(0, "f")),
                ("lib", "g", &export(1, "h")),
            ]
        );
        let providers: Vec<&Path> = plan.providers.iter().map(|p| p.path.as_path()).collect();
        assert_eq!(providers, [dir.join("p.wat"), dir.join("q.wat")]);
        // The provider's own import is bound by the same list.
        assert_eq!(
            plan.providers[1].imports[0].bound,
            Bound::Value(Value::I32(-1))
        );
        assert_eq!(
            warnings,
            ["preimport `env.unused=1` binds no import of any module"]
        );
    }
}
