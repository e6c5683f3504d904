// Probes the wasmCloud host interfaces (see wit/world.wit). HTTP, by path:
//   /                          200 "probe v1\n"
//   /sleep?ms=N                blocks N ms on a monotonic-clock pollable, 200 "slept N\n"
//   /config                    200, wasi:config/runtime get-all as a JSON object, keys sorted
//   /config-store?key=K        200 with wasi:config/store get(K), or 404 "missing"
//   /log?msg=M                 logs M at info with context "probe", 200 "logged\n"
//   /publish?subject=S&body=B  publishes B to S, 200 "published\n" or 500 with the error
//   /request?subject=S&body=B  requests S with B (2000 ms), 200 with the reply body or 502
//                              with the error
//   anything else              404 "not found\n"
// A message (wasmcloud:messaging/handler) with a reply-to is answered there with
// "echo: " + its body; one without is logged at info as "got SUBJECT: BODY".
import { log } from 'wasi:logging/logging@0.1.0-draft';
import * as runtimeConfig from 'wasi:config/runtime@0.2.0-draft';
import * as storeConfig from 'wasi:config/store@0.2.0-draft';
import { publish, request } from 'wasmcloud:messaging/consumer@0.2.0';
import { subscribeDuration } from 'wasi:clocks/monotonic-clock@0.2.3';

const enc = new TextEncoder();
const dec = new TextDecoder();

// The payload of an err result the bindings threw, as text.
function errText(e) {
  let p = e && e.payload !== undefined ? e.payload : e;
  if (p && typeof p === 'object' && 'tag' in p) {
    p = p.val !== undefined ? `${p.tag}: ${p.val}` : p.tag;
  }
  return typeof p === 'string' ? p : String(p);
}

function text(status, body) {
  return new Response(body, { status, headers: { 'content-type': 'text/plain' } });
}

function handle(req) {
  const url = new URL(req.url);
  const q = url.searchParams;
  switch (url.pathname) {
    case '/':
      return text(200, 'probe v1\n');
    case '/sleep': {
      const ms = Number.parseInt(q.get('ms') || '0', 10) || 0;
      subscribeDuration(BigInt(ms) * 1000000n).block();
      return text(200, `slept ${ms}\n`);
    }
    case '/config': {
      let all;
      try {
        all = runtimeConfig.getAll();
      } catch (e) {
        return text(500, errText(e));
      }
      // Written by hand so the keys keep their sorted order (an object would
      // move integer-like keys first).
      const sorted = [...all].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const body = '{' + sorted.map(([k, v]) => JSON.stringify(k) + ':' + JSON.stringify(v)).join(',') + '}';
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
    }
    case '/config-store': {
      let v;
      try {
        v = storeConfig.get(q.get('key') || '');
      } catch (e) {
        return text(500, errText(e));
      }
      return v === undefined || v === null ? text(404, 'missing') : text(200, v);
    }
    case '/log':
      log('info', 'probe', q.get('msg') || '');
      return text(200, 'logged\n');
    case '/publish':
      try {
        publish({ subject: q.get('subject') || '', body: enc.encode(q.get('body') || ''), replyTo: undefined });
      } catch (e) {
        return text(500, errText(e));
      }
      return text(200, 'published\n');
    case '/request': {
      let reply;
      try {
        reply = request(q.get('subject') || '', enc.encode(q.get('body') || ''), 2000);
      } catch (e) {
        return text(502, errText(e));
      }
      return new Response(reply.body, { status: 200 });
    }
    default:
      return text(404, 'not found\n');
  }
}

addEventListener('fetch', (event) => event.respondWith(handle(event.request)));

export const handler = {
  handleMessage(msg) {
    const body = msg.body instanceof Uint8Array ? msg.body : new Uint8Array(msg.body);
    if (msg.replyTo !== undefined && msg.replyTo !== null) {
      const prefix = enc.encode('echo: ');
      const out = new Uint8Array(prefix.length + body.length);
      out.set(prefix, 0);
      out.set(body, prefix.length);
      // A failed publish becomes the handler's err(string).
      try {
        publish({ subject: msg.replyTo, body: out, replyTo: undefined });
      } catch (e) {
        throw errText(e);
      }
    } else {
      log('info', 'probe', `got ${msg.subject}: ${dec.decode(body)}`);
    }
  },
};
