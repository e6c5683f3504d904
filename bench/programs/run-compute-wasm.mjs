// run-compute-wasm.mjs - run compute.wasm under Node's V8 (a reference point
// for the engine, and the check that the wasm checksum equals the native one).
//
// usage: node run-compute-wasm.mjs COMPUTE.wasm [n] [repetitions]
// prints the same line as compute-native:
//   n=180 reps=5 median_s=0.5 min_s=0.5 checksum=123
import { readFileSync } from 'node:fs';

const [file, nArg, repsArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node run-compute-wasm.mjs COMPUTE.wasm [n] [repetitions]');
  process.exit(2);
}
const n = nArg === undefined ? 180 : Number(nArg);
const reps = repsArg === undefined ? 5 : Number(repsArg);

const { instance } = await WebAssembly.instantiate(readFileSync(file), {});
const run = instance.exports.run;
const times = [];
let checksum;
for (let i = 0; i < reps; i++) {
  const t0 = process.hrtime.bigint();
  const c = run(n) >>> 0;
  times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  if (i > 0 && c !== checksum) {
    console.error('run-compute-wasm: checksum changed between runs');
    process.exit(1);
  }
  checksum = c;
}
times.sort((a, b) => a - b);
const median = reps % 2 ? times[reps >> 1] : (times[reps / 2 - 1] + times[reps / 2]) / 2;
console.log(
  `n=${n} reps=${reps} median_s=${median.toFixed(6)} min_s=${times[0].toFixed(6)} checksum=${checksum}`,
);
