"""The lattice host end to end: a real nats-server (JetStream), real `wash host`
processes, real components, curl-like HTTP clients and a NATS client as peers.

Covers: scale from a file and serve through the built-in HTTP server; link
delete closes the listener; max_instances (N served at once, N+1 waits);
update without dropped requests; two hosts sharing links through KV; a NATS
restart under a serving host; graceful stop; limits; malformed control
messages change nothing.
"""
import json
import os
import signal
import sys
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import LatticeTest, free_port, guest, http_get, wait_for  # noqa: E402
from natsc import Nats  # noqa: E402

HELLO = guest("http-hello-c")
PROBE = guest("host-probe")
HTTP_PROVIDER = "ghcr.io/wasmcloud/http-server:0.27.0"


def file_ref(p):
    return f"file://{p}"


class HostTest(LatticeTest):
    def scale(self, host, cid, wasm, count, **extra):
        sub = self.events("component_scaled")
        body = {"component_ref": file_ref(wasm), "component_id": cid, "count": count, **extra}
        self.ok(f"component.scale.{host.id}", body)
        ev = self.wait_event(sub, "component_scaled", lambda d: d["component_id"] == cid)
        sub.unsubscribe()
        return ev

    def serve_http(self, host, cid, port, provider="http", link_name="default"):
        """Start the http-server provider (once) and link it to cid at 127.0.0.1:port."""
        inv = self.ok(f"host.get.{host.id}")["response"]
        if not any(p["id"] == provider for p in inv["providers"]):
            sub = self.events("provider_started")
            self.ok(f"provider.start.{host.id}",
                    {"provider_ref": HTTP_PROVIDER, "provider_id": provider})
            self.wait_event(sub, "provider_started", lambda d: d["provider_id"] == provider)
        cfg = f"{cid}-http-{port}"
        self.ok(f"config.put.{cfg}", {"address": f"127.0.0.1:{port}"})
        self.ok("link.put", {"source_id": provider, "target": cid, "name": link_name,
                             "wit_namespace": "wasi", "wit_package": "http",
                             "interfaces": ["incoming-handler"], "source_config": [cfg]})
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: http_get(url + "/", allow_refused=True)[0] is not None,
                 what=f"a listener on {url}")
        return url


class ServeTest(HostTest):
    def test_scale_link_curl_then_unlink_and_stop(self):
        host = self.start_host()
        ev = self.scale(host, "hello", HELLO, 2)
        self.assertEqual(ev["data"]["max_instances"], 2)
        url = self.serve_http(host, "hello", free_port())
        self.assertEqual(http_get(url + "/"), (200, b"Hello from C\n"))

        inv = self.ok(f"host.get.{host.id}")["response"]
        self.assertEqual([c["id"] for c in inv["components"]], ["hello"])
        self.assertEqual(inv["components"][0]["image_ref"], file_ref(HELLO))
        self.assertEqual(inv["components"][0]["max_instances"], 2)
        links = self.ok("link.get")["response"]
        self.assertEqual(len(links), 1)
        self.assertEqual(links[0]["target"], "hello")

        # Deleting the link closes the listener.
        self.ok("link.del", {"source_id": "http", "wit_namespace": "wasi", "wit_package": "http"})
        wait_for(lambda: http_get(url + "/", allow_refused=True)[0] is None,
                 what="the listener to close after link.del")
        self.assertEqual(self.ok("link.get")["response"], [])

        # Scale to zero stops the component.
        self.scale(host, "hello", HELLO, 0)
        inv = self.ok(f"host.get.{host.id}")["response"]
        self.assertEqual(inv["components"], [])

    def test_component_that_cannot_load_fails_with_an_event(self):
        host = self.start_host()
        sub = self.events("component_scale_failed")
        bad = self.workdir / "bad.wasm"
        bad.write_bytes(b"\0asm\x0d\0\x01\0garbage")
        for ref, needle in [(file_ref(bad), "bad.wasm"),
                            (file_ref(self.workdir / "missing.wasm"), "missing.wasm"),
                            ("ghcr.io/example/not-here:1.0", "OCI")]:
            self.ok(f"component.scale.{host.id}",
                    {"component_ref": ref, "component_id": "x", "count": 1})
            ev = self.wait_event(sub, "component_scale_failed")
            self.assertIn(needle, ev["data"]["error"])
        self.assertEqual(self.ok(f"host.get.{host.id}")["response"]["components"], [])
        self.assertTrue(host.running())


class ConcurrencyTest(HostTest):
    def test_max_instances_n_run_and_n_plus_1_waits(self):
        host = self.start_host()
        n = 2
        self.scale(host, "probe", PROBE, n)
        url = self.serve_http(host, "probe", free_port())
        self.assertEqual(http_get(url + "/")[0], 200)   # warm

        results = {}
        t0 = time.time()

        def call(i):
            status, body = http_get(url + "/sleep?ms=1500", timeout=20)
            results[i] = (status, time.time() - t0)

        threads = [threading.Thread(target=call, args=(i,)) for i in range(n + 1)]
        for t in threads:
            t.start()
            time.sleep(0.05)
        for t in threads:
            t.join(30)
        ends = sorted(d for _, d in results.values())
        self.assertEqual([s for s, _ in results.values()], [200] * (n + 1))
        # N at once (done about 1.5 s after the start), the N+1th after one of
        # them (about 3 s).
        self.assertLess(ends[n - 1], 2.6, ends)
        self.assertGreater(ends[n], 2.9, ends)

    def test_update_swaps_the_image_without_dropping_requests(self):
        host = self.start_host()
        self.scale(host, "app", HELLO, 4)
        url = self.serve_http(host, "app", free_port())
        statuses, bodies, stop = [], set(), threading.Event()

        def load():
            end = time.time() + 60
            while not stop.is_set() and time.time() < end and len(statuses) < 200000:
                s, b = http_get(url + "/", timeout=10)
                statuses.append(s)
                bodies.add(b)

        threads = [threading.Thread(target=load) for _ in range(3)]
        for t in threads:
            t.start()
        wait_for(lambda: len(statuses) > 20, what="load to start")
        sub = self.events("component_scaled")
        self.ok(f"component.update.{host.id}",
                {"component_id": "app", "new_component_ref": file_ref(PROBE)})
        ev = self.wait_event(sub, "component_scaled", lambda d: d["image_ref"] == file_ref(PROBE))
        self.assertEqual(ev["data"]["max_instances"], 4)
        self.wait_event(sub, "component_scaled",
                        lambda d: d["image_ref"] == file_ref(HELLO) and d["max_instances"] == 0)
        wait_for(lambda: b"probe v1\n" in bodies, timeout=30, what="responses from the new image")
        stop.set()
        for t in threads:
            t.join(30)
        self.assertEqual(set(statuses), {200}, "a request failed during the update")
        self.assertEqual(bodies, {b"Hello from C\n", b"probe v1\n"})
        inv = self.ok(f"host.get.{host.id}")["response"]
        self.assertEqual(inv["components"][0]["image_ref"], file_ref(PROBE))


class LatticeWideTest(HostTest):
    def test_link_put_through_host_a_routes_traffic_on_host_b(self):
        a = self.start_host(name="host-a")
        b = self.start_host(name="host-b")
        self.scale(b, "hello", HELLO, 1)
        self.ok(f"provider.start.{b.id}", {"provider_ref": HTTP_PROVIDER, "provider_id": "http"})
        port = free_port()
        self.ok("config.put.hello-http", {"address": f"127.0.0.1:{port}"})
        # link.put goes to one host of a queue group; repeat (it is idempotent)
        # until host A is the one that handled it.
        sub = self.events("linkdef_set")
        link = {"source_id": "http", "target": "hello", "wit_namespace": "wasi",
                "wit_package": "http", "interfaces": ["incoming-handler"],
                "source_config": ["hello-http"]}
        handled_by = set()
        for _ in range(40):
            self.ok("link.put", link)
            handled_by.add(sub.next(timeout=5).json()["source"])
            if a.id in handled_by:
                break
        self.assertIn(a.id, handled_by)
        url = f"http://127.0.0.1:{port}/"
        wait_for(lambda: http_get(url, allow_refused=True)[0] == 200, what="host B serving")
        self.assertEqual(http_get(url), (200, b"Hello from C\n"))
        # Both hosts answer a ping; only B runs the component.
        pings = self.nc.request_many(f"wasmbus.ctl.v1.{self.lattice}.host.ping", b"", timeout=1)
        self.assertEqual({json.loads(m.data)["response"]["id"] for m in pings}, {a.id, b.id})
        self.assertEqual(self.ok(f"host.get.{a.id}")["response"]["components"], [])

    def test_host_survives_a_nats_restart(self):
        host = self.start_host()
        self.scale(host, "hello", HELLO, 2)
        url = self.serve_http(host, "hello", free_port())
        self.nc.close()
        self.nats.kill()
        # Still serving while NATS is gone.
        for _ in range(5):
            self.assertEqual(http_get(url + "/"), (200, b"Hello from C\n"))
            time.sleep(0.2)
        self.nats.start()
        self.nc = Nats(self.nats.url)

        def pong():
            try:
                return self.nc.request_many(
                    f"wasmbus.ctl.v1.{self.lattice}.host.ping", b"", timeout=0.5)
            except Exception:
                return None
        wait_for(pong, timeout=20, what="the host to answer ping after the restart")
        self.assertEqual(http_get(url + "/"), (200, b"Hello from C\n"))
        # The KV watch came back too: a new link takes effect.
        url2 = self.serve_http(host, "hello", free_port(), link_name="second")
        self.assertEqual(http_get(url2 + "/"), (200, b"Hello from C\n"))
        self.assertTrue(host.running())

    def test_graceful_stop_drains_requests_and_says_host_stopped(self):
        host = self.start_host()
        self.scale(host, "probe", PROBE, 2)
        url = self.serve_http(host, "probe", free_port())
        sub = self.events("host_stopped")
        result = {}
        t = threading.Thread(target=lambda: result.update(r=http_get(url + "/sleep?ms=1500",
                                                                     timeout=20)))
        t.start()
        time.sleep(0.5)
        host.proc.send_signal(signal.SIGTERM)
        t.join(20)
        self.assertEqual(result.get("r"), (200, b"slept 1500\n"))
        ev = self.wait_event(sub, "host_stopped", timeout=20)
        self.assertEqual(ev["source"], host.id)
        self.assertEqual(host.proc.wait(20), 0)

    def test_host_stop_request(self):
        host = self.start_host()
        r = self.ok(f"host.stop.{host.id}", {"host_id": host.id, "timeout": 2000})
        self.assertEqual(r["message"], "successfully handled stop host")
        self.assertEqual(host.proc.wait(20), 0)


class LimitsTest(HostTest):
    def test_limits(self):
        host = self.start_host(env={"WASMCLOUD_MAX_COMPONENTS": "2",
                                    "WASMCLOUD_MAX_COMPONENT_SIZE": str(HELLO.stat().st_size
                                                                        + 1000)})
        failed = self.events("component_scale_failed")
        # Size: the JS probe is far larger than the C hello.
        self.ok(f"component.scale.{host.id}",
                {"component_ref": file_ref(PROBE), "component_id": "big", "count": 1})
        self.assertIn("size limit", self.wait_event(failed, "component_scale_failed")
                      ["data"]["error"])
        # Count: two fit, the third is refused.
        self.scale(host, "one", HELLO, 1)
        self.scale(host, "two", HELLO, 1)
        self.ok(f"component.scale.{host.id}",
                {"component_ref": file_ref(HELLO), "component_id": "three", "count": 1})
        self.assertIn("WASMCLOUD_MAX_COMPONENTS",
                      self.wait_event(failed, "component_scale_failed")["data"]["error"])
        self.assertTrue(host.running())

    def test_execution_time_and_memory_limits(self):
        host = self.start_host()
        self.scale(host, "probe", PROBE, 2,
                   component_limits={"max_execution_time": "500"})
        url = self.serve_http(host, "probe", free_port())
        t0 = time.time()
        status, _ = http_get(url + "/sleep?ms=5000", timeout=20)
        self.assertEqual(status, 500)
        self.assertLess(time.time() - t0, 4)
        self.assertEqual(http_get(url + "/")[0], 200)  # the host and component live on
        failed = self.events("component_scale_failed")
        self.ok(f"component.scale.{host.id}",
                {"component_ref": file_ref(PROBE), "component_id": "small", "count": 1,
                 "component_limits": {"max_memory_limit": "65536"}})
        self.assertIn("limit", self.wait_event(failed, "component_scale_failed")["data"]["error"])


class ControlTest(HostTest):
    def test_auctions_claims_and_registries(self):
        host = self.start_host(args=["--label", "zone=eu"])
        # A host bids when its labels satisfy the constraints and it does not run the id.
        acks = self.nc.request_many(f"wasmbus.ctl.v1.{self.lattice}.component.auction",
                                    {"component_ref": file_ref(HELLO), "component_id": "a",
                                     "constraints": {"zone": "eu"}}, timeout=1)
        self.assertEqual(len(acks), 1)
        ack = acks[0].json()["response"]
        self.assertEqual((ack["host_id"], ack["component_id"]), (host.id, "a"))
        for constraints in ({"zone": "us"}, {"gpu": "yes"}):
            self.assertEqual(self.nc.request_many(
                f"wasmbus.ctl.v1.{self.lattice}.component.auction",
                {"component_ref": file_ref(HELLO), "component_id": "a",
                 "constraints": constraints}, timeout=0.5), [])
        self.scale(host, "a", HELLO, 1)
        self.assertEqual(self.nc.request_many(
            f"wasmbus.ctl.v1.{self.lattice}.component.auction",
            {"component_ref": file_ref(HELLO), "component_id": "a", "constraints": {}},
            timeout=0.5), [])
        acks = self.nc.request_many(f"wasmbus.ctl.v1.{self.lattice}.provider.auction",
                                    {"provider_ref": HTTP_PROVIDER, "provider_id": "http",
                                     "constraints": {"hostcore.os": "linux"}}, timeout=1)
        self.assertEqual(acks[0].json()["response"]["provider_id"], "http")
        self.assertEqual(self.ok("claims.get")["response"], [])
        self.ok("registry.put", {"ghcr.io": {"username": "u", "password": "p"}})

    def test_bad_seed_and_dead_nats_are_clear_errors(self):
        import subprocess
        from harness import wash
        r = subprocess.run([str(wash()), "host", "--nats-url", self.nats.url],
                           env={**os.environ, "WASMCLOUD_HOST_SEED": "SNOTASEED"},
                           capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("WASMCLOUD_HOST_SEED", r.stderr)
        r = subprocess.run([str(wash()), "host", "--nats-url", f"nats://127.0.0.1:{free_port()}"],
                           capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("cannot connect to NATS", r.stderr)


class HostileInputTest(HostTest):
    """Peers and guests that try to break the host (regressions of a review)."""

    def test_long_multibyte_strings_in_requests(self):
        host = self.start_host()
        r = self.ctl(f"component.scale.{host.id}",
                     {"component_id": "x", "host_id": "\u00e9" * 400, "count": 1})
        self.assertFalse(r["success"])
        r = self.ctl("link.put", {"source_id": "a", "target": "b", "wit_namespace": "wasi",
                                  "wit_package": "http", "interfaces": ["x"],
                                  "source_config": ["a" + "\u00e9" * 600]})
        self.assertFalse(r["success"])
        self.assertIn("Failed to validate", r["message"])  # cut at a character, still valid JSON
        self.assertTrue(self.ok(f"host.get.{host.id}")["success"])

    def test_config_values_that_are_not_strings(self):
        host = self.start_host()
        # Anyone may write the bucket directly: a number where a string belongs.
        ack = self.nc.request("$KV.CONFIGDATA_default.bad", b'{"a":1,"b":"two"}')
        self.assertIn(b"stream", ack.data)
        self.scale(host, "probe", PROBE, 1, config=["bad"])
        url = self.serve_http(host, "probe", free_port())
        self.assertEqual(http_get(url + "/config"), (200, b'{"b":"two"}'))

    def test_guest_cannot_inject_protocol_or_open_lattice_buckets(self):
        host = self.start_host()
        self.scale(host, "probe", PROBE, 1)
        url = self.serve_http(host, "probe", free_port())
        self.ok(f"provider.start.{host.id}",
                {"provider_ref": "ghcr.io/wasmcloud/messaging-nats:0.23.1", "provider_id": "nats"})
        self.ok("link.put", {"source_id": "probe", "target": "nats", "wit_namespace": "wasmcloud",
                             "wit_package": "messaging", "interfaces": ["consumer"]})
        evil = self.nc.subscribe("evil")
        self.nc.flush()
        wait_for(lambda: http_get(url + "/publish?subject=ok&body=x")[0] == 200,
                 what="the consumer link")
        status, body = http_get(url + "/publish?subject=x%200%0D%0A%0D%0APUB%20evil%201%0D%0Ab"
                                "&body=y")
        self.assertEqual(status, 500)
        self.assertIn(b"invalid subject", body)
        with self.assertRaises(TimeoutError):
            evil.next(timeout=0.5)
        self.assertTrue(self.ok(f"host.get.{host.id}")["success"])
        # A component may not open the lattice's own buckets.
        self.scale(host, "kv", guest("kv-probe"), 1)
        url2 = self.serve_http(host, "kv", free_port(), link_name="kv")
        self.ok(f"provider.start.{host.id}",
                {"provider_ref": "ghcr.io/wasmcloud/keyvalue-nats:0.3.1", "provider_id": "kvp"})
        self.ok("link.put", {"source_id": "kv", "target": "kvp", "wit_namespace": "wasi",
                             "wit_package": "keyvalue", "interfaces": ["store"]})
        wait_for(lambda: http_get(url2 + "/get?key=x")[0] == 404, what="the keyvalue link")
        self.assertEqual(http_get(url2 + "/get?bucket=LATTICEDATA_default&key=x"),
                         (500, b"access-denied"))


class MalformedTest(HostTest):
    def test_malformed_control_messages_get_errors_and_change_nothing(self):
        host = self.start_host()
        self.scale(host, "hello", HELLO, 1)
        self.ok("config.put.keep", {"a": "1"})
        before_inv = self.ok(f"host.get.{host.id}")["response"]
        before_links = self.ok("link.get")["response"]
        h = host.id
        cases = [
            f"component.scale.{h}", f"component.update.{h}", f"provider.start.{h}",
            f"provider.stop.{h}", f"label.put.{h}", f"label.del.{h}",
            "link.put", "link.del", "config.put.keep", "registry.put",
        ]
        bodies = [b"{not json", b"[1,2]", b"\"str\"", b"{\"component_id\": 7}",
                  json.dumps({"host_id": 5, "key": [], "source_id": {}}).encode()]
        for subject in cases:
            for body in bodies:
                with self.subTest(subject=subject, body=body):
                    r = self.ctl(subject, body)
                    self.assertFalse(r["success"], r)
                    self.assertTrue(r["message"], r)
        # Fields that decode but are not acceptable.
        for subject, body in [
            (f"component.scale.{h}", {"component_id": "", "count": 1}),
            (f"component.scale.{h}", {"component_id": "new", "count": 1}),
            (f"component.scale.{h}", {"component_id": "x", "count": -1}),
            (f"label.put.{h}", {"key": "hostcore.os", "value": "x"}),
            ("link.put", {"source_id": "a", "target": "b", "wit_namespace": "wasi",
                          "wit_package": "http", "interfaces": []}),
            ("link.put", {"source_id": "a", "target": "b", "wit_namespace": "wasi",
                          "wit_package": "http", "interfaces": ["x"], "source_config": ["nope"]}),
            ("config.put.keep", {"a": 1}),
            ("config.put.bad#name", {"a": "1"}),
            (f"provider.stop.{h}", {"provider_id": "nope"}),
            (f"component.update.{h}", {"component_id": "nope", "new_component_ref": "file:///x"}),
            (f"host.stop.{h}", {"host_id": "NOTME"}),
            (f"host.stop.{h}", b"{not json"),
            (f"host.stop.{h}", b"[1]"),
            (f"host.stop.{h}", {"timeout": "soon"}),
        ]:
            with self.subTest(subject=subject, body=body):
                r = self.ctl(subject, body)
                self.assertFalse(r["success"], r)
                self.assertTrue(r["message"], r)
        after_inv = self.ok(f"host.get.{host.id}")["response"]
        for k in ("components", "providers", "labels"):
            self.assertEqual(before_inv[k], after_inv[k], k)
        self.assertEqual(before_links, self.ok("link.get")["response"])
        self.assertEqual(self.ok("config.get.keep")["response"], {"a": "1"})
        self.assertTrue(host.running())


if __name__ == "__main__":
    unittest.main()
