// {{name}}: an HTTP component in JavaScript, built by `wash build`
// (componentize-js). Answers "Hello from {{name}}" and echoes the path.
addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  event.respondWith(
    new Response(`Hello from {{name}} (path ${url.pathname})\n`, {
      headers: { 'content-type': 'text/plain' },
    }),
  );
});
