;; (d) The instruction-set module: the interpreter's dispatch function. An opcode byte is
;; (handler << 4) | 5; `decode` maps it to its handler index, or 15 (invalid) if the tag
;; nibble is wrong.
(module
  (func (export "decode") (param $op i32) (result i32)
    (select
      (i32.and (i32.shr_u (local.get $op) (i32.const 4)) (i32.const 15))
      (i32.const 15)
      (i32.eq (i32.and (local.get $op) (i32.const 15)) (i32.const 5)))))
