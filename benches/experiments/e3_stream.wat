;; E3 (stream): a loop over three arrays in linear memory, 16,384 i32 each.
;;
;; `run(passes)` fills a and b, then `passes` times computes c[i] = (3 a[i] + b[i]) ^
;; (c[i] >> 1) and sums c. The memory is `rt.mem`: the experiment defines it either in the
;; `multi` stage itself (this import replaced by `(memory 8)`; the base is read from the
;; vmctx) or in a `single` stage (the base is a constant baked into the code).
;; Arrays: a at 0, b at 0x10000, c at 0x20000 (the load/store offset immediates).
(module
  (import "rt" "mem" (memory 8))
  (func (export "run") (param $passes i32) (result i64)
    (local $i i32) (local $p i32) (local $pass i32) (local $x i32) (local $sum i64)
    (loop $init
      (local.set $p (i32.shl (local.get $i) (i32.const 2)))
      (i32.store offset=0 (local.get $p) (i32.mul (local.get $i) (i32.const 7)))
      (i32.store offset=0x10000 (local.get $p) (i32.xor (local.get $i) (i32.const 0x55)))
      (i32.store offset=0x20000 (local.get $p) (i32.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $init (i32.lt_u (local.get $i) (i32.const 16384))))
    (loop $passes
      (local.set $p (i32.const 0))
      (loop $elems
        (local.set $x
          (i32.xor
            (i32.add (i32.mul (i32.load offset=0 (local.get $p)) (i32.const 3))
                     (i32.load offset=0x10000 (local.get $p)))
            (i32.shr_u (i32.load offset=0x20000 (local.get $p)) (i32.const 1))))
        (i32.store offset=0x20000 (local.get $p) (local.get $x))
        (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (local.get $x))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br_if $elems (i32.lt_u (local.get $p) (i32.const 0x10000))))
      (local.set $pass (i32.add (local.get $pass) (i32.const 1)))
      (br_if $passes (i32.lt_u (local.get $pass) (local.get $passes))))
    (local.get $sum)))
