package jp.azukari.android.bridge

import java.io.File
import java.nio.file.Files
import java.util.Collections
import okhttp3.Call
import okhttp3.EventListener
import okhttp3.Handshake
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Assume.assumeTrue
import org.junit.Test
import jp.azukari.testing.MemoryKeyVault
import jp.azukari.testing.TestFacility
import uniffi.azukari_core.AppEvent
import uniffi.azukari_core.NoticeKind
import uniffi.azukari_core.PlatformRequest
import uniffi.azukari_core.ScreenKind
import uniffi.azukari_ffi.AzukariApp

/** Records what an OkHttp call did, to prove a refused certificate stops it before any request is written. */
class CallTrace : EventListener() {
    val events = Collections.synchronizedList(mutableListOf<String>())
    val paths = Collections.synchronizedList(mutableListOf<String>())
    override fun secureConnectStart(call: Call) { events += "secureConnectStart" }
    override fun secureConnectEnd(call: Call, handshake: Handshake?) { events += "secureConnectEnd" }
    override fun requestHeadersStart(call: Call) {
        events += "requestHeadersStart"
        paths += call.request().url.encodedPath
    }
    override fun requestBodyStart(call: Call) { events += "requestBodyStart" }
    override fun responseHeadersEnd(call: Call, response: okhttp3.Response) { events += "response ${response.code}" }
}

/**
 * The OkHttp HubConnection against the served demo hub over HTTPS (scripts/android-test serves it with a
 * self-signed certificate and issues a one-time enrollment QR carrying that certificate's fingerprint).
 * Plain JVM: OkHttp needs no Android framework.
 */
class OkHttpHubConnectionTest {
    private val qrText = System.getenv("AZUKARI_ENROLL_QR_HTTPS") ?: ""

    @Test
    fun aWrongPinIsRefusedBeforeAnyRequestThenThePinnedHubIsJoinedAndSynced() {
        assumeTrue("set AZUKARI_ENROLL_QR_HTTPS (scripts/android-test serves a hub)", qrText.isNotEmpty())
        val dir = Files.createTempDirectory("azukari-hub-android").toFile()
        try {
            val store = File(dir, "phone.azukari")
            val app = AzukariApp(store.path, MemoryKeyVault(), "localhost")
            val join = askToJoin(app)
            assertTrue(join.hubUrl.startsWith("https://"))
            val pin = join.certSha256
            assertNotNull("an HTTPS hub's QR carries its certificate's fingerprint", pin)

            // A pin that is not the hub's certificate: the handshake fails, no request is written, nothing made.
            val wrongPin = pin!!.map { if (it == '0') '1' else '0' }.joinToString("")
            val trace = CallTrace()
            val refused = app.join(OkHttpHubConnection.create(join.hubUrl, wrongPin, trace))
            assertTrue(refused.notices.toString(), refused.notices.any { it.kind == NoticeKind.ERROR })
            assertTrue(trace.events.toString(), "secureConnectStart" in trace.events)
            assertFalse(trace.events.toString(), "secureConnectEnd" in trace.events)
            assertFalse(trace.events.toString(), "requestHeadersStart" in trace.events)
            assertFalse("no store was created", store.exists())

            // The same one-time QR still works: the hub never saw the refused attempt.
            val again = askToJoin(app)
            val trace2 = CallTrace()
            val hub = OkHttpHubConnection.create(again.hubUrl, again.certSha256, trace2)
            val joined = app.join(hub)
            assertTrue(joined.notices.toString(), joined.notices.none { it.kind == NoticeKind.ERROR })
            assertTrue("secureConnectEnd" in trace2.events)
            assertTrue(store.exists())
            assertTrue(joined.request is PlatformRequest.SyncNow)
            val synced = app.sync(hub)
            assertTrue(synced.notices.toString(), synced.notices.none { it.kind == NoticeKind.ERROR })
            assertEquals(ScreenKind.SIGN_IN, synced.screen)
            assertTrue("the demo facility's staff came with the sync", synced.sections.any { it.rows.isNotEmpty() })
            assertTrue(trace2.paths.toString(), trace2.paths.containsAll(listOf("/v1/enroll", "/v1/pull")))

            // Used once, the QR is refused by the hub: another phone cannot join with it.
            val other = AzukariApp(File(dir, "other.azukari").path, MemoryKeyVault(), "localhost")
            val otherJoin = askToJoin(other)
            val used = other.join(OkHttpHubConnection.create(otherJoin.hubUrl, otherJoin.certSha256))
            assertTrue(used.notices.toString(), used.notices.any { it.kind == NoticeKind.ERROR })
            assertFalse(File(dir, "other.azukari").exists())
        } finally {
            dir.deleteRecursively()
        }
    }

    /** On a new phone's first screen: tap to scan, and be the camera reading the enrollment QR. */
    private fun askToJoin(app: AzukariApp): PlatformRequest.JoinHub {
        val scanning = app.dispatch(TestFacility.button(app.view()) { it is AppEvent.ScanLabel })
        assertTrue(scanning.request is PlatformRequest.ScanQr)
        val view = app.dispatch(AppEvent.Scanned(qrText))
        return view.request as? PlatformRequest.JoinHub ?: throw AssertionError("no JoinHub: ${view.request} ${view.notices}")
    }

    @Test
    fun withoutAPinOnlyALoopbackHttpHubIsAccepted() {
        OkHttpHubConnection.create("http://127.0.0.1:9", null)
        OkHttpHubConnection.create("http://localhost:9/", null)
        for (url in listOf("http://192.0.2.1:8443", "https://127.0.0.1:8443", "http://hub.example.jp")) {
            try {
                OkHttpHubConnection.create(url, null)
                fail("$url without a pin")
            } catch (_: IllegalArgumentException) {
            }
        }
        try {
            OkHttpHubConnection.create("http://127.0.0.1:9", "00".repeat(32))
            fail("a pinned hub is https")
        } catch (_: IllegalArgumentException) {
        }
        try {
            OkHttpHubConnection.create("https://127.0.0.1:9", "not hex")
            fail("a pin is 64 hex digits")
        } catch (_: IllegalArgumentException) {
        }
    }

    @Test
    fun noAnswerIsUnreachable() {
        val port = java.net.ServerSocket(0).use { it.localPort }
        val connection = OkHttpHubConnection.create("http://127.0.0.1:$port", null)
        try {
            connection.post("/v1/pull", emptyList(), "{}".toByteArray())
            fail("nothing listens there")
        } catch (e: uniffi.azukari_ffi.HubConnectionException.Unreachable) {
            assertTrue(e.detail.isNotEmpty())
        }
    }
}
