"""The wash lattice commands through the real binary against a real host:
get hosts/inventory/links, start (by auction), scale, stop, config, link,
label; -o json; errors that say what to do."""
import json
import subprocess
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import LatticeTest, free_port, guest, http_get, wait_for, wash  # noqa: E402

HELLO = guest("http-hello-c")


class CliTest(LatticeTest):
    def wash(self, *args, ok=True):
        r = subprocess.run([str(wash()), *args, "--nats-url", self.nats.url],
                           capture_output=True, text=True, timeout=60)
        if ok:
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def inventory(self):
        return json.loads(self.wash("get", "inventory", "-o", "json").stdout)[0]

    def test_commands(self):
        host = self.start_host(args=["--label", "zone=eu"])
        hosts = json.loads(self.wash("get", "hosts", "-o", "json").stdout)
        self.assertEqual([h["id"] for h in hosts], [host.id])
        self.assertIn("zone=eu", self.wash("get", "hosts").stdout)

        out = self.wash("start", "component", f"file://{HELLO}", "hello", "--max", "3").stdout
        self.assertIn(host.id, out)
        wait_for(lambda: self.inventory()["components"], what="the component to start")
        self.assertEqual(self.inventory()["components"][0]["max_instances"], 3)
        self.wash("scale", "component", "hello", "--max", "5")
        wait_for(lambda: self.inventory()["components"][0]["max_instances"] == 5,
                 what="the scale")
        self.assertIn("hello", self.wash("get", "inventory").stdout)

        self.wash("start", "provider", "ghcr.io/wasmcloud/http-server:0.27.0", "http")
        wait_for(lambda: self.inventory()["providers"], what="the provider")
        port = free_port()
        self.wash("config", "put", "addr", f"address=127.0.0.1:{port}")
        self.assertEqual(json.loads(self.wash("config", "get", "addr").stdout),
                         {"address": f"127.0.0.1:{port}"})
        self.wash("link", "put", "http", "hello", "wasi", "http", "--interface",
                  "incoming-handler", "--source-config", "addr")
        url = f"http://127.0.0.1:{port}/"
        wait_for(lambda: http_get(url, allow_refused=True)[0] == 200, what="the link")
        links = json.loads(self.wash("link", "get", "-o", "json").stdout)
        self.assertEqual(links[0]["target"], "hello")
        self.assertIn("incoming-handler", self.wash("get", "links").stdout)
        self.wash("link", "del", "http", "wasi", "http")
        wait_for(lambda: http_get(url, allow_refused=True)[0] is None, what="the unlink")
        self.wash("config", "del", "addr")
        self.assertEqual(self.wash("config", "get", "addr", ok=False).returncode, 1)

        self.wash("label", host.id, "tier=gold")
        wait_for(lambda: self.inventory()["labels"].get("tier") == "gold", what="label")
        self.wash("label", host.id, "tier", "--delete")
        wait_for(lambda: "tier" not in self.inventory()["labels"], what="label gone")
        r = self.wash("label", host.id, "hostcore.os=x", ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("hostcore", r.stderr)

        self.wash("stop", "component", "hello")
        self.wash("stop", "provider", "http")
        wait_for(lambda: not self.inventory()["components"] and not self.inventory()["providers"],
                 what="everything stopped")
        r = self.wash("stop", "component", "nope", ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no host runs component nope", r.stderr)

    def test_spy_shows_the_events_of_one_component(self):
        host = self.start_host()
        spy = subprocess.Popen([str(wash()), "spy", "hello", "--count", "2", "--timeout", "30s",
                                "--nats-url", self.nats.url], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        wait_for(lambda: spy.stderr.readline().startswith("Watching"), what="spy to listen")
        self.wash("start", "component", f"file://{HELLO}", "other")
        self.wash("start", "component", f"file://{HELLO}", "hello")
        wait_for(lambda: len(self.inventory()["components"]) == 2, what="both started")
        self.wash("stop", "component", "hello")
        out, _ = spy.communicate(timeout=30)
        lines = out.strip().splitlines()
        self.assertEqual(len(lines), 2, out)
        self.assertIn("component_scaled", lines[0])
        self.assertIn('"max_instances":1', lines[0])
        self.assertIn('"max_instances":0', lines[1])
        self.assertNotIn("other", out)

    def test_no_host_says_what_to_do(self):
        r = self.wash("start", "component", f"file://{HELLO}", "x", ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no host bid", r.stderr)
        r = self.wash("link", "get", ok=False)
        self.assertIn("wash up", r.stderr)


if __name__ == "__main__":
    unittest.main()
