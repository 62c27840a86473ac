;; (a) Struct field access, specialized by hand: struct.wat with the layout written in
;; (size 24: w @0, x @4, y @8, vx @12, vy @16; count 1024), field accesses written as
;; load/store offsets and the stride as a constant, as a compiler that knows the layout
;; would emit them. The upper limit for what preimporting the layout can give.
(module
  (memory 4)

  (func $init
    (local $i i32) (local $p i32)
    (loop $each
      (local.set $p (i32.mul (local.get $i) (i32.const 24)))
      (i32.store offset=0 (local.get $p)
        (i32.add (i32.and (local.get $i) (i32.const 15)) (i32.const 1)))
      (i32.store offset=4 (local.get $p)
        (i32.sub (i32.rem_u (i32.mul (local.get $i) (i32.const 37)) (i32.const 2000)) (i32.const 1000)))
      (i32.store offset=8 (local.get $p)
        (i32.sub (i32.rem_u (i32.mul (local.get $i) (i32.const 91)) (i32.const 2000)) (i32.const 1000)))
      (i32.store offset=12 (local.get $p)
        (i32.sub (i32.rem_u (local.get $i) (i32.const 7)) (i32.const 3)))
      (i32.store offset=16 (local.get $p)
        (i32.sub (i32.rem_u (local.get $i) (i32.const 5)) (i32.const 2)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $each (i32.lt_u (local.get $i) (i32.const 1024)))))

  (func (export "run") (param $steps i32) (result i64)
    (local $step i32) (local $i i32) (local $p i32)
    (local $x i32) (local $y i32) (local $sum i64)
    (call $init)
    (loop $steps
      (local.set $i (i32.const 0))
      (loop $each
        (local.set $p (i32.mul (local.get $i) (i32.const 24)))
        (local.set $x (i32.add
          (i32.load offset=4 (local.get $p))
          (i32.load offset=12 (local.get $p))))
        (if (i32.gt_u (i32.add (local.get $x) (i32.const 1000)) (i32.const 2000))
          (then
            (i32.store offset=12 (local.get $p)
              (i32.sub (i32.const 0) (i32.load offset=12 (local.get $p))))))
        (i32.store offset=4 (local.get $p) (local.get $x))
        (local.set $y (i32.add
          (i32.load offset=8 (local.get $p))
          (i32.load offset=16 (local.get $p))))
        (if (i32.gt_u (i32.add (local.get $y) (i32.const 1000)) (i32.const 2000))
          (then
            (i32.store offset=16 (local.get $p)
              (i32.sub (i32.const 0) (i32.load offset=16 (local.get $p))))))
        (i32.store offset=8 (local.get $p) (local.get $y))
        (local.set $sum (i64.add (local.get $sum)
          (i64.extend_i32_s (i32.xor
            (i32.mul (local.get $x) (i32.load offset=0 (local.get $p)))
            (local.get $y)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $each (i32.lt_u (local.get $i) (i32.const 1024))))
      (local.set $step (i32.add (local.get $step) (i32.const 1)))
      (br_if $steps (i32.lt_u (local.get $step) (local.get $steps))))
    (local.get $sum)))
