//! Relaxed SIMD gives the results wasmtime 48 gives with `relaxed_simd_deterministic`
//! (README, "Relaxed SIMD"): every relaxed operator on edge-case operands (NaNs, ±0,
//! infinities, out-of-range floats and swizzle indices, `-128 × -128` in the dot products),
//! on both engines, bit for bit.

use stagec::{Engine, Linker, Module, Store, Val};

/// Relaxed operators and their operand counts.
const OPERATORS: &[(&str, usize)] = &[
    ("i8x16.relaxed_swizzle", 2),
    ("i32x4.relaxed_trunc_f32x4_s", 1),
    ("i32x4.relaxed_trunc_f32x4_u", 1),
    ("i32x4.relaxed_trunc_f64x2_s_zero", 1),
    ("i32x4.relaxed_trunc_f64x2_u_zero", 1),
    ("f32x4.relaxed_madd", 3),
    ("f32x4.relaxed_nmadd", 3),
    ("f64x2.relaxed_madd", 3),
    ("f64x2.relaxed_nmadd", 3),
    ("i8x16.relaxed_laneselect", 3),
    ("i16x8.relaxed_laneselect", 3),
    ("i32x4.relaxed_laneselect", 3),
    ("i64x2.relaxed_laneselect", 3),
    ("f32x4.relaxed_min", 2),
    ("f32x4.relaxed_max", 2),
    ("f64x2.relaxed_min", 2),
    ("f64x2.relaxed_max", 2),
    ("i16x8.relaxed_q15mulr_s", 2),
    ("i16x8.relaxed_dot_i8x16_i7x16_s", 2),
    ("i32x4.relaxed_dot_i8x16_i7x16_add_s", 3),
];

/// Operands: f32 and f64 edge cases, bytes at the edges of i8 and of swizzle indices.
fn operands() -> Vec<u128> {
    let f32s = |lanes: [f32; 4]| -> u128 {
        lanes
            .iter()
            .enumerate()
            .map(|(i, x)| u128::from(x.to_bits()) << (32 * i))
            .sum()
    };
    let f64s = |a: f64, b: f64| u128::from(a.to_bits()) | u128::from(b.to_bits()) << 64;
    vec![
        0,
        u128::MAX,
        0x8080_8080_8080_8080_8080_8080_8080_8080,
        0x7f80_ff01_107f_0f10_2040_8011_0203_0405,
        f32s([f32::NAN, -0.0, f32::INFINITY, -f32::INFINITY]),
        f32s([3e9, -3e9, 4.5e9, -1.5]),
        f32s([0.0, 1.0, -1.0, f32::MIN_POSITIVE]),
        0x7fc0_0001_ffc0_0002_7fa0_0000_ff80_0001,
        f64s(f64::NAN, -0.0),
        f64s(5e9, -5e9),
        f64s(1e300, f64::INFINITY),
        f64s(1.0 + f64::EPSILON, -1.0),
        0x8000_7fff_8000_7fff_c000_4000_0001_ffff,
    ]
}

#[test]
fn relaxed_simd_matches_wasmtime_deterministic() {
    let mut funcs = String::new();
    for (i, (op, arity)) in OPERATORS.iter().enumerate() {
        let params = "v128 ".repeat(*arity);
        let gets: String = (0..*arity).map(|k| format!("(local.get {k}) ")).collect();
        funcs.push_str(&format!(
            "(func (export \"f{i}\") (param {params}) (result v128) ({op} {gets}))\n"
        ));
    }
    let wat = format!("(module {funcs})");

    let engine = Engine::new(stagec::Config::default()).unwrap();
    let module = Module::new(&engine, &wat).unwrap();
    let mut store = Store::new(&engine);
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();

    let mut config = wasmtime::Config::new();
    config.wasm_relaxed_simd(true);
    config.relaxed_simd_deterministic(true);
    let wt_engine = wasmtime::Engine::new(&config).unwrap();
    let wt_module = wasmtime::Module::new(&wt_engine, &wat).unwrap();
    let mut wt_store = wasmtime::Store::new(&wt_engine, ());
    let wt_instance = wasmtime::Instance::new(&mut wt_store, &wt_module, &[]).unwrap();

    let values = operands();
    let mut compared = 0;
    for (i, (op, arity)) in OPERATORS.iter().enumerate() {
        let name = format!("f{i}");
        let f = instance.get_func(&store, &name).unwrap();
        let wt_f = wt_instance.get_func(&mut wt_store, &name).unwrap();
        // Every operand in every position, the others cycling through the list.
        for (j, _) in values.iter().enumerate() {
            for shift in 0..values.len() {
                let args: Vec<u128> = (0..*arity)
                    .map(|k| values[(j + k * shift) % values.len()])
                    .collect();
                let mut out = [Val::V128(0)];
                let stagec_args: Vec<Val> = args.iter().map(|&a| Val::V128(a)).collect();
                f.call(&mut store, &stagec_args, &mut out).unwrap();
                let wt_args: Vec<wasmtime::Val> = args
                    .iter()
                    .map(|&a| wasmtime::Val::V128(a.into()))
                    .collect();
                let mut wt_out = [wasmtime::Val::V128(0u128.into())];
                wt_f.call(&mut wt_store, &wt_args, &mut wt_out).unwrap();
                let wasmtime::Val::V128(expected) = wt_out[0] else {
                    panic!("{op}: wasmtime returned {:?}", wt_out[0]);
                };
                assert_eq!(
                    out[0].v128(),
                    Some(expected.as_u128()),
                    "{op} on {args:x?}: stagec {:#034x}, wasmtime {:#034x}",
                    out[0].v128().unwrap(),
                    expected.as_u128()
                );
                compared += 1;
            }
        }
    }
    assert_eq!(compared, OPERATORS.len() * values.len() * values.len());
}
