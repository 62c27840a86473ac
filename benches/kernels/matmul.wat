;; (c) Matrix multiply with preimported dimensions.
;;
;; C (M x N) = A (M x K) * B (K x N), f64, row-major, A at address 0, B after A, C after
;; B. `run(reps)` fills A and B with small integers, computes C `reps` times and returns
;; a weighted sum of C. The benchmark binds M = 64, K = 48, N = 80. The loops are in i-k-j
;; order with the inner loop unrolled four times, as a C compiler would emit them.
(module
  (import "dim" "M" (global $M i32))
  (import "dim" "K" (global $K i32))
  (import "dim" "N" (global $N i32))
  (memory 4)

  (func (export "run") (param $reps i32) (result i64)
    (local $a i32) (local $b i32) (local $c i32)
    (local $i i32) (local $j i32) (local $k i32) (local $r i32)
    (local $rowa i32) (local $rowb i32) (local $rowc i32)
    (local $pc i32) (local $pb i32) (local $aik f64) (local $sum f64)
    ;; base addresses
    (local.set $a (i32.const 0))
    (local.set $b (i32.shl (i32.mul (global.get $M) (global.get $K)) (i32.const 3)))
    (local.set $c (i32.add (local.get $b)
      (i32.shl (i32.mul (global.get $K) (global.get $N)) (i32.const 3))))
    ;; A[i] = i % 7 - 3, B[i] = i % 5 - 2
    (local.set $i (i32.const 0))
    (loop $fill_a
      (f64.store (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 3)))
        (f64.convert_i32_s (i32.sub (i32.rem_u (local.get $i) (i32.const 7)) (i32.const 3))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill_a (i32.lt_u (local.get $i) (i32.mul (global.get $M) (global.get $K)))))
    (local.set $i (i32.const 0))
    (loop $fill_b
      (f64.store (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 3)))
        (f64.convert_i32_s (i32.sub (i32.rem_u (local.get $i) (i32.const 5)) (i32.const 2))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill_b (i32.lt_u (local.get $i) (i32.mul (global.get $K) (global.get $N)))))
    ;; C = A * B, reps times
    (loop $reps
      (memory.fill (local.get $c) (i32.const 0)
        (i32.shl (i32.mul (global.get $M) (global.get $N)) (i32.const 3)))
      (local.set $i (i32.const 0))
      (loop $rows
        (local.set $rowa (i32.add (local.get $a)
          (i32.shl (i32.mul (local.get $i) (global.get $K)) (i32.const 3))))
        (local.set $rowc (i32.add (local.get $c)
          (i32.shl (i32.mul (local.get $i) (global.get $N)) (i32.const 3))))
        (local.set $k (i32.const 0))
        (loop $inner
          (local.set $aik (f64.load
            (i32.add (local.get $rowa) (i32.shl (local.get $k) (i32.const 3)))))
          (local.set $rowb (i32.add (local.get $b)
            (i32.shl (i32.mul (local.get $k) (global.get $N)) (i32.const 3))))
          ;; C[i][j..j+4] += A[i][k] * B[k][j..j+4], then the remaining columns one by one
          (local.set $j (i32.const 0))
          (block $done4
            (loop $cols4
              (br_if $done4 (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (global.get $N)))
              (local.set $pc (i32.add (local.get $rowc) (i32.shl (local.get $j) (i32.const 3))))
              (local.set $pb (i32.add (local.get $rowb) (i32.shl (local.get $j) (i32.const 3))))
              (f64.store offset=0 (local.get $pc)
                (f64.add (f64.load offset=0 (local.get $pc))
                  (f64.mul (local.get $aik) (f64.load offset=0 (local.get $pb)))))
              (f64.store offset=8 (local.get $pc)
                (f64.add (f64.load offset=8 (local.get $pc))
                  (f64.mul (local.get $aik) (f64.load offset=8 (local.get $pb)))))
              (f64.store offset=16 (local.get $pc)
                (f64.add (f64.load offset=16 (local.get $pc))
                  (f64.mul (local.get $aik) (f64.load offset=16 (local.get $pb)))))
              (f64.store offset=24 (local.get $pc)
                (f64.add (f64.load offset=24 (local.get $pc))
                  (f64.mul (local.get $aik) (f64.load offset=24 (local.get $pb)))))
              (local.set $j (i32.add (local.get $j) (i32.const 4)))
              (br $cols4)))
          (block $done
            (loop $cols
              (br_if $done (i32.ge_u (local.get $j) (global.get $N)))
              (local.set $pc (i32.add (local.get $rowc) (i32.shl (local.get $j) (i32.const 3))))
              (local.set $pb (i32.add (local.get $rowb) (i32.shl (local.get $j) (i32.const 3))))
              (f64.store offset=0 (local.get $pc)
                (f64.add (f64.load offset=0 (local.get $pc))
                  (f64.mul (local.get $aik) (f64.load offset=0 (local.get $pb)))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $cols)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $inner (i32.lt_u (local.get $k) (global.get $K))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $rows (i32.lt_u (local.get $i) (global.get $M))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $reps (i32.lt_u (local.get $r) (local.get $reps))))
    ;; checksum: sum of C[i] * (i + 1), exact in f64
    (local.set $i (i32.const 0))
    (loop $sum
      (local.set $sum (f64.add (local.get $sum)
        (f64.mul
          (f64.load (i32.add (local.get $c) (i32.shl (local.get $i) (i32.const 3))))
          (f64.convert_i32_u (i32.add (local.get $i) (i32.const 1))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $sum (i32.lt_u (local.get $i) (i32.mul (global.get $M) (global.get $N)))))
    (i64.add (i64.trunc_f64_s (local.get $sum)) (i64.extend_i32_u (local.get $reps)))))
