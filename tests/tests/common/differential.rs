//! Differential execution of one module on wasmtime and on stagec, shared by
//! `tests/differential_wasmtime.rs` and the `differential` fuzz target (which includes this
//! file with `#[path]`).
//!
//! A module is run three ways:
//!
//! 1. wasmtime 48 (the reference), every import supplied at instantiation;
//! 2. stagec, generic: the same imports, supplied at instantiation;
//! 3. stagec, specialized: a random subset of the imports bound at compile time with
//!    [`stagec::Module::with_preimports`] (immutable globals as constants, live memories,
//!    tables, globals and functions as `Preimport::Extern`), the rest at instantiation.
//!
//! Every import is supplied by the harness with the same deterministic value on every
//! engine: globals get "interesting" values (0, -1, page boundaries, NaN, ...), memories
//! and tables are created at their minimum size, and imported functions are host
//! functions whose results hash their arguments together with the number of host calls
//! made so far (so a missing, extra or reordered call changes everything after it).
//!
//! Then every exported function is called, in export order, with deterministic arguments.
//! Compared: whether instantiation succeeded or how it trapped, each call's results
//! (floats bit-exact except that any NaN equals any NaN of the same type; references by
//! null-ness) or trap kind, and at the end the bytes of every memory, the value of every
//! exported or imported global, the null-ness of every table element and the trace of host
//! calls.
//!
//! Stack overflow depth differs between engines (frame sizes differ), so a call that
//! overflows on either engine ends the comparison of that module: both overflowing counts
//! as agreement, one overflowing as inconclusive. Nothing after it is compared (the
//! fuel counter and memory then legitimately differ).

#![allow(dead_code)]

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

/// Fuel that `ensure_termination` gives a module (shared by all calls on one instance):
/// each loop iteration and function entry costs 1, bulk operations their length.
pub const FUEL: u32 = 100_000;

/// Native stack (bytes) for wasm code on both engines.
pub const MAX_WASM_STACK: usize = 1 << 20;

/// SplitMix64: small, seedable, good enough.
#[derive(Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn fnv(h: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *h ^= *b as u64;
        *h = h.wrapping_mul(0x100_0000_01b3);
    }
}

// ---------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------

/// The wasm-smith configuration: the engine's feature set (Wasm 2.0 with SIMD and relaxed
/// SIMD, plus memory64 with table64, multi-memory and extended constant expressions), small
/// memories and tables with a required maximum (so `memory.grow`/`table.grow` stay cheap
/// and equal on both engines), and a few knobs drawn from `r` (swarm testing).
pub fn smith_config(r: &mut Rng) -> wasm_smith::Config {
    let mut c = wasm_smith::Config::default();
    // SIMD and relaxed SIMD (wasmtime lowers relaxed SIMD deterministically, like stagec).
    c.simd_enabled = true;
    c.relaxed_simd_enabled = true;
    // Not supported by stagec (or not Wasm 2.0).
    c.threads_enabled = false;
    c.tail_call_enabled = false;
    c.gc_enabled = false;
    c.exceptions_enabled = false;
    c.custom_page_sizes_enabled = false;
    c.wide_arithmetic_enabled = false;
    c.compact_imports_enabled = false;
    c.custom_descriptors_enabled = false;
    c.shared_everything_threads_enabled = false;
    c.acquire_release_atomics_enabled = false;
    c.multibyte_array_access_enabled = false;
    // Wasm 2.0, and the parts of 3.0 stagec supports.
    c.bulk_memory_enabled = true;
    c.reference_types_enabled = true;
    c.multi_value_enabled = true;
    c.sign_extension_ops_enabled = true;
    c.saturating_float_to_int_enabled = true;
    c.memory64_enabled = true;
    c.extended_const_enabled = true;
    // Sizes.
    c.max_memory32_bytes = 1 << 20;
    c.max_memory64_bytes = 1 << 20;
    c.max_memories = 1 + r.below(3) as usize; // multi-memory
    c.memory_max_size_required = true;
    c.max_table_elements = 1_000;
    c.table_max_size_required = true;
    c.max_tables = 1 + r.below(4) as usize;
    c.min_imports = r.below(4) as usize;
    c.max_imports = c.min_imports + r.below(10) as usize;
    // Random bytes (unlike a fuzzer's evolved inputs) stop wasm-smith's "one more?"
    // loops early; minimums keep the modules worth running.
    c.min_funcs = 1 + r.below(8) as usize;
    c.max_funcs = c.min_funcs + r.below(30) as usize;
    c.min_globals = r.below(4) as usize;
    c.max_globals = c.min_globals + r.below(20) as usize;
    c.min_memories = r.chance(70) as u32;
    c.min_exports = 1 + r.below(6) as usize;
    c.max_exports = c.min_exports + r.below(40) as usize;
    c.min_data_segments = r.below(3) as usize;
    c.min_element_segments = r.below(3) as usize;
    c.max_instructions = 20 + r.below(1500) as usize;
    c.max_data_segments = c.min_data_segments + r.below(12) as usize;
    c.max_element_segments = c.min_element_segments + r.below(12) as usize;
    c.max_elements = r.below(40) as usize;
    c.max_nesting_depth = 2 + r.below(10) as usize;
    // Knobs.
    c.export_everything = r.chance(80);
    c.disallow_traps = r.chance(35);
    c.allow_floats = r.chance(85);
    c.canonicalize_nans = r.chance(50);
    c.generate_custom_sections = r.chance(10);
    c.min_uleb_size = if r.chance(10) {
        1 + r.below(5) as u8
    } else {
        1
    };
    c.allow_start_export = true;
    c
}

/// Module bytes for `seed`, or `None` when wasm-smith gives up on the input (it can
/// when the random bytes run out before a configured minimum is met; three more inputs
/// drawn from the same seed are tried first).
pub fn generate(seed: u64) -> Option<Vec<u8>> {
    let mut r = Rng(seed);
    (0..4).find_map(|_| {
        let config = smith_config(&mut r);
        let len = 1024 + r.below(32 * 1024) as usize;
        let data = r.bytes(len);
        generate_with(config, &data)
    })
}

/// Module bytes from fuzzer input: the configuration's knobs from the first 8 bytes.
pub fn generate_from_data(data: &[u8]) -> Option<Vec<u8>> {
    let (head, rest) = data.split_at(data.len().min(8));
    let mut seed = [0u8; 8];
    seed[..head.len()].copy_from_slice(head);
    let config = smith_config(&mut Rng(u64::from_le_bytes(seed)));
    generate_with(config, rest)
}

fn generate_with(config: wasm_smith::Config, data: &[u8]) -> Option<Vec<u8>> {
    let mut u = arbitrary::Unstructured::new(data);
    let mut module = wasm_smith::Module::new(config, &mut u).ok()?;
    module.ensure_termination(FUEL).ok()?;
    Some(module.to_bytes())
}

// ---------------------------------------------------------------------------------------
// Engine-neutral values and plans
// ---------------------------------------------------------------------------------------

/// A value type, engine-neutral.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    I32,
    I64,
    F32,
    F64,
    V128,
    FuncRef,
    ExternRef,
}

/// A value, engine-neutral; function references by null-ness (`true` = non-null),
/// external references by their host payload.
#[derive(Clone, Copy, Debug)]
pub enum V {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    FuncRef(bool),
    ExternRef(Option<u64>),
}

impl V {
    /// Equality up to NaN payloads.
    pub fn same(&self, other: &V) -> bool {
        match (self, other) {
            (V::I32(a), V::I32(b)) => a == b,
            (V::I64(a), V::I64(b)) => a == b,
            (V::F32(a), V::F32(b)) => {
                a == b || (f32::from_bits(*a).is_nan() && f32::from_bits(*b).is_nan())
            }
            (V::F64(a), V::F64(b)) => {
                a == b || (f64::from_bits(*a).is_nan() && f64::from_bits(*b).is_nan())
            }
            (V::V128(a), V::V128(b)) => a == b || canonical_v128(*a) == canonical_v128(*b),
            (V::FuncRef(a), V::FuncRef(b)) => a == b,
            (V::ExternRef(a), V::ExternRef(b)) => a == b,
            _ => false,
        }
    }

    /// The value's type.
    pub fn ty(&self) -> Ty {
        match self {
            V::I32(_) => Ty::I32,
            V::I64(_) => Ty::I64,
            V::F32(_) => Ty::F32,
            V::F64(_) => Ty::F64,
            V::V128(_) => Ty::V128,
            V::FuncRef(_) => Ty::FuncRef,
            V::ExternRef(_) => Ty::ExternRef,
        }
    }

    /// Bytes for hashing, every NaN of a type hashing alike.
    fn hash_into(&self, h: &mut u64) {
        match *self {
            V::I32(v) => fnv(h, &[&[0u8][..], &v.to_le_bytes()].concat()),
            V::I64(v) => fnv(h, &[&[1u8][..], &v.to_le_bytes()].concat()),
            V::F32(v) => {
                let v = if f32::from_bits(v).is_nan() {
                    0x7fc0_0000
                } else {
                    v
                };
                fnv(h, &[&[2u8][..], &v.to_le_bytes()].concat())
            }
            V::F64(v) => {
                let v = if f64::from_bits(v).is_nan() {
                    0x7ff8_0000_0000_0000
                } else {
                    v
                };
                fnv(h, &[&[3u8][..], &v.to_le_bytes()].concat())
            }
            V::V128(v) => fnv(h, &[&[6u8][..], &canonical_v128(v).to_le_bytes()].concat()),
            V::FuncRef(b) => fnv(h, &[4, b as u8]),
            V::ExternRef(r) => fnv(
                h,
                &[&[5u8][..], &r.map_or(u64::MAX, |p| p).to_le_bytes()].concat(),
            ),
        }
    }

    /// A value of `ty` derived from the hash `h`.
    fn from_hash(ty: Ty, h: u64) -> V {
        match ty {
            Ty::I32 => V::I32(h as i32),
            Ty::I64 => V::I64(h as i64),
            Ty::F32 => V::F32((h >> 16) as u32),
            Ty::F64 => V::F64(h.rotate_left(7)),
            Ty::V128 => V::V128(u128::from(h) << 64 | u128::from(h.rotate_left(29))),
            Ty::FuncRef => V::FuncRef(false),
            Ty::ExternRef => V::ExternRef(None),
        }
    }

    /// An "interesting" value of `ty`.
    pub fn interesting(ty: Ty, r: &mut Rng) -> V {
        match ty {
            Ty::I32 => V::I32(match r.below(12) {
                0 => 0,
                1 => 1,
                2 => -1,
                3 => i32::MIN,
                4 => i32::MAX,
                5 => 65536,
                6 => 65535,
                7 => 65536 - 4,
                8 | 9 => r.below(64) as i32,
                10 => (r.below(1 << 20) as i32) & !7,
                _ => r.next() as i32,
            }),
            Ty::I64 => V::I64(match r.below(10) {
                0 => 0,
                1 => 1,
                2 => -1,
                3 => i64::MIN,
                4 => i64::MAX,
                5 => 1 << 32,
                6 | 7 => r.below(64) as i64,
                8 => r.next() as i32 as i64,
                _ => r.next() as i64,
            }),
            Ty::F32 => V::F32(match r.below(12) {
                0 => 0f32.to_bits(),
                1 => (-0f32).to_bits(),
                2 => 1f32.to_bits(),
                3 => (-1.5f32).to_bits(),
                4 => f32::NAN.to_bits(),
                5 => f32::INFINITY.to_bits(),
                6 => f32::NEG_INFINITY.to_bits(),
                7 => 2147483648f32.to_bits(),
                8 => 4294967296f32.to_bits(),
                9 => f32::MIN_POSITIVE.to_bits(),
                10 => (r.below(2000) as f32 - 1000.0).to_bits(),
                _ => r.next() as u32,
            }),
            Ty::F64 => V::F64(match r.below(12) {
                0 => 0f64.to_bits(),
                1 => (-0f64).to_bits(),
                2 => 1f64.to_bits(),
                3 => (-1.5f64).to_bits(),
                4 => f64::NAN.to_bits(),
                5 => f64::INFINITY.to_bits(),
                6 => f64::NEG_INFINITY.to_bits(),
                7 => 9223372036854775808f64.to_bits(),
                8 => 4294967296f64.to_bits(),
                9 => f64::MIN_POSITIVE.to_bits(),
                10 => (r.below(2000) as f64 - 1000.0).to_bits(),
                _ => r.next(),
            }),
            Ty::V128 => V::V128(match r.below(6) {
                0 => 0,
                1 => u128::MAX,
                2 => {
                    // Four interesting f32 lanes.
                    let mut v = 0u128;
                    for lane in 0..4 {
                        let V::F32(bits) = V::interesting(Ty::F32, r) else {
                            unreachable!()
                        };
                        v |= u128::from(bits) << (32 * lane);
                    }
                    v
                }
                3 => {
                    // Two interesting f64 lanes.
                    let V::F64(low) = V::interesting(Ty::F64, r) else {
                        unreachable!()
                    };
                    let V::F64(high) = V::interesting(Ty::F64, r) else {
                        unreachable!()
                    };
                    u128::from(high) << 64 | u128::from(low)
                }
                4 => u128::from_le_bytes(std::array::from_fn(|_| r.below(256) as u8 ^ 0x80)),
                _ => u128::from(r.next()) << 64 | u128::from(r.next()),
            }),
            Ty::FuncRef => V::FuncRef(false),
            Ty::ExternRef => V::ExternRef(r.chance(50).then(|| r.below(1000))),
        }
    }
}

/// What the harness supplies for one import.
#[derive(Clone, Debug)]
pub enum ImportPlan {
    Func {
        params: Vec<Ty>,
        results: Vec<Ty>,
    },
    Global {
        ty: Ty,
        mutable: bool,
        value: V,
    },
    /// `is_64`: a memory64 (i64 addresses).
    Memory {
        min: u64,
        max: Option<u64>,
        is_64: bool,
    },
    /// `is_64`: a table64 (i64 indices).
    Table {
        elem: Ty,
        is_64: bool,
        min: u64,
        max: Option<u64>,
    },
}

/// How stagec's specialized build binds one import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bind {
    /// Supplied at instantiation.
    Runtime,
    /// `Preimport::Value` (immutable numeric globals).
    Value,
    /// `Preimport::Extern` of the host object.
    Extern,
}

/// Everything that is the same for every engine: imports, the calls to make, what to
/// snapshot.
#[derive(Clone, Debug)]
pub struct Plan {
    pub imports: Vec<(String, String, ImportPlan)>,
    pub binds: Vec<Bind>,
    pub calls: Vec<(String, Vec<V>)>,
    pub memories: Vec<String>,
    pub globals: Vec<String>,
    pub tables: Vec<String>,
}

impl Plan {
    /// Every export is called twice: in export order, then again with other arguments
    /// (against the state the first round left).
    fn second_round(&mut self, r: &mut Rng) {
        let again: Vec<(String, Vec<V>)> = self
            .calls
            .iter()
            .map(|(name, args)| {
                let args = args.iter().map(|a| V::interesting(a.ty(), r)).collect();
                (name.clone(), args)
            })
            .collect();
        self.calls.extend(again);
    }

    /// Whether the specialized build binds anything.
    pub fn specializes(&self) -> bool {
        self.binds.iter().any(|b| *b != Bind::Runtime)
    }
}

fn ty_of(t: &wasmtime::ValType) -> Ty {
    match t {
        wasmtime::ValType::I32 => Ty::I32,
        wasmtime::ValType::I64 => Ty::I64,
        wasmtime::ValType::F32 => Ty::F32,
        wasmtime::ValType::F64 => Ty::F64,
        wasmtime::ValType::V128 => Ty::V128,
        t if t.is_funcref() => Ty::FuncRef,
        t if t.is_externref() => Ty::ExternRef,
        t => panic!("unexpected value type {t:?} (wasm-smith config)"),
    }
}

fn ref_ty(t: &wasmtime::RefType) -> Ty {
    ty_of(&wasmtime::ValType::Ref(t.clone()))
}

/// The plan for `module` (as wasmtime describes it), values drawn from `r`.
pub fn plan(module: &wasmtime::Module, r: &mut Rng) -> Plan {
    let mut imports = Vec::new();
    for imp in module.imports() {
        let p = match imp.ty() {
            wasmtime::ExternType::Func(f) => ImportPlan::Func {
                params: f.params().map(|t| ty_of(&t)).collect(),
                results: f.results().map(|t| ty_of(&t)).collect(),
            },
            wasmtime::ExternType::Global(g) => {
                let ty = ty_of(g.content());
                ImportPlan::Global {
                    ty,
                    mutable: g.mutability() == wasmtime::Mutability::Var,
                    value: V::interesting(ty, r),
                }
            }
            wasmtime::ExternType::Memory(m) => ImportPlan::Memory {
                min: m.minimum(),
                max: m.maximum(),
                is_64: m.is_64(),
            },
            wasmtime::ExternType::Table(t) => ImportPlan::Table {
                elem: ref_ty(t.element()),
                is_64: t.is_64(),
                min: t.minimum(),
                max: t.maximum(),
            },
            other => panic!("unexpected import type {other:?} (wasm-smith config)"),
        };
        imports.push((imp.module().to_string(), imp.name().to_string(), p));
    }
    let binds = choose_binds(&imports, r);
    let mut plan = Plan {
        imports,
        binds,
        calls: Vec::new(),
        memories: Vec::new(),
        globals: Vec::new(),
        tables: Vec::new(),
    };
    for exp in module.exports() {
        let name = exp.name().to_string();
        match exp.ty() {
            wasmtime::ExternType::Func(f) => {
                let args = f.params().map(|t| V::interesting(ty_of(&t), r)).collect();
                plan.calls.push((name, args));
            }
            wasmtime::ExternType::Global(_) => plan.globals.push(name),
            wasmtime::ExternType::Memory(_) => plan.memories.push(name),
            wasmtime::ExternType::Table(_) => plan.tables.push(name),
            other => panic!("unexpected export type {other:?} (wasm-smith config)"),
        }
    }
    plan.second_round(r);
    plan
}

/// Which imports the specialized build binds, and how. Only imports whose (module, name)
/// is unique are bound: preimports are keyed by name.
fn choose_binds(imports: &[(String, String, ImportPlan)], r: &mut Rng) -> Vec<Bind> {
    imports
        .iter()
        .map(|(m, n, p)| {
            let unique = imports
                .iter()
                .filter(|(m2, n2, _)| m2 == m && n2 == n)
                .count()
                == 1;
            if !unique || r.chance(20) {
                return Bind::Runtime;
            }
            match p {
                ImportPlan::Global {
                    ty: Ty::I32 | Ty::I64 | Ty::F32 | Ty::F64 | Ty::V128,
                    mutable: false,
                    ..
                } if r.chance(75) => Bind::Value,
                _ => Bind::Extern,
            }
        })
        .collect()
}

fn ty_of_sc(t: stagec::ValType) -> Ty {
    match t {
        stagec::ValType::I32 => Ty::I32,
        stagec::ValType::I64 => Ty::I64,
        stagec::ValType::F32 => Ty::F32,
        stagec::ValType::F64 => Ty::F64,
        stagec::ValType::V128 => Ty::V128,
        stagec::ValType::FuncRef => Ty::FuncRef,
        stagec::ValType::ExternRef => Ty::ExternRef,
    }
}

/// The plan for `module` as stagec describes it (for runs without wasmtime).
pub fn plan_stagec(module: &stagec::Module, r: &mut Rng) -> Plan {
    use stagec::{EntityType, ExternKind};
    let info = module.info();
    let mut imports = Vec::new();
    for imp in &info.imports {
        let p = match &imp.ty {
            EntityType::Func(t) => {
                let ft = &info.types[*t as usize];
                ImportPlan::Func {
                    params: ft.params.iter().map(|t| ty_of_sc(*t)).collect(),
                    results: ft.results.iter().map(|t| ty_of_sc(*t)).collect(),
                }
            }
            EntityType::Global(g) => ImportPlan::Global {
                ty: ty_of_sc(g.ty),
                mutable: g.mutable,
                value: V::interesting(ty_of_sc(g.ty), r),
            },
            EntityType::Memory(m) => ImportPlan::Memory {
                min: m.limits.min,
                max: m.limits.max,
                is_64: m.index.is_64(),
            },
            EntityType::Table(t) => ImportPlan::Table {
                elem: ty_of_sc(t.element),
                is_64: t.index.is_64(),
                min: t.limits.min,
                max: t.limits.max,
            },
        };
        imports.push((imp.module.clone(), imp.name.clone(), p));
    }
    let binds = choose_binds(&imports, r);
    let mut plan = Plan {
        imports,
        binds,
        calls: Vec::new(),
        memories: Vec::new(),
        globals: Vec::new(),
        tables: Vec::new(),
    };
    for exp in &info.exports {
        let name = exp.name.clone();
        match exp.kind {
            ExternKind::Func => {
                let ft = info.func_type(exp.index);
                let args = ft
                    .params
                    .iter()
                    .map(|t| V::interesting(ty_of_sc(*t), r))
                    .collect();
                plan.calls.push((name, args));
            }
            ExternKind::Global => plan.globals.push(name),
            ExternKind::Memory => plan.memories.push(name),
            ExternKind::Table => plan.tables.push(name),
        }
    }
    plan.second_round(r);
    plan
}

// ---------------------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------------------

/// Trap kinds as both engines can report them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrapClass {
    StackOverflow,
    MemoryOutOfBounds,
    /// Table access out of bounds, including `call_indirect` past the end.
    TableOutOfBounds,
    IndirectCallToNull,
    BadSignature,
    IntegerOverflow,
    IntegerDivisionByZero,
    BadConversionToInteger,
    Unreachable,
}

/// How a call (or instantiation) ended.
#[derive(Clone, Debug)]
pub enum Outcome {
    Ok(Vec<V>),
    Trap(TrapClass),
    /// Any other error (message).
    Error(String),
}

impl Outcome {
    fn same(&self, other: &Outcome) -> bool {
        match (self, other) {
            (Outcome::Ok(a), Outcome::Ok(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y))
            }
            (Outcome::Trap(a), Outcome::Trap(b)) => a == b,
            _ => false,
        }
    }
    fn overflowed(&self) -> bool {
        matches!(self, Outcome::Trap(TrapClass::StackOverflow))
    }
}

/// Final state.
#[derive(Clone, Debug, Default)]
pub struct State {
    /// (what, bytes): imported memories by import index, exported ones by name.
    pub memories: Vec<(String, Vec<u8>)>,
    pub globals: Vec<(String, V)>,
    /// (what, every element).
    pub tables: Vec<(String, Vec<V>)>,
    /// Number of host calls and the hash of their arguments.
    pub host_calls: (u64, u64),
}

/// One engine's run of a module.
#[derive(Clone, Debug)]
pub struct Run {
    pub instantiate: Outcome,
    pub calls: Vec<Outcome>,
    pub state: State,
}

/// Host-call trace shared by every host function of one run.
#[derive(Default)]
struct Trace {
    count: u64,
    hash: u64,
}

/// The host function of import `index`: results hash the arguments and the call count.
fn host_call(trace: &Mutex<Trace>, index: usize, params: &[V], results: &[Ty]) -> Vec<V> {
    let mut t = trace.lock().unwrap_or_else(|e| e.into_inner());
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    fnv(&mut h, &(index as u64).to_le_bytes());
    for p in params {
        p.hash_into(&mut h);
    }
    t.count += 1;
    t.hash = t.hash.rotate_left(5) ^ h;
    fnv(&mut h, &t.count.to_le_bytes());
    let mut out = Vec::with_capacity(results.len());
    for (i, ty) in results.iter().enumerate() {
        let mut hi = h;
        fnv(&mut hi, &[i as u8]);
        out.push(V::from_hash(*ty, hi));
    }
    out
}

/// `v128` bits with every NaN lane made canonical (as `f64` lanes where a lane is an `f64`
/// NaN, else as `f32` lanes): engines may differ in NaN payloads, and the lane shape of a
/// `v128` result is unknown.
fn canonical_v128(v: u128) -> u128 {
    let mut out = 0u128;
    for half in 0..2 {
        let mut lane = (v >> (64 * half)) as u64;
        if f64::from_bits(lane).is_nan() {
            lane = 0x7ff8_0000_0000_0000;
        } else {
            for word in 0..2 {
                let bits = (lane >> (32 * word)) as u32;
                if f32::from_bits(bits).is_nan() {
                    lane &= !(u64::from(u32::MAX) << (32 * word));
                    lane |= 0x7fc0_0000u64 << (32 * word);
                }
            }
        }
        out |= u128::from(lane) << (64 * half);
    }
    out
}

// ---------------------------------------------------------------------------------------
// The two engines (one file each, beside this one)
// ---------------------------------------------------------------------------------------

#[path = "differential_wasmtime_runner.rs"]
mod wasmtime_runner;
pub use wasmtime_runner::*;

#[path = "differential_stagec_runner.rs"]
mod stagec_runner;
pub use stagec_runner::*;

// ---------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------

/// How the comparison of two runs ended.
#[derive(Debug)]
pub enum Verdict {
    /// Everything compared agreed; `calls` calls compared, `stopped_by_overflow` when a
    /// shared stack overflow ended the comparison early.
    Agree {
        calls: usize,
        stopped_by_overflow: bool,
    },
    /// One engine overflowed the stack where the other did not: not comparable from there.
    Inconclusive { calls: usize },
    /// A difference, described.
    Mismatch(String),
}

fn show(o: &Outcome) -> String {
    match o {
        Outcome::Ok(vs) => format!("ok {vs:?}"),
        Outcome::Trap(t) => format!("trap {t:?}"),
        Outcome::Error(e) => format!("error {e}"),
    }
}

/// Compares `b` (stagec) against `a` (the reference).
pub fn compare(plan: &Plan, a: &Run, b: &Run) -> Verdict {
    if a.instantiate.overflowed() || b.instantiate.overflowed() {
        return if a.instantiate.overflowed() && b.instantiate.overflowed() {
            Verdict::Agree {
                calls: 0,
                stopped_by_overflow: true,
            }
        } else {
            Verdict::Inconclusive { calls: 0 }
        };
    }
    if !a.instantiate.same(&b.instantiate) {
        return Verdict::Mismatch(format!(
            "instantiation: reference {} / stagec {}",
            show(&a.instantiate),
            show(&b.instantiate)
        ));
    }
    let mut compared = 0;
    for (i, (x, y)) in a.calls.iter().zip(&b.calls).enumerate() {
        if x.overflowed() || y.overflowed() {
            return if x.overflowed() && y.overflowed() {
                Verdict::Agree {
                    calls: compared + 1,
                    stopped_by_overflow: true,
                }
            } else {
                Verdict::Inconclusive { calls: compared }
            };
        }
        if !x.same(y) {
            let args = &plan.calls[i].1;
            return Verdict::Mismatch(format!(
                "call #{i} {:?}{args:?}: reference {} / stagec {}",
                plan.calls[i].0,
                show(x),
                show(y)
            ));
        }
        compared += 1;
    }
    if a.calls.len() != b.calls.len() {
        return Verdict::Mismatch(format!(
            "{} calls made by the reference, {} by stagec",
            a.calls.len(),
            b.calls.len()
        ));
    }
    let (sa, sb) = (&a.state, &b.state);
    for ((wa, ma), (wb, mb)) in sa.memories.iter().zip(&sb.memories) {
        if wa != wb || ma != mb {
            let first = ma.iter().zip(mb).position(|(x, y)| x != y);
            let mut msg = format!(
                "memory {wa}: {} bytes (reference) / {} bytes (stagec)",
                ma.len(),
                mb.len()
            );
            if let Some(at) = first {
                let end = (at + 16).min(ma.len()).min(mb.len());
                let _ = write!(
                    msg,
                    ", first difference at {at:#x}: {:02x?} / {:02x?}",
                    &ma[at..end],
                    &mb[at..end]
                );
            }
            return Verdict::Mismatch(msg);
        }
    }
    for ((wa, ga), (wb, gb)) in sa.globals.iter().zip(&sb.globals) {
        if wa != wb || !ga.same(gb) {
            return Verdict::Mismatch(format!("global {wa}: reference {ga:?} / stagec {gb:?}"));
        }
    }
    for ((wa, ta), (wb, tb)) in sa.tables.iter().zip(&sb.tables) {
        if wa != wb || ta.len() != tb.len() || ta.iter().zip(tb).any(|(x, y)| !x.same(y)) {
            return Verdict::Mismatch(format!(
                "table {wa}: {} elements {:?} (reference) / {} elements {:?} (stagec)",
                ta.len(),
                ta,
                tb.len(),
                tb
            ));
        }
    }
    if (sa.memories.len(), sa.globals.len(), sa.tables.len())
        != (sb.memories.len(), sb.globals.len(), sb.tables.len())
    {
        return Verdict::Mismatch("different numbers of memories/globals/tables".into());
    }
    if sa.host_calls != sb.host_calls {
        return Verdict::Mismatch(format!(
            "host calls: {} (reference) / {} (stagec), or their arguments differ",
            sa.host_calls.0, sb.host_calls.0
        ));
    }
    Verdict::Agree {
        calls: compared,
        stopped_by_overflow: false,
    }
}

// ---------------------------------------------------------------------------------------
// One module, end to end
// ---------------------------------------------------------------------------------------

/// Both engines, made once per thread.
pub struct Engines {
    pub wasmtime: wasmtime::Engine,
    pub stagec: stagec::Engine,
}

impl Engines {
    pub fn new() -> Engines {
        Engines {
            wasmtime: wasmtime_engine(),
            stagec: stagec_engine(),
        }
    }
}

/// What checking one module found.
#[derive(Debug, Default)]
pub struct Report {
    /// wasmtime rejected the module (wasm-smith produced something outside the shared
    /// feature set): nothing was compared.
    pub rejected: Option<String>,
    /// Exported functions called and compared (generic run).
    pub calls: usize,
    /// Of the reference's calls: returned, trapped (other than by stack overflow).
    pub returned: usize,
    pub trapped: usize,
    /// The reference's instantiation trapped.
    pub instantiation_trapped: bool,
    /// The specialized build was run and compared.
    pub specialized: bool,
    /// A run was cut short by one engine overflowing the stack.
    pub inconclusive: bool,
    /// Differences found, described.
    pub mismatches: Vec<String>,
}

/// Runs `bytes` on wasmtime, stagec and specialized stagec and compares them. `seed` draws
/// the import values, arguments and bindings.
pub fn check_module(engines: &Engines, bytes: &[u8], seed: u64) -> Report {
    let mut report = Report::default();
    let module = match wasmtime::Module::new(&engines.wasmtime, bytes) {
        Ok(m) => m,
        Err(e) => {
            report.rejected = Some(format!("{e:#}"));
            return report;
        }
    };
    let plan = plan(&module, &mut Rng(seed ^ 0x5eed));
    let reference = run_wasmtime(&engines.wasmtime, &module, &plan);
    report.instantiation_trapped = !matches!(reference.instantiate, Outcome::Ok(_));
    for c in &reference.calls {
        match c {
            Outcome::Ok(_) => report.returned += 1,
            Outcome::Trap(t) if *t != TrapClass::StackOverflow => report.trapped += 1,
            _ => {}
        }
    }
    if std::env::var_os("STAGEC_DIFF_VERBOSE").is_some() {
        eprintln!(
            "seed {seed}: {} bytes, {} imports, {} exported functions; instantiate: {}; calls: {:?}",
            bytes.len(),
            plan.imports.len(),
            plan.calls.len(),
            show(&reference.instantiate),
            reference.calls.iter().map(show).collect::<Vec<_>>()
        );
    }
    let variants: &[bool] = if plan.specializes() {
        &[false, true]
    } else {
        &[false]
    };
    for &specialize in variants {
        let label = if specialize { "specialized" } else { "generic" };
        let run = match run_stagec(&engines.stagec, bytes, &plan, specialize) {
            Ok(run) => run,
            Err(e) => {
                report.mismatches.push(format!("stagec {label}: {e}"));
                continue;
            }
        };
        match compare(&plan, &reference, &run) {
            Verdict::Agree { calls, .. } => {
                if !specialize {
                    report.calls = calls;
                }
            }
            Verdict::Inconclusive { calls } => {
                report.inconclusive = true;
                if !specialize {
                    report.calls = calls;
                }
            }
            Verdict::Mismatch(m) => report.mismatches.push(format!("stagec {label}: {m}")),
        }
        if specialize {
            report.specialized = true;
        }
    }
    report
}
