// Echoes a request: method, path, query and headers come back as x-* response
// headers, the body comes back as the body (a 10 MB body too).
addEventListener('fetch', (event) => event.respondWith(echo(event.request)));

async function echo(req) {
  const url = new URL(req.url);
  const body = new Uint8Array(await req.arrayBuffer());
  const headers = new Headers();
  headers.set('x-method', req.method);
  headers.set('x-path', url.pathname);
  headers.set('x-query', url.search);
  headers.set('x-body-length', String(body.length));
  for (const [name, value] of req.headers) {
    headers.set('x-h-' + name, value);
  }
  return new Response(body, { status: 200, headers });
}
