;; The provider of the Rust workloads' imports: every parameter is a function returning a
;; constant, and the callbacks are small pure functions. Bound as preimports, stagec
;; compiles these into the workload's artifact and inlines them, so the parameters become
;; immediates. The hand-specialized builds (feature `hand`) have the same values and
;; functions written in Rust: keep both in step (the checksums in ../manifest.toml are
;; checked against both).
(module
  ;; sha256
  (func (export "sha256_size") (result i32) (i32.const 1048576))
  (func (export "sha256_chunk") (result i32) (i32.const 4096))
  (func (export "sha256_rounds") (result i32) (i32.const 4))
  ;; deflate
  (func (export "deflate_size") (result i32) (i32.const 393216))
  (func (export "deflate_level") (result i32) (i32.const 6))
  ;; regex
  (func (export "regex_size") (result i32) (i32.const 262144))
  ;; json
  (func (export "json_records") (result i32) (i32.const 2000))
  ;; png
  (func (export "png_width") (result i32) (i32.const 512))
  (func (export "png_height") (result i32) (i32.const 384))

  ;; One step of xorshift64 (13, 7, 17): wl_common::next.
  (func (export "next") (param $x i64) (result i64)
    (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 13))))
    (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 7))))
    (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 17))))

  ;; The checksum fold: rotl((acc ^ x) * 0x100000001b3, 5): wl_common::mix.
  (func (export "mix") (param $acc i64) (param $x i32) (result i64)
    (i64.rotl
      (i64.mul
        (i64.xor (local.get $acc) (i64.extend_i32_u (local.get $x)))
        (i64.const 0x100000001b3))
      (i64.const 5)))

  ;; The png workload's image: pixel (x, y) as RGBA (R in the low byte); the same as
  ;; `pixel` in png/src/lib.rs.
  (func (export "png_pixel") (param $x i32) (param $y i32) (result i32)
    (local $noise i32) (local $b i32)
    (local.set $noise
      (i32.shr_u
        (i32.xor
          (i32.mul (local.get $x) (i32.const 0x9e3779b1))
          (i32.mul (local.get $y) (i32.const 0x85ebca77)))
        (i32.const 29)))
    (local.set $b
      (select (i32.const 40) (i32.const 200)
        (i32.eqz
          (i32.and
            (i32.xor (i32.shr_u (local.get $x) (i32.const 5))
                     (i32.shr_u (local.get $y) (i32.const 5)))
            (i32.const 1)))))
    (i32.or
      (i32.or
        (i32.and (i32.add (local.get $x) (local.get $noise)) (i32.const 255))
        (i32.shl (i32.and (i32.shl (local.get $y) (i32.const 1)) (i32.const 255)) (i32.const 8)))
      (i32.or
        (i32.shl (local.get $b) (i32.const 16))
        (i32.shl
          (i32.sub (i32.const 255)
            (i32.and (i32.add (local.get $x) (local.get $y)) (i32.const 63)))
          (i32.const 24)))))
)
