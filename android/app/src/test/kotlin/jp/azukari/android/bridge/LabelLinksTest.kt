package jp.azukari.android.bridge

import android.content.Intent
import android.net.Uri
import java.io.File
import javax.xml.parsers.DocumentBuilderFactory
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.w3c.dom.Element
import jp.azukari.testing.TestFacility
import uniffi.azukari_core.AppEvent
import uniffi.azukari_core.NoticeKind
import uniffi.azukari_core.ScreenKind

@RunWith(RobolectricTestRunner::class)
class LabelLinksTest {
    private val hubHost = "hub.sakura-en.example.jp"

    @Test
    fun aLabelLinkOpenedWhileLockedLeadsToTheHandoverAtItsLockerOnceSomeoneSignsIn() {
        val facility = TestFacility()
        try {
            val url = facility.label
            assertTrue("the manifest's filter takes the core's label URL", manifestFilterMatches(Uri.parse(url), facility.label))
            val app = facility.app

            // The phone's camera app opens the link: the bridge hands the URL to the app as a scan.
            assertTrue(routeLabelLink(Intent(Intent.ACTION_VIEW, Uri.parse(url))) { app.dispatch(AppEvent.Scanned(it)) })
            assertEquals(ScreenKind.UNLOCK, app.view().screen)
            facility.step(TestFacility.button(app.view()) { it is AppEvent.UnlockWithVault })
            val view = facility.signIn(TestFacility.DAY)
            // The core decided where it goes: the handover, at the label's locker.
            assertEquals(ScreenKind.HANDOVER, view.screen)
            assertTrue(view.sections.flatMap { it.facts }.any { it.value.contains(TestFacility.LOCKER) })

            // A forged label reaches the core the same way, and the core refuses it.
            val forged = url.dropLast(3) + if (url.endsWith("AAA")) "BBB" else "AAA"
            assertTrue(routeLabelLink(Intent(Intent.ACTION_VIEW, Uri.parse(forged))) { app.dispatch(AppEvent.Scanned(it)) })
            assertTrue(app.view().notices.toString(), app.view().notices.any { it.kind == NoticeKind.ERROR })
        } finally {
            facility.close()
        }
    }

    @Test
    fun onlyLabelLinksAreHandedOn() {
        val none = LabelLinkSink { throw AssertionError("not a label link: $it") }
        assertFalse(routeLabelLink(null, none))
        assertFalse(routeLabelLink(Intent(Intent.ACTION_MAIN), none))
        assertFalse(routeLabelLink(Intent(Intent.ACTION_VIEW, Uri.parse("https://$hubHost/consent/abc")), none))
        assertFalse(routeLabelLink(Intent(Intent.ACTION_VIEW, Uri.parse("http://$hubHost/l/AQID")), none))
        assertFalse(routeLabelLink(Intent(Intent.ACTION_SEND, Uri.parse("https://$hubHost/l/AQID")), none))
        assertNull(LabelLinks.urlOf(Intent(Intent.ACTION_VIEW)))
    }

    /** Whether the label intent filter of app/src/main/AndroidManifest.xml (with the host placeholder set as the
     *  Gradle build sets it) takes [uri]. */
    private fun manifestFilterMatches(uri: Uri, label: String): Boolean {
        val hubHost = Uri.parse(label).host!!
        val manifest = File(System.getProperty("azukari.android.manifest") ?: "app/src/main/AndroidManifest.xml")
        val document = DocumentBuilderFactory.newInstance().apply { isNamespaceAware = true }
            .newDocumentBuilder().parse(manifest)
        val ns = "http://schemas.android.com/apk/res/android"
        val filters = document.getElementsByTagName("intent-filter")
        for (i in 0 until filters.length) {
            val filter = filters.item(i) as Element
            fun values(tag: String, attribute: String): List<String> {
                val nodes = filter.getElementsByTagName(tag)
                return (0 until nodes.length).mapNotNull {
                    (nodes.item(it) as Element).getAttributeNS(ns, attribute).takeIf(String::isNotEmpty)
                }.map { it.replace("\${azukariHubHost}", hubHost) }
            }
            if (Intent.ACTION_VIEW !in values("action", "name")) continue
            val categories = values("category", "name")
            if (Intent.CATEGORY_BROWSABLE !in categories || Intent.CATEGORY_DEFAULT !in categories) continue
            if (filter.getAttributeNS(ns, "autoVerify") != "true") continue
            val path = uri.encodedPath ?: ""
            if (uri.scheme in values("data", "scheme") && uri.host in values("data", "host") &&
                values("data", "pathPrefix").any { path.startsWith(it) }
            ) return true
        }
        return false
    }
}
