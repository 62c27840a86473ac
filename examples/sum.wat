;; Sums over linear memory, and a function that traps.
;;
;;   stagec run examples/sum.wat --invoke sum_to 100           prints 5050
;;   stagec run examples/sum.wat --invoke average 1.5 2.5      prints 2
;;   stagec run examples/sum.wat --invoke div 7 0              fails: integer divide by zero
(module
  (memory (export "memory") 1)

  ;; 1 + 2 + ... + n, by storing 1..n into memory and summing it back.
  (func (export "sum_to") (param $n i32) (result i64)
    (local $i i32) (local $sum i64)
    ;; store i at address 4*(i-1) for i = 1..n
    (block $stored
      (loop $store
        (br_if $stored (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store (i32.shl (local.get $i) (i32.const 2))
                   (i32.add (local.get $i) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $store)))
    ;; sum the words back
    (local.set $i (i32.const 0))
    (block $summed
      (loop $add
        (br_if $summed (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum
          (i64.add (local.get $sum)
                   (i64.extend_i32_u (i32.load (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $add)))
    (local.get $sum))

  (func (export "average") (param f64 f64) (result f64)
    (f64.div (f64.add (local.get 0) (local.get 1)) (f64.const 2)))

  ;; Two results (multi-value): quotient and remainder.
  (func (export "divmod") (param i32 i32) (result i32 i32)
    (i32.div_s (local.get 0) (local.get 1))
    (i32.rem_s (local.get 0) (local.get 1)))

  (func (export "div") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1))))
