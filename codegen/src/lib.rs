//! stagec codegen: translates WebAssembly function bodies to Cranelift IR, validating them
//! on the way, and compiles them into a relocatable [`Artifact`].
//!
//! - [`Compiler::compile_module`]: every defined function of a module (wasm calling
//!   convention, see `stagec_runtime::vm`) plus one entry trampoline per type index;
//! - [`Compiler::compile_units`]: the same for a module specialized on its preimports
//!   ([`ImportBinding`]), together with the providers of its preimported functions
//!   (fixed units), whose small functions are inlined into their callers;
//! - [`Compiler::explain`]: the optimized CLIF and machine code of one function;
//! - [`Compiler::compile_host_adapter`]: the adapter through which wasm calls a host
//!   function of a given signature.
//!
//! Layout: `translate/` is the reusable operator logic (split by operator family, plus the
//! constant-tracking layer `translate/consts.rs`), `units.rs` the compilation units and the
//! checked plan of where each unit's entities live, `env/` the one environment that
//! answers every runtime question from that plan (its calls in `env/calls.rs`),
//! `inline.rs` the inlining policy, `known.rs` the functions a context unit copies, `trampolines.rs` the host glue, `compile.rs` the
//! Cranelift driver and artifact linking, `traps.rs` the mapping of `stagec_environ`'s
//! trap kinds to Cranelift trap codes, `error.rs` the typed errors.

#![deny(missing_docs)]

mod compile;
mod counts;
mod env;
mod error;
mod fixed;
mod inline;
mod known;
mod trampolines;
mod translate;
mod traps;
mod units;

pub use counts::CallCounts;
pub use error::{
    BindingError, BindingProblem, CodegenError, CodegenErrorKind, OutputProblem, SetupError,
    UnitsProblem, Unsupported,
};
pub use fixed::fixed_addresses;
pub use known::{KNOWN_CODE_CALLEE_BUDGET, KNOWN_CODE_MAX_BODY, known_code_functions};
pub use stagec_environ::artifact::Artifact;
pub use units::{
    CompileOptions, CompileUnit, ConstValue, DEFAULT_INLINE_THRESHOLD, Explanation, FixedInstance,
    ImportBinding, MemoryExtent,
};

use compile::{
    ArtifactBuilder, CompiledFunction, compile_context, compile_function, compiled_function,
};
use cranelift_codegen::Context;
use cranelift_codegen::ir::{Function, UserFuncName};
use cranelift_codegen::isa::{CallConv, OwnedTargetIsa, TargetFrontendConfig, TargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::FunctionBuilderContext;
use env::{FuncEnvironment, wasm_signature};
use inline::{Inliner, inst_count};
use rayon::prelude::*;
use stagec_frontend::{FuncType, ParsedModule};
use std::ops::Range;
use translate::FuncTranslator;
use units::{UnitPlan, plan_units};

/// Modules with at least this many functions and trampolines are compiled in parallel.
const PARALLEL_THRESHOLD: usize = 16;

/// Compiles WebAssembly to native code for the host.
pub struct Compiler {
    isa: OwnedTargetIsa,
    timings: CompileTimings,
}

/// Time this compiler spent so far, summed over threads: translating wasm to CLIF, and in
/// Cranelift (inlining, optimization, lowering, register allocation, emission). Read
/// [`Compiler::timings`] before and after a compilation for its share (concurrent
/// compilations on one compiler are summed together).
#[derive(Debug, Default)]
pub struct CompileTimings {
    translate_ns: std::sync::atomic::AtomicU64,
    codegen_ns: std::sync::atomic::AtomicU64,
}

impl CompileTimings {
    /// A guard adding the time until it is dropped to `counter`.
    fn timer(counter: &std::sync::atomic::AtomicU64) -> Timer<'_> {
        Timer {
            counter,
            start: std::time::Instant::now(),
        }
    }

    /// (translate, Cranelift) so far.
    pub fn snapshot(&self) -> (std::time::Duration, std::time::Duration) {
        let get = |c: &std::sync::atomic::AtomicU64| {
            std::time::Duration::from_nanos(c.load(std::sync::atomic::Ordering::Relaxed))
        };
        (get(&self.translate_ns), get(&self.codegen_ns))
    }
}

impl std::fmt::Debug for Compiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiler")
            .field("target", &self.isa.triple().to_string())
            .finish_non_exhaustive()
    }
}

/// See [`CompileTimings::timer`].
struct Timer<'a> {
    counter: &'a std::sync::atomic::AtomicU64,
    start: std::time::Instant,
}

impl Drop for Timer<'_> {
    fn drop(&mut self) {
        let ns = self.start.elapsed().as_nanos() as u64;
        self.counter
            .fetch_add(ns, std::sync::atomic::Ordering::Relaxed);
    }
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
            r.map_err(|e| CodegenError::new(SetupError::Setting(e)))
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
        let isa_builder =
            cranelift_native::builder().map_err(|e| CodegenError::new(SetupError::Host(e)))?;
        let isa = isa_builder
            .finish(settings::Flags::new(flags))
            .map_err(|e| CodegenError::new(SetupError::Isa(e)))?;
        Ok(Compiler {
            isa,
            timings: CompileTimings::default(),
        })
    }

    /// Time spent compiling so far.
    pub fn timings(&self) -> &CompileTimings {
        &self.timings
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
    /// translating it) and one entry trampoline per type index: the generic build, every
    /// import bound at run time ([`Self::compile_units`] with one
    /// [`CompileUnit::generic`]).
    ///
    /// Artifact order: `functions[i]` is defined function `i`, `entry_trampolines[t]` is
    /// type index `t`. Output is deterministic whether or not compilation ran in parallel;
    /// on failure the error of the lowest-numbered failing function is returned.
    pub fn compile_module(&self, module: &ParsedModule) -> Result<Artifact, CodegenError> {
        self.compile_units(&[CompileUnit::generic(module)], &CompileOptions::default())
    }

    /// Compiles every defined function of every unit into one artifact, specialized on
    /// the units' import bindings (see [`ImportBinding`]).
    ///
    /// Artifact order: `functions` holds unit 0's defined functions (defined-index order),
    /// then unit 1's, ...; `unit_starts[u]` is the index of unit `u`'s first one.
    /// `entry_trampolines[t]` is type index `t` of unit 0. Direct calls into other units
    /// are inlined when the callee is small (`opts.inline_threshold`).
    ///
    /// Output is deterministic whether or not compilation ran in parallel. A binding that
    /// does not fit its import is an error naming the import; otherwise, on failure, the
    /// error of the lowest-numbered failing function is returned.
    pub fn compile_units(
        &self,
        units: &[CompileUnit<'_>],
        opts: &CompileOptions,
    ) -> Result<Artifact, CodegenError> {
        let (plans, starts) = plan_units(units)?;
        for plan in &plans {
            check_bodies(plan.module)?;
        }
        // In artifact order: job `i` is artifact function `i`.
        let functions: Vec<(usize, u32)> = plans
            .iter()
            .enumerate()
            .flat_map(|(u, plan)| plan.compiled.iter().map(move |&d| (u, d)))
            .collect();

        let compiled = if opts.inline_threshold > 0 && plans.len() > 1 {
            self.compile_with_inlining(&plans, &starts, functions, opts)?
        } else {
            run_jobs(functions, |worker, (u, d)| {
                let func = self.translate_defined_function(worker, &plans[u], d, opts)?;
                self.compile_translated(worker, &plans[u], d, func, None)
            })
        };
        let types = &plans[0].info().types;
        let trampolines = run_jobs((0..types.len()).collect(), |worker, t| {
            self.compile_entry_trampoline(worker, &types[t], t)
        });

        let mut artifact = ArtifactBuilder::new(self.alignment());
        for function in compiled {
            artifact.push_function(function?)?;
        }
        for trampoline in trampolines {
            artifact.push_trampoline(trampoline?)?;
        }
        let mut artifact = artifact.finish(starts);
        artifact.fixed = plans[0].fixed_slots.addresses().to_vec();
        Ok(artifact)
    }

    /// Translates every function first (callees must exist as CLIF before their callers
    /// are compiled), then inlines and compiles each one.
    fn compile_with_inlining(
        &self,
        plans: &[UnitPlan<'_>],
        starts: &[u32],
        functions: Vec<(usize, u32)>,
        opts: &CompileOptions,
    ) -> Result<Vec<Result<CompiledFunction, CodegenError>>, CodegenError> {
        let threshold = opts.inline_threshold;
        let translated = run_jobs(functions.clone(), |worker, (u, d)| {
            self.translate_defined_function(worker, &plans[u], d, opts)
        });
        // Unit 0's functions are never callees of other units (unit 0 is not instantiated
        // at compile time, so no other unit can call it): they are moved into their jobs;
        // the other units' functions are kept as inlining candidates and cloned.
        let mut owned = Vec::with_capacity(functions.len());
        let mut candidates = Vec::with_capacity(functions.len());
        for (&(u, d), func) in functions.iter().zip(translated) {
            let func = func?;
            if u == 0 {
                owned.push((u, d, Some(func)));
                candidates.push(None);
            } else {
                owned.push((u, d, None));
                candidates.push(Some(func));
            }
        }
        let sizes: Vec<usize> = candidates
            .iter()
            .map(|f| f.as_ref().map_or(0, inst_count))
            .collect();
        let own_offsets = own_offsets(plans);
        let jobs = owned.into_iter().enumerate().collect();
        Ok(run_jobs(jobs, |worker, (index, (u, d, func))| {
            let func = func.unwrap_or_else(|| {
                candidates[index]
                    .clone()
                    .expect("functions of units other than 0 are candidates")
            });
            let own = unit_range(plans, starts, u);
            let inliner = Inliner::new(&candidates, &sizes, &own_offsets, own, threshold);
            self.compile_translated(worker, &plans[u], d, func, Some(inliner))
        }))
    }

    /// The optimized CLIF (after inlining and Cranelift's optimizer) and the machine code
    /// of defined function `defined_index` of unit 0, compiled as [`Self::compile_units`]
    /// would, with instruction counts (for golden tests and `stagec explain`).
    pub fn explain(
        &self,
        units: &[CompileUnit<'_>],
        opts: &CompileOptions,
        defined_index: u32,
    ) -> Result<Explanation, CodegenError> {
        let (plans, starts) = plan_units(units)?;
        for plan in &plans {
            check_bodies(plan.module)?;
        }
        let mut worker = Worker::new();
        let func = self.translate_defined_function(&mut worker, &plans[0], defined_index, opts)?;
        let inlining = opts.inline_threshold > 0 && plans.len() > 1;
        let mut candidates: Vec<Option<Function>> = Vec::new();
        if inlining {
            candidates.resize(starts[1] as usize, None);
            for plan in plans.iter().skip(1) {
                for &d in &plan.compiled {
                    let callee = self.translate_defined_function(&mut worker, plan, d, opts)?;
                    candidates.push(Some(callee));
                }
            }
        }
        let sizes: Vec<usize> = candidates
            .iter()
            .map(|f| f.as_ref().map_or(0, inst_count))
            .collect();

        let func_index = plans[0].info().num_imported_funcs + defined_index;
        let ctx = &mut worker.ctx;
        ctx.clear();
        ctx.func = func;
        ctx.set_disasm(true);
        if inlining {
            let own = unit_range(&plans, &starts, 0);
            let own_offsets = own_offsets(&plans);
            let mut inliner = Inliner::new(
                &candidates,
                &sizes,
                &own_offsets,
                own,
                opts.inline_threshold,
            );
            inline_calls(ctx, &mut inliner).map_err(|e| e.in_function(func_index))?;
        }
        compile_context(&*self.isa, ctx).map_err(|e| e.in_function(func_index))?;
        let disasm = ctx
            .compiled_code()
            .and_then(|c| c.vcode.clone())
            .unwrap_or_default();
        Ok(Explanation {
            clif: ctx.func.display().to_string(),
            clif_insts: inst_count(&ctx.func),
            machine_insts: count_machine_insts(&disasm),
            vmctx_loads: counts::vmctx_loads(&ctx.func),
            calls: counts::calls(&ctx.func),
            disasm,
        })
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
        Ok(artifact.finish(vec![0]))
    }

    /// The Cranelift IR of defined function `defined_index` as translated for the generic
    /// build, before optimization (for golden-CLIF tests and debugging).
    pub fn clif(&self, module: &ParsedModule, defined_index: u32) -> Result<String, CodegenError> {
        let (plans, _) = plan_units(&[CompileUnit::generic(module)])?;
        check_bodies(module)?;
        let mut worker = Worker::new();
        let opts = CompileOptions::default();
        let func = self.translate_defined_function(&mut worker, &plans[0], defined_index, &opts)?;
        Ok(func.display().to_string())
    }

    fn translate_defined_function(
        &self,
        worker: &mut Worker,
        plan: &UnitPlan<'_>,
        defined_index: u32,
        opts: &CompileOptions,
    ) -> Result<Function, CodegenError> {
        let _timer = CompileTimings::timer(&self.timings.translate_ns);
        let module = plan.module;
        let info = &module.info;
        let func_index = info.num_imported_funcs + defined_index;
        let (Some(body), Some(seed)) = (
            info.bodies.get(defined_index as usize),
            module.validators.get(defined_index as usize),
        ) else {
            return Err(CodegenError::new(CodegenErrorKind::NoSuchFunction {
                defined_index,
            }));
        };
        let seed = wasmparser::FuncToValidate {
            resources: seed.resources.clone(),
            index: seed.index,
            ty: seed.ty,
            features: seed.features,
        };
        let artifact_index = plan
            .artifact_index(defined_index)
            .ok_or_else(|| CodegenError::new(CodegenErrorKind::NoSuchFunction { defined_index }))?;
        let mut func = Function::with_name_signature(
            UserFuncName::user(0, artifact_index),
            wasm_signature(self.call_conv(), info.func_type(func_index)),
        );
        let mut env = FuncEnvironment::new(plan, self.call_conv(), opts);
        let bytes = module
            .bytes
            .get(body.range.clone())
            .ok_or_else(|| CodegenError::new(CodegenErrorKind::BodyOutsideModule))?;
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

    /// Inlines calls of `func` (defined function `defined_index` of `plan`'s unit) as
    /// `inliner` decides, then compiles it.
    fn compile_translated(
        &self,
        worker: &mut Worker,
        plan: &UnitPlan<'_>,
        defined_index: u32,
        func: Function,
        inliner: Option<Inliner<'_>>,
    ) -> Result<CompiledFunction, CodegenError> {
        let _timer = CompileTimings::timer(&self.timings.codegen_ns);
        let info = plan.info();
        let func_index = info.num_imported_funcs + defined_index;
        let body_offset = info.bodies[defined_index as usize].range.start as u32;
        let ctx = &mut worker.ctx;
        ctx.clear();
        ctx.func = func;
        let result = match inliner {
            Some(mut inliner) => inline_calls(ctx, &mut inliner),
            None => Ok(()),
        };
        result
            .and_then(|()| compile_context(&*self.isa, ctx))
            .and_then(|()| compiled_function(ctx, body_offset))
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

/// Checks that `module` has one body and one validator per defined function.
fn check_bodies(module: &ParsedModule) -> Result<(), CodegenError> {
    let info = &module.info;
    let n = info.bodies.len();
    if module.validators.len() != n || info.num_defined_funcs() as usize != n {
        return Err(CodegenError::new(CodegenErrorKind::BodyCountMismatch));
    }
    Ok(())
}

/// Runs `f` on every job, in parallel when there are many; results in job order.
fn run_jobs<T: Send, R: Send>(jobs: Vec<T>, f: impl Fn(&mut Worker, T) -> R + Sync) -> Vec<R> {
    if jobs.len() >= PARALLEL_THRESHOLD {
        jobs.into_par_iter()
            .map_init(Worker::new, |worker, job| f(worker, job))
            .collect()
    } else {
        let mut worker = Worker::new();
        jobs.into_iter().map(|job| f(&mut worker, job)).collect()
    }
}

/// Artifact indices of unit `u`'s functions.
fn unit_range(plans: &[UnitPlan<'_>], starts: &[u32], u: usize) -> Range<u32> {
    starts[u]..starts[u] + plans[u].num_compiled()
}

/// Per artifact function: whether its instructions keep their own source locations when
/// inlined (known code of a context unit: a trap in it reports its own module's offset,
/// as the same code called through an import would) rather than the call's (see
/// `inline.rs`).
fn own_offsets(plans: &[UnitPlan<'_>]) -> Vec<bool> {
    plans
        .iter()
        .enumerate()
        .flat_map(|(u, plan)| {
            let context = u > 0 && plan.fixed_vmctx.is_none();
            std::iter::repeat_n(context, plan.compiled.len())
        })
        .collect()
}

/// Runs Cranelift's inliner over the function in `ctx`, as `inliner` decides.
fn inline_calls(ctx: &mut Context, inliner: &mut Inliner<'_>) -> Result<(), CodegenError> {
    ctx.inline(&mut *inliner)
        .map_err(|e| CodegenError::new(CodegenErrorKind::Inlining(e)))?;
    if inliner.inlined_any() {
        inliner.fix_source_locations(&mut ctx.func);
    }
    Ok(())
}

/// The number of instructions in Cranelift's disassembly (lines that are neither blank,
/// block labels nor unwind pseudo-instructions).
fn count_machine_insts(disasm: &str) -> usize {
    disasm
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.ends_with(':') && !line.starts_with("unwind "))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CLIF of unit 0's defined function `index` as translated, before inlining and
    /// optimization.
    fn translated(wat: &str, imports: Vec<ImportBinding>, index: u32) -> String {
        let module = stagec_frontend::parse(wat::parse_str(wat).unwrap()).unwrap();
        let units = [CompileUnit {
            module: &module,
            imports,
            fixed: None,
            functions: None,
        }];
        let (plans, _) = plan_units(&units).unwrap();
        let compiler = Compiler::new().unwrap();
        let func = compiler
            .translate_defined_function(
                &mut Worker::new(),
                &plans[0],
                index,
                &CompileOptions::default(),
            )
            .unwrap();
        func.display().to_string()
    }

    #[test]
    fn dead_arms_are_not_translated() {
        let wat = r#"(module
            (import "env" "mode" (global $mode i32))
            (func (param i32) (result i32)
                (if (result i32) (i32.eq (global.get $mode) (i32.const 1))
                    (then (i32.const 1111))
                    (else (i32.mul (local.get 0) (i32.const 2222)))))
            (func (param i32) (result i32)
                (block $b (br_if $b (global.get $mode)) (drop (i32.const 3333)))
                (select (i32.const 4444) (local.get 0) (global.get $mode))))"#;
        let bind = |mode| vec![ImportBinding::Constant(ConstValue::I32(mode))];
        let then = translated(wat, bind(1), 0);
        assert!(!then.contains("brif") && !then.contains("2222"), "{then}");
        let otherwise = translated(wat, bind(0), 0);
        assert!(
            !otherwise.contains("brif") && !otherwise.contains("1111"),
            "{otherwise}"
        );
        assert!(otherwise.contains("2222"), "{otherwise}");
        let generic = translated(wat, vec![ImportBinding::Runtime], 0);
        assert!(
            generic.contains("brif") && generic.contains("2222"),
            "{generic}"
        );

        let taken = translated(wat, bind(1), 1);
        assert!(
            !taken.contains("brif") && !taken.contains("3333"),
            "{taken}"
        );
        assert!(
            !taken.contains("select") && taken.contains("4444"),
            "{taken}"
        );
        let not_taken = translated(wat, bind(0), 1);
        assert!(
            !not_taken.contains("brif") && not_taken.contains("3333"),
            "{not_taken}"
        );
        // The operands of `select` are translated before its condition is seen; the unused
        // one is dead code for the optimizer.
        assert!(!not_taken.contains("select"), "{not_taken}");
        assert!(not_taken.contains("jump block1(v2)"), "{not_taken}");
    }
}
