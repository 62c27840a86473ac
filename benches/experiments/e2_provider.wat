;; E2: the callees, as a library module would export them.
(module
  ;; tiny: 3 operators
  (func (export "tiny") (param $x i32) (param $s i32) (result i32)
    (i32.add (i32.mul (local.get $s) (i32.const 0x01000193)) (local.get $x)))

  ;; medium: two murmur3 finalizer rounds and a rotate (about 30 operators, still under
  ;; the default inline threshold of 100 CLIF instructions)
  (func (export "medium") (param $x i32) (param $s i32) (result i32)
    (local $h i32)
    (local.set $h (i32.xor (local.get $s) (i32.mul (local.get $x) (i32.const 0x9e3779b1))))
    (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
    (local.set $h (i32.mul (local.get $h) (i32.const 0x85ebca6b)))
    (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 13))))
    (local.set $h (i32.mul (local.get $h) (i32.const 0xc2b2ae35)))
    (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
    (local.set $h (i32.add (local.get $h) (i32.rotl (local.get $s) (i32.const 7))))
    (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 15))))
    (local.set $h (i32.mul (local.get $h) (i32.const 0x2c1b3c6d)))
    (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 12))))
    (local.set $h (i32.mul (local.get $h) (i32.const 0x297a2d39)))
    (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 15)))))
