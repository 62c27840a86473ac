//! Helpers shared by the specialization tests: modules from text, compilation units with
//! made-up fixed addresses, a provider and its consumer.

use stagec_codegen::{
    CodegenError, CompileOptions, CompileUnit, Compiler, FixedInstance, ImportBinding,
};
use stagec_frontend::ParsedModule;

pub fn parse(wat: &str) -> ParsedModule {
    let bytes = wat::parse_str(wat).expect("valid wat");
    stagec_frontend::parse(bytes).expect("frontend accepts the module")
}

pub fn unit(module: &ParsedModule, imports: Vec<ImportBinding>) -> CompileUnit<'_> {
    CompileUnit {
        module,
        imports,
        fixed: None,
    }
}

/// A fixed unit whose instance data sits at made-up addresses (code using them is
/// compiled, never run).
pub fn fixed_unit(module: &ParsedModule, imports: Vec<ImportBinding>) -> CompileUnit<'_> {
    let info = &module.info;
    CompileUnit {
        module,
        imports,
        fixed: Some(FixedInstance {
            vmctx: 0x1000,
            memories: (0..info.memories.len())
                .map(|i| (0x10_0000 * (i + 1), 0x2000 + 16 * i))
                .collect(),
            memory_extents: Vec::new(),
            tables: (0..info.tables.len()).map(|i| 0x2800 + 16 * i).collect(),
            globals: (0..info.globals.len()).map(|i| 0x3000 + 16 * i).collect(),
        }),
    }
}

pub fn compile_err(units: &[CompileUnit<'_>]) -> CodegenError {
    Compiler::new()
        .unwrap()
        .compile_units(units, &CompileOptions::default())
        .expect_err("compilation must fail")
}

pub const PROVIDER: &str = r#"(module
    (func (export "inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))"#;

pub const CONSUMER: &str = r#"(module
    (import "p" "inc" (func $inc (param i32) (result i32)))
    (func (param i32) (result i32) (call $inc (local.get 0))))"#;
