//! What to instantiate, the same for every engine: a module in binary form whose imports
//! are each bound to a constant or to an export of a provider module, the providers, and
//! optionally a hand-specialized module without imports. The kernels
//! ([`crate::Kernel::plan`]), the experiments and the workloads
//! ([`crate::workloads::resolve`]) describe their modules as a [`Plan`]; the runners of
//! [`crate::runner`] build instances from it.

use anyhow::{Context, Result};
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
#[derive(Clone, Debug, PartialEq)]
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
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    /// The import's module name.
    pub module: String,
    /// The import's name.
    pub name: String,
    /// Its binding.
    pub bound: Bound,
}

/// A module in binary form, with its imports bound.
#[derive(Clone, Debug)]
pub struct ModuleSpec {
    /// The file as named in the manifest, or a label for a module made in memory.
    pub path: PathBuf,
    /// The module in binary form (text modules converted).
    pub binary: Vec<u8>,
    /// Whether `path` is a binary file (so other processes can read it directly).
    pub file_is_binary: bool,
    /// Every import, in declaration order.
    pub imports: Vec<Import>,
}

impl ModuleSpec {
    /// A module given as WAT text, without bound imports yet; `label` names it in errors.
    pub fn from_text(label: &str, wat: &str) -> Result<ModuleSpec> {
        let binary = wat::parse_str(wat).with_context(|| format!("{label}: not a module"))?;
        Ok(Self::from_binary(label, binary))
    }

    /// A module in binary form, without bound imports yet.
    pub fn from_binary(label: &str, binary: Vec<u8>) -> ModuleSpec {
        ModuleSpec {
            path: PathBuf::from(label),
            binary,
            file_is_binary: false,
            imports: Vec::new(),
        }
    }

    /// Binds import `module`.`name` to the constant `value`.
    pub fn bind_value(&mut self, module: &str, name: &str, value: Value) -> &mut Self {
        self.bind(module, name, Bound::Value(value))
    }

    /// Binds import `module`.`name` to export `export` of provider number `provider`.
    pub fn bind_export(
        &mut self,
        module: &str,
        name: &str,
        provider: usize,
        export: &str,
    ) -> &mut Self {
        let export = export.to_string();
        self.bind(module, name, Bound::Export { provider, export })
    }

    fn bind(&mut self, module: &str, name: &str, bound: Bound) -> &mut Self {
        self.imports.push(Import {
            module: module.to_string(),
            name: name.to_string(),
            bound,
        });
        self
    }
}

/// A module ready to be instantiated by any engine.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Provider modules, each after the providers it imports from.
    pub providers: Vec<ModuleSpec>,
    /// The generic module.
    pub main: ModuleSpec,
    /// The hand-specialized module (it must have no imports).
    pub hand: Option<ModuleSpec>,
}

impl Plan {
    /// A plan of `main` alone: no providers, no hand module.
    pub fn new(main: ModuleSpec) -> Plan {
        Plan {
            providers: Vec::new(),
            main,
            hand: None,
        }
    }
}

/// Reads a module file as binary: `.wasm` or anything starting with the magic bytes is
/// binary, anything else is text. Returns the binary and whether the file was binary.
pub fn read_binary(path: &Path) -> Result<(Vec<u8>, bool)> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if path.extension().is_some_and(|e| e == "wasm") || bytes.starts_with(b"\0asm") {
        return Ok((bytes, true));
    }
    let binary =
        wat::parse_bytes(&bytes).with_context(|| format!("{}: not a module", path.display()))?;
    Ok((binary.into_owned(), false))
}
