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
import uniffi.azukari_ffi.AzukariException
import uniffi.azukari_ffi.Facility
import uniffi.azukari_ffi.readEnrollmentQr

/** Records what an OkHttp call did, to prove a refused certificate stops it before any request is written. */
class CallTrace : EventListener() {
    val events = Collections.synchronizedList(mutableListOf<String>())
    override fun secureConnectStart(call: Call) { events += "secureConnectStart" }
    override fun secureConnectEnd(call: Call, handshake: Handshake?) { events += "secureConnectEnd" }
    override fun requestHeadersStart(call: Call) { events += "requestHeadersStart" }
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
        val qr = readEnrollmentQr(qrText)
        assertTrue(qr.hubUrl.startsWith("https://"))
        val pin = qr.certSha256
        assertNotNull("an HTTPS hub's QR carries its certificate's fingerprint", pin)
        pin!!
        val dir = Files.createTempDirectory("azukari-hub-android").toFile()
        try {
            // A pin that is not the hub's certificate: the handshake fails, no request is written.
            val wrongPin = pin.map { if (it == '0') '1' else '0' }.joinToString("")
            val trace = CallTrace()
            val impostor = OkHttpHubConnection.create(qr.hubUrl, wrongPin, trace)
            try {
                Facility.join(qrText, File(dir, "refused.azukari").path, MemoryKeyVault(), impostor)
                fail("a hub whose certificate is not the pinned one is refused")
            } catch (e: AzukariException.HubUnreachable) {
                assertTrue(e.text, e.text.contains("enrollment QR") || e.text.contains("登録用QR"))
            }
            assertTrue(trace.events.toString(), "secureConnectStart" in trace.events)
            assertFalse(trace.events.toString(), "secureConnectEnd" in trace.events)
            assertFalse(trace.events.toString(), "requestHeadersStart" in trace.events)
            assertFalse(File(dir, "refused.azukari").exists())

            // The same one-time QR still works: the hub never saw the refused attempt.
            val trace2 = CallTrace()
            val hub = OkHttpHubConnection.forEnrollment(qr, trace2)
            val phone = Facility.join(qrText, File(dir, "phone.azukari").path, MemoryKeyVault(), hub)
            val summary = phone.sync(hub, 0u)
            val size = hubSize(qr.hubUrl, pin)
            assertTrue("the phone pulled the demo facility's week", summary.pulled > 0u)
            assertEquals(size, summary.logSize.toLong())
            assertEquals(emptyList<String>(), phone.syncAlarms())
            assertEquals(size, phone.verifyLedger().events.toLong())
            assertTrue("secureConnectEnd" in trace2.events)

            // Used once, the QR is refused by the hub (an answer, so HubRefused, not Unreachable).
            try {
                Facility.join(qrText, File(dir, "second.azukari").path, MemoryKeyVault(), hub)
                fail("the QR works once")
            } catch (e: AzukariException.HubRefused) {
                assertEquals("used_token", e.code)
            }
            phone.lock()
        } finally {
            dir.deleteRecursively()
        }
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

    /** The size of the hub's log, from its /healthz, read over the same pinned TLS. */
    private fun hubSize(hubUrl: String, pin: String): Long {
        val trust = PinnedCertificate(pin)
        val context = javax.net.ssl.SSLContext.getInstance("TLS").apply { init(null, arrayOf(trust), null) }
        val client = okhttp3.OkHttpClient.Builder()
            .sslSocketFactory(context.socketFactory, trust)
            .hostnameVerifier { _, session -> trust.matches(session) }
            .build()
        val request = okhttp3.Request.Builder().url(hubUrl.trimEnd('/') + "/healthz").build()
        val body = client.newCall(request).execute().use { it.body.string() }
        return Regex("\"size\"\\s*:\\s*(\\d+)").find(body)!!.groupValues[1].toLong()
    }
}
