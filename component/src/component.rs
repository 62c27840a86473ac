//! A loaded component: its plan and one compiled module per static core module.

use crate::plan::{ModuleIndex, Plan};
use crate::wiring::{ComponentOptions, Edge, Wiring};
use crate::{Error, Result};
use std::fmt::Write as _;
use std::path::Path;

/// A component of the module-linking subset, flattened and compiled: each static core
/// module is compiled once (one [`stagec::Module`], specialized on the wiring edges the
/// rule of `wiring.rs` allows) and shared by all its instances, in every store the
/// component is instantiated in.
#[derive(Clone, Debug)]
pub struct Component {
    plan: Plan,
    wiring: Wiring,
    options: ComponentOptions,
    modules: Vec<stagec::Module>,
}

impl Component {
    /// Loads a component from its binary or text (`(component ...)`) form, with every
    /// wiring edge the rule allows specialized.
    pub fn from_binary(engine: &stagec::Engine, bytes: &[u8]) -> Result<Component> {
        Self::from_binary_with(engine, bytes, &ComponentOptions::default())
    }

    /// Loads a component compiled with `options` (`Specialize::Off`: the baseline).
    pub fn from_binary_with(
        engine: &stagec::Engine,
        bytes: &[u8],
        options: &ComponentOptions,
    ) -> Result<Component> {
        let binary = to_binary(bytes)?;
        let plan = crate::translate::translate(&binary)?;
        let wiring = crate::wiring::decide(&plan, options.specialize)?;
        let modules = plan
            .modules
            .iter()
            .zip(&wiring.preimports)
            .enumerate()
            .map(|(module, (m, preimports))| {
                stagec::Module::with_preimports_options(
                    engine,
                    &m.bytes,
                    preimports,
                    &options.compile,
                )
                .map_err(|source| Error::Compile { module, source })
            })
            .collect::<Result<_>>()?;
        Ok(Component {
            plan,
            wiring,
            options: *options,
            modules,
        })
    }

    /// Loads the component in `path` (`.wasm` or `.wat`).
    pub fn from_file(engine: &stagec::Engine, path: impl AsRef<Path>) -> Result<Component> {
        Self::from_file_with(engine, path, &ComponentOptions::default())
    }

    /// Loads the component in `path` (`.wasm` or `.wat`) compiled with `options`.
    pub fn from_file_with(
        engine: &stagec::Engine,
        path: impl AsRef<Path>,
        options: &ComponentOptions,
    ) -> Result<Component> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_binary_with(engine, &bytes, options)
    }

    /// The options it was compiled with.
    pub fn options(&self) -> &ComponentOptions {
        &self.options
    }

    /// Per import of static module `module`: how it is compiled.
    pub fn edges(&self, module: ModuleIndex) -> &[Edge] {
        &self.wiring.edges[module.index()]
    }

    /// The positions of the imports of static module `module` supplied at instantiation
    /// (all but the constants).
    pub(crate) fn runtime_imports(&self, module: ModuleIndex) -> &[usize] {
        &self.wiring.runtime_imports[module.index()]
    }

    /// What `stagec explain COMP` prints: every import of every static module, whether it
    /// is specialized and how (or why not), and the counts.
    pub fn explain_edges(&self) -> String {
        let mut text = String::new();
        let (mut specialized, mut total) = (0, 0);
        for (m, module) in self.plan.modules.iter().enumerate() {
            let _ = writeln!(
                text,
                "module {m}: {} imports, instances {:?}",
                module.imports.len(),
                module
                    .instantiations
                    .iter()
                    .map(|r| r.0)
                    .collect::<Vec<_>>()
            );
            for (import, edge) in module.imports.iter().zip(&self.wiring.edges[m]) {
                let _ = writeln!(
                    text,
                    "  \"{}\" \"{}\" {}: {edge}",
                    import.module, import.name, import.ty
                );
                total += 1;
                specialized += usize::from(edge.is_specialized());
            }
        }
        let _ = writeln!(text, "{specialized} of {total} imports specialized");
        text
    }

    /// What specialization on its wiring does to function `func` (an export name or a
    /// function index) of static module `module`: its optimized CLIF and machine code, as
    /// compiled in this component and generic.
    pub fn explain(
        &self,
        engine: &stagec::Engine,
        module: ModuleIndex,
        func: &str,
    ) -> Result<stagec::Explained> {
        let m = module.index();
        let static_module = self
            .plan
            .modules
            .get(m)
            .ok_or(Error::UnknownModule { module: m })?;
        stagec::Module::explain(
            engine,
            &static_module.bytes,
            &self.wiring.preimports[m],
            func,
            &self.options.compile,
        )
        .map_err(|source| Error::Compile { module: m, source })
    }

    /// The instantiation plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The compiled static modules, in the order of [`Plan::modules`].
    pub fn modules(&self) -> &[stagec::Module] {
        &self.modules
    }

    /// What `stagec inspect COMP` prints: the plan (modules, instances and their
    /// arguments, and how every import of every module is wired).
    pub fn inspect(&self) -> String {
        let mut text = String::new();
        let edge = |m: usize, i: usize| format!("{}; ", self.wiring.edges[m][i]);
        self.plan
            .write(&mut text, &edge)
            .expect("writing to a String");
        text
    }
}

/// Whether `bytes` are a component rather than a core module: a binary with the component
/// layer in its header, or text whose first form (after comments) is `(component`.
pub fn is_component(bytes: &[u8]) -> bool {
    if bytes.starts_with(b"\0asm") {
        return bytes.get(4..8) == Some(&[0x0d, 0x00, 0x01, 0x00]);
    }
    let Ok(mut text) = std::str::from_utf8(bytes) else {
        return false;
    };
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix(";;") {
            text = rest.split_once('\n').map_or("", |(_, after)| after);
        } else if text.starts_with("(;") {
            let Some(end) = text.find(";)") else {
                return false;
            };
            text = &text[end + 2..];
        } else {
            break;
        }
    }
    text.strip_prefix("(component").is_some_and(|rest| {
        rest.chars()
            .next()
            .is_none_or(|c| c.is_whitespace() || c == ')' || c == '$')
    })
}

/// The binary form of component bytes given in binary or text format.
fn to_binary(bytes: &[u8]) -> Result<Vec<u8>> {
    if bytes.starts_with(b"\0asm") {
        return Ok(bytes.to_vec());
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => wat::parse_str(text).map_err(Error::Wat),
        // Not text: let the validator describe what is wrong.
        Err(_) => Ok(bytes.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::is_component;

    #[test]
    fn components_are_told_from_core_modules() {
        assert!(is_component(b"(component)"));
        assert!(is_component(
            b";; a comment\n(; block ;) (component $c (core module))"
        ));
        assert!(is_component(b"\0asm\x0d\x00\x01\x00"));
        assert!(!is_component(b"\0asm\x01\x00\x00\x00"));
        assert!(!is_component(b"(module)"));
        assert!(!is_component(b"(componentx)"));
        assert!(!is_component(b";; (component)\n(module)"));
        assert!(!is_component(b"(; unterminated"));
        assert!(!is_component(&[0xff, 0xfe]));
    }
}
