#!/usr/bin/env python3
"""Drive a lattice host for the benchmarks (stdlib only, tests' NATS client).

  lattice.py serve NATS_URL COMPONENT PORT COUNT
      scale COMPONENT (max_instances COUNT), start the built-in HTTP server,
      link it at 127.0.0.1:PORT; print the URL once it answers
  lattice.py scale-latency NATS_URL COMPONENT PORT RUNS
      with the link in place, time component.scale -> first 200 response,
      RUNS times (scaled to 0 between runs); print one time in ms per line
"""
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests/integration/lattice"))
from natsc import Nats  # noqa: E402

P = "wasmbus.ctl.v1.default"


def ctl(nc, suffix, body=b""):
    r = nc.request(f"{P}.{suffix}", body, timeout=10).json()
    if not r["success"]:
        sys.exit(f"{suffix}: {r['message']}")
    return r


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def wait_scaled(sub, cid, count):
    while True:
        d = sub.next(timeout=60).json()["data"]
        if d["component_id"] == cid and d["max_instances"] == count:
            return


def setup(nc, comp, port, count):
    host = json.loads(nc.request_many(f"{P}.host.ping", b"", timeout=1)[0].data)["response"]["id"]
    ev = nc.subscribe("wasmbus.evt.default.component_scaled")
    nc.flush()
    ctl(nc, f"component.scale.{host}",
        {"component_ref": f"file://{comp}", "component_id": "bench", "count": count})
    wait_scaled(ev, "bench", count)
    ctl(nc, f"provider.start.{host}",
        {"provider_ref": "ghcr.io/wasmcloud/http-server:0.27.0", "provider_id": "http"})
    ctl(nc, "config.put.bench-http", {"address": f"127.0.0.1:{port}"})
    ctl(nc, "link.put", {"source_id": "http", "target": "bench", "wit_namespace": "wasi",
                         "wit_package": "http", "interfaces": ["incoming-handler"],
                         "source_config": ["bench-http"]})
    url = f"http://127.0.0.1:{port}/"
    for _ in range(200):
        if get(url) == 200:
            return host, url
        time.sleep(0.05)
    sys.exit("the host did not serve the component")


def main():
    cmd, nats_url, comp, port, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    nc = Nats(nats_url)
    if cmd == "serve":
        _, url = setup(nc, comp, port, n)
        print(url, flush=True)
        return
    host, url = setup(nc, comp, port, 1)
    ev = nc.subscribe("wasmbus.evt.default.component_scaled")
    nc.flush()
    for _ in range(n):
        ctl(nc, f"component.scale.{host}", {"component_id": "bench", "count": 0})
        wait_scaled(ev, "bench", 0)
        t0 = time.perf_counter()
        nc.request(f"{P}.component.scale.{host}",
                   {"component_ref": f"file://{comp}", "component_id": "bench", "count": 1}, timeout=10)
        while get(url) != 200:
            time.sleep(0.0005)
        print(f"{(time.perf_counter() - t0) * 1000:.2f}", flush=True)


if __name__ == "__main__":
    main()
