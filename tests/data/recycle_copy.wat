;; A recycled memory must look new (test_engine memory_recycled_*). Data small: instances copy it.
(module
  (memory 4)
  (data (i32.const 0) "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
  ;; Write over data, over zeros below the initial size, and past it.
  (func (export "scribble")
    (i32.store8 (i32.const 100) (i32.const 255))
    (i32.store (i32.const 100000) (i32.const -1))
    (drop (memory.grow (i32.const 1)))
    (i32.store (i32.const 262152) (i32.const -1)))
  ;; 1 if the memory looks as a fresh instance's should.
  (func (export "pristine") (result i32)
    (i32.and
      (i32.and (i32.eq (i32.load8_u (i32.const 100)) (i32.const 52))   ;; '4'
               (i32.eqz (i32.load (i32.const 100000))))
      (i32.eq (memory.size) (i32.const 4))))
)
