"""The interfaces the host gives components, driven through the JS probe guest
(tests/guests/js/host-probe) over the built-in HTTP server and NATS:

  wasi:config/runtime + store   named configs merged in order (later wins);
                                a config.put is seen without a restart
  wasi:logging                  lines reach the host log with the component id
  wasmcloud:messaging/consumer  publish reaches a NATS subscriber; request gets
                                a Python responder's reply; without a link both
                                fail with an error naming the missing link
  wasmcloud:messaging/handler   the built-in messaging provider subscribes from
                                the link's `subscriptions`; requests are echoed,
                                publishes are logged; link.del stops delivery
"""
import sys
import time
import unittest
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import LatticeTest, free_port, guest, http_get, wait_for  # noqa: E402
from natsc import NoResponders  # noqa: E402

PROBE = guest("host-probe")
HTTP_PROVIDER = "ghcr.io/wasmcloud/http-server:0.27.0"
NATS_PROVIDER = "ghcr.io/wasmcloud/messaging-nats:0.23.1"
CID = "probe-cid"   # distinct from the probe's log context ("probe")


class InterfaceTest(LatticeTest):
    """One host running the probe (component id CID) behind the HTTP server."""

    probe_config: list = []

    def start_provider(self, ref, pid, config=()):
        sub = self.nc.subscribe(f"wasmbus.evt.{self.lattice}.provider_started")
        self.nc.flush()
        self.ok(f"provider.start.{self.host.id}",
                {"provider_ref": ref, "provider_id": pid, "config": list(config)})
        self.wait_event(sub, "provider_started", lambda d: d["provider_id"] == pid)
        sub.unsubscribe()

    def setUp(self):
        super().setUp()
        self.host = self.start_host()
        for name, values in self.configs().items():
            self.ok(f"config.put.{name}", values)
        sub = self.nc.subscribe(f"wasmbus.evt.{self.lattice}.component_scaled")
        self.nc.flush()
        self.ok(f"component.scale.{self.host.id}",
                {"component_ref": f"file://{PROBE}", "component_id": CID, "count": 2,
                 "config": list(self.probe_config)})
        self.wait_event(sub, "component_scaled", lambda d: d["component_id"] == CID)
        sub.unsubscribe()
        self.start_provider(HTTP_PROVIDER, "http")
        port = free_port()
        self.ok("config.put.probe-http", {"address": f"127.0.0.1:{port}"})
        self.ok("link.put", {"source_id": "http", "target": CID, "wit_namespace": "wasi",
                             "wit_package": "http", "interfaces": ["incoming-handler"],
                             "source_config": ["probe-http"]})
        self.url = f"http://127.0.0.1:{port}"
        wait_for(lambda: http_get(self.url + "/", allow_refused=True)[0] == 200,
                 what=f"the probe at {self.url}")

    def configs(self) -> dict:
        return {}

    def get(self, path, **query):
        url = self.url + path + ("?" + urlencode(query) if query else "")
        return http_get(url, timeout=10)

    def log_lines(self, *needles):
        return [ln for ln in self.host.log().splitlines() if all(n in ln for n in needles)]


class ConfigTest(InterfaceTest):
    probe_config = ["cfg-base", "cfg-over"]

    def configs(self):
        return {"cfg-base": {"a": "base", "b": "base", "shared": "base"},
                "cfg-over": {"b": "over", "c": "over", "shared": "over"}}

    def test_runtime_and_store_merge_in_order_and_follow_config_put(self):
        merged = b'{"a":"base","b":"over","c":"over","shared":"over"}'
        self.assertEqual(self.get("/config"), (200, merged))
        # wasi:config/store sees the same merged view.
        self.assertEqual(self.get("/config-store", key="a"), (200, b"base"))
        self.assertEqual(self.get("/config-store", key="shared"), (200, b"over"))
        self.assertEqual(self.get("/config-store", key="c"), (200, b"over"))
        self.assertEqual(self.get("/config-store", key="nope"), (404, b"missing"))

        # Change the later config: seen on the next invocation, no restart.
        self.ok("config.put.cfg-over", {"b": "new", "d": "added"})
        want = b'{"a":"base","b":"new","d":"added","shared":"base"}'
        wait_for(lambda: self.get("/config") == (200, want), timeout=10,
                 what="runtime get-all to see the new cfg-over")
        self.assertEqual(self.get("/config-store", key="d"), (200, b"added"))
        self.assertEqual(self.get("/config-store", key="c"), (404, b"missing"))
        self.assertEqual(self.get("/config-store", key="shared"), (200, b"base"))

        # Change the earlier one: a key the later one does not set shows through.
        self.ok("config.put.cfg-base", {"a": "base2", "shared": "base2", "e": "x"})
        want = b'{"a":"base2","b":"new","d":"added","e":"x","shared":"base2"}'
        wait_for(lambda: self.get("/config") == (200, want), timeout=10,
                 what="runtime get-all to see the new cfg-base")
        self.assertEqual(self.get("/config-store", key="e"), (200, b"x"))
        # Seen live: the component was started once and never restarted.
        self.assertEqual(len(self.log_lines(f"component {CID} started")), 1)
        self.assertEqual(self.log_lines(f"component {CID} stopped"), [])


class LoggingTest(InterfaceTest):
    def test_log_lines_reach_the_host_log_with_the_component_id(self):
        msg = "probe-log-message-7f3a"
        self.assertEqual(self.get("/log", msg=msg), (200, b"logged\n"))
        lines = wait_for(lambda: self.log_lines(CID, msg), timeout=5,
                         what="the log line in the host log")
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("info", lines[0])
        self.assertIn("probe", lines[0].split(CID, 1)[1])   # the log context




class ConsumerTest(InterfaceTest):
    def consumer_link(self):
        self.ok("link.put", {"source_id": CID, "target": "nats", "wit_namespace": "wasmcloud",
                             "wit_package": "messaging", "interfaces": ["consumer"]})

    def test_publish_and_request_without_a_link_name_the_missing_link(self):
        self.start_provider(NATS_PROVIDER, "nats")
        status, body = self.get("/publish", subject="x.y", body="b")
        self.assertEqual(status, 500, body)
        self.assertIn(b"no link from probe-cid for wasmcloud:messaging/consumer", body)
        status, body = self.get("/request", subject="x.y", body="b")
        self.assertEqual(status, 502, body)
        self.assertIn(b"no link from probe-cid for wasmcloud:messaging/consumer", body)

    def test_request_through_the_consumer_link_gets_the_reply(self):
        self.start_provider(NATS_PROVIDER, "nats")
        responder = self.nc.subscribe(
            "svc.upper", cb=lambda m: self.nc.publish(m.reply, b"reply:" + m.data.upper()))
        self.nc.flush()
        self.consumer_link()
        first = wait_for(lambda: (r := self.get("/request", subject="svc.upper", body="ping"))[0]
                         == 200 and r, timeout=10,
                         what="request to work once the consumer link is in")
        self.assertEqual(first, (200, b"reply:PING"))
        self.assertEqual(self.get("/request", subject="svc.upper", body="two words"),
                         (200, b"reply:TWO WORDS"))
        # Nobody listening: the error comes back to the component.
        status, body = self.get("/request", subject="svc.nobody", body="x")
        self.assertEqual(status, 502, body)
        self.assertIn(b"no responders", body)
        responder.unsubscribe()

    def test_publish_through_the_consumer_link_reaches_a_subscriber(self):
        self.start_provider(NATS_PROVIDER, "nats")
        sub = self.nc.subscribe("probe.out.>")
        self.nc.flush()
        self.consumer_link()
        # The link is in once request stops saying there is none.
        wait_for(lambda: b"no link" not in self.get("/request", subject="x", body="")[1],
                 timeout=10, what="the consumer link to take effect")
        self.assertEqual(self.get("/publish", subject="probe.out.one", body="hello there"),
                         (200, b"published\n"))
        m = sub.next(timeout=5)
        self.assertEqual((m.subject, m.data), ("probe.out.one", b"hello there"))


class HandlerTest(InterfaceTest):
    def configs(self):
        return {"subs": {"subscriptions": "probe.req, probe.in,probe.q|workers"}}

    def link_handler(self):
        self.start_provider(NATS_PROVIDER, "nats")
        # The probe replies through its consumer link.
        self.ok("link.put", {"source_id": CID, "target": "nats", "wit_namespace": "wasmcloud",
                             "wit_package": "messaging", "interfaces": ["consumer"]})
        self.ok("link.put", {"source_id": "nats", "target": CID, "wit_namespace": "wasmcloud",
                             "wit_package": "messaging", "interfaces": ["handler"],
                             "source_config": ["subs"]})

    def published_and_logged(self, subject, body):
        self.nc.publish(subject, body.encode())
        self.nc.flush()
        return wait_for(lambda: self.log_lines(CID, f"got {subject}: {body}"), timeout=2,
                        what=f"the handler's log line for {subject}")

    def test_publish_is_logged_and_link_del_unsubscribes(self):
        self.link_handler()
        # Subscribed once a publish gets through (each try has its own body).
        tries = iter(range(1000))
        wait_for(lambda: self.published_and_logged("probe.in", f"warmup-{next(tries)}"),
                 timeout=15, what="the handler subscription on probe.in")
        # Each subject of the list, the " probe.in" with a leading space and
        # the queue group one included.
        for subject in ("probe.req", "probe.in", "probe.q"):
            lines = self.published_and_logged(subject, f"fire-and-forget-{subject}")
            self.assertEqual(len(lines), 1, lines)
            self.assertIn("info", lines[0])
        self.assertEqual(self.log_lines("got probe.nope"), [])

        # Deleting the handler link unsubscribes.
        self.ok("link.del", {"source_id": "nats", "wit_namespace": "wasmcloud",
                             "wit_package": "messaging", "name": "default"})

        # (The subscriptions are drained one after another: wait for each.)
        def gone(subject):
            try:
                self.nc.request(subject, b"late", timeout=1)
            except NoResponders:
                return True
            except TimeoutError:
                pass
            return False
        for subject in ("probe.req", "probe.in", "probe.q"):
            wait_for(lambda: gone(subject), timeout=10, what=f"{subject} to lose its subscriber")
        self.nc.publish("probe.in", b"after-unlink")
        self.nc.flush()
        time.sleep(0.3)
        self.assertEqual(self.log_lines("after-unlink"), [])
        # Only the handler link went.
        links = self.ok("link.get")["response"]
        self.assertEqual(sorted((l["source_id"], l["target"]) for l in links),
                         [("http", CID), (CID, "nats")])

    def test_request_is_echoed_by_the_handler(self):
        self.link_handler()

        def subscribed():
            try:
                self.nc.request("probe.req", b"probe", timeout=0.5)
            except NoResponders:
                return False
            except TimeoutError:
                pass                # subscribed, but no echo (yet)
            return True
        wait_for(subscribed, timeout=10, what="the handler subscription on probe.req")
        self.assertEqual(self.nc.request("probe.req", b"first", timeout=3).data,
                         b"echo: first")
        self.assertEqual(self.nc.request("probe.req", b"second", timeout=3).data,
                         b"echo: second")
        self.assertEqual(self.nc.request("probe.in", b"via-in", timeout=3).data,
                         b"echo: via-in")
        self.assertEqual(self.nc.request("probe.q", b"queued", timeout=3).data,
                         b"echo: queued")


if __name__ == "__main__":
    unittest.main()
