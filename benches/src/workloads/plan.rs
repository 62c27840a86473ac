//! A workload's bindings resolved against the modules' actual imports: which value or
//! which provider export each import of the generic module (and of each provider) gets.
//! Every engine builds its instances from the same [`Plan`].

use super::manifest::{Binding, BindingValue, Workload};
use anyhow::{Context, Result, bail};
use stagec::{EntityType, ValType};
use std::path::{Path, PathBuf};

/// A constant bound to an immutable global import.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// i32
    I32(i32),
    /// i64
    I64(i64),
    /// f32, as IEEE bits.
    F32(u32),
    /// f64, as IEEE bits.
    F64(u64),
}

impl Value {
    /// The WebAssembly type name (`i32`, ...).
    pub fn type_name(self) -> &'static str {
        match self {
            Value::I32(_) => "i32",
            Value::I64(_) => "i64",
            Value::F32(_) => "f32",
            Value::F64(_) => "f64",
        }
    }
}

/// What one import is bound to.
#[derive(Clone, Debug)]
pub enum Bound {
    /// A constant (the import is an immutable global).
    Value(Value),
    /// Export `export` of provider number `provider` of the plan.
    Export {
        /// Index into [`Plan::providers`].
        provider: usize,
        /// The export's name.
        export: String,
    },
}

/// An import and what it is bound to.
#[derive(Clone, Debug)]
pub struct Import {
    /// The import's module name.
    pub module: String,
    /// The import's name.
    pub name: String,
    /// Its binding.
    pub bound: Bound,
}

/// A module file in binary form, with its imports bound.
#[derive(Clone, Debug)]
pub struct ModuleSpec {
    /// The file as named in the manifest.
    pub path: PathBuf,
    /// The module in binary form (text modules converted).
    pub binary: Vec<u8>,
    /// Whether the file itself is binary (so other processes can read it directly).
    pub file_is_binary: bool,
    /// Every import, in declaration order.
    pub imports: Vec<Import>,
}

/// A workload ready to be instantiated by any engine.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Provider modules, each after the providers it imports from.
    pub providers: Vec<ModuleSpec>,
    /// The generic module.
    pub main: ModuleSpec,
    /// The hand-specialized module (it must have no imports).
    pub hand: Option<ModuleSpec>,
}

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

/// Reads a module file as binary: `.wasm` or anything starting with the magic bytes is
/// binary, anything else is text.
pub fn read_binary(path: &Path) -> Result<(Vec<u8>, bool)> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if path.extension().is_some_and(|e| e == "wasm") || bytes.starts_with(b"\0asm") {
        return Ok((bytes, true));
    }
    let binary =
        wat::parse_bytes(&bytes).with_context(|| format!("{}: not a module", path.display()))?;
    Ok((binary.into_owned(), false))
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
        stagec::Val::FuncRef(_) | stagec::Val::ExternRef(_) => {
            bail!("a {ty} global cannot be bound to a number")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
