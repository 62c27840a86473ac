//! A large synthetic module for E6, shaped like compiled C or Rust code.
//!
//! Larger than any real module in the repository (E6 measures the largest real-code
//! workload too, with `--workloads`), and reproducible anywhere: `n`
//! functions of type `(i32 x, i32 depth) -> i32`, deterministic (a fixed-seed xorshift
//! decides everything), with what compiled code is made of: integer and i64 arithmetic,
//! loads and stores at masked addresses with offsets, f64 arithmetic with saturating
//! conversions, bounded counted loops, if/else, `br_table` switches, direct calls and
//! `call_indirect` through a table of all functions. Every call passes `depth - 1` and is
//! made only while `depth > 0`, so every call terminates; addresses are masked into the
//! module's 1 MiB memory, so nothing traps. Function sizes vary: most small, some large.
//!
//! `run(n)` zeroes the memory, then calls function `i mod N` with `depth` 2 for i in 0..n
//! and sums the results: the generated code's speed, on both engines.

use std::fmt::Write;

/// The default number of functions.
pub const DEFAULT_FUNCTIONS: usize = 3000;

/// Deterministic choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn i32(&mut self) -> i32 {
        self.next() as i32
    }
}

/// The i32 locals that statements assign (besides them, every function has its
/// parameters `$x` and `$d`, loop counters `$i0` and `$i1`, `$l: i64` and `$f: f64`).
const I32_LOCALS: [&str; 3] = ["$a", "$b", "$c"];

struct Gen<'r> {
    rng: &'r mut Rng,
    functions: usize,
    out: String,
    /// Nesting depth of blocks/loops/ifs being generated.
    nest: usize,
}

impl Gen<'_> {
    fn var(&mut self) -> &'static str {
        ["$a", "$b", "$c", "$x"][self.rng.below(4) as usize]
    }

    /// An i32 expression over the locals.
    fn expr(&mut self, depth: usize) -> String {
        if depth == 0 || self.rng.below(3) == 0 {
            return match self.rng.below(3) {
                0 => format!("(i32.const {})", self.constant()),
                _ => format!("(local.get {})", self.var()),
            };
        }
        let op = [
            "i32.add",
            "i32.sub",
            "i32.mul",
            "i32.xor",
            "i32.and",
            "i32.or",
            "i32.shl",
            "i32.shr_u",
            "i32.shr_s",
            "i32.rotl",
        ][self.rng.below(10) as usize];
        format!("({op} {} {})", self.expr(depth - 1), self.expr(depth - 1))
    }

    /// An in-bounds address: masked to 0..=0xffffc, 4-aligned; with an offset of at most
    /// 252 every access stays inside the 17-page memory.
    fn address(&mut self) -> String {
        format!("(i32.and {} (i32.const 0xffffc))", self.expr(1))
    }

    fn line(&mut self, text: &str) {
        for _ in 0..self.nest + 2 {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// A small constant mostly (offsets, masks, counts), sometimes a full-width one.
    fn constant(&mut self) -> i32 {
        if self.rng.below(4) == 0 {
            self.rng.i32()
        } else {
            self.rng.below(256) as i32
        }
    }

    /// One statement; compound ones only while nesting is shallow.
    fn statement(&mut self) {
        // Weights of 16: simple statements 10, calls 2, if 2, loop 1, switch 1; nested
        // deeper than 2, only simple statements and calls.
        let compound = self.nest < 2;
        let kind = self.rng.below(if compound { 16 } else { 11 });
        match kind {
            0..=3 => {
                let (v, e) = (self.var_set(), self.expr(2));
                self.line(&format!("(local.set {v} {e})"));
            }
            4 => {
                let v = self.var_set();
                let e = self.expr(1);
                let k = self.rng.next() | 1;
                self.line(&format!(
                    "(local.set $l (i64.add (i64.mul (local.get $l) (i64.const {})) (i64.extend_i32_u {e})))",
                    k as i64
                ));
                self.line(&format!(
                    "(local.set {v} (i32.xor (local.get {v}) (i32.wrap_i64 (i64.shr_u (local.get $l) (i64.const 29)))))"
                ));
            }
            5 | 6 => {
                let (addr, off, v) = (self.address(), self.rng.below(64) * 4, self.var());
                self.line(&format!("(i32.store offset={off} {addr} (local.get {v}))"));
            }
            7 | 8 => {
                let (v, addr, off) = (self.var_set(), self.address(), self.rng.below(64) * 4);
                self.line(&format!(
                    "(local.set {v} (i32.add (local.get {v}) (i32.load offset={off} {addr})))"
                ));
            }
            9 => {
                let (v, e) = (self.var_set(), self.expr(1));
                self.line(&format!(
                    "(local.set $f (f64.add (f64.mul (local.get $f) (f64.const 0.75)) (f64.convert_i32_s {e})))"
                ));
                self.line(&format!(
                    "(local.set {v} (i32.add (local.get {v}) (i32.trunc_sat_f64_s (f64.sqrt (f64.abs (local.get $f))))))"
                ));
            }
            10 => self.call(),
            11 => self.counted_loop(),
            12 | 13 => {
                let c = self.expr(1);
                self.line(&format!("(if (i32.and {c} (i32.const 1))"));
                self.nest += 1;
                self.line("(then");
                self.body(1, 3);
                self.line(")");
                self.line("(else");
                self.body(1, 2);
                self.line("))");
                self.nest -= 1;
            }
            14 => self.switch(),
            _ => self.call(),
        }
    }

    fn var_set(&mut self) -> &'static str {
        I32_LOCALS[self.rng.below(3) as usize]
    }

    fn body(&mut self, min: u64, max: u64) {
        for _ in 0..min + self.rng.below(max - min + 1) {
            self.statement();
        }
    }

    fn counted_loop(&mut self) {
        // One counter per nesting level, so that an inner loop never resets an outer one.
        let (trips, level) = (2 + self.rng.below(15), self.nest);
        self.line(&format!("(local.set $i{level} (i32.const 0))"));
        self.line(&format!("(loop $loop{level}"));
        self.nest += 1;
        self.body(2, 5);
        self.line(&format!(
            "(local.set $i{level} (i32.add (local.get $i{level}) (i32.const 1)))"
        ));
        self.line(&format!(
            "(br_if $loop{level} (i32.lt_u (local.get $i{level}) (i32.const {trips}))))"
        ));
        self.nest -= 1;
    }

    fn switch(&mut self) {
        let (arms, level) = (3 + self.rng.below(4) as usize, self.nest);
        let selector = self.expr(1);
        // (block $end (block $arm_k-1 ... (block $arm_0 (br_table $arm_0 .. $end sel))
        //   arm 0 (br $end)) arm 1 (br $end)) ... arm k-1)
        let end = format!("$end{level}");
        self.line(&format!("(block {end}"));
        for k in (0..arms).rev() {
            self.line(&format!("(block $arm{level}_{k}"));
        }
        let targets: Vec<String> = (0..arms).map(|k| format!("$arm{level}_{k}")).collect();
        self.line(&format!(
            "(br_table {} {end} (i32.and {selector} (i32.const 7))))",
            targets.join(" ")
        ));
        for k in 0..arms {
            self.nest += 1;
            self.body(1, 3);
            self.nest -= 1;
            if k + 1 < arms {
                self.line(&format!("(br {end}))"));
            } else {
                self.line(")");
            }
        }
    }

    fn call(&mut self) {
        let v = self.var_set();
        let arg = self.expr(1);
        let callee = if self.rng.below(3) == 0 {
            format!(
                "(call_indirect (type $fn) {arg} (i32.sub (local.get $d) (i32.const 1)) (i32.rem_u (local.get {}) (i32.const {})))",
                self.var(),
                self.functions
            )
        } else {
            format!(
                "(call $f{} {arg} (i32.sub (local.get $d) (i32.const 1)))",
                self.rng.below(self.functions as u64)
            )
        };
        self.line(&format!(
            "(if (local.get $d) (then (local.set {v} (i32.add (local.get {v}) {callee}))))"
        ));
    }
}

/// The module, in text form, with `functions` functions.
pub fn module(functions: usize) -> String {
    assert!(functions > 0);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut g = Gen {
        rng: &mut rng,
        functions,
        out: String::new(),
        nest: 0,
    };
    g.out
        .push_str(";; generated by stagec_benches::experiments::e6_synth\n(module\n");
    g.out
        .push_str("  (type $fn (func (param i32 i32) (result i32)))\n");
    g.out.push_str("  (memory 17)\n");
    let _ = writeln!(g.out, "  (table {functions} funcref)");
    for k in 0..functions {
        let _ = writeln!(
            g.out,
            "  (func $f{k} (type $fn) (param $x i32) (param $d i32) (result i32)"
        );
        g.out.push_str("    (local $a i32) (local $b i32) (local $c i32) (local $i0 i32) (local $i1 i32) (local $l i64) (local $f f64)\n");
        g.out.push_str("    (local.set $a (local.get $x))\n");
        let _ = writeln!(g.out, "    (local.set $b (i32.const {}))", g.rng.i32());
        // Sizes: mostly 3–15 statements, one in eight 30–90.
        let size = if g.rng.below(8) == 0 {
            30 + g.rng.below(61)
        } else {
            3 + g.rng.below(13)
        };
        for _ in 0..size {
            g.statement();
        }
        g.out
            .push_str("    (i32.add (i32.add (local.get $a) (local.get $b)) (local.get $c)))\n");
    }
    let elems: Vec<String> = (0..functions).map(|k| format!("$f{k}")).collect();
    let _ = writeln!(g.out, "  (elem (i32.const 0) func {})", elems.join(" "));
    let _ = writeln!(
        g.out,
        "  (func (export \"run\") (param $n i32) (result i64)
    (local $i i32) (local $sum i64)
    ;; the functions store into memory: start every call from zeroes, so that every call
    ;; computes the same checksum
    (memory.fill (i32.const 0) (i32.const 0) (i32.const 0x110000))
    (loop $calls
      (local.set $sum (i64.add (i64.mul (local.get $sum) (i64.const 31))
        (i64.extend_i32_u (call_indirect (type $fn) (local.get $i) (i32.const 2)
          (i32.rem_u (local.get $i) (i32.const {functions}))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $calls (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $sum)))"
    );
    g.out
}
