"""A phone joins a served hub and syncs, through the app state machine in the Python bindings and real HTTP.

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
import threading
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.environ.get("AZUKARI_FFI_PYTHON", ""))

import azukari_core as core  # noqa: E402
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
        scratch = tempfile.TemporaryDirectory()
        self.addCleanup(scratch.cleanup)
        self.directory = scratch.name

    def new_app(self, name):
        return az.AzukariApp(os.path.join(self.directory, name), MemoryVault(), "hub.test")

    def scan_qr(self, app, text):
        """Tap the join screen's scan button, then hand the camera's text back."""
        view = app.view()
        self.assertEqual(view.screen, core.ScreenKind.UNLOCK)
        scan = next(b for s in view.sections for b in s.buttons if b.event.is_SCAN_LABEL())
        self.assertTrue(app.dispatch(scan.event).request.is_SCAN_QR())
        return app.dispatch(core.AppEvent.SCANNED(text))

    def test_a_phone_joins_with_the_qr_syncs_the_whole_ledger_and_cannot_reuse_the_qr(self):
        phone = self.new_app("phone.azukari")
        self.assertEqual(phone.view().title, "施設に参加")
        view = self.scan_qr(phone, ENROLL_QR)
        request = view.request
        self.assertTrue(request.is_JOIN_HUB())
        self.assertEqual(request.hub_url.rstrip("/"), HUB_URL.rstrip("/"))
        self.assertIsNone(request.cert_sha256, "a loopback hub has no certificate to pin")

        hub = UrllibConnection(request.hub_url)
        view = phone.join(hub)
        self.assertEqual(view.screen, core.ScreenKind.SIGN_IN)
        self.assertTrue(view.request.is_SYNC_NOW(), "the first sync follows the join")
        view = phone.sync(hub)
        self.assertIsNone(view.request)
        size = hub_size()
        staff = [row.title for s in view.sections for row in s.rows]
        self.assertIn("主任 花子", staff, "the demo facility's staff arrived with the ledger")

        # Every push and pull was signed by the phone; the enrollment carried the token instead.
        signed = [names for path, names in hub.requests if path in ("/v1/push", "/v1/pull")]
        self.assertTrue(signed)
        for names in signed:
            self.assertEqual(names, {"azukari-device", "azukari-time", "azukari-signature"})

        # The sync screen shows the verified size of the hub's log and no alarm.
        sign_in = next(b for s in view.sections for r in s.rows if r.title == "主任 花子" for b in r.buttons)
        phone.dispatch(sign_in.event)
        view = phone.dispatch(core.AppEvent.OPEN(core.ScreenKind.SYNC))
        facts = {f.label: f.value for s in view.sections for f in s.facts}
        self.assertEqual(facts["ハブの記録（検証済み）"], f"{size}件")
        self.assertEqual([r.title for r in view.sections[1].rows], [])

        # A long poll with nothing new waits, then answers with nothing; meanwhile the app still draws at once.
        waited = {}

        def wait():
            started = time.monotonic()
            waited["view"] = phone.wait_and_sync(hub, 1500)
            waited["seconds"] = time.monotonic() - started

        waiter = threading.Thread(target=wait)
        waiter.start()
        time.sleep(0.3)
        started = time.monotonic()
        phone.view()
        drawn_in = time.monotonic() - started
        waiter.join()
        self.assertGreaterEqual(waited["seconds"], 1.2)
        self.assertLess(drawn_in, waited["seconds"] / 2, "the view is drawn while the pull waits")

        # The QR worked once: a second device is told to show a new one.
        second = self.new_app("second.azukari")
        view = second.join(hub) if self.scan_qr(second, ENROLL_QR).request is not None else second.view()
        self.assertEqual(view.screen, core.ScreenKind.UNLOCK)
        self.assertTrue(any("使用済み" in n.text for n in view.notices), view.notices)
        self.assertFalse(os.path.exists(os.path.join(self.directory, "second.azukari")))

        # Offline: the sync screen says so, nothing is lost, no exception.
        offline = UrllibConnection(f"http://127.0.0.1:{closed_port()}")
        view = phone.sync(offline)
        self.assertTrue(any("接続できません" in n.text for n in view.notices), view.notices)
        view = phone.sync(hub)
        self.assertEqual([n.text for n in view.notices if n.kind == core.NoticeKind.ERROR], [])

    def test_a_damaged_qr_says_what_is_wrong(self):
        app = self.new_app("damaged.azukari")
        view = self.scan_qr(app, "https://example.com/?token=x")
        self.assertIsNone(view.request)
        self.assertTrue(any("登録用のQRではありません" in n.text for n in view.notices), view.notices)


if __name__ == "__main__":
    unittest.main(verbosity=2)
