"""wRPC: component exports served by the host over NATS, and `wash call`.

The host end is checked byte for byte with a raw NATS peer (the protocol of
wrpc-transport-nats: handshake on the reply inbox, results on
{inbox}.results, empty message = end); `wash call` is then driven through
the real binary: typed arguments read from the component, WAVE results,
HTTP requests with bodies both ways, and errors that name the problem."""
import json
import subprocess
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import LatticeTest, guest, wait_for, wash  # noqa: E402

STRINGS = guest("strings-utf8")
HELLO = guest("http-hello-c")
ECHO = guest("http-echo")
PROBE = guest("host-probe")


class CallTest(LatticeTest):
    def wash(self, *args, ok=True, timeout=60):
        r = subprocess.run([str(wash()), *args, "--nats-url", self.nats.url],
                           capture_output=True, timeout=timeout)
        if ok:
            self.assertEqual(r.returncode, 0, (r.stdout + r.stderr).decode(errors="replace"))
        return r

    def scale(self, host, ref, cid):
        self.ok(f"component.scale.{host.id}",
                {"component_ref": f"file://{ref}", "component_id": cid, "count": 4})
        wait_for(lambda: any(c["id"] == cid for c in self.ctl(f"host.get.{host.id}")
                             ["response"]["components"]), what=f"{cid} to start")

    def test_raw_wrpc_peer(self):
        host = self.start_host()
        self.scale(host, STRINGS, "strs")
        inbox = "_INBOX.rawpeer"
        with self.nc.subscribe(inbox) as hs, self.nc.subscribe(inbox + ".>") as rs:
            # echo("hé") as a top-level function: the instance is empty.
            self.nc.publish("default.strs.wrpc.0.0.1.echo", b"\x03h\xc3\xa9", reply=inbox)
            shake = hs.next(10)
            self.assertEqual(shake.data, b"")
            self.assertTrue(shake.reply.startswith("_INBOX."))
            self.nc.publish(shake.reply + ".params", b"")
            got = b""
            while True:
                m = rs.next(10)
                self.assertEqual(m.subject, inbox + ".results")
                if not m.data:
                    break
                got += m.data
            self.assertEqual(got, b"\x03h\xc3\xa9")
        # Parameters split over the handshake: the first byte inline, the rest after.
        with self.nc.subscribe(inbox) as hs, self.nc.subscribe(inbox + ".>") as rs:
            self.nc.publish("default.strs.wrpc.0.0.1.units", b"\x05", reply=inbox)
            shake = hs.next(10)
            self.nc.publish(shake.reply + ".params", b"abcde")
            self.nc.publish(shake.reply + ".params", b"")
            self.assertEqual(rs.next(10).data, b"\x05")  # u32 5
            m = rs.next(10)
            self.assertEqual(m.data, b"")
        # A function that does not exist: the results end at once, with the reason.
        with self.nc.subscribe(inbox) as hs, self.nc.subscribe(inbox + ".>") as rs:
            self.nc.publish("default.strs.wrpc.0.0.1.nope", b"", reply=inbox)
            hs.next(10)
            m = rs.next(10)
            self.assertEqual(m.data, b"")
            self.assertIn("does not export", m.headers.get("wasmcloud-error", ""))

    def test_wash_call(self):
        host = self.start_host()
        self.scale(host, STRINGS, "strs")
        self.scale(host, HELLO, "hello")
        self.scale(host, ECHO, "echo")
        self.scale(host, PROBE, "probe")

        spy = subprocess.Popen([str(wash()), "spy", "strs", "--count", "1", "--timeout", "30s",
                                "-o", "json", "--nats-url", self.nats.url],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        spy.stderr.readline()  # "Watching ...": subscribed
        self.assertEqual(self.wash("call", "strs", "echo", '"héllo"').stdout.decode(),
                         '"héllo"\n')
        seen = json.loads(spy.communicate(timeout=30)[0])
        self.assertEqual((seen["kind"], seen["from"], seen["to"], seen["operation"]),
                         ("invocation", "wash", "strs", "echo"))
        out = json.loads(self.wash("call", "strs", "units", '"héllo"', "-o", "json").stdout)
        self.assertEqual(out, {"success": True, "result": "6"})
        # A record argument, a result<_, string> back, an interface with a version.
        r = self.wash("call", "probe", "wasmcloud:messaging/handler@0.2.0.handle-message",
                      '{subject: "a.b", body: [104, 105], reply-to: none}')
        self.assertIn(r.stdout.decode().strip()[:3], ("ok", "err"))

        r = self.wash("call", "hello", "wasi:http/incoming-handler.handle", "--http-path",
                      "/?name=wrpc")
        self.assertEqual(r.stdout.decode(), "Hello from C\n")
        body = b"x" * 300_000  # more than one NATS message each way
        path = self.workdir / "body.bin"
        path.write_bytes(body)
        r = self.wash("call", "echo", "wasi:http/incoming-handler@0.2.0.handle", "--http-method",
                      "POST", "--http-body-path", str(path))
        self.assertEqual(r.stdout, body)
        out = json.loads(self.wash("call", "echo", "wasi:http/incoming-handler.handle",
                                   "--http-method", "PUT", "--http-path", "/p?q=1", "-H",
                                   "x-a: 1", "--http-body", "hi", "-o", "json").stdout)
        self.assertEqual(out["status"], 200)
        self.assertEqual(out["body"], "hi")
        self.assertEqual(out["headers"]["x-method"], "PUT")
        self.assertEqual(out["headers"]["x-path"], "/p")
        self.assertEqual(out["headers"]["x-h-x-a"], "1")

        # Errors say what was wrong.
        cases = [
            (["strs", "nope"], "does not export function nope"),
            (["strs", "echo", "42"], "argument 1 (s): expected a string"),
            (["strs", "echo"], "takes 1 argument, 0 given"),
            (["ghost", "echo", '"x"'], "no host runs component ghost"),
            (["ghost", "echo", '"x"', "--component", str(STRINGS), "--timeout", "2s"],
             "is component ghost running"),
        ]
        for args, want in cases:
            r = self.wash("call", *args, ok=False)
            self.assertEqual(r.returncode, 1, args)
            self.assertIn(want, r.stderr.decode(), args)


if __name__ == "__main__":
    unittest.main()
