#!/usr/bin/env python3
"""wadm timings on a real lattice (nats-server with JetStream, `wash host`,
`wash wadm`; the tests' stdlib NATS client and harness):

  deploy   model.deploy of a 3-component app (an HTTP component, a second
           component, the http-server provider linked to the first) until
           its first 200, RUNS times (undeploy between runs)
  failover two hosts; kill -9 the host running the app; time until a 200
           again (wadm reschedules), RUNS times

Prints one line per figure: name, median ms, all runs. Needs BUILD.
"""
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests/integration/lattice"))
from harness import Host, NatsServer, free_port, guest, http_get, wash  # noqa: E402
from natsc import Nats  # noqa: E402

APP = """apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: bench, annotations: {{version: v{v}}}}}
spec:
  components:
    - name: web
      type: component
      properties: {{image: "file://{web}"}}
      traits: [{{type: spreadscaler, properties: {{instances: 4}}}}]
    - name: worker
      type: component
      properties: {{image: "file://{worker}"}}
      traits: [{{type: spreadscaler, properties: {{instances: 2}}}}]
    - name: httpserver
      type: capability
      properties: {{image: "ghcr.io/wasmcloud/http-server:0.27.0"}}
      traits:
        - {{type: spreadscaler, properties: {{instances: 1}}}}
        - type: link
          properties:
            target: web
            namespace: wasi
            package: http
            interfaces: [incoming-handler]
            source: {{config: [{{name: listen, properties: {{address: "127.0.0.1:{port}"}}}}]}}
"""


def wait_200(url, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        if http_get(url, timeout=2, allow_refused=True)[0] == 200:
            return True
        time.sleep(0.002)
    raise SystemExit(f"{url} never answered")


def api(nc, op, body=b""):
    return json.loads(nc.request(f"wadm.api.default.model.{op}", body, timeout=10).data)


def lattice(work, nhosts):
    nats = NatsServer(work).start()
    nc = Nats(nats.url)
    hosts = [Host(wash(), nats.url, workdir=work, name=f"h{i}",
                  args=["--tier", "optimized"]).start(nc) for i in range(nhosts)]
    log = open(Path(work) / "wadm.log", "ab")
    wadm = subprocess.Popen([str(wash()), "wadm", "--nats-url", nats.url], stdout=log,
                            stderr=subprocess.STDOUT)
    time.sleep(1)
    return nats, nc, hosts, wadm


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    web, worker = guest("http-hello-c"), guest("host-probe")
    deploy_ms, failover_ms = [], []
    with tempfile.TemporaryDirectory() as work:
        nats, nc, hosts, wadm = lattice(work, 1)
        # Round 0 warms the code cache (the JS worker's optimized build) and is not counted.
        for i in range(runs + 1):
            port = free_port()
            api(nc, "put", APP.format(v=i, web=web, worker=worker, port=port).encode())
            t0 = time.perf_counter()
            api(nc, f"deploy.bench", {"version": f"v{i}"})
            wait_200(f"http://127.0.0.1:{port}/")
            if i > 0:
                deploy_ms.append((time.perf_counter() - t0) * 1000)
            else:
                time.sleep(20)  # let the optimized builds finish
            api(nc, "undeploy.bench", {})
            while http_get(f"http://127.0.0.1:{port}/", allow_refused=True)[0] is not None:
                time.sleep(0.05)
            time.sleep(1)
        wadm.kill()
        for h in hosts:
            h.stop()
        nc.close()
        nats.stop()
    for i in range(runs):
        with tempfile.TemporaryDirectory() as work:
            nats, nc, hosts, wadm = lattice(work, 2)
            port = free_port()
            url = f"http://127.0.0.1:{port}/"
            api(nc, "put", APP.format(v=0, web=web, worker=worker, port=port).encode())
            api(nc, "deploy.bench", {})
            wait_200(url)
            time.sleep(1.5)
            victim = [h for h in hosts if any(
                c["id"] == "bench-web" for c in json.loads(nc.request(
                    f"wasmbus.ctl.v1.default.host.get.{h.id}", b"").data)["response"]["components"])][0]
            t0 = time.perf_counter()
            victim.kill()
            wait_200(url)
            failover_ms.append((time.perf_counter() - t0) * 1000)
            wadm.kill()
            for h in hosts:
                if h is not victim:
                    h.stop()
            nc.close()
            nats.stop()
    print(f"deploy {statistics.median(deploy_ms):.0f} {' '.join(f'{x:.0f}' for x in deploy_ms)}")
    print(f"failover {statistics.median(failover_ms):.0f} "
          f"{' '.join(f'{x:.0f}' for x in failover_ms)}")


if __name__ == "__main__":
    main()
