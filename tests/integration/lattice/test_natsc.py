"""Self-tests for the lattice test tooling: natsc.py against a real
nats-server (started through harness.py), natsc's parser against a scripted
fake server that splits every frame, and harness.Host against a fake `wash`.

Standard library only.  From the repo root:

    python3 -m unittest tests/integration/lattice/test_natsc.py -v
"""

import os
import socket
import sys
import threading
import time
import unittest
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import harness  # noqa: E402
from harness import LatticeTest, free_port, wait_for  # noqa: E402
from natsc import Nats, NatsError, NoResponders  # noqa: E402


class NatscRealServerTest(LatticeTest):
    """natsc against nats-server 2.9 (self.nc / self.nats from LatticeTest)."""

    def connect(self) -> Nats:
        nc = Nats(self.nats.url)
        self.addCleanup(nc.close)
        return nc

    def test_pub_sub(self):
        sub = self.nc.subscribe("foo.*")
        all_sub = self.nc.subscribe(">")
        self.nc.flush()
        self.nc.publish("foo.bytes", b"\x00\x01raw")
        self.nc.publish("foo.str", "héllo")
        self.nc.publish("foo.json", {"a": [1, 2]}, reply="some.reply")
        self.nc.publish("foo.list", [1, "x"])
        self.nc.publish("foo.empty")
        self.nc.publish("bar.not.matched", b"x")
        m = sub.next(2)
        self.assertEqual((m.subject, m.data, m.reply, m.headers), ("foo.bytes", b"\x00\x01raw", None, None))
        self.assertEqual(sub.next(2).data.decode(), "héllo")
        m = sub.next(2)
        self.assertEqual((m.json(), m.reply), ({"a": [1, 2]}, "some.reply"))
        self.assertEqual(sub.next(2).json(), [1, "x"])
        self.assertEqual(sub.next(2).data, b"")
        self.assertRaises(TimeoutError, sub.next, 0.2)
        wait_for(lambda: all_sub.pending() == 6, 2, what="6 messages on '>'")
        # after unsubscribe, nothing more is delivered
        sub.unsubscribe()
        self.nc.publish("foo.bytes", b"late")
        self.nc.flush()
        self.assertEqual(sub.drain(), [])
        self.assertEqual(len(all_sub.drain()), 7)
        self.assertEqual(self.nc.errors, [])

    def test_queue_group(self):
        a, b, plain = self.connect(), self.connect(), self.connect()
        qa = a.subscribe("work", queue="workers")
        qb = b.subscribe("work", queue="workers")
        ps = plain.subscribe("work")
        for nc in (a, b, plain):
            nc.flush()
        for i in range(10):
            self.nc.publish("work", str(i))
        self.nc.flush()
        for nc in (a, b, plain):
            nc.flush()
        got = wait_for(lambda: qa.pending() + qb.pending() >= 10 and ps.pending() >= 10,
                       3, what="10 queue + 10 plain deliveries")
        self.assertTrue(got)
        time.sleep(0.2)  # anything extra would have arrived by now
        qmsgs = qa.drain() + qb.drain()
        self.assertEqual(sorted(int(m.data) for m in qmsgs), list(range(10)))
        self.assertEqual(len(ps.drain()), 10)

    def test_request_reply(self):
        responder = self.connect()
        responder.subscribe("svc.upper",
                            cb=lambda m: responder.publish(m.reply, m.data.upper()))
        responder.flush()
        r = self.nc.request("svc.upper", "hello", timeout=2)
        self.assertEqual(r.data, b"HELLO")
        self.assertTrue(r.subject.startswith("_INBOX."))
        # sequential requests use distinct inboxes and do not cross
        for i in range(20):
            self.assertEqual(self.nc.request("svc.upper", f"x{i}", 2).data, f"X{i}".encode())

    def test_request_from_threads(self):
        responder = self.connect()
        responder.subscribe("svc.echo", cb=lambda m: responder.publish(m.reply, m.data))
        responder.flush()
        results, errors = {}, []

        def worker(n):
            try:
                for i in range(25):
                    key = f"{n}-{i}"
                    results[key] = self.nc.request("svc.echo", key, 3).data.decode()
            except Exception as e:
                errors.append(e)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        self.assertEqual(errors, [])
        self.assertEqual(len(results), 100)
        self.assertTrue(all(k == v for k, v in results.items()))

    def test_request_timeout(self):
        silent = self.connect()
        silent.subscribe("svc.silent")
        silent.flush()
        t0 = time.monotonic()
        self.assertRaises(TimeoutError, self.nc.request, "svc.silent", b"", 0.3)
        self.assertLess(time.monotonic() - t0, 2)

    def test_request_many(self):
        r1, r2 = self.connect(), self.connect()
        r1.subscribe("host.ping", cb=lambda m: r1.publish(m.reply, {"id": "one"}))
        r2.subscribe("host.ping", cb=lambda m: r2.publish(m.reply, {"id": "two"}))
        r1.flush()
        r2.flush()
        t0 = time.monotonic()
        replies = self.nc.request_many("host.ping", b"", timeout=0.7)
        elapsed = time.monotonic() - t0
        self.assertEqual(sorted(m.json()["id"] for m in replies), ["one", "two"])
        self.assertGreaterEqual(elapsed, 0.6)        # waited for stragglers
        self.assertLess(elapsed, 2)
        self.assertEqual(len(self.nc.request_many("host.ping", b"", 2, max_msgs=1)), 1)
        self.assertEqual(self.nc.request_many("nobody.ping", b"", 2), [])

    def test_no_responders(self):
        t0 = time.monotonic()
        with self.assertRaises(NoResponders):
            self.nc.request("nobody.home", b"hi", timeout=5)
        self.assertLess(time.monotonic() - t0, 2)    # answered, not timed out

    def test_hmsg_no_responders_status(self):
        # Publish with a reply subject we listen on ourselves: the server
        # answers with an HMSG carrying "NATS/1.0 503" and no payload.
        inbox = self.nc.new_inbox()
        sub = self.nc.subscribe(inbox)
        self.nc.flush()
        self.nc.publish("nobody.here", b"x", reply=inbox)
        m = sub.next(2)
        self.assertEqual(m.subject, inbox)
        self.assertEqual(m.status, 503)
        self.assertEqual(m.data, b"")
        self.assertIsNotNone(m.headers)
        self.assertEqual(m.headers.get("Status"), "503")

    def test_hmsg_with_headers(self):
        sub = self.nc.subscribe("hdr")
        self.nc.flush()
        self.nc.publish("hdr", b"body", headers={"X-One": "1", "traceparent": "00-abc-def-01"},
                        reply="r.x")
        m = sub.next(2)
        self.assertEqual((m.data, m.reply, m.status), (b"body", "r.x", None))
        self.assertEqual(m.headers, {"X-One": "1", "traceparent": "00-abc-def-01"})
        self.nc.publish("hdr", b"", headers={"Only": "headers"})
        m = sub.next(2)
        self.assertEqual((m.data, m.headers), (b"", {"Only": "headers"}))

    def test_large_payload(self):
        receiver = self.connect()
        sub = receiver.subscribe("big")
        receiver.flush()
        size = self.nc.max_payload
        self.assertEqual(size, 1 << 20)
        data = os.urandom(size)                      # 1 MiB: many recv() calls
        self.nc.publish("big", data)
        self.nc.publish("big", b"after")
        m = sub.next(5)
        self.assertEqual(len(m.data), size)
        self.assertEqual(m.data, data)
        self.assertEqual(sub.next(5).data, b"after")  # stream still in sync
        with self.assertRaises(ValueError):
            self.nc.publish("big", data + b"!")

    def test_jetstream_info(self):
        info = self.nc.request("$JS.API.INFO", b"", 2).json()
        self.assertNotIn("error", info)
        self.assertEqual(info.get("type"), "io.nats.jetstream.api.v1.account_info_response")

    def test_restart(self):
        port = self.nats.port
        old = self.nc
        self.nats.restart()
        self.assertEqual(self.nats.port, port)
        wait_for(lambda: old.is_closed, 5, what="old connection to notice the restart")
        self.assertRaises(NatsError, old.publish, "x", b"")
        old.close()
        self.nc = Nats(self.nats.url)                 # closed by the cleanup
        sub = self.nc.subscribe("after.restart")
        self.nc.flush()
        self.nc.publish("after.restart", b"ok")
        self.assertEqual(sub.next(2).data, b"ok")
        self.assertNotIn("error", self.nc.request("$JS.API.INFO", b"", 2).json())

    def test_kill_closes_subscribers(self):
        sub = self.nc.subscribe("x")
        self.nc.flush()
        self.nats.kill()
        t0 = time.monotonic()
        self.assertRaises(NatsError, sub.next, 5)
        self.assertLess(time.monotonic() - t0, 3)


class _TinyRecvNats(Nats):
    RECV_SIZE = 3      # force every frame to be reassembled from pieces


class NatscParserTest(unittest.TestCase):
    """A scripted fake server that sends each frame in small pieces."""

    def setUp(self):
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(1)
        self.lsock.settimeout(5)
        self.port = self.lsock.getsockname()[1]
        self.addCleanup(self.lsock.close)
        self.rx = bytearray()

    def recv_until(self, conn, token: bytes, timeout=5):
        deadline = time.monotonic() + timeout
        while token not in self.rx:
            if time.monotonic() > deadline:
                raise AssertionError(f"fake server: no {token!r} in {bytes(self.rx)!r}")
            conn.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = conn.recv(4096)
            if not chunk:
                raise AssertionError("fake server: client hung up")
            self.rx += chunk
        i = self.rx.index(token) + len(token)
        head = bytes(self.rx[:i])
        del self.rx[:i]
        return head

    @staticmethod
    def send_split(conn, data: bytes, step=5):
        for i in range(0, len(data), step):
            conn.sendall(data[i:i + step])
            time.sleep(0.001)

    def test_split_frames_and_server_ping(self):
        result = {}

        def client():
            try:
                nc = _TinyRecvNats(f"nats://127.0.0.1:{self.port}", timeout=5)
                with nc:
                    sub = nc.subscribe("a.b")
                    result["msgs"] = [sub.next(5) for _ in range(4)]
                    nc.flush(5)
                    result["errors"] = list(nc.errors)
            except Exception as e:
                result["exc"] = e

        t = threading.Thread(target=client)
        t.start()
        conn, _ = self.lsock.accept()
        with conn:
            info = b'INFO {"server_id":"fake","headers":true,"max_payload":1048576}\r\n'
            self.send_split(conn, info, 4)
            connect = self.recv_until(conn, b"PING\r\n")
            self.assertIn(b'"no_responders": true', connect)
            self.assertIn(b'"headers": true', connect)
            conn.sendall(b"+OK\r\nPONG\r\n")
            self.recv_until(conn, b"SUB a.b 1\r\n")
            big = bytes(range(256)) * 40 + b"\r\nMSG not a header\r\n"
            hdr = b"NATS/1.0\r\nK: v1\r\nK: v2\r\nEmpty:\r\n\r\n"
            h503 = b"NATS/1.0 503\r\n\r\n"
            stream = (b"PING\r\n"
                      + b"MSG a.b 1 5\r\nhello\r\n"
                      + b"MSG a.b 1 reply.to %d\r\n%s\r\n" % (len(big), big)
                      + b"HMSG a.b 1 _INBOX.x %d %d\r\n%sdata\r\n" % (len(hdr), len(hdr) + 4, hdr)
                      + b"HMSG a.b 1 %d %d\r\n%s\r\n" % (len(h503), len(h503), h503))
            self.send_split(conn, stream, 7)
            self.recv_until(conn, b"PONG\r\n")        # our PING was answered
            self.recv_until(conn, b"PING\r\n")        # the client's flush()
            conn.sendall(b"PONG\r\n")
            t.join(10)
        self.assertFalse(t.is_alive())
        self.assertNotIn("exc", result, result.get("exc"))
        m1, m2, m3, m4 = result["msgs"]
        self.assertEqual((m1.data, m1.reply), (b"hello", None))
        self.assertEqual((m2.data, m2.reply), (big, "reply.to"))
        self.assertEqual((m3.data, m3.reply), (b"data", "_INBOX.x"))
        self.assertEqual(m3.headers, {"K": "v1, v2", "Empty": ""})
        self.assertEqual((m4.status, m4.data, m4.reply), (503, b"", None))
        self.assertEqual(result["errors"], [])


FAKE_WASH = r'''
import json, os, signal, sys, time
sys.path.insert(0, {here!r})
from natsc import Nats
if os.environ.get("FAKE_FAIL"):
    print("fake wash: boom", flush=True)
    sys.exit(3)
assert sys.argv[1:3] == ["host", "--nats-url"], sys.argv
lattice = os.environ["WASMCLOUD_LATTICE"]
host_id = "N" + os.environ.get("FAKE_ID", "FAKEHOST")
nc = Nats(sys.argv[3])
stop = []
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
print("fake wash: started", sys.argv[4:], flush=True)
nc.publish(f"wasmbus.evt.{{lattice}}.host_started",
           {{"specversion": "1.0", "source": host_id, "type": "com.wasmcloud.lattice.host_started",
            "id": "1", "datacontenttype": "application/json", "data": {{"labels": {{}}}}}})
nc.flush()
deadline = time.monotonic() + 60
while not stop and time.monotonic() < deadline:
    time.sleep(0.02)
print("fake wash: stopping", flush=True)
nc.close()
'''


class HarnessHostTest(LatticeTest):
    """harness.Host / LatticeTest.start_host with a scripted fake `wash`."""

    lattice = "harness-selftest"

    def setUp(self):
        super().setUp()
        self.fake = self.workdir / "fake-wash"
        self.fake.write_text(f"#!{sys.executable}\n" + FAKE_WASH.format(here=_HERE))
        self.fake.chmod(0o755)

    def test_start_stop(self):
        h = self.start_host(wash=self.fake, env={"FAKE_ID": "ONE"}, args=["--x", "1"])
        self.assertEqual(h.id, "NONE")
        self.assertTrue(h.running())
        h2 = self.start_host(wash=self.fake, env={"FAKE_ID": "TWO"})
        self.assertEqual(h2.id, "NTWO")
        self.assertNotEqual(h.log_path, h2.log_path)
        h.stop()
        self.assertEqual(h.returncode, 0)
        self.assertIn("started ['--x', '1']", h.log())
        self.assertIn("stopping", h.log())
        h2.kill()
        self.assertEqual(h2.returncode, -9)

    def test_early_exit_raises_with_log(self):
        t0 = time.monotonic()
        with self.assertRaises(RuntimeError) as cm:
            self.start_host(wash=self.fake, env={"FAKE_FAIL": "1"}, timeout=10)
        self.assertIn("fake wash: boom", str(cm.exception))
        self.assertLess(time.monotonic() - t0, 5)

    def test_helpers(self):
        self.assertRaises(AssertionError, wait_for, lambda: False, 0.1, what="never")
        self.assertEqual(wait_for(lambda: 42, 1), 42)
        status, body = harness.http_get(f"http://127.0.0.1:{free_port()}/", timeout=2,
                                        allow_refused=True)
        self.assertEqual((status, body), (None, b""))
        with self.assertRaises(ConnectionRefusedError):
            harness.http_get(f"http://127.0.0.1:{free_port()}/", timeout=2)
        self.assertEqual(harness.guest("cmd").name, "cmd.wasm")
        self.assertEqual(harness.wash().parent.name, "bin")


if __name__ == "__main__":
    unittest.main()
