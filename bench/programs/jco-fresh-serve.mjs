// jco-fresh-serve.mjs DIR NAME HOST PORT
//
// Serves a wasi:http/proxy component the way `jco serve` does (jco's
// transpiled JavaScript + preview2-shim's HTTPServer on Node.js), but with a
// fresh instance per request, as wash serve and wasmtime serve do.
//
// Why: `jco serve` 1.11.1 makes one instance and sends every request to it,
// and a componentize-js component answers one request per instance (the
// second fails with "FetchEvent#respondWith can't be called twice"), so
// stock jco serve cannot be benchmarked with a JavaScript component.
//
// DIR holds `jco transpile COMPONENT --instantiation sync -o DIR` output;
// NAME is the component's base name there. Core modules compile once.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import * as shim from '@bytecodealliance/preview2-shim';

const [dir, name, host, port] = process.argv.slice(2);
const { instantiate } = await import(pathToFileURL(`${dir}/${name}.js`));

const modules = new Map();
function getCoreModule(file) {
  if (!modules.has(file)) {
    modules.set(file, new WebAssembly.Module(readFileSync(`${dir}/${file}`)));
  }
  return modules.get(file);
}

// 'wasi:cli/terminal-input' -> shim.cli.terminalInput
const camel = (s) => s.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
const imports = new Proxy({}, {
  get(_, key) {
    const [, pkg, iface] = /^wasi:([a-z]+)\/([a-z-]+)$/.exec(key);
    return shim[pkg][camel(iface)];
  },
});

const server = new shim.http.HTTPServer({
  handle(request, outparam) {
    instantiate(getCoreModule, imports).incomingHandler.handle(request, outparam);
  },
});
server.listen(Number(port), host);
console.error(`Server listening @ ${host}:${port}...`);
