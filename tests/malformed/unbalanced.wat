(module (func (export "f")
