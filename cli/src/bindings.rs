//! `--preimport` / `--import MOD.NAME=VALUE` flags turned into [`Preimports`] sets.
//!
//! A flag applies to every module of the compilation that has the import `MOD.NAME`: the
//! module itself and the providers named by `@FILE#EXPORT` values (so a provider's own
//! imports can be bound on the same command line). A flag that no module uses is an
//! error, as is a provider that (transitively) provides itself.

use crate::values::parse_value;
use anyhow::{Context, Result, bail};
use stagec::{Engine, EntityType, Module, Preimports, Provider};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One `MOD.NAME=VALUE` flag.
pub type Binding = stagec::BindingSpec;
pub use stagec::BindingValue;

/// Parses `MOD.NAME=VALUE` (the module name ends at the first `.`) or `MOD=@FILE`.
pub fn parse_binding(text: &str) -> Result<Binding> {
    Ok(stagec::BindingSpec::parse(text)?)
}

/// Builds preimport sets from flags, creating each provider file once.
pub struct Binder<'a> {
    engine: &'a Engine,
    bindings: &'a [Binding],
    used: Vec<bool>,
    providers: HashMap<PathBuf, Provider>,
    visiting: Vec<PathBuf>,
}

impl<'a> Binder<'a> {
    pub fn new(engine: &'a Engine, bindings: &'a [Binding]) -> Self {
        Binder {
            engine,
            bindings,
            used: vec![false; bindings.len()],
            providers: HashMap::new(),
            visiting: Vec::new(),
        }
    }

    /// The bindings that apply to a module with these imports.
    pub fn preimports_for(
        &mut self,
        imports: &[(String, String, EntityType)],
    ) -> Result<Preimports> {
        let mut set = Preimports::new();
        for i in 0..self.bindings.len() {
            let b = &self.bindings[i];
            if let BindingValue::Module { file } = &b.value {
                let names: Vec<&String> = imports
                    .iter()
                    .filter(|(m, _, _)| *m == b.module)
                    .map(|(_, n, _)| n)
                    .collect();
                if names.is_empty() {
                    continue;
                }
                self.used[i] = true;
                let provider = self
                    .provider(file)
                    .with_context(|| format!("`{}`", b.text))?;
                for name in names {
                    set.export(&b.module, name, &provider, name);
                }
                continue;
            }
            let Some((_, _, ty)) = imports
                .iter()
                .find(|(m, n, _)| *m == b.module && *n == b.name)
            else {
                continue;
            };
            self.used[i] = true;
            match &b.value {
                BindingValue::Literal(text) => {
                    let EntityType::Global(g) = ty else {
                        bail!(
                            "`{}`: import `{}`.`{}` is not a global; bind it to @FILE#EXPORT",
                            b.text,
                            b.module,
                            b.name
                        );
                    };
                    let v = parse_value(text, g.ty).with_context(|| format!("`{}`", b.text))?;
                    set.value(&b.module, &b.name, v);
                }
                BindingValue::Module { .. } => unreachable!("handled above"),
                BindingValue::Export { file, export } => {
                    let provider = self
                        .provider(file)
                        .with_context(|| format!("`{}`", b.text))?;
                    set.export(&b.module, &b.name, &provider, export);
                }
            }
        }
        Ok(set)
    }

    fn provider(&mut self, file: &Path) -> Result<Provider> {
        if let Some(p) = self.providers.get(file) {
            return Ok(p.clone());
        }
        if self.visiting.iter().any(|f| f == file) {
            bail!(
                "provider {} provides itself (a cycle of bindings)",
                file.display()
            );
        }
        self.visiting.push(file.to_path_buf());
        let provider = if crate::is_staged(file) {
            let staged = crate::staged::load(file)
                .with_context(|| format!("provider {}", file.display()))?;
            let imports = crate::staged_imports(&staged)?;
            let preimports = self.preimports_for(&imports)?;
            Provider::from_staged(&staged, &preimports)
                .with_context(|| format!("provider {}", file.display()))?
        } else {
            let bytes = std::fs::read(file)
                .with_context(|| format!("cannot read provider {}", file.display()))?;
            let imports = Module::import_types(&bytes)
                .with_context(|| format!("provider {}", file.display()))?;
            let preimports = self.preimports_for(&imports)?;
            Provider::from_file(self.engine, file, preimports)?
        };
        self.visiting.pop();
        self.providers.insert(file.to_path_buf(), provider.clone());
        Ok(provider)
    }

    /// Errors if a flag applied to no module.
    pub fn check_all_used(&self) -> Result<()> {
        for (b, used) in self.bindings.iter().zip(&self.used) {
            if !used && b.name.is_empty() {
                bail!(
                    "`{}`: no module of this compilation imports from `{}`",
                    b.text,
                    b.module
                );
            }
            if !used {
                bail!(
                    "`{}`: no module of this compilation imports `{}`.`{}`",
                    b.text,
                    b.module,
                    b.name
                );
            }
        }
        Ok(())
    }
}
