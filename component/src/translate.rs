//! Translation of a component binary into a [`Plan`]: the component is validated whole
//! (wasmparser's component validator, every proposal enabled so that a construct outside
//! the subset is refused by name below rather than by a feature check), then its
//! sections are walked in order, tracking the index spaces the subset uses, and every
//! construct outside the subset is refused with its byte offset.

use crate::core_module::{core_kind, scan};
use crate::plan::{
    ComponentExport, ComponentImport, CoreDef, CoreInstance, CoreInstanceIndex, CoreKind,
    ImportIndex, InstanceArg, Instantiation, Lowered, LoweredIndex, ModuleIndex, Plan,
    RuntimeInstanceIndex, Wire,
};
use crate::types::{FuncType, ScalarType};
use crate::{Error, Result};
use wasmparser::{
    CanonicalFunction, CanonicalOption, ComponentAlias, ComponentDefinedType,
    ComponentExternalKind, ComponentOuterAliasKind, ComponentType, ComponentTypeRef,
    ComponentValType, Instance, InstantiationArgKind, Parser, Payload, PrimitiveValType, Validator,
    WasmFeatures,
};

/// The canonical ABI passes at most this many flat parameters in core values; more need
/// a memory (`canon` options), which the subset does not have.
const MAX_FLAT_PARAMS: usize = 16;

/// A type of the component's type index space.
#[derive(Clone)]
enum TypeDef {
    Scalar(ScalarType),
    Func(FuncType),
}

/// A function of the component's function index space.
#[derive(Clone)]
enum ComponentFunc {
    Import(ImportIndex),
    Lifted { core: CoreDef, ty: FuncType },
}

#[derive(Default)]
struct Translator {
    plan: Plan,
    /// The core index spaces, each item resolved to its definition.
    core_funcs: Vec<CoreDef>,
    core_tables: Vec<CoreDef>,
    core_memories: Vec<CoreDef>,
    core_globals: Vec<CoreDef>,
    types: Vec<TypeDef>,
    funcs: Vec<ComponentFunc>,
}

fn unsupported<T>(construct: impl Into<String>, offset: u64) -> Result<T> {
    Err(Error::Unsupported {
        construct: construct.into(),
        offset,
    })
}

/// An inconsistency the validator should have caught.
fn internal(reason: &'static str, offset: u64) -> Error {
    Error::Malformed { reason, offset }
}

/// Translates a component binary into its plan.
pub(crate) fn translate(bytes: &[u8]) -> Result<Plan> {
    // Anything else that is not a component: the validator describes what is wrong.
    if !Parser::is_component(bytes) && Parser::is_core_wasm(bytes) {
        return Err(Error::NotAComponent);
    }
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(bytes)
        .map_err(Error::Invalid)?;
    let mut t = Translator::default();
    let mut in_module = false;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(Error::Invalid)?;
        if in_module {
            in_module = !matches!(payload, Payload::End(_));
            continue;
        }
        t.payload(bytes, payload, &mut in_module)?;
    }
    Ok(t.plan)
}

impl Translator {
    fn payload(&mut self, bytes: &[u8], payload: Payload<'_>, in_module: &mut bool) -> Result<()> {
        match payload {
            Payload::Version { .. } | Payload::End(_) | Payload::CustomSection(_) => {}
            Payload::ModuleSection {
                unchecked_range, ..
            } => {
                *in_module = true;
                let range = unchecked_range.start as usize..unchecked_range.end as usize;
                let module = scan(&bytes[range], unchecked_range.start)?;
                self.plan.modules.push(module);
            }
            Payload::InstanceSection(section) => {
                for item in section.into_iter_with_offsets() {
                    let (offset, instance) = item.map_err(Error::Invalid)?;
                    self.core_instance(instance, offset)?;
                }
            }
            Payload::CoreTypeSection(_) => {
                // Core function and module types only describe; nothing in the subset
                // refers to them (importing a core module is refused).
            }
            Payload::ComponentAliasSection(section) => {
                for item in section.into_iter_with_offsets() {
                    let (offset, alias) = item.map_err(Error::Invalid)?;
                    self.alias(alias, offset)?;
                }
            }
            Payload::ComponentTypeSection(section) => {
                for item in section.into_iter_with_offsets() {
                    let (offset, ty) = item.map_err(Error::Invalid)?;
                    let def = self.component_type(ty, offset)?;
                    self.types.push(def);
                }
            }
            Payload::ComponentCanonicalSection(section) => {
                for item in section.into_iter_with_offsets() {
                    let (offset, canon) = item.map_err(Error::Invalid)?;
                    self.canonical(canon, offset)?;
                }
            }
            Payload::ComponentImportSection(section) => {
                for item in section.into_iter_with_offsets() {
                    let (offset, import) = item.map_err(Error::Invalid)?;
                    let ComponentTypeRef::Func(ty) = import.ty else {
                        return unsupported(
                            format!("{} import", type_ref_name(&import.ty)),
                            offset,
                        );
                    };
                    let ty = self.func_type(ty, offset)?;
                    let index = ImportIndex(self.plan.imports.len() as u32);
                    self.plan.imports.push(ComponentImport {
                        name: import.name.name.to_string(),
                        ty,
                    });
                    self.funcs.push(ComponentFunc::Import(index));
                }
            }
            Payload::ComponentExportSection(section) => {
                for item in section.into_iter_with_offsets() {
                    let (offset, export) = item.map_err(Error::Invalid)?;
                    if export.kind != ComponentExternalKind::Func {
                        return unsupported(
                            format!("{} export", external_kind_name(export.kind)),
                            offset,
                        );
                    }
                    let func = self.funcs.get(export.index as usize).cloned();
                    let Some(ComponentFunc::Lifted { core, ty }) = func else {
                        return unsupported("export of an imported function", offset);
                    };
                    let ty = match export.ty {
                        Some(ComponentTypeRef::Func(t)) => self.func_type(t, offset)?,
                        _ => ty,
                    };
                    self.plan.exports.push(ComponentExport {
                        name: export.name.name.to_string(),
                        ty: ty.clone(),
                        func: core.clone(),
                    });
                    // An export introduces a new index in the function index space.
                    self.funcs.push(ComponentFunc::Lifted { core, ty });
                }
            }
            Payload::ComponentSection {
                unchecked_range, ..
            } => return unsupported("nested component", unchecked_range.start),
            Payload::ComponentInstanceSection(s) => {
                return unsupported("component instance", s.range().start);
            }
            Payload::ComponentStartSection { range, .. } => {
                return unsupported("component start function", range.start);
            }
            other => {
                let offset = other.as_section().map_or(0, |(_, r)| r.start);
                return unsupported("unknown section", offset);
            }
        }
        Ok(())
    }

    fn space(&mut self, kind: CoreKind) -> &mut Vec<CoreDef> {
        match kind {
            CoreKind::Func => &mut self.core_funcs,
            CoreKind::Table => &mut self.core_tables,
            CoreKind::Memory => &mut self.core_memories,
            CoreKind::Global => &mut self.core_globals,
        }
    }

    /// The definition behind export `name` (of `kind`) of core instance `instance`.
    fn instance_export(
        &self,
        instance: u32,
        name: &str,
        kind: CoreKind,
        offset: u64,
    ) -> Result<CoreDef> {
        let missing = || internal("no such export of a core instance", offset);
        match self.plan.core_instances.get(instance as usize) {
            Some(CoreInstance::Instantiated(r)) => {
                let module = self.plan.module_of(*r);
                let export = module.export(name).ok_or_else(missing)?;
                if export.kind != kind {
                    return Err(missing());
                }
                if export.index < module.imported(kind) {
                    // A re-exported import: its definition is whatever fed the import.
                    let position = module
                        .import_position(kind, export.index)
                        .ok_or_else(missing)?;
                    return Ok(self.plan.instantiation(*r).wiring[position].def.clone());
                }
                Ok(CoreDef::Export {
                    instance: *r,
                    name: name.to_string(),
                    kind,
                    index: export.index,
                })
            }
            Some(CoreInstance::FromExports(items)) => items
                .iter()
                .find(|(n, d)| n == name && d.kind() == kind)
                .map(|(_, d)| d.clone())
                .ok_or_else(missing),
            None => Err(missing()),
        }
    }

    fn core_instance(&mut self, instance: Instance<'_>, offset: u64) -> Result<()> {
        let core_instance = CoreInstanceIndex(self.plan.core_instances.len() as u32);
        let made = match instance {
            Instance::Instantiate { module_index, args } => {
                let module = ModuleIndex(module_index);
                let args: Vec<InstanceArg> = args
                    .iter()
                    .map(|a| {
                        let InstantiationArgKind::Instance = a.kind;
                        InstanceArg {
                            name: a.name.to_string(),
                            instance: CoreInstanceIndex(a.index),
                        }
                    })
                    .collect();
                let static_module = self
                    .plan
                    .modules
                    .get(module.index())
                    .ok_or_else(|| internal("unknown core module", offset))?;
                let mut wiring = Vec::new();
                for (position, import) in static_module.imports.iter().enumerate() {
                    let arg = args
                        .iter()
                        .rev()
                        .find(|a| a.name == import.module)
                        .ok_or_else(|| internal("missing instantiation argument", offset))?;
                    let def =
                        self.instance_export(arg.instance.0, &import.name, import.kind, offset)?;
                    wiring.push(Wire {
                        import: position,
                        via: arg.instance,
                        def,
                    });
                }
                let instance = RuntimeInstanceIndex(self.plan.instantiations.len() as u32);
                self.plan.modules[module.index()]
                    .instantiations
                    .push(instance);
                self.plan.instantiations.push(Instantiation {
                    instance,
                    core_instance,
                    module,
                    args,
                    wiring,
                    offset,
                });
                CoreInstance::Instantiated(instance)
            }
            Instance::FromExports(exports) => {
                let mut items = Vec::new();
                for export in exports.iter() {
                    let Some(kind) = core_kind(export.kind) else {
                        return unsupported("core tag", offset);
                    };
                    let def = self
                        .space(kind)
                        .get(export.index as usize)
                        .cloned()
                        .ok_or_else(|| internal("unknown core item", offset))?;
                    items.push((export.name.to_string(), def));
                }
                CoreInstance::FromExports(items)
            }
        };
        self.plan.core_instances.push(made);
        Ok(())
    }

    fn alias(&mut self, alias: ComponentAlias<'_>, offset: u64) -> Result<()> {
        match alias {
            ComponentAlias::CoreInstanceExport {
                kind,
                instance_index,
                name,
            } => {
                let Some(kind) = core_kind(kind) else {
                    return unsupported("alias of a core tag", offset);
                };
                let def = self.instance_export(instance_index, name, kind, offset)?;
                self.space(kind).push(def);
                Ok(())
            }
            ComponentAlias::InstanceExport { .. } => {
                unsupported("alias of a component instance export", offset)
            }
            ComponentAlias::Outer { kind, .. } => {
                let what = match kind {
                    ComponentOuterAliasKind::CoreModule => "core module",
                    ComponentOuterAliasKind::CoreType => "core type",
                    ComponentOuterAliasKind::Type => "type",
                    ComponentOuterAliasKind::Component => "component",
                };
                unsupported(format!("outer alias of a {what}"), offset)
            }
        }
    }

    fn canonical(&mut self, canon: CanonicalFunction, offset: u64) -> Result<()> {
        match canon {
            CanonicalFunction::Lift {
                core_func_index,
                type_index,
                options,
            } => {
                refuse_options("canon lift", &options, offset)?;
                let core = self
                    .core_funcs
                    .get(core_func_index as usize)
                    .cloned()
                    .ok_or_else(|| internal("unknown core function", offset))?;
                let ty = self.func_type(type_index, offset)?;
                self.funcs.push(ComponentFunc::Lifted { core, ty });
            }
            CanonicalFunction::Lower {
                func_index,
                options,
            } => {
                refuse_options("canon lower", &options, offset)?;
                match self.funcs.get(func_index as usize) {
                    Some(ComponentFunc::Import(import)) => {
                        let lowered = LoweredIndex(self.plan.lowered.len() as u32);
                        self.plan.lowered.push(Lowered {
                            import: *import,
                            offset,
                        });
                        self.core_funcs.push(CoreDef::Lowered(lowered));
                    }
                    Some(ComponentFunc::Lifted { .. }) => {
                        return unsupported(
                            "canon lower of a function lifted by the same component",
                            offset,
                        );
                    }
                    None => return Err(internal("unknown function", offset)),
                }
            }
            other => return unsupported(canonical_name(&other), offset),
        }
        Ok(())
    }

    fn func_type(&self, index: u32, offset: u64) -> Result<FuncType> {
        match self.types.get(index as usize) {
            Some(TypeDef::Func(ty)) => Ok(ty.clone()),
            _ => Err(internal("not a function type", offset)),
        }
    }

    fn val_type(&self, ty: &ComponentValType, offset: u64) -> Result<ScalarType> {
        match ty {
            ComponentValType::Primitive(p) => scalar(*p, offset),
            ComponentValType::Type(index) => match self.types.get(*index as usize) {
                Some(TypeDef::Scalar(s)) => Ok(*s),
                _ => Err(internal("not a value type", offset)),
            },
        }
    }

    fn component_type(&self, ty: ComponentType<'_>, offset: u64) -> Result<TypeDef> {
        match ty {
            ComponentType::Defined(ComponentDefinedType::Primitive(p)) => {
                Ok(TypeDef::Scalar(scalar(p, offset)?))
            }
            ComponentType::Defined(defined) => unsupported(defined_name(&defined), offset),
            ComponentType::Func(func) => {
                if func.async_ {
                    return unsupported("async function type", offset);
                }
                if func.params.len() > MAX_FLAT_PARAMS {
                    return unsupported(
                        format!(
                            "function type with more than {MAX_FLAT_PARAMS} parameters \
                             (passed in memory)"
                        ),
                        offset,
                    );
                }
                let mut params = Vec::new();
                for (name, ty) in func.params.iter() {
                    params.push((name.to_string(), self.val_type(ty, offset)?));
                }
                let result = match &func.result {
                    Some(ty) => Some(self.val_type(ty, offset)?),
                    None => None,
                };
                Ok(TypeDef::Func(FuncType { params, result }))
            }
            ComponentType::Component(_) => unsupported("component type", offset),
            ComponentType::Instance(_) => unsupported("instance type", offset),
            ComponentType::Resource { .. } => unsupported("resource type", offset),
        }
    }
}

fn scalar(p: PrimitiveValType, offset: u64) -> Result<ScalarType> {
    Ok(match p {
        PrimitiveValType::Bool => ScalarType::Bool,
        PrimitiveValType::S8 => ScalarType::S8,
        PrimitiveValType::U8 => ScalarType::U8,
        PrimitiveValType::S16 => ScalarType::S16,
        PrimitiveValType::U16 => ScalarType::U16,
        PrimitiveValType::S32 => ScalarType::S32,
        PrimitiveValType::U32 => ScalarType::U32,
        PrimitiveValType::S64 => ScalarType::S64,
        PrimitiveValType::U64 => ScalarType::U64,
        PrimitiveValType::F32 => ScalarType::F32,
        PrimitiveValType::F64 => ScalarType::F64,
        PrimitiveValType::Char => ScalarType::Char,
        PrimitiveValType::String => return unsupported("string", offset),
        PrimitiveValType::ErrorContext => return unsupported("error-context", offset),
    })
}

fn refuse_options(what: &str, options: &[CanonicalOption], offset: u64) -> Result<()> {
    let Some(option) = options.first() else {
        return Ok(());
    };
    let name = match option {
        CanonicalOption::UTF8 => "string-encoding=utf8",
        CanonicalOption::UTF16 => "string-encoding=utf16",
        CanonicalOption::CompactUTF16 => "string-encoding=latin1+utf16",
        CanonicalOption::Memory(_) => "memory",
        CanonicalOption::Realloc(_) => "realloc",
        CanonicalOption::PostReturn(_) => "post-return",
        CanonicalOption::Async => "async",
        CanonicalOption::Callback(_) => "callback",
        CanonicalOption::CoreType(_) => "core-type",
        CanonicalOption::Gc => "gc",
    };
    unsupported(format!("{what} option `{name}`"), offset)
}

fn defined_name(ty: &ComponentDefinedType<'_>) -> &'static str {
    match ty {
        ComponentDefinedType::Primitive(_) => "primitive type",
        ComponentDefinedType::Record(_) => "record",
        ComponentDefinedType::Variant(_) => "variant",
        ComponentDefinedType::List(_) => "list",
        ComponentDefinedType::Map(..) => "map",
        ComponentDefinedType::FixedLengthList(..) => "fixed-length list",
        ComponentDefinedType::Tuple(_) => "tuple",
        ComponentDefinedType::Flags(_) => "flags",
        ComponentDefinedType::Enum(_) => "enum",
        ComponentDefinedType::Option(_) => "option",
        ComponentDefinedType::Result { .. } => "result",
        ComponentDefinedType::Own(_) => "own handle",
        ComponentDefinedType::Borrow(_) => "borrow handle",
        ComponentDefinedType::Future(_) => "future",
        ComponentDefinedType::Stream(_) => "stream",
    }
}

fn type_ref_name(ty: &ComponentTypeRef) -> &'static str {
    match ty {
        ComponentTypeRef::Module(_) => "core module",
        ComponentTypeRef::Func(_) => "function",
        ComponentTypeRef::Value(_) => "value",
        ComponentTypeRef::Type(_) => "type",
        ComponentTypeRef::Instance(_) => "instance",
        ComponentTypeRef::Component(_) => "component",
    }
}

fn external_kind_name(kind: ComponentExternalKind) -> &'static str {
    match kind {
        ComponentExternalKind::Module => "core module",
        ComponentExternalKind::Func => "function",
        ComponentExternalKind::Value => "value",
        ComponentExternalKind::Type => "type",
        ComponentExternalKind::Instance => "instance",
        ComponentExternalKind::Component => "component",
    }
}

/// The text-format name of a canonical built-in outside the subset.
fn canonical_name(canon: &CanonicalFunction) -> String {
    // The variant names (`ResourceNew`, `TaskReturn`, ...) spelled as the text format
    // does (`resource.new`, `task.return`).
    let debug = format!("{canon:?}");
    let variant = debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default();
    let mut name = String::from("canon ");
    let mut first = true;
    for (i, c) in variant.char_indices() {
        if c.is_uppercase() && i > 0 {
            name.push(if first { '.' } else { '-' });
            first = false;
        }
        name.push(c.to_ascii_lowercase());
    }
    name
}
