"""Minimal NATS core-protocol client for the lattice integration tests.

Speaks the NATS text protocol (INFO, CONNECT, PUB/HPUB, SUB, UNSUB, MSG/HMSG,
PING/PONG, +OK/-ERR) over a plain TCP socket, with one background reader
thread that dispatches incoming messages to subscriptions.

It uses only the Python 3.11 standard library on purpose: the tests must run
on a stock Debian 12 machine (python3 + the nats-server package) without pip,
network access or a virtualenv.  It is a test tool, not a production client:
no reconnects, no TLS, no auth, no JetStream helpers.

    with Nats("nats://127.0.0.1:4222") as nc:
        sub = nc.subscribe("foo.>")
        nc.publish("foo.bar", {"hello": "world"})
        print(sub.next(timeout=2).json())
        reply = nc.request("svc.echo", b"hi", timeout=2)
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import socket
import sys
import threading
import time
import urllib.parse

__all__ = ["Nats", "Sub", "Msg", "NatsError", "NoResponders"]

_CRLF = b"\r\n"
_HDR_LINE = b"NATS/1.0"


class NatsError(Exception):
    """A protocol error, a -ERR from the server or use of a closed connection."""


class NoResponders(NatsError):
    """A request was answered by the server's 503 no-responders status."""


def _encode(data) -> bytes:
    """bytes/str/dict/list/None -> payload bytes (dict and list as JSON)."""
    if data is None:
        return b""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, (dict, list)):
        return json.dumps(data, separators=(",", ":")).encode()
    raise TypeError(f"cannot publish {type(data).__name__}")


def _check_subject(subject: str, what: str = "subject") -> None:
    if not subject or any(c in subject for c in " \t\r\n"):
        raise ValueError(f"invalid {what}: {subject!r}")


def _parse_headers(raw: bytes):
    """Parse an HMSG header block -> (headers dict, status int|None, description).

    The block is b"NATS/1.0[ STATUS[ DESCRIPTION]]\\r\\nKey: Value\\r\\n...\\r\\n".
    Repeated keys are joined with ", ".  The status line, when present, is
    also exposed in the dict as "Status" / "Description" (like nats.py does).
    """
    lines = raw.decode("utf-8", "replace").split("\r\n")
    first = lines[0]
    if not first.startswith("NATS/1.0"):
        raise NatsError(f"bad header block: {first!r}")
    headers: dict[str, str] = {}
    status = None
    description = ""
    rest = first[len("NATS/1.0"):].strip()
    if rest:
        code, _, description = rest.partition(" ")
        if code.isdigit():
            status = int(code)
            headers["Status"] = code
            if description:
                headers["Description"] = description
    for line in lines[1:]:
        if not line:
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers, status, description


class Msg:
    """One received message."""

    __slots__ = ("subject", "reply", "data", "headers", "status", "sid")

    def __init__(self, subject, reply, data, headers=None, status=None, sid=0):
        self.subject: str = subject
        self.reply: str | None = reply
        self.data: bytes = data
        self.headers: dict | None = headers
        self.status: int | None = status   # e.g. 503 for no responders
        self.sid: int = sid

    def json(self):
        return json.loads(self.data)

    def text(self) -> str:
        return self.data.decode("utf-8", "replace")

    def __repr__(self):
        data = self.data if len(self.data) <= 80 else self.data[:77] + b"..."
        extra = f" headers={self.headers!r}" if self.headers is not None else ""
        return f"<Msg {self.subject} reply={self.reply}{extra} data={data!r}>"


class Sub:
    """A subscription.  Messages queue up until read with next() or drain().

    If `cb` was given to subscribe(), messages are passed to it from the
    reader thread instead (it must not block or call request()).
    """

    def __init__(self, nc: "Nats", sid: int, subject: str, queue, cb):
        self.nc = nc
        self.sid = sid
        self.subject = subject
        self.queue = queue
        self.cb = cb
        self.active = True
        self._msgs: collections.deque[Msg] = collections.deque()
        self._cond = threading.Condition()

    def _deliver(self, msg: Msg) -> None:
        if self.cb is not None:
            try:
                self.cb(msg)
            except Exception as e:   # never kill the reader thread
                print(f"natsc: callback for {self.subject} raised {e!r}",
                      file=sys.stderr)
            return
        with self._cond:
            self._msgs.append(msg)
            self._cond.notify_all()

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def next(self, timeout: float = 5) -> Msg:
        """Return the next message; TimeoutError if none within `timeout` s.

        Raises NatsError if the connection closed and nothing is pending.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._msgs:
                if self.nc.is_closed:
                    raise NatsError(f"connection closed (subscription {self.subject})")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no message on {self.subject} within {timeout}s")
                self._cond.wait(left)
            return self._msgs.popleft()

    def drain(self) -> list[Msg]:
        """Return (and remove) every message received so far."""
        with self._cond:
            msgs = list(self._msgs)
            self._msgs.clear()
            return msgs

    def pending(self) -> int:
        with self._cond:
            return len(self._msgs)

    def unsubscribe(self) -> None:
        self.nc._unsubscribe(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.unsubscribe()


class Nats:
    """A connection to one NATS server.  Thread-safe for publish/subscribe."""

    RECV_SIZE = 65536

    def __init__(self, url: str = "nats://127.0.0.1:4222", timeout: float = 5,
                 name: str = "natsc-test"):
        u = urllib.parse.urlsplit(url if "://" in url else "nats://" + url)
        if u.scheme not in ("nats", "tcp"):
            raise ValueError(f"unsupported NATS url {url!r} (no TLS)")
        self.url = url
        self.host = u.hostname or "127.0.0.1"
        self.port = u.port or 4222
        self.server_info: dict = {}
        self.max_payload = 1 << 20
        self.errors: list[str] = []          # -ERR texts received, in order
        self.is_closed = False
        self._buf = bytearray()
        self._wlock = threading.Lock()       # serialises socket writes
        self._lock = threading.Lock()        # guards _subs and _pongs
        self._subs: dict[int, Sub] = {}
        self._pongs: collections.deque[threading.Event] = collections.deque()
        self._sids = itertools.count(1)
        self._inbox_prefix = "_INBOX." + os.urandom(8).hex()
        self._inbox_ids = itertools.count(1)

        self._sock = socket.create_connection((self.host, self.port), timeout=timeout)
        try:
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._handshake(name)
        except BaseException:
            self._sock.close()
            raise
        self._sock.settimeout(None)          # reader blocks; close() shuts down
        self._reader = threading.Thread(target=self._read_loop,
                                        name=f"natsc-{self.port}", daemon=True)
        self._reader.start()

    # ---- connection setup / teardown --------------------------------------

    def _handshake(self, name: str) -> None:
        """INFO -> CONNECT + PING -> PONG, synchronously on the socket."""
        line = self._read_line()
        op, _, arg = line.partition(b" ")
        if op.upper() != b"INFO":
            raise NatsError(f"expected INFO, got {line[:200]!r}")
        self.server_info = json.loads(arg)
        self.max_payload = int(self.server_info.get("max_payload", self.max_payload))
        if not self.server_info.get("headers", False):
            raise NatsError("server does not support headers")
        connect = {"verbose": False, "pedantic": False, "headers": True,
                   "no_responders": True, "protocol": 1, "name": name,
                   "lang": "python-natsc", "version": "0.1"}
        self._sock.sendall(b"CONNECT " + json.dumps(connect).encode() + b"\r\nPING\r\n")
        while True:
            line = self._read_line()
            op = line.split(b" ", 1)[0].upper()
            if op == b"PONG":
                return
            if op == b"-ERR":
                raise NatsError(f"connect refused: {line.decode(errors='replace')}")
            if op == b"PING":
                self._sock.sendall(b"PONG\r\n")
            # +OK / INFO: ignore

    def close(self) -> None:
        """Close the socket and stop the reader thread (idempotent)."""
        if not self.is_closed:
            self.is_closed = True
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if threading.current_thread() is not self._reader:
            self._reader.join(timeout=5)
        self._sock.close()
        self._wake_all()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _wake_all(self) -> None:
        with self._lock:
            subs = list(self._subs.values())
            pongs = list(self._pongs)
            self._pongs.clear()
        for s in subs:
            s._wake()
        for ev in pongs:
            ev.set()

    # ---- reading ------------------------------------------------------------

    def _fill(self) -> None:
        chunk = self._sock.recv(self.RECV_SIZE)
        if not chunk:
            raise ConnectionError("connection closed by server")
        self._buf += chunk

    def _read_line(self) -> bytes:
        """One protocol line without its CRLF (recv()s until complete)."""
        start = 0
        while True:
            i = self._buf.find(_CRLF, start)
            if i >= 0:
                line = bytes(self._buf[:i])
                del self._buf[:i + 2]
                return line
            start = max(0, len(self._buf) - 1)   # CRLF may straddle reads
            self._fill()

    def _read_exact(self, n: int) -> bytes:
        while len(self._buf) < n:
            self._fill()
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    def _read_payload(self, n: int) -> bytes:
        """n payload bytes followed by CRLF."""
        data = self._read_exact(n + 2)
        if data[-2:] != _CRLF:
            raise NatsError("payload not terminated by CRLF")
        return data[:-2]

    def _read_loop(self) -> None:
        try:
            while not self.is_closed:
                self._dispatch(self._read_line())
        except (OSError, ConnectionError, ValueError, NatsError) as e:
            if not self.is_closed:
                self.errors.append(f"reader: {e!r}")
        finally:
            self.is_closed = True
            with self._wlock:        # no writer is inside sendall() now
                self._sock.close()
            self._wake_all()

    def _dispatch(self, line: bytes) -> None:
        parts = line.split()
        if not parts:
            return
        op = parts[0].upper()
        if op == b"MSG":
            # MSG <subject> <sid> [reply-to] <#bytes>
            if len(parts) not in (4, 5):
                raise NatsError(f"bad MSG line {line!r}")
            data = self._read_payload(int(parts[-1]))
            reply = parts[3].decode() if len(parts) == 5 else None
            self._deliver(Msg(parts[1].decode(), reply, data, sid=int(parts[2])))
        elif op == b"HMSG":
            # HMSG <subject> <sid> [reply-to] <#header bytes> <#total bytes>
            if len(parts) not in (5, 6):
                raise NatsError(f"bad HMSG line {line!r}")
            hlen, total = int(parts[-2]), int(parts[-1])
            raw = self._read_payload(total)
            headers, status, _ = _parse_headers(raw[:hlen])
            reply = parts[3].decode() if len(parts) == 6 else None
            self._deliver(Msg(parts[1].decode(), reply, raw[hlen:], headers,
                              status, sid=int(parts[2])))
        elif op == b"PING":
            self._write(b"PONG\r\n")
        elif op == b"PONG":
            with self._lock:
                ev = self._pongs.popleft() if self._pongs else None
            if ev is not None:
                ev.set()
        elif op == b"-ERR":
            self.errors.append(line[5:].decode(errors="replace").strip())
        elif op == b"INFO":
            try:
                self.server_info.update(json.loads(line[5:]))
            except ValueError:
                pass
        # +OK and anything unknown: ignore

    def _deliver(self, msg: Msg) -> None:
        with self._lock:
            sub = self._subs.get(msg.sid)
        if sub is not None and sub.active:
            sub._deliver(msg)

    # ---- writing ------------------------------------------------------------

    def _write(self, *chunks: bytes) -> None:
        if self.is_closed:
            raise NatsError("connection is closed")
        with self._wlock:
            try:
                self._sock.sendall(b"".join(chunks))
            except OSError as e:
                raise NatsError(f"write failed: {e!r}") from e

    def publish(self, subject: str, data=b"", reply: str | None = None,
                headers: dict | None = None) -> None:
        """Publish `data` (bytes, str, or dict/list as JSON).

        `headers` (optional) sends an HPUB with those header fields.
        """
        _check_subject(subject)
        payload = _encode(data)
        rep = b""
        if reply is not None:
            _check_subject(reply, "reply subject")
            rep = reply.encode() + b" "
        if headers:
            hdr = _HDR_LINE + _CRLF + b"".join(
                f"{k}: {v}".encode() + _CRLF for k, v in headers.items()) + _CRLF
            size = len(hdr) + len(payload)
            if size > self.max_payload:
                raise ValueError(f"message of {size} bytes exceeds max_payload")
            self._write(b"HPUB %s %s%d %d\r\n" % (subject.encode(), rep, len(hdr), size),
                        hdr, payload, _CRLF)
        else:
            if len(payload) > self.max_payload:
                raise ValueError(f"payload of {len(payload)} bytes exceeds max_payload")
            self._write(b"PUB %s %s%d\r\n" % (subject.encode(), rep, len(payload)),
                        payload, _CRLF)

    def subscribe(self, subject: str, queue: str | None = None, cb=None) -> Sub:
        """Subscribe (optionally in a queue group).  Call flush() before relying
        on the server having registered it."""
        _check_subject(subject)
        if queue is not None:
            _check_subject(queue, "queue group")
        sid = next(self._sids)
        sub = Sub(self, sid, subject, queue, cb)
        with self._lock:
            self._subs[sid] = sub
        q = f" {queue}" if queue else ""
        self._write(f"SUB {subject}{q} {sid}\r\n".encode())
        return sub

    def _unsubscribe(self, sub: Sub) -> None:
        if not sub.active:
            return
        sub.active = False
        with self._lock:
            self._subs.pop(sub.sid, None)
        if not self.is_closed:
            try:
                self._write(f"UNSUB {sub.sid}\r\n".encode())
            except NatsError:
                pass

    def flush(self, timeout: float = 5) -> None:
        """Round-trip a PING; when it returns, the server has processed
        everything we sent before it (and we have dispatched what it sent)."""
        ev = threading.Event()
        with self._wlock:   # queue the waiter in the same order as the PING
            if self.is_closed:
                raise NatsError("connection is closed")
            with self._lock:
                self._pongs.append(ev)
            try:
                self._sock.sendall(b"PING\r\n")
            except OSError as e:
                raise NatsError(f"write failed: {e!r}") from e
        if not ev.wait(timeout):
            raise TimeoutError(f"no PONG within {timeout}s")
        if self.is_closed:
            raise NatsError("connection closed while flushing")

    # ---- request / reply ----------------------------------------------------

    def new_inbox(self) -> str:
        return f"{self._inbox_prefix}.{next(self._inbox_ids)}"

    def request(self, subject: str, data=b"", timeout: float = 5,
                headers: dict | None = None) -> Msg:
        """Send a request and return the first reply.

        Raises NoResponders if nobody is subscribed, TimeoutError on timeout.
        """
        inbox = self.new_inbox()
        sub = self.subscribe(inbox)
        try:
            self.publish(subject, data, reply=inbox, headers=headers)
            msg = sub.next(timeout)
            if msg.status == 503 and not msg.data:
                raise NoResponders(f"no responders for {subject}")
            return msg
        finally:
            sub.unsubscribe()

    def request_many(self, subject: str, data=b"", timeout: float = 2,
                     max_msgs: int | None = None) -> list[Msg]:
        """Scatter/gather: collect every reply until `timeout` elapses (or
        `max_msgs` replies arrived).  No responders -> empty list."""
        inbox = self.new_inbox()
        sub = self.subscribe(inbox)
        out: list[Msg] = []
        deadline = time.monotonic() + timeout
        try:
            self.publish(subject, data, reply=inbox)
            while max_msgs is None or len(out) < max_msgs:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    msg = sub.next(left)
                except TimeoutError:
                    break
                if msg.status == 503 and not msg.data:
                    break           # no responders: nothing will come
                out.append(msg)
        finally:
            sub.unsubscribe()
        return out
