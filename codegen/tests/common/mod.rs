//! Helpers shared by the specialization tests: modules from text, compilation units with
//! made-up fixed addresses, a provider and its consumer, compiling and explaining, and the
//! opcodes of optimized CLIF.

#![allow(dead_code)]

use stagec_codegen::{
    Artifact, CodegenError, CompileOptions, CompileUnit, Compiler, Explanation, FixedInstance,
    ImportBinding,
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
        functions: None,
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
        functions: None,
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

pub fn opts(inline_threshold: usize) -> CompileOptions {
    CompileOptions {
        inline_threshold,
        ..CompileOptions::default()
    }
}

pub fn explain(units: &[CompileUnit<'_>], opts: &CompileOptions, func: u32) -> Explanation {
    Compiler::new()
        .unwrap()
        .explain(units, opts, func)
        .unwrap_or_else(|e| panic!("explain failed: {e}"))
}

pub fn compile(units: &[CompileUnit<'_>], opts: &CompileOptions) -> Artifact {
    Compiler::new()
        .unwrap()
        .compile_units(units, opts)
        .unwrap_or_else(|e| panic!("compile failed: {e}"))
}

/// The opcodes of the CLIF instructions in `clif` (not of global-value declarations),
/// without type suffixes: `v7 = load.i32 little v6+23` gives `load`.
pub fn opcodes(clif: &str) -> Vec<String> {
    clif.lines()
        .map(|line| line.split(';').next().unwrap().trim())
        .filter(|line| !line.is_empty())
        .skip_while(|line| !line.starts_with("block"))
        .filter(|line| !line.starts_with("block") && *line != "}")
        .map(|line| {
            let line = match line.strip_prefix('@') {
                Some(rest) => rest.split_once(' ').map_or("", |(_, r)| r.trim()),
                None => line,
            };
            let inst = line.split_once(" = ").map_or(line, |(_, r)| r);
            let op = inst.split_whitespace().next().unwrap_or("");
            op.split('.').next().unwrap().to_string()
        })
        .collect()
}

pub fn count(clif: &str, opcode: &str) -> usize {
    opcodes(clif).iter().filter(|op| *op == opcode).count()
}
