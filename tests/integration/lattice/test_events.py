"""Lattice events (protocol reference §2): every event type of §2.2, checked
on the wire.

Each test subscribes to `wasmbus.evt.{lattice}.>` *before* it starts its host,
drives the host over the control interface (and with SIGTERM, and a port held
by this process) until the events of one group have been emitted, and checks:

* the subject, `wasmbus.evt.{lattice}.<name>`;
* the CloudEvents 1.0 envelope of *every* event seen (specversion "1.0", id a
  UUID string unique in the test whose leading ULID timestamp is the event
  time, source the host's public key, type `com.wasmcloud.lattice.<name>`,
  datacontenttype "application/json", time RFC 3339 and close to now, data a
  JSON object), and that no event outside §2.2 appears;
* the data fields §2.2 lists for the event, with their JSON types and values
  (and the §2.3 naming quirks: image_ref vs provider_ref, host id only in
  `source` for host_started / host_stopped, ...).

Groups (one test method each, each with its own nats-server and host; the
host runs with --heartbeat-interval 1s):
  host lifecycle  host_started, host_heartbeat (inventory with a component and
                  a provider, equal to host.get), host_stopped (SIGTERM)
  components      component_scaled (start, rescale, stop -> max_instances 0,
                  stop of a component that is not running),
                  component_scale_failed (bad file; max_instances = count)
  providers       provider_started, provider_start_failed (unknown image; a
                  duplicate id is a ctl error), provider_stopped
  links/config    config_set, linkdef_set, linkdef_set_failed (missing
                  source_config; different target), linkdef_deleted
                  (existing link: with target/interfaces; absent: without),
                  config_deleted
  labels          labels_changed (put, overwrite, delete; none for a refused
                  hostcore.* label)
  health checks   health_check_passed, health_check_status,
                  health_check_failed (the http-server provider linked to an
                  address whose port this test holds), and passed again; the
                  first check of a never-healthy provider is a status, not
                  failed (as 1.x: unknown counts as unhealthy)

Run: python3 -m unittest tests/integration/lattice/test_events.py -v
"""
import datetime
import json
import re
import signal
import socket
import sys
import time
import unittest
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import LatticeTest, free_port, guest  # noqa: E402

HELLO = guest("http-hello-c")
HTTP_PROVIDER = "ghcr.io/wasmcloud/http-server:0.27.0"

# §2.2, complete.
ALL_EVENTS = {
    "host_started", "host_stopped", "host_heartbeat",
    "component_scaled", "component_scale_failed",
    "provider_started", "provider_start_failed", "provider_stopped",
    "health_check_passed", "health_check_failed", "health_check_status",
    "linkdef_set", "linkdef_set_failed", "linkdef_deleted",
    "config_set", "config_deleted", "labels_changed",
}

# RFC 3339 date-time (section 5.6), upper- or lower-case T/Z.
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
# semver.org 2.0.0 (what wadm's semver::Version accepts).
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")
UUID_TEXT = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

EVENT_TIMEOUT = 10      # seconds for any one event
HEARTBEAT_TIMEOUT = 8   # with a 1 s heartbeat interval


def file_ref(p):
    return f"file://{p}"


class EventLog:
    """Every message on wasmbus.evt.{lattice}.>, in arrival order."""

    def __init__(self, test, nc, lattice):
        self.test = test
        self.lattice = lattice
        self.sub = nc.subscribe(f"wasmbus.evt.{lattice}.>")
        nc.flush()
        self.msgs = []          # (subject, event dict)

    def _pull(self, timeout):
        try:
            m = self.sub.next(timeout)
        except TimeoutError:
            return False
        try:
            ev = m.json()
        except ValueError as e:
            self.test.fail(f"event on {m.subject} is not JSON ({e}): {m.data[:300]!r}")
        self.msgs.append((m.subject, ev))
        return True

    def mark(self):
        """Position for wait(after=...): only events after this point match."""
        while self._pull(0):
            pass
        return len(self.msgs)

    def wait(self, name, pred=lambda d: True, after=0, timeout=EVENT_TIMEOUT):
        """The first event `name` at index >= after whose data satisfies pred.
        Returns (index, subject, event)."""
        deadline = time.monotonic() + timeout
        i = after
        while True:
            while i < len(self.msgs):
                subject, ev = self.msgs[i]
                if (isinstance(ev, dict) and ev.get("type") == f"com.wasmcloud.lattice.{name}"
                        and isinstance(ev.get("data"), dict)):
                    try:
                        ok = pred(ev["data"])
                    except (KeyError, TypeError):
                        ok = False
                    if ok:
                        return i, subject, ev
                i += 1
            left = deadline - time.monotonic()
            if left <= 0:
                seen = [(s.rsplit(".", 1)[-1], json.dumps(e.get("data"))[:200])
                        for s, e in self.msgs[after:]]
                self.test.fail(f"no matching {name} event within {timeout}s; "
                               f"seen since: {seen}")
            self._pull(min(left, 0.2))

    def names(self):
        return {s.rsplit(".", 1)[-1] for s, _ in self.msgs}


class EventsTest(LatticeTest):
    # ---- helpers ----------------------------------------------------------------

    def setUp(self):
        super().setUp()
        self.log = EventLog(self, self.nc, self.lattice)
        self.host = None
        self.t0 = datetime.datetime.now(datetime.timezone.utc)

    def start(self, **kw):
        kw.setdefault("args", ["--heartbeat-interval", "1s"])
        self.host = self.start_host(**kw)
        self.assertRegex(self.host.id, r"^N[A-Z2-7]{55}$", "host id is a server nkey")
        return self.host

    def ok(self, suffix, body=b""):
        r = self.ctl(suffix, body)
        self.assertTrue(r["success"], f"{suffix}: {r}")
        return r

    def envelope(self, subject, ev, name=None):
        """Check the CloudEvent envelope and the subject; returns the event name."""
        where = f"{subject}: {json.dumps(ev)[:400]}"
        self.assertIsInstance(ev, dict, where)
        prefix = f"wasmbus.evt.{self.lattice}."
        self.assertTrue(subject.startswith(prefix), where)
        sname = subject[len(prefix):]
        if name is not None:
            self.assertEqual(sname, name, where)
        self.assertIn(sname, ALL_EVENTS, f"an event not in §2.2: {where}")
        for key in ("specversion", "id", "source", "type", "datacontenttype", "time", "data"):
            self.assertIn(key, ev, f"envelope has no {key!r}: {where}")
        self.assertEqual(ev["specversion"], "1.0", where)
        self.assertIsInstance(ev["id"], str, where)
        self.assertRegex(ev["id"], UUID_TEXT, f"id is not a UUID string: {where}")
        uuid.UUID(ev["id"])
        self.assertEqual(ev["source"], self.host.id, where)
        self.assertEqual(ev["type"], f"com.wasmcloud.lattice.{sname}", where)
        self.assertEqual(ev["datacontenttype"], "application/json", where)
        self.assertIsInstance(ev["time"], str, where)
        self.assertRegex(ev["time"], RFC3339, f"time is not RFC 3339: {where}")
        t = datetime.datetime.fromisoformat(ev["time"].upper().replace("Z", "+00:00"))
        now = datetime.datetime.now(datetime.timezone.utc)
        self.assertLessEqual(abs((t - now).total_seconds()), 120,
                             f"time is far from now ({now.isoformat()}): {where}")
        # §2.1: the UUID is built from a fresh ULID, whose first 48 bits are
        # the creation time in ms (time-sortable ids).
        ulid_ms = int(ev["id"].replace("-", "")[:12], 16)
        self.assertLessEqual(abs(ulid_ms / 1000 - t.timestamp()), 5,
                             f"id's ULID timestamp is not the event time: {where}")
        self.assertIsInstance(ev["data"], dict, where)
        return sname

    def expect(self, name, pred=lambda d: True, after=0, timeout=EVENT_TIMEOUT):
        """Wait for event `name`, check its subject and envelope; returns its data."""
        _, subject, ev = self.log.wait(name, pred, after, timeout)
        self.envelope(subject, ev, name)
        return ev["data"]

    def fields(self, data, spec, name):
        """Every key of spec is in data with that JSON type (str, int, list,
        dict = string map, or a literal value to compare)."""
        where = f"{name} data {json.dumps(data)}"
        for key, want in spec.items():
            self.assertIn(key, data, f"missing {key!r} in {where}")
            v = data[key]
            if want is str:
                self.assertIsInstance(v, str, f"{key} in {where}")
            elif want is int:
                self.assertTrue(isinstance(v, int) and not isinstance(v, bool),
                                f"{key} is not an integer in {where}")
            elif want is list:
                self.assertIsInstance(v, list, f"{key} in {where}")
            elif want is dict:
                self.assertIsInstance(v, dict, f"{key} in {where}")
                for k, x in v.items():
                    self.assertIsInstance(x, str, f"{key}[{k!r}] in {where}")
            else:
                self.assertEqual(v, want, f"{key} in {where}")

    def check_all_envelopes(self):
        """Every event the test saw has a valid envelope; ids are unique."""
        self.log.mark()
        ids = []
        for subject, ev in self.log.msgs:
            self.envelope(subject, ev)
            ids.append(ev["id"])
        self.assertEqual(len(ids), len(set(ids)), "event ids are not unique")

    def scale(self, cid, count, ref=None, **extra):
        at = self.log.mark()
        self.ok(f"component.scale.{self.host.id}",
                {"component_ref": ref or file_ref(HELLO), "component_id": cid,
                 "count": count, **extra})
        return self.expect("component_scaled", lambda d: d["component_id"] == cid, at)

    def start_provider(self, pid="http", **extra):
        at = self.log.mark()
        self.ok(f"provider.start.{self.host.id}",
                {"provider_ref": HTTP_PROVIDER, "provider_id": pid, **extra})
        return self.expect("provider_started", lambda d: d["provider_id"] == pid, at)

    def check_labels(self, labels, where, extra=None):
        for k in ("hostcore.arch", "hostcore.os", "hostcore.osfamily"):
            self.assertIn(k, labels, f"{where}: labels {labels}")
            self.assertTrue(labels[k], f"{where}: empty {k}")
        for k, v in (extra or {}).items():
            self.assertEqual(labels.get(k), v, f"{where}: labels {labels}")

    # ---- host lifecycle ------------------------------------------------------------

    def test_host_started_heartbeat_and_stopped(self):
        host = self.start(env={"WASMCLOUD_LABEL_team": "events"},
                          args=["--heartbeat-interval", "1s", "--label", "zone=test-1"])
        mine = {"team": "events", "zone": "test-1"}

        # host_started: friendly_name, labels, uptime_seconds 0, version; the id
        # only in `source`.
        started = self.expect("host_started")
        self.fields(started, {"friendly_name": str, "labels": dict, "uptime_seconds": 0,
                              "version": str}, "host_started")
        self.assertTrue(started["friendly_name"])
        self.check_labels(started["labels"], "host_started", mine)
        self.assertRegex(started["version"], SEMVER, "host_started version is not semver")
        if "host_id" in started:     # not in 1.x; the schema adds it
            self.assertEqual(started["host_id"], host.id)

        # host_heartbeat: the full inventory, with a component and a provider.
        self.scale("hello", 2, annotations={"app": "ev"})
        self.start_provider("http", annotations={"p": "1"})
        at = self.log.mark()
        hb = self.expect("host_heartbeat",
                         lambda d: d["components"] and d["providers"], at, HEARTBEAT_TIMEOUT)
        self.fields(hb, {"host_id": host.id, "friendly_name": started["friendly_name"],
                         "labels": dict, "version": started["version"], "uptime_human": str,
                         "uptime_seconds": int, "components": list, "providers": list},
                    "host_heartbeat")
        self.check_labels(hb["labels"], "host_heartbeat", mine)
        self.assertRegex(hb["version"], SEMVER)
        self.assertTrue(hb["uptime_human"])
        self.assertGreaterEqual(hb["uptime_seconds"], 0)
        self.assertEqual(len(hb["components"]), 1, hb)
        c = hb["components"][0]
        self.fields(c, {"id": "hello", "image_ref": file_ref(HELLO), "max_instances": 2,
                        "revision": int, "annotations": {"app": "ev"}},
                    "host_heartbeat component")
        self.assertNotIn("component_ref", c)
        if c.get("name") is not None:
            self.assertIsInstance(c["name"], str)
        if "limits" in c:
            self.assertTrue(c["limits"] is None or isinstance(c["limits"], dict), c)
        self.assertEqual(len(hb["providers"]), 1, hb)
        p = hb["providers"][0]
        self.fields(p, {"id": "http", "image_ref": HTTP_PROVIDER, "revision": int,
                        "annotations": {"p": "1"}}, "host_heartbeat provider")
        if p.get("name") is not None:
            self.assertIsInstance(p["name"], str)
        # The same inventory as host.get.
        inv = self.ok(f"host.get.{host.id}")["response"]
        self.assertEqual(inv["host_id"], hb["host_id"])
        self.assertEqual(inv["components"], hb["components"])
        self.assertEqual(inv["providers"], hb["providers"])
        # Heartbeats keep coming (1 s interval).
        at = self.log.mark()
        self.expect("host_heartbeat", after=at, timeout=HEARTBEAT_TIMEOUT)

        # host_stopped on SIGTERM: labels; the id only in `source`.
        at = self.log.mark()
        host.proc.send_signal(signal.SIGTERM)
        stopped = self.expect("host_stopped", after=at, timeout=20)
        self.fields(stopped, {"labels": dict}, "host_stopped")
        self.check_labels(stopped["labels"], "host_stopped", mine)
        self.assertEqual(stopped["labels"], started["labels"])
        if "host_id" in stopped:
            self.assertEqual(stopped["host_id"], host.id)
        self.assertEqual(host.proc.wait(20), 0)
        self.check_all_envelopes()
        self.assertLessEqual({"host_started", "host_heartbeat", "host_stopped"}, self.log.names())

    # ---- components ------------------------------------------------------------------

    def test_component_scaled_and_scale_failed(self):
        host = self.start()
        ref = file_ref(HELLO)

        # Start with annotations.
        d = self.scale("hello", 2, annotations={"app": "ev", "tier": "x"})
        self.fields(d, {"annotations": {"app": "ev", "tier": "x"}, "host_id": host.id,
                        "image_ref": ref, "max_instances": 2, "component_id": "hello"},
                    "component_scaled")
        self.assertNotIn("component_ref", d)
        self.assertNotIn("count", d)
        self.assertNotIn("claims", d, "an unsigned component has no claims")

        # Rescale (no annotations given: still an object).
        d = self.scale("hello", 3)
        self.fields(d, {"annotations": dict, "host_id": host.id, "image_ref": ref,
                        "max_instances": 3, "component_id": "hello"}, "component_scaled")

        # Scale to 0: max_instances 0.
        d = self.scale("hello", 0)
        self.fields(d, {"annotations": dict, "host_id": host.id, "image_ref": ref,
                        "max_instances": 0, "component_id": "hello"}, "component_scaled")
        self.assertEqual(self.ok(f"host.get.{host.id}")["response"]["components"], [])

        # Scale to 0 of a component that is not running: still component_scaled 0.
        d = self.scale("ghost", 0)
        self.fields(d, {"annotations": dict, "host_id": host.id, "image_ref": ref,
                        "max_instances": 0, "component_id": "ghost"}, "component_scaled")

        # component_scale_failed: a file that is not a component.
        bad = self.workdir / "bad.wasm"
        bad.write_bytes(b"\0asm\x0d\0\x01\0garbage")
        at = self.log.mark()
        self.ok(f"component.scale.{host.id}",
                {"component_ref": file_ref(bad), "component_id": "broken", "count": 4,
                 "annotations": {"why": "bad"}})
        d = self.expect("component_scale_failed", lambda d: d["component_id"] == "broken", at)
        self.fields(d, {"annotations": {"why": "bad"}, "host_id": host.id,
                        "image_ref": file_ref(bad), "component_id": "broken",
                        "max_instances": 4, "error": str}, "component_scale_failed")
        self.assertTrue(d["error"])
        self.assertNotIn("claims", d)
        # ... and no component_scaled for it.
        self.assertFalse([e for s, e in self.log.msgs[at:]
                          if s.endswith(".component_scaled")
                          and e["data"].get("component_id") == "broken"])
        self.check_all_envelopes()

    # ---- providers -------------------------------------------------------------------

    def test_provider_started_start_failed_and_stopped(self):
        host = self.start()

        d = self.start_provider("http", annotations={"owner": "events"})
        self.fields(d, {"host_id": host.id, "image_ref": HTTP_PROVIDER, "provider_id": "http",
                        "annotations": {"owner": "events"}}, "provider_started")
        self.assertNotIn("provider_ref", d)
        # Legacy 1.x fields, if sent, carry the provider id / "default".
        for k in ("instance_id", "public_key"):
            if k in d:
                self.assertEqual(d[k], "http", f"provider_started {k}: {d}")
        if "link_name" in d:
            self.assertEqual(d["link_name"], "default")

        # provider_start_failed: an image this host cannot run -> provider_ref.
        at = self.log.mark()
        bad_ref = "ghcr.io/example/not-a-provider:1.0"
        self.ctl(f"provider.start.{host.id}", {"provider_ref": bad_ref, "provider_id": "nope"})
        d = self.expect("provider_start_failed", lambda d: d["provider_id"] == "nope", at)
        self.fields(d, {"provider_ref": bad_ref, "provider_id": "nope", "host_id": host.id,
                        "error": str}, "provider_start_failed")
        self.assertTrue(d["error"])
        if "link_name" in d:
            self.assertEqual(d["link_name"], "default")

        # An id that is already running: §1.3 "error if id already running"
        # (a ctl error, as 1.x: "provider with that ID is already running").
        r = self.ctl(f"provider.start.{host.id}",
                     {"provider_ref": HTTP_PROVIDER, "provider_id": "http"})
        self.assertFalse(r["success"], r)
        self.assertTrue(r["message"], r)
        self.assertEqual([p["id"] for p in
                          self.ok(f"host.get.{host.id}")["response"]["providers"]], ["http"])

        # provider_stopped.
        at = self.log.mark()
        self.ok(f"provider.stop.{host.id}", {"host_id": host.id, "provider_id": "http"})
        d = self.expect("provider_stopped", lambda d: d["provider_id"] == "http", at)
        self.fields(d, {"host_id": host.id, "provider_id": "http",
                        "annotations": {"owner": "events"}, "reason": "stop"},
                    "provider_stopped")
        for k in ("instance_id", "public_key"):
            if k in d:
                self.assertEqual(d[k], "http", f"provider_stopped {k}: {d}")
        if "link_name" in d:
            self.assertEqual(d["link_name"], "default")
        self.assertEqual(self.ok(f"host.get.{host.id}")["response"]["providers"], [])
        self.check_all_envelopes()

    # ---- links and config ----------------------------------------------------------------

    def test_config_and_link_events(self):
        host = self.start()
        port = free_port()

        at = self.log.mark()
        self.ok("config.put.ev-http", {"address": f"127.0.0.1:{port}"})
        d = self.expect("config_set", lambda d: d["config_name"] == "ev-http", at)
        self.fields(d, {"config_name": "ev-http"}, "config_set")

        # linkdef_set: every Link field, defaults filled in (name, target_config).
        at = self.log.mark()
        self.ok("link.put", {"source_id": "http", "target": "hello", "wit_namespace": "wasi",
                             "wit_package": "http", "interfaces": ["incoming-handler"],
                             "source_config": ["ev-http"]})
        d = self.expect("linkdef_set", lambda d: d["source_id"] == "http", at)
        self.fields(d, {"source_id": "http", "target": "hello", "name": "default",
                        "wit_namespace": "wasi", "wit_package": "http",
                        "interfaces": ["incoming-handler"], "source_config": ["ev-http"],
                        "target_config": []}, "linkdef_set")
        self.assertNotIn("error", d)

        # linkdef_set_failed: a source_config that does not exist.
        at = self.log.mark()
        bad = {"source_id": "hello", "target": "kv", "name": "second",
               "wit_namespace": "wasi", "wit_package": "keyvalue",
               "interfaces": ["store", "atomics"], "source_config": ["no-such-config"],
               "target_config": []}
        r = self.ctl("link.put", bad)
        self.assertFalse(r["success"], r)
        d = self.expect("linkdef_set_failed", lambda d: d["source_id"] == "hello", at)
        self.fields(d, {**bad, "error": str}, "linkdef_set_failed")
        self.assertTrue(d["error"])
        # linkdef_set_failed: same source/namespace/package/name and an
        # overlapping interface, but a different target (§1.5 rule 2).
        at = self.log.mark()
        clash = {"source_id": "http", "target": "other", "name": "default",
                 "wit_namespace": "wasi", "wit_package": "http",
                 "interfaces": ["incoming-handler"], "source_config": [], "target_config": []}
        r = self.ctl("link.put", clash)
        self.assertFalse(r["success"], r)
        d = self.expect("linkdef_set_failed", lambda d: d["target"] == "other", at)
        self.fields(d, {**clash, "error": str}, "linkdef_set_failed")
        self.assertIn("different target", d["error"])
        links = self.ok("link.get")["response"]
        self.assertEqual([(x["source_id"], x["target"]) for x in links], [("http", "hello")])

        # linkdef_deleted of a link that exists: with target and interfaces.
        at = self.log.mark()
        self.ok("link.del", {"source_id": "http", "wit_namespace": "wasi", "wit_package": "http"})
        d = self.expect("linkdef_deleted", lambda d: d["source_id"] == "http", at)
        self.fields(d, {"source_id": "http", "name": "default", "wit_namespace": "wasi",
                        "wit_package": "http", "target": "hello",
                        "interfaces": ["incoming-handler"]}, "linkdef_deleted")
        self.assertEqual(self.ok("link.get")["response"], [])

        # ... and of a link that does not exist (idempotent): no target/interfaces.
        at = self.log.mark()
        self.ok("link.del", {"source_id": "http", "name": "gone", "wit_namespace": "wasi",
                             "wit_package": "http"})
        d = self.expect("linkdef_deleted", lambda d: d["name"] == "gone", at)
        self.fields(d, {"source_id": "http", "name": "gone", "wit_namespace": "wasi",
                        "wit_package": "http"}, "linkdef_deleted")
        self.assertNotIn("target", d, f"linkdef_deleted of an absent link: {d}")
        self.assertNotIn("interfaces", d, f"linkdef_deleted of an absent link: {d}")

        at = self.log.mark()
        self.ok("config.del.ev-http")
        d = self.expect("config_deleted", lambda d: d["config_name"] == "ev-http", at)
        self.fields(d, {"config_name": "ev-http"}, "config_deleted")
        self.check_all_envelopes()

    # ---- labels --------------------------------------------------------------------------

    def test_labels_changed(self):
        host = self.start(args=["--heartbeat-interval", "1s", "--label", "zone=a"])
        base = self.expect("host_started")["labels"]

        at = self.log.mark()
        self.ok(f"label.put.{host.id}", {"key": "team", "value": "events"})
        d = self.expect("labels_changed", lambda d: "team" in d["labels"], at)
        self.fields(d, {"host_id": host.id, "labels": {**base, "team": "events"}},
                    "labels_changed")
        self.check_labels(d["labels"], "labels_changed", {"zone": "a"})

        # Overwrite an existing label.
        at = self.log.mark()
        self.ok(f"label.put.{host.id}", {"key": "zone", "value": "b"})
        d = self.expect("labels_changed", lambda d: d["labels"].get("zone") == "b", at)
        self.fields(d, {"host_id": host.id,
                        "labels": {**base, "team": "events", "zone": "b"}}, "labels_changed")

        # A refused label (hostcore.*) changes nothing: no labels_changed.
        at = self.log.mark()
        r = self.ctl(f"label.put.{host.id}", {"key": "hostcore.os", "value": "x"})
        self.assertFalse(r["success"], r)

        self.ok(f"label.del.{host.id}", {"key": "team"})
        d = self.expect("labels_changed", lambda d: "team" not in d["labels"], at)
        self.fields(d, {"host_id": host.id, "labels": {**base, "zone": "b"}}, "labels_changed")
        self.assertEqual([e["data"]["labels"] for s, e in self.log.msgs[at:]
                          if s.endswith(".labels_changed")], [d["labels"]],
                         "the refused label.put emitted labels_changed")
        self.check_labels(d["labels"], "labels_changed")
        self.check_all_envelopes()

    # ---- health checks ---------------------------------------------------------------------

    HEALTH = ("health_check_passed", "health_check_failed", "health_check_status")

    def health_events(self, after=0, pid="http"):
        """Names of the health_check_* events for pid at index >= after, in order."""
        return [s.rsplit(".", 1)[-1] for s, e in self.log.msgs[after:]
                if s.rsplit(".", 1)[-1] in self.HEALTH and e["data"].get("provider_id") == pid]

    def next_health(self, after, pid="http", timeout=HEARTBEAT_TIMEOUT):
        """The first health_check_* event for pid at index >= after:
        (index, name, data), its envelope and data checked."""
        deadline = time.monotonic() + timeout
        while True:
            for i in range(after, len(self.log.msgs)):
                s, e = self.log.msgs[i]
                name = s.rsplit(".", 1)[-1]
                if name in self.HEALTH and e.get("data", {}).get("provider_id") == pid:
                    self.envelope(s, e, name)
                    self.fields(e["data"], {"host_id": self.host.id, "provider_id": pid}, name)
                    return i, name, e["data"]
            if time.monotonic() >= deadline:
                self.fail(f"no health_check_* event for {pid} within {timeout}s")
            self.log._pull(0.2)

    def hold_port(self):
        """A listening socket on 127.0.0.1 (closed at cleanup) -> its port."""
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        return s.getsockname()[1]

    def link_http(self, cfg, port):
        self.ok(f"config.put.{cfg}", {"address": f"127.0.0.1:{port}"})
        self.ok("link.put", {"source_id": "http", "target": "hello", "wit_namespace": "wasi",
                             "wit_package": "http", "interfaces": ["incoming-handler"],
                             "source_config": [cfg]})

    def unlink_http(self):
        self.ok("link.del", {"source_id": "http", "wit_namespace": "wasi", "wit_package": "http"})

    def test_health_checks(self):
        self.start()
        self.scale("hello", 1)
        at = self.log.mark()
        self.start_provider("http")

        # A new, healthy provider: unknown -> healthy is passed, then status.
        i, name, _ = self.next_health(at)
        self.assertEqual(name, "health_check_passed")
        i, name, _ = self.next_health(i + 1)
        self.assertEqual(name, "health_check_status")

        # healthy -> unhealthy: link it to an address whose port this test holds.
        at = self.log.mark()
        self.link_http("taken", self.hold_port())
        i, name, _ = self.next_health(at)
        if name == "health_check_status":     # a check that ran before the link took effect
            i, name, _ = self.next_health(i + 1)
        self.assertEqual(name, "health_check_failed")
        # Unchanged (still unhealthy): status, and failed only once.
        i, name, _ = self.next_health(i + 1)
        self.assertEqual(name, "health_check_status")
        self.assertEqual(self.health_events(at).count("health_check_failed"), 1)

        # unhealthy -> healthy once the bad link is gone: passed.
        at = self.log.mark()
        self.unlink_http()
        i, name, _ = self.next_health(at)
        if name == "health_check_status":
            i, name, _ = self.next_health(i + 1)
        self.assertEqual(name, "health_check_passed")
        self.check_all_envelopes()

    # §2.2: failed is healthy -> unhealthy, status is "every other" check;
    # 1.x starts with previous_healthy = false, so the first check of an
    # unhealthy provider is health_check_status.
    def test_health_first_check_of_unhealthy_provider_is_status(self):
        self.start()
        self.scale("hello", 1)
        # The link exists before the provider starts: unhealthy from the start.
        self.link_http("taken", self.hold_port())
        at = self.log.mark()
        self.start_provider("http")
        i, name, _ = self.next_health(at)
        self.assertEqual(name, "health_check_status",
                         "first check of a provider that was never healthy")
        # Then the normal transitions.
        at = self.log.mark()
        self.unlink_http()
        i, name, _ = self.next_health(at)
        if name == "health_check_status":
            i, name, _ = self.next_health(i + 1)
        self.assertEqual(name, "health_check_passed")

if __name__ == "__main__":
    unittest.main()
