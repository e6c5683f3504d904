// Probes wasi:keyvalue through the host (see wit/world.wit). HTTP, by path,
// all on the bucket opened with ?bucket=B (default "probe"):
//   /set?key=K&value=V      200 "ok"
//   /get?key=K              200 with the value, or 404 "missing"
//   /exists?key=K           200 "true" or "false"
//   /del?key=K              200 "ok"
//   /incr?key=K&by=N        200 with the new value
//   /keys                   200, every key (following cursors), one per line
//   /set-many?k1=v1&k2=v2   200 "ok" (every parameter but bucket)
//   /get-many?keys=a,b      200, "key=value" or "key: none" per line
//   /del-many?keys=a,b      200 "ok"
// Any error: 500 with its text ("tag" or "tag: value").
import { open } from 'wasi:keyvalue/store@0.2.0-draft';
import { increment } from 'wasi:keyvalue/atomics@0.2.0-draft';
import { getMany, setMany, deleteMany } from 'wasi:keyvalue/batch@0.2.0-draft';

const enc = new TextEncoder();
const dec = new TextDecoder();

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
  const key = q.get('key') || '';
  let b;
  try {
    b = open(q.get('bucket') || 'probe');
  } catch (e) {
    return text(500, errText(e));
  }
  try {
    switch (url.pathname) {
      case '/set':
        b.set(key, enc.encode(q.get('value') || ''));
        return text(200, 'ok');
      case '/get': {
        const v = b.get(key);
        return v === undefined || v === null ? text(404, 'missing') : text(200, dec.decode(v));
      }
      case '/exists':
        return text(200, String(b.exists(key)));
      case '/del':
        b.delete(key);
        return text(200, 'ok');
      case '/incr':
        return text(200, String(increment(b, key, BigInt(q.get('by') || '1'))));
      case '/keys': {
        const all = [];
        let cursor;
        do {
          const r = b.listKeys(cursor);
          all.push(...r.keys);
          cursor = r.cursor;
        } while (cursor !== undefined && cursor !== null);
        return text(200, all.join('\n'));
      }
      case '/set-many': {
        const kvs = [];
        for (const [k, v] of q) {
          if (k !== 'bucket') kvs.push([k, enc.encode(v)]);
        }
        setMany(b, kvs);
        return text(200, 'ok');
      }
      case '/get-many': {
        const keys = (q.get('keys') || '').split(',');
        const got = getMany(b, keys);
        const lines = got.map((e, i) => (e === undefined || e === null ? `${keys[i]}: none` : `${e[0]}=${dec.decode(e[1])}`));
        return text(200, lines.join('\n'));
      }
      case '/del-many':
        deleteMany(b, (q.get('keys') || '').split(','));
        return text(200, 'ok');
      default:
        return text(404, 'not found\n');
    }
  } catch (e) {
    return text(500, errText(e));
  }
}

addEventListener('fetch', (event) => event.respondWith(handle(event.request)));
