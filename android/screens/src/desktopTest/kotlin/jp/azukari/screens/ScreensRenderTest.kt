package jp.azukari.screens

import androidx.compose.ui.unit.Density
import java.io.File
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test
import uniffi.azukari_core.AppEvent
import uniffi.azukari_core.AppView
import uniffi.azukari_core.Language
import uniffi.azukari_core.PlatformRequest
import uniffi.azukari_core.ScreenKind
import uniffi.azukari_ffi.AzukariApp
import jp.azukari.testing.TestFacility

/**
 * Every screen of the app, as the real core builds it, rendered headless to PNG in Japanese and English at phone
 * and tablet sizes: target/screens/android/<language>/<device>/<nn>-<screen>.png.
 */
class ScreensRenderTest {
    private lateinit var facility: TestFacility
    private lateinit var app: AzukariApp
    private var view: AppView? = null

    @Before
    fun setUp() {
        facility = TestFacility()
        app = facility.app
    }

    @After
    fun tearDown() {
        facility.close()
    }

    private data class Device(val name: String, val widthPx: Int, val heightPx: Int, val density: Float, val fontScale: Float = 1f)

    private val devices = listOf(
        Device("phone", 1080, 2340, 2.625f), // 411 × 891 dp
        Device("tablet", 2560, 1600, 2f), // 1280 × 800 dp
        // The largest system font size Android offers (200 %): text wraps, nothing is cut.
        Device("phone-font-200", 1080, 2340, 2.625f, fontScale = 2f),
    )

    @Test
    fun everyScreenInJapaneseAndEnglishAtPhoneAndTabletSizes() {
        val seen = mutableSetOf<ScreenKind>()
        for (language in listOf(Language.JA, Language.EN)) {
            var number = 0
            fun shoot(name: String = "") {
                val current = view ?: app.view()
                seen += current.screen
                number++
                val file = "%02d-%s%s.png".format(number, current.screen.name.lowercase(), if (name.isEmpty()) "" else "-$name")
                for (device in devices) {
                    val out = File(outDir(), "${language.name.lowercase()}/${device.name}/$file")
                    val image = renderPng(device.widthPx, device.heightPx, Density(device.density, device.fontScale), out) {
                        AppFrame(current, {})
                    }
                    val inked = (0 until image.width step 4).sumOf { x ->
                        (0 until image.height step 4).count { y -> luminance(image.getRGB(x, y)) < 110 }
                    }
                    assertTrue("$out has text on it", inked > 200)
                }
            }
            fun go(what: String, match: (AppEvent) -> Boolean) {
                view = app.dispatch(buttonFor(view ?: app.view(), what, match).event)
            }
            fun signIn(name: String) {
                view = app.dispatch(rowButtonFor(view ?: app.view(), name) { it is AppEvent.SignIn }.event)
            }

            view = app.view()
            // The language is chosen on the unlock (or sign-in) screen.
            go("language") { it == AppEvent.SetLanguage(language) }
            assertEquals(language, view!!.language)
            if (view!!.screen == ScreenKind.UNLOCK) {
                shoot()
                go("unlock") { it is AppEvent.UnlockWithVault }
            }
            shoot()
            facility.at(10, 0)
            signIn(TestFacility.DAY)
            shoot()

            // A checkout, step by step.
            go("scan") { it is AppEvent.ScanLabel }
            shoot("scan")
            view = app.dispatch(AppEvent.Scanned(facility.label))
            shoot("items")
            // One resident's card per language: the first is out by the time the second pass checks one out.
            val resident = if (language == Language.JA) TestFacility.HANA else TestFacility.ICHIRO
            view = app.dispatch(rowButtonFor(view!!, resident) { it is AppEvent.ChooseItem }.event)
            shoot("purpose")
            go("purpose") { it is AppEvent.ChoosePurpose && it.purpose.contains("MedicalVisit") }
            shoot("decision")
            go("check out") { it is AppEvent.CheckOut }
            shoot("done")

            // Every other screen, opened by whoever the core lets open it: the supervisor, else the administrator.
            val opened = mutableSetOf<ScreenKind>()
            for (who in listOf(TestFacility.SUPERVISOR, TestFacility.ADMIN)) {
                view = app.dispatch(AppEvent.Open(ScreenKind.SETTINGS))
                go("sign out") { it is AppEvent.SignOut }
                signIn(who)
                for (screen in ScreenKind.values()) {
                    if (screen in opened || screen in setOf(ScreenKind.UNLOCK, ScreenKind.SIGN_IN, ScreenKind.HANDOVER, ScreenKind.CONSENT)) continue
                    view = app.dispatch(AppEvent.Open(screen))
                    if (view!!.screen != screen) continue
                    opened += screen
                    shoot()
                    if (screen == ScreenKind.AGREEMENTS) {
                        go("open an agreement") { it is AppEvent.OpenConsent }
                        shoot()
                    }
                    view = app.dispatch(AppEvent.Open(ScreenKind.HOME))
                }
            }

            // The return: the card reader's prompt, another resident's card refused, the right one read.
            view = app.dispatch(AppEvent.Open(ScreenKind.SETTINGS))
            go("sign out") { it is AppEvent.SignOut }
            signIn(TestFacility.DAY)
            go("scan") { it is AppEvent.ScanLabel }
            view = app.dispatch(AppEvent.Scanned(facility.label))
            view = app.dispatch(rowButtonFor(view!!, resident) { it is AppEvent.ChooseItem }.event)
            if (view!!.request !is PlatformRequest.TapCard) go("tap the card") { it is AppEvent.TapCard }
            shoot("card")
            val (right, wrong) = if (resident == TestFacility.HANA) facility.hana to facility.ichiro else facility.ichiro to facility.hana
            view = app.presentCard(wrong)
            shoot("wrong-card")
            if (view!!.request !is PlatformRequest.TapCard) go("tap the card") { it is AppEvent.TapCard }
            view = app.presentCard(right)
            shoot("card-read")
            go("return") { it is AppEvent.ReturnItem }
            shoot("returned")

            // Locked again, for the next language's unlock screen.
            view = app.dispatch(AppEvent.Open(ScreenKind.SETTINGS))
            go("lock") { it is AppEvent.Lock }
            assertEquals(ScreenKind.UNLOCK, view!!.screen)
        }
        val missing = ScreenKind.values().toSet() - seen
        assertTrue("screens never rendered: $missing", missing.isEmpty())
    }
}
