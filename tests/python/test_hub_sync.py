"""A phone joins a served hub and syncs, through the generated Python bindings of azukari-ffi and real HTTP.

./scripts/test serves the demo facility with `azukari-hub serve` on loopback, issues an enrollment QR with
`azukari-hub enroll`, and runs this with AZUKARI_HUB_URL and AZUKARI_ENROLL_QR set. The app's part — the
`HubConnection` — is a few lines of urllib here (OkHttp or URLSession in the apps); joining, signing each request,
verifying the hub's checkpoints and proofs, and the ledger are the core's. Only the standard library is used.
"""

import json
import os
import secrets
import socket
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.environ.get("AZUKARI_FFI_PYTHON", ""))

import azukari_ffi as az  # noqa: E402

HUB_URL = os.environ.get("AZUKARI_HUB_URL", "")
ENROLL_QR = os.environ.get("AZUKARI_ENROLL_QR", "")


class UrllibConnection(az.HubConnection):
    """The app's HTTP channel to the hub (loopback plain HTTP: no certificate to pin)."""

    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")
        self.requests = []

    def post(self, path, headers, body):
        request = urllib.request.Request(self.base_url + path, data=bytes(body), method="POST")
        request.add_header("Content-Type", "application/json")
        for header in headers:
            request.add_header(header.name, header.value)
        self.requests.append((path, {h.name for h in headers}))
        try:
            with urllib.request.urlopen(request, timeout=40) as response:
                return az.HttpResponse(status=response.status, body=response.read())
        except urllib.error.HTTPError as error:
            return az.HttpResponse(status=error.code, body=error.read())
        except (urllib.error.URLError, OSError) as error:
            raise az.HubConnectionError.Unreachable(detail=str(error))


class MemoryVault(az.KeyVault):
    """A key vault that keeps wrapped keys in memory (the real apps use the platform keystore)."""

    def __init__(self):
        self.blobs = {}

    def wrap_data_key(self, store_id, data_key):
        handle = secrets.token_bytes(16)
        self.blobs[handle] = bytes(data_key)
        return handle

    def unwrap_data_key(self, store_id, wrapped):
        if bytes(wrapped) not in self.blobs:
            raise az.KeyVaultError.KeyMissing()
        return self.blobs[bytes(wrapped)]


def hub_size():
    with urllib.request.urlopen(HUB_URL.rstrip("/") + "/healthz", timeout=10) as response:
        return json.load(response)["size"]


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JoinAndSync(unittest.TestCase):
    def setUp(self):
        self.assertTrue(
            HUB_URL and ENROLL_QR,
            "set AZUKARI_HUB_URL and AZUKARI_ENROLL_QR (./scripts/test serves a hub and issues the QR)",
        )

    def test_a_phone_joins_with_the_qr_syncs_the_whole_ledger_and_cannot_reuse_the_qr(self):
        qr = az.read_enrollment_qr(ENROLL_QR)
        self.assertEqual(qr.hub_url.rstrip("/"), HUB_URL.rstrip("/"))
        self.assertIsNone(qr.cert_sha256, "a loopback hub has no certificate to pin")

        hub = UrllibConnection(qr.hub_url)
        scratch = tempfile.TemporaryDirectory()
        self.addCleanup(scratch.cleanup)
        directory = scratch.name
        phone = az.Facility.join(ENROLL_QR, os.path.join(directory, "phone.azukari"), MemoryVault(), hub)
        summary = phone.sync(hub, 0)
        size = hub_size()
        self.assertGreater(summary.pulled, 0)
        self.assertEqual(summary.log_size, size, "the verified tree is the hub's whole log")
        self.assertEqual(phone.sync_alarms(), [])

        # The phone holds the facility's ledger, every signature valid.
        report = phone.verify_ledger()
        self.assertEqual(report.events, size)

        # Every push and pull was signed by the phone; the enrollment carried the token instead.
        signed = [names for path, names in hub.requests if path in ("/v1/push", "/v1/pull")]
        self.assertTrue(signed)
        for names in signed:
            self.assertEqual(names, {"azukari-device", "azukari-time", "azukari-signature"})

        # Nothing new: a second sync pulls nothing.
        again = phone.sync(hub, 0)
        self.assertEqual((again.pulled, again.log_size), (0, size))

        # A long poll with nothing new waits, then answers with nothing (the facility is not held meanwhile).
        started = time.monotonic()
        waited = phone.sync(hub, 700)
        self.assertEqual((waited.pulled, waited.log_size), (0, size))
        self.assertGreaterEqual(time.monotonic() - started, 0.6)
        self.assertEqual(phone.verify_ledger().events, size)

        # The QR worked once.
        with self.assertRaises(az.AzukariError.HubRefused) as refused:
            az.Facility.join(ENROLL_QR, os.path.join(directory, "second.azukari"), MemoryVault(), hub)
        self.assertEqual(refused.exception.code, "used_token")
        self.assertIn("使用済み", refused.exception.text)

        # Offline: unreachable, nothing lost.
        offline = UrllibConnection(f"http://127.0.0.1:{closed_port()}")
        with self.assertRaises(az.AzukariError.HubUnreachable):
            phone.sync(offline, 0)
        self.assertEqual(phone.verify_ledger().events, size)

    def test_a_damaged_qr_says_what_is_wrong(self):
        with self.assertRaises(az.AzukariError.HubRefused) as refused:
            az.read_enrollment_qr("https://example.com/?token=x")
        self.assertIn("enrollment QR", refused.exception.text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
