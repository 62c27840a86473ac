;; (b) Hash table with preimported hash and equality functions.
;;
;; Open addressing with linear probing: 16384 slots of (key, value) at address 0, key 0
;; meaning empty. `run(rounds)` repeats `rounds` times: clear the table, insert 8192 keys,
;; look up 16384 keys (half of them absent), summing the values found. The key functions
;; are imports, bound to hashtab_provider.wat's exports.
(module
  (import "key" "hash" (func $hash (param i32) (result i32)))
  (import "key" "eq" (func $eq (param i32 i32) (result i32)))
  (memory 2)

  (func $insert (param $k i32) (param $v i32)
    (local $i i32) (local $a i32) (local $s i32)
    (local.set $i (i32.and (call $hash (local.get $k)) (i32.const 16383)))
    (loop $probe
      (local.set $a (i32.shl (local.get $i) (i32.const 3)))
      (local.set $s (i32.load (local.get $a)))
      (if (i32.eqz (local.get $s))
        (then
          (i32.store (local.get $a) (local.get $k))
          (i32.store offset=4 (local.get $a) (local.get $v))
          (return)))
      (if (call $eq (local.get $s) (local.get $k))
        (then
          (i32.store offset=4 (local.get $a) (local.get $v))
          (return)))
      (local.set $i (i32.and (i32.add (local.get $i) (i32.const 1)) (i32.const 16383)))
      (br $probe)))

  (func $lookup (param $k i32) (result i32)
    (local $i i32) (local $a i32) (local $s i32)
    (local.set $i (i32.and (call $hash (local.get $k)) (i32.const 16383)))
    (loop $probe
      (local.set $a (i32.shl (local.get $i) (i32.const 3)))
      (local.set $s (i32.load (local.get $a)))
      (if (i32.eqz (local.get $s)) (then (return (i32.const 0))))
      (if (call $eq (local.get $s) (local.get $k))
        (then (return (i32.load offset=4 (local.get $a)))))
      (local.set $i (i32.and (i32.add (local.get $i) (i32.const 1)) (i32.const 16383)))
      (br $probe))
    (unreachable))

  (func (export "run") (param $rounds i32) (result i64)
    (local $r i32) (local $j i32) (local $sum i64)
    (loop $rounds
      (memory.fill (i32.const 0) (i32.const 0) (i32.const 131072))
      (local.set $j (i32.const 0))
      (loop $inserts
        ;; key j+1 times the golden ratio: distinct and never 0
        (call $insert
          (i32.mul (i32.add (local.get $j) (i32.const 1)) (i32.const 0x9e3779b1))
          (i32.xor (local.get $j) (local.get $r)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $inserts (i32.lt_u (local.get $j) (i32.const 8192))))
      (local.set $j (i32.const 0))
      (loop $lookups
        (local.set $sum (i64.add (local.get $sum)
          (i64.extend_i32_u (call $lookup
            (i32.mul (i32.add (local.get $j) (i32.const 1)) (i32.const 0x9e3779b1))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $lookups (i32.lt_u (local.get $j) (i32.const 16384))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $rounds (i32.lt_u (local.get $r) (local.get $rounds))))
    (local.get $sum)))
