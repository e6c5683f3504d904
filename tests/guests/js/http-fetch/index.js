// Calls outbound HTTP (wasi:http/outgoing-handler) to the URL given in the
// query (?upstream=http://127.0.0.1:PORT/path) and reports what it got.
addEventListener('fetch', (event) => event.respondWith(proxy(event.request)));

async function proxy(req) {
  const upstream = new URL(req.url).searchParams.get('upstream');
  if (!upstream) {
    return new Response('missing ?upstream=\n', { status: 400 });
  }
  try {
    const r = await fetch(upstream, { headers: { 'x-from': 'component' } });
    const text = await r.text();
    return new Response(`upstream ${r.status}: ${text}`, { status: 200 });
  } catch (e) {
    return new Response(`upstream failed: ${e}\n`, { status: 502 });
  }
}
