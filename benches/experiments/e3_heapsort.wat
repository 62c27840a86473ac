;; E3 (heapsort): heapsort of 8,192 i32 through small accessor functions.
;;
;; Every element access goes through `$get` / `$set` (as code compiled from C or Rust
;; without inlining does): each call is a separate function that must find the memory's
;; base again. Functions of the same module are not inlined by stagec, so each call pays
;; it: a load from the vmctx when the memory is defined in the `multi` stage, an
;; immediate when it is defined in a `single` stage. `run(rounds)` fills the array from
;; xorshift32 seeded by the round, sorts it and mixes it into a checksum, `rounds` times.
(module
  (import "rt" "mem" (memory 8))

  (func $get (param $i i32) (result i32)
    (i32.load (i32.shl (local.get $i) (i32.const 2))))
  (func $set (param $i i32) (param $v i32)
    (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $v)))

  ;; Moves the element at `root` down the max-heap [0, end).
  (func $sift (param $root i32) (param $end i32)
    (local $child i32) (local $top i32)
    (loop $down
      (local.set $child (i32.add (i32.shl (local.get $root) (i32.const 1)) (i32.const 1)))
      (if (i32.ge_u (local.get $child) (local.get $end)) (then (return)))
      (if (i32.lt_u (i32.add (local.get $child) (i32.const 1)) (local.get $end))
        (then
          (if (i32.lt_s (call $get (local.get $child))
                        (call $get (i32.add (local.get $child) (i32.const 1))))
            (then (local.set $child (i32.add (local.get $child) (i32.const 1)))))))
      (local.set $top (call $get (local.get $root)))
      (if (i32.ge_s (local.get $top) (call $get (local.get $child))) (then (return)))
      (call $set (local.get $root) (call $get (local.get $child)))
      (call $set (local.get $child) (local.get $top))
      (local.set $root (local.get $child))
      (br $down)))

  (func (export "run") (param $rounds i32) (result i64)
    (local $round i32) (local $i i32) (local $s i32) (local $end i32) (local $t i32)
    (local $sum i64)
    (loop $rounds
      ;; fill
      (local.set $s (i32.add (i32.const 0x2545f491) (local.get $round)))
      (local.set $i (i32.const 0))
      (loop $fill
        (local.set $s (i32.xor (local.get $s) (i32.shl (local.get $s) (i32.const 13))))
        (local.set $s (i32.xor (local.get $s) (i32.shr_u (local.get $s) (i32.const 17))))
        (local.set $s (i32.xor (local.get $s) (i32.shl (local.get $s) (i32.const 5))))
        (call $set (local.get $i) (local.get $s))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $fill (i32.lt_u (local.get $i) (i32.const 8192))))
      ;; heapify
      (local.set $i (i32.const 4096))
      (loop $heapify
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (call $sift (local.get $i) (i32.const 8192))
        (br_if $heapify (local.get $i)))
      ;; sort down
      (local.set $end (i32.const 8191))
      (loop $sortdown
        (local.set $t (call $get (i32.const 0)))
        (call $set (i32.const 0) (call $get (local.get $end)))
        (call $set (local.get $end) (local.get $t))
        (call $sift (i32.const 0) (local.get $end))
        (local.set $end (i32.sub (local.get $end) (i32.const 1)))
        (br_if $sortdown (local.get $end)))
      ;; checksum
      (local.set $i (i32.const 0))
      (loop $mix
        (local.set $sum (i64.add (i64.mul (local.get $sum) (i64.const 31))
                                 (i64.extend_i32_s (call $get (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 97)))
        (br_if $mix (i32.lt_u (local.get $i) (i32.const 8192))))
      (local.set $round (i32.add (local.get $round) (i32.const 1)))
      (br_if $rounds (i32.lt_u (local.get $round) (local.get $rounds))))
    (local.get $sum)))
