// Times a workload on V8 (node): instantiates the module with the same imports as the
// other engines (constants as immutable WebAssembly.Global, functions and other exports of
// instantiated provider modules), checks that every call returns the same result, and
// prints one JSON object on stdout:
//
//   {"result": "<first call's result, decimal>", "compile_ms": N, "samples_ms": [...],
//    "node": "v20.x", "v8": "11.x"}
//
// Usage: node run-workload.mjs CONFIG.json, where the config (written by bench-workloads) is
//
//   {"invoke": "run", "warmup": W, "runs": N,
//    "providers": [MODULE...],   // each after the providers it imports from
//    "main": MODULE}
//   MODULE = {"path": "x.wasm", "imports": [IMPORT...]}
//   IMPORT = {"module": "env", "name": "size", "value": {"type": "i32", "value": 5}}
//          | {"module": "env", "name": "mix", "provider": 0, "export": "mix"}
//
// i64 values are decimal strings (BigInt), i32/f32/f64 values JSON numbers.
// Errors go to stderr with exit status 1.

import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

function importObject(spec, providers) {
  const object = {};
  for (const imp of spec.imports) {
    let item;
    if (imp.value !== undefined) {
      const { type, value } = imp.value;
      const v = type === "i64" ? BigInt(value) : value;
      item = new WebAssembly.Global({ value: type, mutable: false }, v);
    } else {
      const instance = providers[imp.provider];
      item = instance.exports[imp.export];
      if (item === undefined) {
        throw new Error(`import ${imp.module}.${imp.name}: provider ${imp.provider} has no export "${imp.export}"`);
      }
    }
    (object[imp.module] ??= {})[imp.name] = item;
  }
  return object;
}

async function instantiate(spec, providers) {
  const module = await WebAssembly.compile(readFileSync(spec.path));
  return WebAssembly.instantiate(module, importObject(spec, providers));
}

async function main() {
  const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
  const start = performance.now();
  const providers = [];
  for (const spec of config.providers) {
    providers.push(await instantiate(spec, providers));
  }
  const instance = await instantiate(config.main, providers);
  const compileMs = performance.now() - start;
  const run = instance.exports[config.invoke];
  if (typeof run !== "function") {
    throw new Error(`the module exports no function "${config.invoke}"`);
  }
  // An i64 result is a BigInt, an i32 a Number: BigInt() of either is exact.
  const first = BigInt(run());
  const check = (r) => {
    if (BigInt(r) !== first) {
      throw new Error(`${config.invoke}() returned ${r}, the first call ${first}`);
    }
  };
  for (let i = 0; i < config.warmup; i++) {
    check(run());
  }
  const samples = [];
  for (let i = 0; i < config.runs; i++) {
    const t0 = performance.now();
    const r = run();
    const t1 = performance.now();
    check(r);
    samples.push(t1 - t0);
  }
  console.log(JSON.stringify({
    result: first.toString(),
    compile_ms: compileMs,
    samples_ms: samples,
    node: process.version,
    v8: process.versions.v8,
  }));
}

main().catch((e) => {
  console.error(`error: ${e && e.stack ? e.stack.split("\n")[0] : e}`);
  process.exit(1);
});
