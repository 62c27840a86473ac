;; Arguments are parsed per parameter type; results are printed one per line.
;; RUN: run % --invoke add -5 0x10
;; RUN: run % --invoke add 0xffffffff 1
;; RUN: run % --invoke i64_id 0xffffffffffffffff
;; RUN: run % --invoke i64_id -9223372036854775808
;; RUN: run % --invoke f32_div 1 0
;; RUN: run % --invoke f32_div -1 0
;; RUN: run % --invoke f32_div 1 3
;; RUN: run % --invoke f64_id nan
;; RUN: run % --invoke f64_id -inf
;; RUN: run % --invoke f64_id 2.5e-3
;; RUN: run % --invoke swap 1 2
;; RUN: run % --invoke ext_id 7
;; RUN: run % --invoke ext_id null
;; RUN: run % --invoke null_func
;; RUN: run % --invoke some_func
;; RUN: run % --invoke nothing
(module
  (func $add (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "i64_id") (param i64) (result i64) (local.get 0))
  (func (export "f32_div") (param f32 f32) (result f32)
    (f32.div (local.get 0) (local.get 1)))
  (func (export "f64_id") (param f64) (result f64) (local.get 0))
  (func (export "swap") (param i32 i32) (result i32 i32)
    (local.get 1) (local.get 0))
  (func (export "ext_id") (param externref) (result externref) (local.get 0))
  (func (export "null_func") (result funcref) (ref.null func))
  (func (export "some_func") (result funcref) (ref.func $add))
  (func (export "nothing"))
)
