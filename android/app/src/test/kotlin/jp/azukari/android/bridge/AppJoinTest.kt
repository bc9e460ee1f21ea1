package jp.azukari.android.bridge

import java.io.File
import java.nio.file.Files
import java.security.Security
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Assume.assumeTrue
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import uniffi.azukari_core.AppEvent
import uniffi.azukari_core.AppView
import uniffi.azukari_core.NoticeKind
import uniffi.azukari_core.PlatformRequest
import uniffi.azukari_core.ScreenKind
import uniffi.azukari_ffi.AzukariApp

/**
 * A new phone joins the served demo hub the way the app does it, with the app's own bridges: the core's unlock
 * screen offers to scan the enrollment QR, the camera's text goes back as `Scanned`, the core asks to `JoinHub`,
 * the shell connects with the pinned OkHttp connection (kept in HubSettings), the store is created under the
 * Android Keystore vault, and the sync the core then asks for pulls the facility over HTTPS.
 */
@RunWith(RobolectricTestRunner::class)
class AppJoinTest {
    private val qrText = System.getenv("AZUKARI_ENROLL_QR_APP") ?: ""
    private lateinit var dir: File

    @Before
    fun setUp() {
        TestAndroidKeyStore.reset()
        Security.insertProviderAt(TestAndroidKeyStore(), 1)
        dir = Files.createTempDirectory("azukari-join").toFile()
    }

    @After
    fun tearDown() {
        Security.removeProvider("AndroidKeyStore")
        dir.deleteRecursively()
    }

    @Test
    fun aNewPhoneJoinsTheHubThroughTheAppAndSyncs() {
        assumeTrue("set AZUKARI_ENROLL_QR_APP (scripts/android-test serves a hub)", qrText.isNotEmpty())
        val vault = KeystoreKeyVault(hasStrongBox = true)
        val app = AzukariApp(File(dir, "facility.azukari").path, vault, "localhost")
        val settings = HubSettings(File(dir, "hub.properties"))
        var view = app.view()
        assertEquals(ScreenKind.UNLOCK, view.screen)
        assertEquals(null, settings.connection())

        view = app.dispatch(button(view) { it is AppEvent.ScanLabel })
        assertTrue(view.request is PlatformRequest.ScanQr)
        view = app.dispatch(AppEvent.Scanned(qrText))
        val join = view.request as? PlatformRequest.JoinHub ?: throw AssertionError("no JoinHub: ${view.request} ${view.notices}")
        assertTrue(join.hubUrl.startsWith("https://"))
        assertNotNull(join.certSha256)

        view = app.join(settings.join(join.hubUrl, join.certSha256))
        assertTrue(view.notices.toString(), view.notices.none { it.kind == NoticeKind.ERROR })
        assertEquals("the store's data key is wrapped by the Keystore key", 1, TestAndroidKeyStore.keys.size)
        assertTrue("the core asks for the first sync: ${view.request}", view.request is PlatformRequest.SyncNow)

        view = app.sync(settings.connection()!!)
        assertTrue(view.notices.toString(), view.notices.none { it.kind == NoticeKind.ERROR })
        assertEquals(ScreenKind.SIGN_IN, view.screen)
        assertTrue("the facility's staff came with the sync", view.sections.any { it.rows.isNotEmpty() })
    }

    private fun button(view: AppView, match: (AppEvent) -> Boolean): AppEvent =
        (listOfNotNull(view.back) + view.sections.flatMap { s -> s.rows.flatMap { it.buttons } + s.buttons })
            .first { it.enabled && match(it.event) }.event
}
