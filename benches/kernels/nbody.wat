;; (e) Control kernel: the n-body simulation (the benchmarks game's five Jovian
;; planets), f64 arithmetic with sqrt and division, nothing imported, so nothing for
;; specialization to do. `run(steps)` resets the system, offsets the sun's momentum,
;; advances `steps` steps of 0.01 and returns the bits of the final energy. The same
;; module serves as its own hand-specialized copy.
;;
;; Memory: the initial state (5 bodies of x, y, z, vx, vy, vz, mass: 56 bytes each) at 0,
;; the working copy at 512.
(module
  (memory 1)
  (data (i32.const 0)
    "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00"
    "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\de\45\be\c9\3c\bd\43\40\2c\d9\3c\34\a0\5d\13\40"
    "\7c\db\1f\c0\ab\90\f2\bf\f0\eb\25\6c\f9\86\ba\bf\bc\cc\93\9b\06\67\e3\3f\9b\94\7d\f5\f2\7e\06\40"
    "\15\07\5a\9a\d7\d2\99\bf\d8\33\ab\d9\95\4c\a3\3f\67\ca\32\c3\cd\af\20\40\b0\01\de\31\cb\7f\10\40"
    "\7c\46\eb\e1\53\d3\d9\bf\42\94\87\b8\21\2c\f0\bf\13\8f\1f\bf\e9\35\fd\3f\b4\23\11\5f\48\3c\81\3f"
    "\37\c6\07\0d\49\1d\87\3f\cf\d9\a7\ce\ea\c9\29\40\7e\66\26\d6\e8\38\2e\c0\a0\7d\25\be\57\95\cc\bf"
    "\ef\1b\91\a9\1c\53\f1\3f\c5\bb\54\3e\7f\cc\eb\3f\7c\3e\f2\fa\6b\2f\86\bf\b3\1e\f4\9c\d2\3d\5c\3f"
    "\2a\57\05\a9\67\c2\2e\40\20\a2\c8\33\58\eb\39\c0\40\e5\ab\93\f3\f1\c6\3f\4a\bc\59\16\b6\54\ef\3f"
    "\a3\fb\c4\31\c6\07\e3\3f\f6\65\76\58\88\cb\a1\bf\ac\99\17\53\f3\a8\60\3f")

  (func $advance (param $dt f64)
    (local $i i32) (local $j i32) (local $p i32) (local $q i32)
    (local $dx f64) (local $dy f64) (local $dz f64) (local $d2 f64) (local $mag f64)
    (local $mi f64) (local $mj f64)
    (local.set $i (i32.const 0))
    (loop $outer
      (local.set $p (i32.add (i32.const 512) (i32.mul (local.get $i) (i32.const 56))))
      (local.set $j (i32.add (local.get $i) (i32.const 1)))
      (if (i32.lt_u (local.get $j) (i32.const 5))
        (then
          (loop $inner
            (local.set $q (i32.add (i32.const 512) (i32.mul (local.get $j) (i32.const 56))))
            (local.set $dx (f64.sub (f64.load offset=0 (local.get $p)) (f64.load offset=0 (local.get $q))))
            (local.set $dy (f64.sub (f64.load offset=8 (local.get $p)) (f64.load offset=8 (local.get $q))))
            (local.set $dz (f64.sub (f64.load offset=16 (local.get $p)) (f64.load offset=16 (local.get $q))))
            (local.set $d2 (f64.add (f64.add
              (f64.mul (local.get $dx) (local.get $dx))
              (f64.mul (local.get $dy) (local.get $dy)))
              (f64.mul (local.get $dz) (local.get $dz))))
            (local.set $mag (f64.div (local.get $dt)
              (f64.mul (local.get $d2) (f64.sqrt (local.get $d2)))))
            (local.set $mi (f64.mul (f64.load offset=48 (local.get $p)) (local.get $mag)))
            (local.set $mj (f64.mul (f64.load offset=48 (local.get $q)) (local.get $mag)))
            (f64.store offset=24 (local.get $p)
              (f64.sub (f64.load offset=24 (local.get $p)) (f64.mul (local.get $dx) (local.get $mj))))
            (f64.store offset=24 (local.get $q)
              (f64.add (f64.load offset=24 (local.get $q)) (f64.mul (local.get $dx) (local.get $mi))))
            (f64.store offset=32 (local.get $p)
              (f64.sub (f64.load offset=32 (local.get $p)) (f64.mul (local.get $dy) (local.get $mj))))
            (f64.store offset=32 (local.get $q)
              (f64.add (f64.load offset=32 (local.get $q)) (f64.mul (local.get $dy) (local.get $mi))))
            (f64.store offset=40 (local.get $p)
              (f64.sub (f64.load offset=40 (local.get $p)) (f64.mul (local.get $dz) (local.get $mj))))
            (f64.store offset=40 (local.get $q)
              (f64.add (f64.load offset=40 (local.get $q)) (f64.mul (local.get $dz) (local.get $mi))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $inner (i32.lt_u (local.get $j) (i32.const 5))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $i) (i32.const 5))))
    (local.set $i (i32.const 0))
    (loop $move
      (local.set $p (i32.add (i32.const 512) (i32.mul (local.get $i) (i32.const 56))))
      (f64.store offset=0 (local.get $p)
        (f64.add (f64.load offset=0 (local.get $p)) (f64.mul (local.get $dt) (f64.load offset=24 (local.get $p)))))
      (f64.store offset=8 (local.get $p)
        (f64.add (f64.load offset=8 (local.get $p)) (f64.mul (local.get $dt) (f64.load offset=32 (local.get $p)))))
      (f64.store offset=16 (local.get $p)
        (f64.add (f64.load offset=16 (local.get $p)) (f64.mul (local.get $dt) (f64.load offset=40 (local.get $p)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $move (i32.lt_u (local.get $i) (i32.const 5)))))

  (func $energy (result f64)
    (local $e f64) (local $i i32) (local $j i32) (local $p i32) (local $q i32)
    (local $dx f64) (local $dy f64) (local $dz f64)
    (loop $outer
      (local.set $p (i32.add (i32.const 512) (i32.mul (local.get $i) (i32.const 56))))
      (local.set $e (f64.add (local.get $e)
        (f64.mul (f64.mul (f64.const 0.5) (f64.load offset=48 (local.get $p)))
          (f64.add (f64.add
            (f64.mul (f64.load offset=24 (local.get $p)) (f64.load offset=24 (local.get $p)))
            (f64.mul (f64.load offset=32 (local.get $p)) (f64.load offset=32 (local.get $p))))
            (f64.mul (f64.load offset=40 (local.get $p)) (f64.load offset=40 (local.get $p)))))))
      (local.set $j (i32.add (local.get $i) (i32.const 1)))
      (if (i32.lt_u (local.get $j) (i32.const 5))
        (then
          (loop $inner
            (local.set $q (i32.add (i32.const 512) (i32.mul (local.get $j) (i32.const 56))))
            (local.set $dx (f64.sub (f64.load offset=0 (local.get $p)) (f64.load offset=0 (local.get $q))))
            (local.set $dy (f64.sub (f64.load offset=8 (local.get $p)) (f64.load offset=8 (local.get $q))))
            (local.set $dz (f64.sub (f64.load offset=16 (local.get $p)) (f64.load offset=16 (local.get $q))))
            (local.set $e (f64.sub (local.get $e)
              (f64.div (f64.mul (f64.load offset=48 (local.get $p)) (f64.load offset=48 (local.get $q)))
                (f64.sqrt (f64.add (f64.add
                  (f64.mul (local.get $dx) (local.get $dx))
                  (f64.mul (local.get $dy) (local.get $dy)))
                  (f64.mul (local.get $dz) (local.get $dz)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $inner (i32.lt_u (local.get $j) (i32.const 5))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $i) (i32.const 5))))
    (local.get $e))

  (func (export "run") (param $steps i32) (result i64)
    (local $i i32) (local $p i32) (local $px f64) (local $py f64) (local $pz f64)
    (memory.copy (i32.const 512) (i32.const 0) (i32.const 280))
    ;; offset the sun's momentum
    (loop $momentum
      (local.set $p (i32.add (i32.const 512) (i32.mul (local.get $i) (i32.const 56))))
      (local.set $px (f64.add (local.get $px) (f64.mul (f64.load offset=24 (local.get $p)) (f64.load offset=48 (local.get $p)))))
      (local.set $py (f64.add (local.get $py) (f64.mul (f64.load offset=32 (local.get $p)) (f64.load offset=48 (local.get $p)))))
      (local.set $pz (f64.add (local.get $pz) (f64.mul (f64.load offset=40 (local.get $p)) (f64.load offset=48 (local.get $p)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $momentum (i32.lt_u (local.get $i) (i32.const 5))))
    (f64.store offset=536 (i32.const 0)
      (f64.div (f64.neg (local.get $px)) (f64.const 39.47841760435743)))
    (f64.store offset=544 (i32.const 0)
      (f64.div (f64.neg (local.get $py)) (f64.const 39.47841760435743)))
    (f64.store offset=552 (i32.const 0)
      (f64.div (f64.neg (local.get $pz)) (f64.const 39.47841760435743)))
    (local.set $i (i32.const 0))
    (loop $steps
      (call $advance (f64.const 0.01))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $steps (i32.lt_u (local.get $i) (local.get $steps))))
    (i64.reinterpret_f64 (call $energy))))
