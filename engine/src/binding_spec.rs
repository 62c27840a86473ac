//! The textual syntax of an import binding, shared by the command line (`--preimport`,
//! `--import`) and the workload manifests: `MOD.NAME=VALUE` (the module name ends at the
//! first `.`), `MOD.NAME=@FILE#EXPORT`, and `MOD=@FILE` (every import from `MOD` binds to
//! the export of `FILE` with its name). Values are kept as written: a literal is typed
//! only once the import it binds is known.

use crate::error::{Result, UsageError};
use std::path::{Path, PathBuf};

/// One binding as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindingSpec {
    /// The import's module name.
    pub module: String,
    /// The import's name (empty for a whole-module binding, `MOD=@FILE`).
    pub name: String,
    /// What it binds to.
    pub value: BindingValue,
    /// The binding as written, for messages.
    pub text: String,
}

/// What a [`BindingSpec`] binds to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BindingValue {
    /// A number (or other literal), parsed against the import's type later.
    Literal(String),
    /// `@FILE#EXPORT`: an export of another module.
    Export {
        /// The module's file.
        file: PathBuf,
        /// The export's name.
        export: String,
    },
    /// `MOD=@FILE`: every import from `MOD` binds to the export of `FILE` of the same name.
    Module {
        /// The module's file.
        file: PathBuf,
    },
}

impl BindingSpec {
    /// Parses one binding; a malformed one is an [`Error::Usage`](crate::Error::Usage) quoting it.
    pub fn parse(text: &str) -> Result<BindingSpec> {
        let bad = || UsageError::BindingSyntax {
            text: text.to_string(),
        };
        let (key, value) = text.split_once('=').ok_or_else(bad)?;
        if let (false, Some(file)) = (key.contains('.'), value.strip_prefix('@')) {
            if key.is_empty() || file.is_empty() || file.contains('#') {
                return Err(bad().into());
            }
            return Ok(BindingSpec {
                module: key.to_string(),
                name: String::new(),
                value: BindingValue::Module {
                    file: PathBuf::from(file),
                },
                text: text.to_string(),
            });
        }
        let (module, name) = key.split_once('.').ok_or_else(bad)?;
        if module.is_empty() || name.is_empty() || value.is_empty() {
            return Err(bad().into());
        }
        let value = match value.strip_prefix('@') {
            Some(rest) => {
                let (file, export) = rest
                    .rsplit_once('#')
                    .filter(|(f, e)| !f.is_empty() && !e.is_empty())
                    .ok_or_else(|| UsageError::BindingExportSyntax {
                        text: text.to_string(),
                    })?;
                BindingValue::Export {
                    file: PathBuf::from(file),
                    export: export.to_string(),
                }
            }
            None => BindingValue::Literal(value.to_string()),
        };
        Ok(BindingSpec {
            module: module.to_string(),
            name: name.to_string(),
            value,
            text: text.to_string(),
        })
    }

    /// The same binding with its file (if any) resolved against `base`.
    pub fn relative_to(mut self, base: &Path) -> BindingSpec {
        match &mut self.value {
            BindingValue::Export { file, .. } | BindingValue::Module { file } => {
                *file = base.join(&*file);
            }
            BindingValue::Literal(_) => {}
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_forms_and_malformed_ones() {
        let b = BindingSpec::parse("env.N=0x40").unwrap();
        assert_eq!((b.module.as_str(), b.name.as_str()), ("env", "N"));
        assert_eq!(b.value, BindingValue::Literal("0x40".into()));
        let b = BindingSpec::parse("a.b.c=@p.wat#f").unwrap();
        assert_eq!((b.module.as_str(), b.name.as_str()), ("a", "b.c"));
        let b = b.relative_to(Path::new("dir"));
        assert_eq!(
            b.value,
            BindingValue::Export {
                file: PathBuf::from("dir/p.wat"),
                export: "f".into()
            }
        );
        let b = BindingSpec::parse("layout=@l.swat").unwrap();
        assert_eq!(b.name, "");
        assert_eq!(
            b.value,
            BindingValue::Module {
                file: PathBuf::from("l.swat")
            }
        );
        for bad in [
            "", "env", "env.N", "env.=1", ".N=1", "env.N=", "=@f", "env=@", "m.n=@f", "m.n=@#e",
            "m.n=@f#",
        ] {
            assert!(BindingSpec::parse(bad).is_err(), "{bad:?} parsed");
        }
    }
}
