;; `v128` arguments, results and preimports on the command line: `0x` and 32 hex digits
;; (the vector as one little-endian number) or a lane shape and its lanes; results print
;; as hex. A bad lane count or an out-of-range lane is a usage error.
;; RUN: run % --preimport env.bias=i32x4:1,2,3,4 --invoke add 0x0000000a_00000014_0000001e_00000028
;; RUN: run % --import env.bias=0x1 --invoke add i8x16:1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,-1
;; RUN: run % --preimport env.bias=f64x2:1.5,-inf --invoke lanes
;; RUN: run % --preimport env.bias=i32x4:1,2,3 --invoke lanes
;; RUN: run % --preimport env.bias=i8x16:0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,256 --invoke lanes
(module
  (import "env" "bias" (global $bias v128))
  (func (export "add") (param v128) (result v128) (i32x4.add (local.get 0) (global.get $bias)))
  (func (export "lanes") (result f64 i32)
    (f64x2.extract_lane 0 (global.get $bias))
    (i32x4.extract_lane 3 (global.get $bias))))
