"""The built-in keyvalue-nats provider: wasi:keyvalue (store, atomics, batch)
over a JetStream KV bucket, driven by the kv-probe guest through HTTP, and
checked from outside with a NATS client reading the same bucket."""
import sys
import threading
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import free_port, guest, http_get  # noqa: E402
from test_host import HostTest, file_ref  # noqa: E402

KV = guest("kv-probe")


class KeyValueTest(HostTest):
    def setup_kv(self, host, bucket_config=None):
        self.scale(host, "kv", KV, 8)
        url = self.serve_http(host, "kv", free_port())
        self.ok(f"provider.start.{host.id}",
                {"provider_ref": "ghcr.io/wasmcloud/keyvalue-nats:0.3.1", "provider_id": "kvp"})
        link = {"source_id": "kv", "target": "kvp", "wit_namespace": "wasi",
                "wit_package": "keyvalue", "interfaces": ["store", "atomics", "batch"]}
        if bucket_config:
            self.ok("config.put.kv-bucket", {"bucket": bucket_config})
            link["target_config"] = ["kv-bucket"]
        self.ok("link.put", link)
        return url

    def test_store_atomics_batch(self):
        host = self.start_host()
        url = self.setup_kv(host)

        def get(path):
            for _ in range(100):   # the link arrives through the KV watch
                s, b = http_get(url + path)
                if not (s == 500 and b"no link" in b):
                    return s, b
                import time
                time.sleep(0.05)
            return s, b

        self.assertEqual(get("/set?key=a&value=hello"), (200, b"ok"))
        self.assertEqual(get("/get?key=a"), (200, b"hello"))
        self.assertEqual(get("/exists?key=a"), (200, b"true"))
        self.assertEqual(get("/get?key=nope"), (404, b"missing"))
        self.assertEqual(get("/exists?key=nope"), (200, b"false"))
        # The bucket is a real JetStream KV bucket: read it over NATS.
        r = self.nc.request("$JS.API.DIRECT.GET.KV_probe", {"last_by_subj": "$KV.probe.a"})
        self.assertEqual(r.data, b"hello")
        self.assertEqual(get("/del?key=a"), (200, b"ok"))
        self.assertEqual(get("/get?key=a"), (404, b"missing"))
        # Counters: concurrent increments lose nothing (compare-and-set).
        results = []

        def incr():
            for _ in range(10):
                results.append(http_get(url + "/incr?key=n&by=2")[0])
        threads = [threading.Thread(target=incr) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(set(results), {200})
        self.assertEqual(get("/get?key=n"), (200, b"80"))
        self.assertEqual(get("/set-many?x=1&y=2&z=3"), (200, b"ok"))
        self.assertEqual(get("/get-many?keys=x,nope,z"), (200, b"x=1\nnope: none\nz=3"))
        self.assertEqual(get("/keys"), (200, b"n\nx\ny\nz"))
        self.assertEqual(get("/del-many?keys=x,y"), (200, b"ok"))
        self.assertEqual(get("/keys"), (200, b"n\nz"))

    def test_bucket_from_link_config_and_errors(self):
        host = self.start_host()
        url = self.setup_kv(host, bucket_config="fromlink")
        import time
        for _ in range(100):
            s, b = http_get(url + "/set?bucket=ignored&key=k&value=v")
            if s == 200:
                break
            time.sleep(0.05)
        self.assertEqual((s, b), (200, b"ok"))
        r = self.nc.request("$JS.API.DIRECT.GET.KV_fromlink", {"last_by_subj": "$KV.fromlink.k"})
        self.assertEqual(r.data, b"v")
        # Without the link, open fails with a message naming what is missing.
        self.ok("link.del", {"source_id": "kv", "wit_namespace": "wasi",
                             "wit_package": "keyvalue"})
        for _ in range(100):
            s, b = http_get(url + "/get?key=k")
            if s == 500:
                break
            time.sleep(0.05)
        self.assertEqual(s, 500)
        self.assertIn(b"no link from kv for wasi:keyvalue/store", b)


if __name__ == "__main__":
    unittest.main()
