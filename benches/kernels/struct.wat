;; (a) Struct field access with a preimported layout.
;;
;; An array of `count` particle records, each `size` bytes, whose fields sit at the
;; imported offsets. `run(steps)` initialises the array and moves every particle `steps`
;; times (bouncing off the walls at +-1000), summing a checksum of the positions.
;;
;; The layout the benchmark binds (struct_hand.wat has it written in):
;;   size 24: w @0, x @4, y @8, vx @12, vy @16, 4 bytes of padding; count 1024.
(module
  (import "layout" "size" (global $size i32))
  (import "layout" "off_w" (global $off_w i32))
  (import "layout" "off_x" (global $off_x i32))
  (import "layout" "off_y" (global $off_y i32))
  (import "layout" "off_vx" (global $off_vx i32))
  (import "layout" "off_vy" (global $off_vy i32))
  (import "env" "count" (global $count i32))
  (memory 4)

  (func $init
    (local $i i32) (local $p i32)
    (loop $each
      (local.set $p (i32.mul (local.get $i) (global.get $size)))
      (i32.store (i32.add (local.get $p) (global.get $off_w))
        (i32.add (i32.and (local.get $i) (i32.const 15)) (i32.const 1)))
      (i32.store (i32.add (local.get $p) (global.get $off_x))
        (i32.sub (i32.rem_u (i32.mul (local.get $i) (i32.const 37)) (i32.const 2000)) (i32.const 1000)))
      (i32.store (i32.add (local.get $p) (global.get $off_y))
        (i32.sub (i32.rem_u (i32.mul (local.get $i) (i32.const 91)) (i32.const 2000)) (i32.const 1000)))
      (i32.store (i32.add (local.get $p) (global.get $off_vx))
        (i32.sub (i32.rem_u (local.get $i) (i32.const 7)) (i32.const 3)))
      (i32.store (i32.add (local.get $p) (global.get $off_vy))
        (i32.sub (i32.rem_u (local.get $i) (i32.const 5)) (i32.const 2)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $each (i32.lt_u (local.get $i) (global.get $count)))))

  (func (export "run") (param $steps i32) (result i64)
    (local $step i32) (local $i i32) (local $p i32)
    (local $x i32) (local $y i32) (local $sum i64)
    (call $init)
    (loop $steps
      (local.set $i (i32.const 0))
      (loop $each
        (local.set $p (i32.mul (local.get $i) (global.get $size)))
        ;; x += vx, bouncing at the walls
        (local.set $x (i32.add
          (i32.load (i32.add (local.get $p) (global.get $off_x)))
          (i32.load (i32.add (local.get $p) (global.get $off_vx)))))
        (if (i32.gt_u (i32.add (local.get $x) (i32.const 1000)) (i32.const 2000))
          (then
            (i32.store (i32.add (local.get $p) (global.get $off_vx))
              (i32.sub (i32.const 0)
                (i32.load (i32.add (local.get $p) (global.get $off_vx)))))))
        (i32.store (i32.add (local.get $p) (global.get $off_x)) (local.get $x))
        ;; y += vy, likewise
        (local.set $y (i32.add
          (i32.load (i32.add (local.get $p) (global.get $off_y)))
          (i32.load (i32.add (local.get $p) (global.get $off_vy)))))
        (if (i32.gt_u (i32.add (local.get $y) (i32.const 1000)) (i32.const 2000))
          (then
            (i32.store (i32.add (local.get $p) (global.get $off_vy))
              (i32.sub (i32.const 0)
                (i32.load (i32.add (local.get $p) (global.get $off_vy)))))))
        (i32.store (i32.add (local.get $p) (global.get $off_y)) (local.get $y))
        ;; checksum: sum of (x * w) ^ y
        (local.set $sum (i64.add (local.get $sum)
          (i64.extend_i32_s (i32.xor
            (i32.mul (local.get $x)
              (i32.load (i32.add (local.get $p) (global.get $off_w))))
            (local.get $y)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $each (i32.lt_u (local.get $i) (global.get $count))))
      (local.set $step (i32.add (local.get $step) (i32.const 1)))
      (br_if $steps (i32.lt_u (local.get $step) (local.get $steps))))
    (local.get $sum)))
