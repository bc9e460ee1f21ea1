package jp.azukari.screens

import androidx.compose.ui.semantics.SemanticsActions
import androidx.compose.ui.test.SemanticsNodeInteraction
import androidx.compose.ui.test.hasClickAction
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.junit4.createComposeRule
import androidx.compose.ui.test.onAllNodesWithText
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performScrollTo
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Rule
import org.junit.Test
import uniffi.azukari_core.AppEvent
import uniffi.azukari_core.AppView
import uniffi.azukari_core.NoticeKind
import uniffi.azukari_core.PlatformRequest
import uniffi.azukari_core.ScreenKind
import uniffi.azukari_ffi.AzukariApp
import uniffi.azukari_ffi.CardIoException
import uniffi.azukari_ffi.CardTransceiver
import jp.azukari.testing.TestFacility

/**
 * The Compose screens over the real core: a caregiver checks a card out and returns it, a night checkout waits for
 * a supervisor's approval — every step by clicking a button as drawn and reading what is drawn. The camera and
 * the card reader are played by the test, as the Android bridges play them on a phone (ScanQr → Scanned,
 * TapCard → presentCard).
 */
class AppWalkTest {
    @get:Rule
    val rule = createComposeRule()

    private lateinit var facility: TestFacility
    private lateinit var app: AzukariApp
    private lateinit var controller: AppController

    private val view: AppView get() = controller.view

    @Before
    fun setUp() {
        facility = TestFacility()
        app = facility.app
        // Steps run at once on the test's thread, so every click has its next view before the test goes on.
        controller = AppController(app.view(), app::dispatch, CoroutineScope(Dispatchers.Unconfined), Dispatchers.Unconfined)
        rule.setContent { AppFrame(controller.view, controller::send, controller.failure) }
    }

    @After
    fun tearDown() {
        if (::facility.isInitialized) facility.close()
    }

    @Test
    fun aCaregiverChecksACardOutAndReturnsItWithTheCard() {
        assertEquals(ScreenKind.UNLOCK, view.screen)
        assertDrawn(view)
        tap("unlock") { it is AppEvent.UnlockWithVault }
        assertEquals(ScreenKind.SIGN_IN, view.screen)

        facility.at(10, 0)
        signIn(TestFacility.DAY)
        assertEquals(ScreenKind.HOME, view.screen)

        // Check out: scan the locker's label, pick the resident's card, the purpose, check out.
        scanLocker()
        val checkoutLabel = tapInRow("choose Hana's card", TestFacility.HANA) { it is AppEvent.ChooseItem }
        tap("purpose: a clinic visit") { it is AppEvent.ChoosePurpose && it.purpose.contains("MedicalVisit") }
        tap("check out") { it is AppEvent.CheckOut }
        assertTrue(view.notices.none { it.kind == NoticeKind.ERROR })
        assertEquals(ScreenKind.HANDOVER, view.screen)

        // Return at 11:30: the same card's row now offers the return; the card must be tapped.
        facility.at(11, 30)
        home()
        scanLocker()
        val returnLabel = tapInRow("return Hana's card", TestFacility.HANA) { it is AppEvent.ChooseItem }
        assertNotEquals("the row's action changed after the checkout", checkoutLabel, returnLabel)
        if (view.request !is PlatformRequest.TapCard) tap("tap the card") { it is AppEvent.TapCard }
        var asked = view.request
        assertTrue("the view asks for the card: $asked", asked is PlatformRequest.TapCard)
        drawn((asked as PlatformRequest.TapCard).prompt)
        // The reader can be closed with its drawn cancel button, and opened again.
        click(rule.onNode(hasText(asked.cancel) and hasClickAction()))
        assertEquals(null, view.request)
        assertDrawn(view)
        tap("tap the card") { it is AppEvent.TapCard }
        asked = view.request
        assertTrue("the view asks for the card again: $asked", asked is PlatformRequest.TapCard)

        // The card moved away mid-read: the request stays open and the view says to hold it still.
        presentCard(MovesAwayAfter(facility.hana, 4))
        assertTrue(view.request is PlatformRequest.TapCard)
        assertTrue(view.notices.isNotEmpty())
        // Another resident's card is refused, with the reason drawn.
        presentCard(facility.ichiro)
        assertTrue(view.notices.any { it.kind == NoticeKind.ERROR })
        if (view.request !is PlatformRequest.TapCard) tap("tap the card again") { it is AppEvent.TapCard }
        // The right card: the return can be recorded.
        presentCard(facility.hana)
        assertTrue(view.notices.none { it.kind == NoticeKind.ERROR })
        tap("record the return") { it is AppEvent.ReturnItem }
        assertTrue(view.notices.none { it.kind == NoticeKind.ERROR })

        // The card is back: scanning again offers the checkout once more.
        home()
        scanLocker()
        assertEquals(checkoutLabel, rowButtonFor(view, TestFacility.HANA) { it is AppEvent.ChooseItem }.label)
    }

    @Test
    fun aNightCheckoutWaitsForASupervisorsApproval() {
        tap("unlock") { it is AppEvent.UnlockWithVault }
        facility.at(22, 15)
        signIn(TestFacility.NIGHT)
        scanLocker()
        tapInRow("choose Ichiro's card", TestFacility.ICHIRO) { it is AppEvent.ChooseItem }
        tap("purpose: a clinic visit") { it is AppEvent.ChoosePurpose && it.purpose.contains("MedicalVisit") }
        // At night the rules want a supervisor: no checkout button, a request instead.
        assertTrue(buttonsOf(view).none { it.event is AppEvent.CheckOut && it.enabled })
        tap("ask for approval") { it is AppEvent.RequestApproval }

        signOut()
        signIn(TestFacility.SUPERVISOR)
        tap("open the approvals") { it == AppEvent.Open(ScreenKind.APPROVALS) }
        assertEquals(ScreenKind.APPROVALS, view.screen)
        drawn(TestFacility.NIGHT)
        tap("approve") { it is AppEvent.Approve }
        assertTrue(buttonsOf(view).none { it.event is AppEvent.Approve })

        signOut()
        signIn(TestFacility.NIGHT)
        // The home screen tells the requester the answer came, and where to pick the request up.
        assertTrue(view.notices.isNotEmpty())
        tap("open my requests") { it == AppEvent.Open(ScreenKind.MY_REQUESTS) }
        drawn(TestFacility.ICHIRO)
        tap("open the approved request") { it is AppEvent.ResumeRequest }
        // Opened where it stands: approved, so the checkout is offered (asking again only if still waiting).
        if (buttonsOf(view).none { it.event is AppEvent.CheckOut }) tap("check the answer") { it is AppEvent.CheckApproval }
        tap("check out") { it is AppEvent.CheckOut }
        assertTrue(view.notices.none { it.kind == NoticeKind.ERROR })
    }

    // --- what a person does -------------------------------------------------------------------------------

    /** Click the drawn button whose event matches [match]; returns its label. Asserts the next view is drawn. */
    private fun tap(what: String, match: (AppEvent) -> Boolean): String = tapButton(what, buttonFor(view, what, match))

    /** Click the button matching [match] in the row titled with [title]. */
    private fun tapInRow(what: String, title: String, match: (AppEvent) -> Boolean): String =
        tapButton(what, rowButtonFor(view, title, match))

    private fun tapButton(what: String, target: uniffi.azukari_core.Button): String {
        val before = view
        // Buttons with the same label ("開く" on every tile): the n-th drawn is the n-th in the view.
        val all = buttonsOf(before)
        val index = all.subList(0, all.indexOf(target)).count { it.label == target.label }
        val nodes = rule.onAllNodes(hasText(target.label) and hasClickAction())
        val count = nodes.fetchSemanticsNodes().size
        assertTrue("$what: ${count} drawn buttons say \"${target.label}\", need ${index + 1}", count > index)
        click(nodes[index])
        assertDrawn(view)
        return target.label
    }

    private fun click(node: SemanticsNodeInteraction) {
        // Buttons in the page scroll into view first; the top bar's back button is always in view.
        val inScroll = generateSequence(node.fetchSemanticsNode().parent) { it.parent }
            .any { SemanticsActions.ScrollBy in it.config }
        if (inScroll) node.performScrollTo()
        node.performClick()
        rule.waitForIdle()
    }

    private fun signIn(who: String) = tapInRow("sign in as $who", who) { it is AppEvent.SignIn }

    private fun signOut() {
        home()
        if (buttonsOf(view).none { it.event is AppEvent.SignOut }) tap("settings") { it == AppEvent.Open(ScreenKind.SETTINGS) }
        tap("sign out") { it is AppEvent.SignOut }
        assertEquals(ScreenKind.SIGN_IN, view.screen)
    }

    private fun home() {
        var steps = 0
        while (view.screen != ScreenKind.HOME && steps++ < 5) {
            val home = buttonsOf(view).firstOrNull { it.event == AppEvent.Open(ScreenKind.HOME) }
            if (home != null) tap("home") { it == AppEvent.Open(ScreenKind.HOME) } else tap("back") { it is AppEvent.Back }
        }
        assertEquals(ScreenKind.HOME, view.screen)
    }

    /** Tap "scan the label", then be the camera: the label's text goes back as `Scanned`. */
    private fun scanLocker() {
        tap("scan a locker label") { it is AppEvent.ScanLabel }
        val asked = view.request
        assertTrue("the view asks for the camera: $asked", asked is PlatformRequest.ScanQr)
        drawn((asked as PlatformRequest.ScanQr).prompt)
        controller.send(AppEvent.Scanned(facility.label))
        rule.waitForIdle()
        assertEquals(ScreenKind.HANDOVER, view.screen)
        assertDrawn(view)
    }

    /** Be the card reader: hand the card to the app, as the NFC bridge does. */
    private fun presentCard(card: CardTransceiver) {
        controller.step { app.presentCard(card) }
        rule.waitForIdle()
        assertDrawn(view)
    }

    // --- what a person reads ------------------------------------------------------------------------------

    private fun drawn(text: String) {
        val found = rule.onAllNodesWithText(text, substring = true, useUnmergedTree = true).fetchSemanticsNodes()
        assertTrue("\"$text\" is drawn on ${view.screen}", found.isNotEmpty())
    }

    /** Everything the view says is on the screen, and everything tappable is at least 48 dp each way. */
    private fun assertDrawn(view: AppView) {
        textsOf(view).filter { it.isNotBlank() }.forEach(::drawn)
        val density = rule.density.density
        for (node in rule.onAllNodes(hasClickAction()).fetchSemanticsNodes()) {
            // The laid-out size (boundsInRoot is cut by the scroll viewport).
            val widthDp = node.size.width / density
            val heightDp = node.size.height / density
            assertTrue(
                "a tap target of ${widthDp}x${heightDp} dp on ${view.screen}: ${node.config}",
                widthDp >= MinTouchTarget.value - 0.5f && heightDp >= MinTouchTarget.value - 0.5f,
            )
        }
    }
}

/** A card that leaves the field after [answers] answers (Android's TagLostException, as the bridge maps it). */
class MovesAwayAfter(private val card: CardTransceiver, private val answers: Int) : CardTransceiver {
    private var count = 0
    override fun transceive(apdu: ByteArray): ByteArray {
        if (count++ >= answers) throw CardIoException.TagLost()
        return card.transceive(apdu)
    }
}
