;; (d) Bytecode interpreter, specialized by hand: interp.wat with the opcode constants
;; written in (HALT 0x05, PUSH 0x15, LOAD 0x25, STORE 0x35, ADD 0x45, SUB 0x55, MUL 0x65,
;; XOR 0x75, SHR 0x85, JNZ 0x95) and interp_provider.wat's `decode` pasted into the module
;; (called directly; wasmtime does not inline it by default). The upper limit for what
;; preimporting the instruction set can give. See interp.wat for the machine and encoding.
(module
  ;; pasted from interp_provider.wat
  (func $decode (param $op i32) (result i32)
    (select
      (i32.and (i32.shr_u (local.get $op) (i32.const 4)) (i32.const 15))
      (i32.const 15)
      (i32.eq (i32.and (local.get $op) (i32.const 15)) (i32.const 5))))
  (memory 1)
  (global $here (mut i32) (i32.const 1024))

  ;; the assembler
  (func $op (param $op i32)
    (i32.store8 (global.get $here) (local.get $op))
    (global.set $here (i32.add (global.get $here) (i32.const 1))))
  (func $op_u8 (param $op i32) (param $x i32)
    (call $op (local.get $op))
    (call $op (local.get $x)))
  (func $push (param $x i32)
    (call $op (i32.const 0x15))
    (i32.store (global.get $here) (local.get $x))
    (global.set $here (i32.add (global.get $here) (i32.const 4))))
  (func $jnz (param $target i32)
    (call $op (i32.const 0x95))
    (i32.store16 (global.get $here) (local.get $target))
    (global.set $here (i32.add (global.get $here) (i32.const 2))))

  ;; the interpreter: runs the program at $pc, returns the top of the stack at HALT
  (func $exec (param $pc i32) (result i32)
    (local $sp i32) (local $op i32) (local $b i32)
    (local.set $sp (i32.const 512))
    (loop $next
      (local.set $op (i32.load8_u (local.get $pc)))
      (if (i32.eq (local.get $op) (i32.const 0x05))
        (then (return (i32.load offset=0 (i32.sub (local.get $sp) (i32.const 4))))))
      (block $jnz (block $shr (block $xor (block $mul (block $sub (block $add
      (block $store (block $load (block $push (block $invalid
        (br_table $invalid $push $load $store $add $sub $mul $xor $shr $jnz $invalid
          (call $decode (local.get $op))))
        (unreachable))
        ;; PUSH imm32
        (i32.store (local.get $sp) (i32.load offset=1 (local.get $pc)))
        (local.set $sp (i32.add (local.get $sp) (i32.const 4)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 5)))
        (br $next))
        ;; LOAD r
        (i32.store (local.get $sp)
          (i32.load (i32.shl (i32.load8_u offset=1 (local.get $pc)) (i32.const 2))))
        (local.set $sp (i32.add (local.get $sp) (i32.const 4)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 2)))
        (br $next))
        ;; STORE r
        (local.set $sp (i32.sub (local.get $sp) (i32.const 4)))
        (i32.store (i32.shl (i32.load8_u offset=1 (local.get $pc)) (i32.const 2))
          (i32.load (local.get $sp)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 2)))
        (br $next))
        ;; ADD
        (local.set $sp (i32.sub (local.get $sp) (i32.const 4)))
        (local.set $b (i32.load (local.get $sp)))
        (i32.store offset=0 (i32.sub (local.get $sp) (i32.const 4))
          (i32.add (i32.load (i32.sub (local.get $sp) (i32.const 4))) (local.get $b)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
        (br $next))
        ;; SUB
        (local.set $sp (i32.sub (local.get $sp) (i32.const 4)))
        (local.set $b (i32.load (local.get $sp)))
        (i32.store offset=0 (i32.sub (local.get $sp) (i32.const 4))
          (i32.sub (i32.load (i32.sub (local.get $sp) (i32.const 4))) (local.get $b)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
        (br $next))
        ;; MUL
        (local.set $sp (i32.sub (local.get $sp) (i32.const 4)))
        (local.set $b (i32.load (local.get $sp)))
        (i32.store offset=0 (i32.sub (local.get $sp) (i32.const 4))
          (i32.mul (i32.load (i32.sub (local.get $sp) (i32.const 4))) (local.get $b)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
        (br $next))
        ;; XOR
        (local.set $sp (i32.sub (local.get $sp) (i32.const 4)))
        (local.set $b (i32.load (local.get $sp)))
        (i32.store offset=0 (i32.sub (local.get $sp) (i32.const 4))
          (i32.xor (i32.load (i32.sub (local.get $sp) (i32.const 4))) (local.get $b)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
        (br $next))
        ;; SHR (unsigned)
        (local.set $sp (i32.sub (local.get $sp) (i32.const 4)))
        (local.set $b (i32.load (local.get $sp)))
        (i32.store offset=0 (i32.sub (local.get $sp) (i32.const 4))
          (i32.shr_u (i32.load (i32.sub (local.get $sp) (i32.const 4))) (local.get $b)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
        (br $next))
      ;; JNZ target: pop, jump if non-zero
      (local.set $sp (i32.sub (local.get $sp) (i32.const 4)))
      (if (i32.load (local.get $sp))
        (then (local.set $pc (i32.load16_u offset=1 (local.get $pc))))
        (else (local.set $pc (i32.add (local.get $pc) (i32.const 3)))))
      (br $next))
    (unreachable))

  (func (export "run") (param $n i32) (result i64)
    (local $loop i32)
    (global.set $here (i32.const 1024))
    ;; r0 = n; r1 = 1
    (call $push (local.get $n)) (call $op_u8 (i32.const 0x35) (i32.const 0))
    (call $push (i32.const 1)) (call $op_u8 (i32.const 0x35) (i32.const 1))
    (local.set $loop (global.get $here))
    ;; r1 = r1 * 31 ^ r0
    (call $op_u8 (i32.const 0x25) (i32.const 1))
    (call $push (i32.const 31))
    (call $op (i32.const 0x65))
    (call $op_u8 (i32.const 0x25) (i32.const 0))
    (call $op (i32.const 0x75))
    (call $op_u8 (i32.const 0x35) (i32.const 1))
    ;; r1 += r1 >> 7
    (call $op_u8 (i32.const 0x25) (i32.const 1))
    (call $op_u8 (i32.const 0x25) (i32.const 1))
    (call $push (i32.const 7))
    (call $op (i32.const 0x85))
    (call $op (i32.const 0x45))
    (call $op_u8 (i32.const 0x35) (i32.const 1))
    ;; r0 -= 1; loop while r0 != 0
    (call $op_u8 (i32.const 0x25) (i32.const 0))
    (call $push (i32.const 1))
    (call $op (i32.const 0x55))
    (call $op_u8 (i32.const 0x35) (i32.const 0))
    (call $op_u8 (i32.const 0x25) (i32.const 0))
    (call $jnz (local.get $loop))
    ;; return r1
    (call $op_u8 (i32.const 0x25) (i32.const 1))
    (call $op (i32.const 0x05))
    (i64.extend_i32_u (call $exec (i32.const 1024)))))
