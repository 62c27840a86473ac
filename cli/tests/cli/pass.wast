;; A script without failures exits 0.
;; RUN: wast %
(module
  (func (export "f") (param f32) (result f32) (f32.neg (local.get 0))))
(assert_return (invoke "f" (f32.const nan)) (f32.const -nan))
(assert_return (invoke "f" (f32.const 1)) (either (f32.const -1) (f32.const 1)))
