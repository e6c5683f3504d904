"""wadm end to end: real nats-server (JetStream), real `wash host` processes
and `wash wadm` servers, the wadm API over NATS, curl-like HTTP as the peer.

Covers: deploy the wasmCloud example shape (an HTTP component, the
http-server provider by its ghcr.io image, a link with an address) and curl
it; the API (put, get, list, versions, status, del); a v2 rolling change with
no failed request; kill -9 of the host running the app and its reschedule
(reconciling -> deployed); undeploy leaves nothing; a malformed manifest is
refused with its path and line and the stored versions stay; two wadm
servers on one lattice do not fight.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import LatticeTest, free_port, guest, http_get, wait_for, wash  # noqa: E402

HELLO = guest("http-hello-c")
PROBE = guest("host-probe")


def manifest(name="hello", version="v1", image=HELLO, port=0, instances=2, extra=""):
    return f"""apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: {name}
  annotations:
    version: {version}
    description: "hello from C"
spec:
  components:
    - name: web
      type: component
      properties:
        image: file://{image}
      traits:
        - type: spreadscaler
          properties:
            instances: {instances}
    - name: httpserver
      type: capability
      properties:
        image: ghcr.io/wasmcloud/http-server:0.27.0
      traits:
        - type: spreadscaler
          properties:
            instances: 1
        - type: link
          properties:
            target: web
            namespace: wasi
            package: http
            interfaces: [incoming-handler]
            source:
              config:
                - name: listen
                  properties:
                    address: 127.0.0.1:{port}
{extra}"""


class WadmTest(LatticeTest):
    def setUp(self):
        super().setUp()
        self.wadms = []
        self.addCleanup(self._stop_wadms)

    def _stop_wadms(self):
        for p, log in self.wadms:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
            log.close()

    def start_wadm(self, name="wadm"):
        log = open(self.workdir / f"{name}.log", "ab")
        p = subprocess.Popen([str(wash()), "wadm", "--nats-url", self.nats.url],
                             stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.wadms.append((p, log))
        wait_for(lambda: self._answers(), what="wadm to answer its API")
        return p

    def _answers(self):
        try:
            self.nc.request(f"wadm.api.{self.lattice}.model.list", b"", timeout=0.5)
            return True
        except Exception:
            return False

    def api(self, op, body=b"", timeout=10):
        return json.loads(self.nc.request(f"wadm.api.{self.lattice}.model.{op}", body,
                                          timeout=timeout).data)

    def status(self, app):
        return self.api(f"status.{app}")["status"]["status"]["type"]

    def deploy(self, text, name="hello"):
        r = self.api("put", text.encode())
        self.assertIn(r["result"], ("created", "newversion"), r)
        r = self.api(f"deploy.{name}", {"version": None})
        self.assertEqual(r["result"], "acknowledged", r)
        return r

    def inventories(self):
        return {h.id: self.ok(f"host.get.{h.id}")["response"] for h in self.hosts
                if h.running()}


class DeployTest(WadmTest):
    def test_deploy_curl_api_and_undeploy(self):
        self.start_host()
        self.start_wadm()
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        status = self.nc.subscribe(f"wadm.status.{self.lattice}.hello")
        self.nc.flush()
        t0 = time.time()
        self.deploy(manifest(port=port))
        wait_for(lambda: http_get(url, allow_refused=True)[0] == 200, timeout=30,
                 what="the app to answer")
        print(f"deploy -> first 200: {time.time() - t0:.2f}s", file=sys.stderr)
        self.assertEqual(http_get(url), (200, b"Hello from C\n"))
        wait_for(lambda: self.status("hello") == "deployed", timeout=20, what="deployed")
        seen = [json.loads(m.data)["status"]["type"] for m in status.drain()]
        self.assertIn("deployed", seen)

        models = self.api("list")
        self.assertEqual([(m["name"], m["version"], m["deployed_version"], m["status"])
                          for m in models], [("hello", "v1", "v1", "deployed")])
        got = self.api("get.hello")
        self.assertEqual(got["result"], "success")
        self.assertEqual(got["manifest"]["metadata"]["name"], "hello")
        self.assertEqual(self.api("versions.hello")["versions"],
                         [{"version": "v1", "deployed": True}])
        self.assertEqual(self.api("get.nope")["result"], "notfound")
        r = self.api("put", manifest(port=port).encode())
        self.assertEqual(r["result"], "error")
        self.assertIn("already exists", r["message"])

        # What runs carries wadm's annotations.
        inv = list(self.inventories().values())[0]
        comp = [c for c in inv["components"] if c["id"] == "hello-web"][0]
        self.assertEqual(comp["max_instances"], 2)
        self.assertEqual(comp["annotations"]["wasmcloud.dev/appspec"], "hello")
        self.assertEqual(comp["annotations"]["wasmcloud.dev/managed-by"], "wadm")

        # Undeploy: nothing of the app is left.
        self.assertEqual(self.api("undeploy.hello", {})["result"], "acknowledged")
        wait_for(lambda: http_get(url, allow_refused=True)[0] is None, timeout=20,
                 what="the listener to close")

        def empty():
            inv = list(self.inventories().values())[0]
            links = self.ok("link.get")["response"]
            cfg = self.ctl("config.get.hello-listen")
            return (not inv["components"] and not inv["providers"] and not links
                    and "response" not in cfg)
        wait_for(empty, timeout=20, what="nothing left after undeploy")
        self.assertEqual(self.status("hello"), "undeployed")
        r = self.api("del.hello", {})
        self.assertEqual(r["result"], "deleted")
        wait_for(lambda: self.api("list") == [], what="the model gone")

    def test_malformed_manifest_is_refused_and_versions_stay(self):
        self.start_host()
        self.start_wadm()
        self.assertEqual(self.api("put", manifest(port=free_port()).encode())["result"],
                         "created")
        bad = manifest(version="v2", port=1).replace("instances: 2", "instances: two")
        r = self.api("put", bad.encode())
        self.assertEqual(r["result"], "error")
        self.assertIn("spec.components[0].traits[0].properties.instances", r["message"])
        self.assertIn("line 17", r["message"])
        for text in (b"", b"{not: [yaml", b"kind: Application\n", b"\xff\xfe"):
            r = self.api("put", text)
            self.assertEqual(r["result"], "error", text)
            self.assertTrue(r["message"], text)
        self.assertEqual(self.api("versions.hello")["versions"],
                         [{"version": "v1", "deployed": False}])
        self.assertTrue(all(h.running() for h in self.hosts))


class CliTest(WadmTest):
    def wash_app(self, *args, stdout_only=False):
        r = subprocess.run([str(wash()), "app", *args, "--nats-url", self.nats.url],
                           capture_output=True, text=True, timeout=30)
        return r.returncode, r.stdout if stdout_only else r.stdout + r.stderr

    def test_wash_app_with_a_relative_image(self):
        import shutil
        self.start_host()
        self.start_wadm()
        appdir = self.workdir / "myapp"
        appdir.mkdir()
        shutil.copy(HELLO, appdir / "hello.wasm")
        port = free_port()
        text = manifest(port=port).replace(f"file://{HELLO}", "file://./hello.wasm")
        (appdir / "wadm.yaml").write_text(text)
        rc, out = self.wash_app("validate", str(appdir / "wadm.yaml"))
        self.assertEqual(rc, 0, out)
        rc, out = self.wash_app("deploy", str(appdir / "wadm.yaml"))
        self.assertEqual(rc, 0, out)
        self.assertIn("Deployed hello v1", out)
        url = f"http://127.0.0.1:{port}/"
        wait_for(lambda: http_get(url, allow_refused=True)[0] == 200, timeout=30,
                 what="the app to answer")
        stored = self.api("get.hello")["manifest"]["spec"]["components"][0]["properties"]
        self.assertEqual(stored["image"], f"file://{appdir}/hello.wasm")
        wait_for(lambda: self.wash_app("status", "hello")[1].strip() == "hello: deployed",
                 timeout=20, what="wash app status to say deployed")
        rc, out = self.wash_app("list")
        self.assertIn("hello", out)
        rc, out = self.wash_app("list", "-o", "json", stdout_only=True)
        self.assertEqual(json.loads(out)[0]["deployed_version"], "v1")
        # Deploying the same file again is fine (same version: deploy it).
        self.assertEqual(self.wash_app("deploy", str(appdir / "wadm.yaml"))[0], 0)
        rc, out = self.wash_app("undeploy", "hello")
        self.assertEqual((rc, out.strip()), (0, "Undeployed hello"))
        rc, out = self.wash_app("delete", "hello")
        self.assertEqual(rc, 0, out)
        # A bad file is refused before anything is sent, naming the line.
        (appdir / "bad.yaml").write_text(text.replace("instances: 2", "instances: [2]"))
        rc, out = self.wash_app("deploy", str(appdir / "bad.yaml"))
        self.assertEqual(rc, 1)
        self.assertIn("line 17", out)
        rc, out = self.wash_app("status", "nope")
        self.assertEqual(rc, 1)
        self.assertIn("not found", out)


class CompletionTest(WadmTest):
    def test_bash_completes_an_app_name(self):
        self.start_host()
        self.start_wadm()
        r = self.api("put", manifest(name="shopfront", port=free_port()).encode())
        self.assertEqual(r["result"], "created")
        script = ('source <(wash completions bash); '
                  'COMP_WORDS=(wash app status sh); COMP_CWORD=3; _wash; '
                  'echo "apps: ${COMPREPLY[*]}"; '
                  'COMP_WORDS=(wash ap); COMP_CWORD=1; _wash; echo "cmds: ${COMPREPLY[*]}"; '
                  'COMP_WORDS=(wash app deploy --nats); COMP_CWORD=3; _wash; '
                  'echo "flags: ${COMPREPLY[*]}"')
        env = {**os.environ, "WASH_NATS_URL": self.nats.url,
               "PATH": f"{Path(wash()).parent}:{os.environ['PATH']}"}
        r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env,
                           timeout=30)
        self.assertIn("apps: shopfront", r.stdout, r.stderr)
        self.assertIn("cmds: app", r.stdout)
        self.assertIn("flags: --nats-url", r.stdout)


class RollingTest(WadmTest):
    def test_v2_rolls_without_a_failed_request(self):
        self.start_host()
        self.start_wadm()
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        self.deploy(manifest(port=port, instances=4))
        wait_for(lambda: http_get(url, allow_refused=True)[0] == 200, timeout=30,
                 what="v1 to answer")
        statuses, bodies, stop = [], set(), threading.Event()

        def load():
            end = time.time() + 60
            while not stop.is_set() and time.time() < end and len(statuses) < 200000:
                s, b = http_get(url, timeout=10)
                statuses.append(s)
                bodies.add(b)

        threads = [threading.Thread(target=load) for _ in range(3)]
        for t in threads:
            t.start()
        wait_for(lambda: len(statuses) > 20, what="load to start")
        self.deploy(manifest(version="v2", image=PROBE, port=port, instances=4))
        wait_for(lambda: b"probe v1\n" in bodies, timeout=40, what="responses from v2")
        wait_for(lambda: self.status("hello") == "deployed", timeout=20, what="v2 deployed")
        stop.set()
        for t in threads:
            t.join(30)
        self.assertEqual(set(statuses), {200}, "a request failed during the rollout")
        self.assertEqual(self.api("versions.hello")["versions"],
                         [{"version": "v1", "deployed": False},
                          {"version": "v2", "deployed": True}])


class FailoverTest(WadmTest):
    def test_host_killed_app_rescheduled(self):
        hosts = [self.start_host(name=f"host-{i}") for i in range(3)]
        self.start_wadm()
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        self.deploy(manifest(port=port))
        wait_for(lambda: http_get(url, allow_refused=True)[0] == 200, timeout=30,
                 what="the app to answer")
        wait_for(lambda: self.status("hello") == "deployed", timeout=20, what="deployed")
        running = [h for h in hosts
                   if any(c["id"] == "hello-web"
                          for c in self.ok(f"host.get.{h.id}")["response"]["components"])]
        self.assertEqual(len(running), 1)
        victim = running[0]
        status = self.nc.subscribe(f"wadm.status.{self.lattice}.hello")
        self.nc.flush()
        victim.kill()
        wait_for(lambda: http_get(url, allow_refused=True)[0] == 200, timeout=30,
                 what="the app to answer again from another host")
        wait_for(lambda: self.status("hello") == "deployed", timeout=20,
                 what="deployed again")
        seen = [json.loads(m.data)["status"]["type"] for m in status.drain()]
        self.assertIn("reconciling", seen)
        self.assertEqual(seen[-1], "deployed")
        now = [h for h in hosts if h is not victim
               and any(c["id"] == "hello-web"
                       for c in self.ok(f"host.get.{h.id}")["response"]["components"])]
        self.assertEqual(len(now), 1)

    def test_two_wadms_do_not_fight(self):
        self.start_host()
        self.start_wadm("wadm-a")
        self.start_wadm("wadm-b")
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        self.deploy(manifest(port=port))
        wait_for(lambda: http_get(url, allow_refused=True)[0] == 200, timeout=30,
                 what="the app to answer")
        wait_for(lambda: self.status("hello") == "deployed", timeout=20, what="deployed")
        # Stable: one component, one provider, one link, and nobody re-sends.
        time.sleep(3)
        inv = list(self.inventories().values())[0]
        self.assertEqual([c["id"] for c in inv["components"]], ["hello-web"])
        self.assertEqual(len(self.ok("link.get")["response"]), 1)
        logs = [(self.workdir / f"{n}.log").read_text() for n in ("wadm-a", "wadm-b")]
        self.assertEqual(sum("leads lattice" in log for log in logs), 1, logs)
        # The leader goes: the other takes over and keeps the app running.
        leader = 0 if "leads lattice" in logs[0] else 1
        p, _ = self.wadms[leader]
        p.kill()
        other = self.workdir / f"wadm-{'ab'[1 - leader]}.log"
        wait_for(lambda: "leads lattice" in other.read_text(), timeout=20,
                 what="the other wadm to lead")
        self.assertEqual(http_get(url), (200, b"Hello from C\n"))


if __name__ == "__main__":
    unittest.main()
