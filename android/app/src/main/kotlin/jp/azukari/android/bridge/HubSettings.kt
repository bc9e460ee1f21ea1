package jp.azukari.android.bridge

import java.io.File
import java.util.Properties
import uniffi.azukari_ffi.HubConnection

/**
 * Where this device's hub is and which certificate it pinned, kept in the app's private storage when the core
 * asks to join one (`PlatformRequest.JoinHub`): the connection every later sync goes through.
 */
class HubSettings(private val file: File) {
    /** Remember the hub of a `JoinHub` request and return the pinned connection to join it through. */
    fun join(hubUrl: String, certSha256: String?): HubConnection {
        val connection = OkHttpHubConnection.create(hubUrl, certSha256)
        save(hubUrl, certSha256)
        return connection
    }

    private fun save(hubUrl: String, certSha256: String?) {
        val properties = Properties()
        properties.setProperty(URL, hubUrl)
        certSha256?.let { properties.setProperty(PIN, it) }
        file.parentFile?.mkdirs()
        val partial = File(file.path + ".partial")
        partial.outputStream().use { properties.store(it, null) }
        check(partial.renameTo(file)) { "cannot save the hub settings" }
    }

    /** The pinned connection to the hub, or null before the device joined one. */
    fun connection(): HubConnection? {
        if (!file.exists()) return null
        val properties = Properties().apply { file.inputStream().use { load(it) } }
        val url = properties.getProperty(URL) ?: return null
        return OkHttpHubConnection.create(url, properties.getProperty(PIN))
    }

    private companion object {
        const val URL = "hub.url"
        const val PIN = "hub.cert.sha256"
    }
}
