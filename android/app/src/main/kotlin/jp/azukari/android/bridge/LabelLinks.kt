package jp.azukari.android.bridge

import android.content.Intent

/**
 * The label deep link: a locker label's QR code is `https://<hub host>/l/<payload>`, and the phone's camera opens
 * the app with it (AndroidManifest.xml). This only takes the URL out of the intent; the core parses and verifies
 * it and decides which screen shows it.
 */
object LabelLinks {
    /** The label URL an intent carries, or null when it is not a label link. */
    fun urlOf(intent: Intent?): String? {
        if (intent?.action != Intent.ACTION_VIEW) return null
        val uri = intent.data ?: return null
        if (uri.scheme != "https" || uri.host.isNullOrEmpty()) return null
        if (uri.encodedPath?.startsWith(LABEL_PATH) != true) return null
        return uri.toString()
    }

    /** The path of label URLs on the hub (core/src/qr/payload.rs `LABEL_URL_PATH`). */
    const val LABEL_PATH = "/l/"
}

/** Where a label link goes: the app (`App`), which decides the screen. */
fun interface LabelLinkSink {
    fun openLabel(url: String)
}

/** Hands the label URL of [intent], if any, to [sink]; true when it did. */
fun routeLabelLink(intent: Intent?, sink: LabelLinkSink): Boolean {
    val url = LabelLinks.urlOf(intent) ?: return false
    sink.openLabel(url)
    return true
}
