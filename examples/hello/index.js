// The sample app: a wasi:http/proxy component in JavaScript (componentize-js).
// scripts/bootstrap.sh builds it and serves it with `wash serve`:
//   curl 'http://127.0.0.1:8080/?name=you'
addEventListener('fetch', (event) => event.respondWith(handle(event.request)));

async function handle(request) {
  const url = new URL(request.url);
  const name = url.searchParams.get('name') || 'World';
  return new Response(`Hello, ${name}! (served by wasmCloud in C)\n`, {
    headers: { 'content-type': 'text/plain' },
  });
}
