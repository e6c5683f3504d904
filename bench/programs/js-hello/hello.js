// The JavaScript engine benchmark's guest: a wasi:http/proxy handler in the
// Service Worker style that componentize-js (StarlingMonkey) supports.
addEventListener('fetch', (e) => e.respondWith(new Response('Hello from JavaScript\n')));
