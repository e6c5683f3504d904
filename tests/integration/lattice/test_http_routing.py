"""The built-in HTTP server provider's routing modes (ghcr.io/wasmcloud/http-server
resolves to it), with two components behind one provider: http-hello-c
("Hello from C\\n" on every path) and host-probe ("probe v1\\n" on /, its own
"not found\\n" 404 elsewhere, which tells its answers from the router's).

  address  a listener per link `address`; link.del closes only its listener
  path     one listener at default_address, links' `path` prefixes at
           segment boundaries; unknown paths 404 "path not found"
  host     one listener, links' `host` matched against Host (port ignored),
           or against the provider config's `header` set by a reverse proxy;
           unknown or missing 404 "host not found"

One provider linking to two components on the same interface needs two link
names (a second link with the same source/namespace/package/name but another
target is rejected), so the links are named "a" and "b".
"""
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import LatticeTest, free_port, guest, http_get, wait_for  # noqa: E402

HELLO = guest("http-hello-c")
PROBE = guest("host-probe")
HTTP_PROVIDER = "ghcr.io/wasmcloud/http-server:0.27.0"

HELLO_OK = (200, b"Hello from C\n")
PROBE_OK = (200, b"probe v1\n")
PROBE_404 = (404, b"not found\n")          # the probe's own 404
PATH_404 = (404, b"path not found\n")      # the router's
HOST_404 = (404, b"host not found\n")


class RoutingTest(LatticeTest):
    def setup_lattice(self, provider_config: dict | None = None):
        """A host running hello and probe, and the HTTP provider "http"
        (with provider_config as its named config "http-provider", if given)."""
        self.host = self.start_host()
        sub = self.nc.subscribe(f"wasmbus.evt.{self.lattice}.*")
        self.nc.flush()
        for cid, wasm in (("hello", HELLO), ("probe", PROBE)):
            self.ok(f"component.scale.{self.host.id}",
                    {"component_ref": f"file://{wasm}", "component_id": cid, "count": 1})
            self.wait_event(sub, "component_scaled", lambda d, c=cid: d["component_id"] == c)
        start = {"provider_ref": HTTP_PROVIDER, "provider_id": "http"}
        if provider_config is not None:
            self.ok("config.put.http-provider", provider_config)
            start["config"] = ["http-provider"]
        self.ok(f"provider.start.{self.host.id}", start)
        self.wait_event(sub, "provider_started", lambda d: d["provider_id"] == "http")
        sub.unsubscribe()

    def link(self, name, target, **source_config):
        cfg = f"http-link-{name}"
        self.ok(f"config.put.{cfg}", source_config)
        self.ok("link.put", {"source_id": "http", "target": target, "name": name,
                             "wit_namespace": "wasi", "wit_package": "http",
                             "interfaces": ["incoming-handler"], "source_config": [cfg]})

    def unlink(self, name):
        self.ok("link.del", {"source_id": "http", "wit_namespace": "wasi",
                             "wit_package": "http", "name": name})

    def until(self, url, want, headers=None, timeout=10):
        """Wait until GET url answers want ((status, body), or None for a
        refused connection)."""
        def check():
            r = http_get(url, headers=headers, allow_refused=True)
            return r == want or (want is None and r[0] is None)
        wait_for(check, timeout=timeout, what=f"GET {url} {headers or ''} -> {want}")


class AddressModeTest(RoutingTest):
    def test_two_links_two_listeners_and_link_del_closes_only_its_own(self):
        self.setup_lattice()
        pa, pb = free_port(), free_port()
        a, b = f"http://127.0.0.1:{pa}", f"http://127.0.0.1:{pb}"
        self.link("a", "hello", address=f"127.0.0.1:{pa}")
        self.link("b", "probe", address=f"127.0.0.1:{pb}")
        self.until(a + "/", HELLO_OK)
        self.until(b + "/", PROBE_OK)
        self.assertEqual(http_get(a + "/any/path?q=1"), HELLO_OK)
        self.assertEqual(http_get(b + "/config"), (200, b"{}"))

        # The same name again with another target is refused.
        r = self.ctl("link.put", {"source_id": "http", "target": "probe", "name": "a",
                                  "wit_namespace": "wasi", "wit_package": "http",
                                  "interfaces": ["incoming-handler"],
                                  "source_config": ["http-link-a"]})
        self.assertFalse(r["success"], r)

        self.unlink("a")
        self.until(a + "/", None)
        self.assertEqual(http_get(b + "/"), PROBE_OK)
        links = self.ok("link.get")["response"]
        self.assertEqual([(l["name"], l["target"]) for l in links], [("b", "probe")])

        # The freed address can be linked again, to the other component.
        self.link("a", "probe", address=f"127.0.0.1:{pa}")
        self.until(a + "/", PROBE_OK)
        self.unlink("b")
        self.until(b + "/", None)
        self.assertEqual(http_get(a + "/"), PROBE_OK)


class PathModeTest(RoutingTest):
    def test_path_prefixes_route_on_one_listener(self):
        port = free_port()
        self.setup_lattice({"routing_mode": "path", "default_address": f"127.0.0.1:{port}"})
        url = f"http://127.0.0.1:{port}"
        self.link("a", "hello", path="/hello")
        self.link("b", "probe", path="/probe")
        self.until(url + "/hello", HELLO_OK)
        self.until(url + "/probe", PROBE_404)
        self.assertEqual(http_get(url + "/hello/x"), HELLO_OK)
        self.assertEqual(http_get(url + "/hello/x/y?z=1"), HELLO_OK)
        self.assertEqual(http_get(url + "/hello?z=1"), HELLO_OK)
        # The probe sees the whole path (no prefix stripping): its own 404.
        self.assertEqual(http_get(url + "/probe/config"), PROBE_404)
        for miss in ("/nothing", "/", "/hellox", "/prob"):
            with self.subTest(path=miss):
                self.assertEqual(http_get(url + miss), PATH_404)

        # Unlinking one path removes its route; the listener stays for the other.
        self.unlink("b")
        self.until(url + "/probe", PATH_404)
        self.assertEqual(http_get(url + "/hello/x"), HELLO_OK)


class HostModeTest(RoutingTest):
    def test_host_header_routes(self):
        port = free_port()
        self.setup_lattice({"routing_mode": "host", "default_address": f"127.0.0.1:{port}"})
        url = f"http://127.0.0.1:{port}/"
        self.link("a", "hello", host="a.example")
        self.link("b", "probe", host="b.example")
        self.until(url, HELLO_OK, headers={"Host": "a.example"})
        self.until(url, PROBE_OK, headers={"Host": "b.example"})
        # The port of a Host header does not matter; case does not either.
        self.assertEqual(http_get(url, headers={"Host": f"a.example:{port}"}), HELLO_OK)
        self.assertEqual(http_get(url, headers={"Host": "B.Example"}), PROBE_OK)
        for host in ("c.example", "a.example.org", "xa.example", f"127.0.0.1:{port}"):
            with self.subTest(host=host):
                self.assertEqual(http_get(url, headers={"Host": host}), HOST_404)

    def test_designated_header_set_by_a_reverse_proxy_routes(self):
        port = free_port()
        self.setup_lattice({"routing_mode": "host", "default_address": f"127.0.0.1:{port}",
                            "header": "X-Wasmcloud-Route"})
        url = f"http://127.0.0.1:{port}/"
        self.link("a", "hello", host="alpha")
        self.link("b", "probe", host="beta")
        self.until(url, HELLO_OK, headers={"X-Wasmcloud-Route": "alpha"})
        self.until(url, PROBE_OK, headers={"X-Wasmcloud-Route": "beta"})
        # Header names are case-insensitive; Host does not matter here.
        self.assertEqual(http_get(url, headers={"x-wasmcloud-route": "beta",
                                                "Host": "alpha"}), PROBE_OK)
        self.assertEqual(http_get(url), HOST_404)                        # no header
        self.assertEqual(http_get(url, headers={"Host": "alpha"}), HOST_404)
        self.assertEqual(http_get(url, headers={"X-Wasmcloud-Route": "gamma"}), HOST_404)


if __name__ == "__main__":
    unittest.main()
