;; (b) The key module: the hash and equality functions of the hash table's keys, provided
;; by a separate module (as a library or a language runtime would provide them).
(module
  ;; murmur3's 32-bit finalizer
  (func (export "hash") (param $x i32) (result i32)
    (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 16))))
    (local.set $x (i32.mul (local.get $x) (i32.const 0x85ebca6b)))
    (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 13))))
    (local.set $x (i32.mul (local.get $x) (i32.const 0xc2b2ae35)))
    (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 16))))
  (func (export "eq") (param $a i32) (param $b i32) (result i32)
    (i32.eq (local.get $a) (local.get $b))))
