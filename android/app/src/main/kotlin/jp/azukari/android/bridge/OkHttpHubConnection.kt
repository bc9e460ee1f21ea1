package jp.azukari.android.bridge

import java.io.IOException
import java.net.InetAddress
import java.security.MessageDigest
import java.security.cert.CertificateException
import java.security.cert.X509Certificate
import java.util.concurrent.TimeUnit
import javax.net.ssl.SSLContext
import javax.net.ssl.SSLSession
import javax.net.ssl.X509TrustManager
import okhttp3.EventListener
import okhttp3.HttpUrl
import okhttp3.HttpUrl.Companion.toHttpUrl
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import okhttp3.MediaType.Companion.toMediaType
import uniffi.azukari_ffi.HttpHeader
import uniffi.azukari_ffi.HttpResponse
import uniffi.azukari_ffi.HubConnection
import uniffi.azukari_ffi.HubConnectionException

/**
 * The core's [HubConnection] over OkHttp: POST a JSON body to the hub, return the status and body.
 *
 * The hub's certificate is pinned to the SHA-256 fingerprint its enrollment QR carries: the fingerprint is of the
 * whole certificate (DER), which a facility hub makes for itself (`azukari-hub init`), so no public CA vouches for
 * it. A trust manager therefore accepts exactly that certificate and nothing else, during the TLS handshake, before
 * any byte of a request is written; OkHttp's `CertificatePinner` (which pins public-key hashes on top of CA
 * validation) cannot express this pin. Plain HTTP is allowed only to a loopback hub without a fingerprint
 * (development), as the core's QR reader says.
 *
 * Blocking: the core calls [post] on the thread that called `join` or `sync`, never the main thread.
 */
class OkHttpHubConnection private constructor(
    private val baseUrl: HttpUrl,
    private val client: OkHttpClient,
) : HubConnection {

    override fun post(path: String, headers: List<HttpHeader>, body: ByteArray): HttpResponse {
        val url = baseUrl.resolve(path.trimStart('/'))
            ?: throw HubConnectionException.Unreachable("bad path")
        val request = Request.Builder()
            .url(url)
            .post(body.toRequestBody(JSON))
            .apply { headers.forEach { header(it.name, it.value) } }
            .build()
        try {
            client.newCall(request).execute().use { response ->
                return HttpResponse(response.code.toUShort(), response.body.bytes())
            }
        } catch (e: IOException) {
            throw HubConnectionException.Unreachable(describe(e))
        }
    }

    companion object {
        private val JSON = "application/json".toMediaType()

        /**
         * A connection to [hubUrl] pinned to [certSha256] (64 hex digits, SHA-256 of the certificate's DER);
         * without a fingerprint only a loopback `http://` hub is accepted.
         */
        fun create(hubUrl: String, certSha256: String?, eventListener: EventListener? = null): OkHttpHubConnection {
            val url = hubUrl.trimEnd('/').plus("/").toHttpUrl()
            val builder = OkHttpClient.Builder()
                .connectTimeout(10, TimeUnit.SECONDS)
                // A pull may wait up to 30 s for news.
                .readTimeout(40, TimeUnit.SECONDS)
                .writeTimeout(20, TimeUnit.SECONDS)
                .callTimeout(50, TimeUnit.SECONDS)
                .retryOnConnectionFailure(false)
                .followRedirects(false)
                .followSslRedirects(false)
            eventListener?.let(builder::eventListener)
            if (certSha256 == null) {
                require(!url.isHttps && isLoopback(url.host)) {
                    "a hub without a pinned certificate must be a loopback http:// address"
                }
            } else {
                require(url.isHttps) { "a pinned hub is reached over https://" }
                val pin = PinnedCertificate(certSha256)
                val context = SSLContext.getInstance("TLS").apply { init(null, arrayOf(pin), null) }
                builder.sslSocketFactory(context.socketFactory, pin)
                    // The pin names the one certificate; its host names add nothing (a hub may be reached by
                    // address), but the session must still show that certificate.
                    .hostnameVerifier { _, session -> pin.matches(session) }
            }
            return OkHttpHubConnection(url, builder.build())
        }

        private fun isLoopback(host: String): Boolean =
            host == "localhost" || runCatching { InetAddress.getByName(host).isLoopbackAddress }.getOrDefault(false)

        private fun describe(e: IOException): String {
            var cause: Throwable? = e
            while (cause != null) {
                if (cause is PinMismatch) return cause.message ?: "certificate not pinned"
                cause = cause.cause
            }
            return e.javaClass.simpleName + (e.message?.let { ": $it" } ?: "")
        }
    }
}

/** The hub's certificate is not the one its enrollment QR named (the platform's words for the core's message). */
class PinMismatch : CertificateException("the hub's certificate is not the one its enrollment QR names")

/** Trusts exactly the certificate whose DER has the SHA-256 [fingerprint]. */
class PinnedCertificate(fingerprint: String) : X509TrustManager {
    private val expected: ByteArray = run {
        val hex = fingerprint.trim().lowercase()
        require(hex.length == 64 && hex.all { it in '0'..'9' || it in 'a'..'f' }) {
            "a certificate fingerprint is 64 hex digits"
        }
        ByteArray(32) { hex.substring(2 * it, 2 * it + 2).toInt(16).toByte() }
    }

    override fun checkServerTrusted(chain: Array<out X509Certificate>?, authType: String?) {
        val leaf = chain?.firstOrNull() ?: throw PinMismatch()
        if (!MessageDigest.isEqual(sha256(leaf.encoded), expected)) throw PinMismatch()
        leaf.checkValidity()
    }

    override fun checkClientTrusted(chain: Array<out X509Certificate>?, authType: String?) =
        throw CertificateException("no client certificates")

    override fun getAcceptedIssuers(): Array<X509Certificate> = emptyArray()

    fun matches(session: SSLSession): Boolean {
        val leaf = session.peerCertificates.firstOrNull() ?: return false
        return MessageDigest.isEqual(sha256(leaf.encoded), expected)
    }

    private fun sha256(bytes: ByteArray): ByteArray = MessageDigest.getInstance("SHA-256").digest(bytes)
}
