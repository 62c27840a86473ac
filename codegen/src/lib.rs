//! stagec codegen: translates WebAssembly function bodies to Cranelift IR, validating them
//! on the way, and compiles them into a relocatable [`Artifact`].
//!
//! - [`Compiler::compile_module`]: every defined function of a module (wasm calling
//!   convention, see `stagec_runtime::vm`) plus one entry trampoline per type index;
//! - [`Compiler::compile_host_adapter`]: the adapter through which wasm calls a host
//!   function of a given signature.
//!
//! Layout: `translate/` is the reusable operator logic (split by operator family),
//! `env.rs` the one environment that answers every runtime question, `trampolines.rs` the
//! host glue, `compile.rs` the Cranelift driver and artifact linking, `traps.rs` the trap
//! code mapping.

#![deny(missing_docs)]

mod compile;
mod env;
mod error;
mod trampolines;
mod translate;
mod traps;

pub use error::CodegenError;
pub use stagec_runtime::artifact::Artifact;

use compile::{ArtifactBuilder, CompiledFunction, compile_function};
use cranelift_codegen::Context;
use cranelift_codegen::ir::{Function, UserFuncName};
use cranelift_codegen::isa::{CallConv, OwnedTargetIsa, TargetFrontendConfig, TargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::FunctionBuilderContext;
use env::{FuncEnvironment, wasm_signature};
use rayon::prelude::*;
use stagec_frontend::{FuncType, ParsedModule};
use translate::FuncTranslator;

/// Modules with at least this many functions and trampolines are compiled in parallel.
const PARALLEL_THRESHOLD: usize = 16;

/// Compiles WebAssembly to native code for the host.
pub struct Compiler {
    isa: OwnedTargetIsa,
}

impl std::fmt::Debug for Compiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiler")
            .field("target", &self.isa.triple().to_string())
            .finish_non_exhaustive()
    }
}

/// One unit of parallel work.
#[derive(Clone, Copy)]
enum Job {
    /// A defined function, by defined-function index.
    Function(usize),
    /// The entry trampoline of a type index.
    Trampoline(usize),
}

/// Per-thread reusable state.
struct Worker {
    translator: FuncTranslator,
    builder_ctx: FunctionBuilderContext,
    ctx: Context,
}

impl Worker {
    fn new() -> Self {
        Worker {
            translator: FuncTranslator::new(),
            builder_ctx: FunctionBuilderContext::new(),
            ctx: Context::new(),
        }
    }
}

impl Compiler {
    /// A compiler for the host: Cranelift's native ISA, `opt_level=speed`, frame pointers
    /// preserved, the IR verifier on in debug builds only.
    pub fn new() -> Result<Compiler, CodegenError> {
        let setting = |r: Result<(), settings::SetError>| {
            r.map_err(|e| CodegenError::new(format!("Cranelift setting: {e}")))
        };
        let mut flags = settings::builder();
        setting(flags.set("opt_level", "speed"))?;
        let verifier = if cfg!(debug_assertions) {
            "true"
        } else {
            "false"
        };
        setting(flags.set("enable_verifier", verifier))?;
        setting(flags.enable("enable_multi_ret_implicit_sret"))?;
        setting(flags.enable("preserve_frame_pointers"))?;
        let isa_builder = cranelift_native::builder()
            .map_err(|e| CodegenError::new(format!("unsupported host: {e}")))?;
        let isa = isa_builder
            .finish(settings::Flags::new(flags))
            .map_err(|e| CodegenError::new(format!("Cranelift ISA: {e}")))?;
        Ok(Compiler { isa })
    }

    /// The target ISA code is compiled for.
    pub fn isa(&self) -> &dyn TargetIsa {
        &*self.isa
    }

    /// A string that changes whenever the target or any Cranelift flag changes (part of the
    /// artifact cache key).
    pub fn target_key(&self) -> String {
        let mut key = format!("{} {}", self.isa.triple(), self.isa.flags());
        for flag in self.isa.isa_flags() {
            key.push_str(&format!(" {flag}"));
        }
        key
    }

    fn call_conv(&self) -> CallConv {
        self.isa.default_call_conv()
    }

    fn frontend_config(&self) -> TargetFrontendConfig {
        self.isa.frontend_config()
    }

    fn alignment(&self) -> u32 {
        self.isa.function_alignment().preferred.max(16)
    }

    /// Compiles every defined function of `module` (validating each body while
    /// translating it) and one entry trampoline per type index.
    ///
    /// Artifact order: `functions[i]` is defined function `i`, `entry_trampolines[t]` is
    /// type index `t`. Output is deterministic whether or not compilation ran in parallel;
    /// on failure the error of the lowest-numbered failing function is returned.
    pub fn compile_module(&self, module: &ParsedModule) -> Result<Artifact, CodegenError> {
        let info = &module.info;
        let num_functions = info.bodies.len();
        if module.validators.len() != num_functions
            || info.num_defined_funcs() as usize != num_functions
        {
            return Err(CodegenError::new(
                "module has a different number of function bodies and declared functions",
            ));
        }
        let jobs: Vec<Job> = (0..num_functions)
            .map(Job::Function)
            .chain((0..info.types.len()).map(Job::Trampoline))
            .collect();
        let run = |worker: &mut Worker, job: &Job| match *job {
            Job::Function(i) => self.compile_defined_function(worker, module, i),
            Job::Trampoline(t) => self.compile_entry_trampoline(worker, &info.types[t], t),
        };
        let results: Vec<Result<CompiledFunction, CodegenError>> =
            if jobs.len() >= PARALLEL_THRESHOLD {
                jobs.par_iter().map_init(Worker::new, run).collect()
            } else {
                let mut worker = Worker::new();
                jobs.iter().map(|job| run(&mut worker, job)).collect()
            };

        let mut artifact = ArtifactBuilder::new(self.alignment());
        for (job, result) in jobs.iter().zip(results) {
            let compiled = result?;
            match job {
                Job::Function(_) => artifact.push_function(compiled)?,
                Job::Trampoline(_) => artifact.push_trampoline(compiled)?,
            }
        }
        Ok(artifact.finish())
    }

    /// Compiles the host adapter for signature `ty`: `functions[0]` is the adapter (wasm
    /// calling convention, vmctx = `*mut VMHostFuncContext`), and `entry_trampolines[0]`
    /// the entry trampoline of the same signature (so the host can call a host function
    /// the way it calls a wasm function).
    pub fn compile_host_adapter(&self, ty: &FuncType) -> Result<Artifact, CodegenError> {
        let mut worker = Worker::new();
        let adapter = trampolines::host_adapter(
            self.call_conv(),
            self.frontend_config(),
            &mut worker.builder_ctx,
            ty,
        );
        let adapter = compile_function(&*self.isa, &mut worker.ctx, adapter, 0)?;
        let trampoline = self.compile_entry_trampoline(&mut worker, ty, 0)?;
        let mut artifact = ArtifactBuilder::new(self.alignment());
        artifact.push_function(adapter)?;
        artifact.push_trampoline(trampoline)?;
        Ok(artifact.finish())
    }

    /// The Cranelift IR of defined function `defined_index` as translated, before
    /// optimization (for golden-CLIF tests and debugging).
    pub fn clif(&self, module: &ParsedModule, defined_index: u32) -> Result<String, CodegenError> {
        let mut worker = Worker::new();
        let func = self.translate_defined_function(&mut worker, module, defined_index as usize)?;
        Ok(func.display().to_string())
    }

    fn translate_defined_function(
        &self,
        worker: &mut Worker,
        module: &ParsedModule,
        defined_index: usize,
    ) -> Result<Function, CodegenError> {
        let info = &module.info;
        let func_index = info.num_imported_funcs + defined_index as u32;
        let (Some(body), Some(seed)) = (
            info.bodies.get(defined_index),
            module.validators.get(defined_index),
        ) else {
            return Err(CodegenError::new(format!(
                "no defined function with index {defined_index}"
            )));
        };
        let seed = wasmparser::FuncToValidate {
            resources: seed.resources.clone(),
            index: seed.index,
            ty: seed.ty,
            features: seed.features,
        };
        let mut func = Function::with_name_signature(
            UserFuncName::user(0, defined_index as u32),
            wasm_signature(self.call_conv(), info.func_type(func_index)),
        );
        let mut env = FuncEnvironment::new(info, self.call_conv());
        let bytes = module
            .bytes
            .get(body.range.clone())
            .ok_or_else(|| CodegenError::new("function body range outside the module bytes"))?;
        worker
            .translator
            .translate(
                &mut env,
                &mut func,
                seed,
                bytes,
                body.range.start,
                self.frontend_config(),
            )
            .map_err(|e| e.in_function(func_index))?;
        Ok(func)
    }

    fn compile_defined_function(
        &self,
        worker: &mut Worker,
        module: &ParsedModule,
        defined_index: usize,
    ) -> Result<CompiledFunction, CodegenError> {
        let func = self.translate_defined_function(worker, module, defined_index)?;
        let info = &module.info;
        let func_index = info.num_imported_funcs + defined_index as u32;
        let body_offset = info.bodies[defined_index].range.start as u32;
        compile_function(&*self.isa, &mut worker.ctx, func, body_offset)
            .map_err(|e| e.in_function(func_index))
    }

    fn compile_entry_trampoline(
        &self,
        worker: &mut Worker,
        ty: &FuncType,
        type_index: usize,
    ) -> Result<CompiledFunction, CodegenError> {
        let func = trampolines::entry_trampoline(
            self.call_conv(),
            self.frontend_config(),
            &mut worker.builder_ctx,
            ty,
            type_index as u32,
        );
        compile_function(&*self.isa, &mut worker.ctx, func, 0)
    }
}
