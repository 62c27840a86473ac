//! `stagec run`, `inspect` and `explain` of a component (the module-linking subset of
//! `stagec-component`): the wiring specialized unless `--specialize off`.

use crate::{BindingArgs, Specialize, engine, read_module};
use anyhow::{Context, Result, anyhow, bail};
use stagec_component::plan::{CoreDef, ModuleIndex};
use stagec_component::{Component, ComponentOptions, ScalarType, Value};
use std::path::Path;

/// Whether `file` holds a component (binary or text).
pub fn is_component_file(file: &Path) -> bool {
    std::fs::read(file).is_ok_and(|bytes| stagec_component::is_component(&bytes))
}

fn load(engine: &stagec::Engine, file: &Path, bindings: &BindingArgs) -> Result<Component> {
    if !bindings.preimports.is_empty() || !bindings.imports.is_empty() {
        bail!(
            "--preimport and --import bind core module imports: a component's imports come from its wiring"
        );
    }
    let options = ComponentOptions {
        specialize: match bindings.specialize {
            Specialize::On => stagec_component::Specialize::On,
            Specialize::Off => stagec_component::Specialize::Off,
        },
        compile: bindings.options(),
    };
    let bytes = read_module(file)?;
    Ok(Component::from_binary_with(engine, &bytes, &options)?)
}

/// `stagec run COMP --invoke NAME ARGS...`: instantiates the component and calls an export.
pub fn run(
    engine: &stagec::Engine,
    file: &Path,
    bindings: &BindingArgs,
    invoke: Option<&str>,
    args: &[String],
) -> Result<()> {
    let component = load(engine, file, bindings)?;
    if let Some(import) = component.plan().imports.first() {
        bail!(
            "the component imports `{}`: the command line defines no host functions",
            import.name
        );
    }
    let mut store = stagec::Store::new(engine);
    let instance = stagec_component::Linker::new().instantiate(&mut store, &component)?;
    let exports: Vec<&str> = component
        .plan()
        .exports
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    let name = match invoke {
        Some(name) => name,
        None if args.is_empty() => return Ok(()),
        None => bail!("arguments were given but no function to call: use --invoke NAME"),
    };
    let ty = instance.export_type(name).ok_or_else(|| {
        anyhow!(
            "no exported function `{name}` (exported functions: {})",
            exports.join(", ")
        )
    })?;
    if ty.params.len() != args.len() {
        bail!(
            "`{name}` takes {} arguments, {} given",
            ty.params.len(),
            args.len()
        );
    }
    let params = ty
        .params
        .iter()
        .zip(args)
        .map(|((param, t), text)| {
            parse_value(*t, text).with_context(|| format!("argument `{param}` of `{name}`"))
        })
        .collect::<Result<Vec<_>>>()?;
    if let Some(result) = instance.call(&mut store, name, &params)? {
        println!("{result}");
    }
    Ok(())
}

/// A command-line argument as a value of `ty`: integers in decimal or 0x hex, floats,
/// `true`/`false`, a `char` as one character or `U+HEX`.
fn parse_value(ty: ScalarType, text: &str) -> Result<Value> {
    let bad = || anyhow!("`{text}` is not a {ty}");
    let int = |text: &str| -> Option<i128> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let magnitude = match digits.strip_prefix("0x") {
            Some(hex) => i128::from_str_radix(hex, 16).ok()?,
            None => digits.parse::<i128>().ok()?,
        };
        Some(if negative { -magnitude } else { magnitude })
    };
    let integer = || int(text).ok_or_else(bad);
    Ok(match ty {
        ScalarType::Bool => Value::Bool(text.parse().map_err(|_| bad())?),
        ScalarType::S8 => Value::S8(integer()?.try_into().map_err(|_| bad())?),
        ScalarType::U8 => Value::U8(integer()?.try_into().map_err(|_| bad())?),
        ScalarType::S16 => Value::S16(integer()?.try_into().map_err(|_| bad())?),
        ScalarType::U16 => Value::U16(integer()?.try_into().map_err(|_| bad())?),
        ScalarType::S32 => Value::S32(integer()?.try_into().map_err(|_| bad())?),
        ScalarType::U32 => Value::U32(integer()?.try_into().map_err(|_| bad())?),
        ScalarType::S64 => Value::S64(integer()?.try_into().map_err(|_| bad())?),
        ScalarType::U64 => Value::U64(integer()?.try_into().map_err(|_| bad())?),
        ScalarType::F32 => Value::F32(text.parse().map_err(|_| bad())?),
        ScalarType::F64 => Value::F64(text.parse().map_err(|_| bad())?),
        ScalarType::Char => {
            let mut chars = text.chars();
            let c = match (text.strip_prefix("U+"), chars.next(), chars.next()) {
                (Some(hex), _, _) => u32::from_str_radix(hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(bad)?,
                (None, Some(c), None) => c,
                _ => return Err(bad()),
            };
            Value::Char(c)
        }
    })
}

/// `stagec inspect COMP`: the instantiation plan with each import's specialization.
pub fn inspect(file: &Path) -> Result<()> {
    let engine = engine()?;
    let component = Component::from_binary(&engine, &read_module(file)?)?;
    print!("{}", component.inspect());
    Ok(())
}

/// `stagec explain COMP [--func NAME [--module N]]`: which edges are specialized and how;
/// with `--func`, a function of a static module as compiled in the component next to its
/// generic build (NAME a component export, or with `--module` an export or index of
/// that module).
pub fn explain(
    file: &Path,
    func: Option<&str>,
    module: Option<u32>,
    clif_only: bool,
    bindings: &BindingArgs,
) -> Result<()> {
    let engine = engine()?;
    let component = load(&engine, file, bindings)?;
    let Some(func) = func else {
        if module.is_some() {
            bail!("--module needs --func NAME");
        }
        print!("{}", component.explain_edges());
        return Ok(());
    };
    let (module, core_func) = match module {
        Some(m) => (ModuleIndex(m), func.to_string()),
        None => {
            let export = component.plan().export(func).ok_or_else(|| {
                anyhow!("no component export `{func}`: give --module N for a core function")
            })?;
            match &export.func {
                CoreDef::Export { instance, name, .. } => (
                    component.plan().instantiation(*instance).module,
                    name.clone(),
                ),
                CoreDef::Lowered(_) => bail!("export `{func}` is a lowered host function"),
            }
        }
    };
    let explained = component.explain(&engine, module, &core_func)?;
    let title = format!("{module} `{core_func}`");
    crate::explain::print_explained(&title, &explained, clif_only);
    Ok(())
}
