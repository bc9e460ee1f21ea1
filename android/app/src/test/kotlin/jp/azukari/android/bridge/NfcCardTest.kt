package jp.azukari.android.bridge

import android.app.Activity
import android.content.pm.PackageManager
import android.nfc.NfcAdapter
import android.nfc.Tag
import android.nfc.TagLostException
import android.nfc.tech.IsoDep
import android.nfc.tech.TagTechnology
import android.os.Bundle
import java.io.IOException
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.annotation.Implementation
import org.robolectric.annotation.Implements
import org.robolectric.shadows.ShadowIsoDep
import org.robolectric.shadows.ShadowNfcAdapter
import org.robolectric.util.ReflectionHelpers
import org.robolectric.util.ReflectionHelpers.ClassParameter
import jp.azukari.testing.SoftwareMyNumberCard
import jp.azukari.testing.TestFacility
import uniffi.azukari_core.NoticeKind
import uniffi.azukari_core.PlatformRequest
import uniffi.azukari_ffi.CardIoException
import uniffi.azukari_ffi.CardTransceiver

/** What the card held to the (shadow) phone does: answer as [card], leave the field after [leaveAfter] answers,
 *  or stall for [stallMs] and fail as Android does when a command times out. */
object CardInField {
    var card: SoftwareMyNumberCard? = null
    var leaveAfter: Int = Int.MAX_VALUE
    var stallMs: Long = 0
    var answered = 0

    fun reset() {
        card = null
        leaveAfter = Int.MAX_VALUE
        stallMs = 0
        answered = 0
    }
}

/** Robolectric's IsoDep answering the APDUs of DOMAIN.md from [CardInField] instead of canned responses. */
@Implements(IsoDep::class)
class ShadowCardIsoDep : ShadowIsoDep() {
    @Implementation
    public override fun transceive(data: ByteArray): ByteArray {
        if (CardInField.stallMs > 0) {
            Thread.sleep(CardInField.stallMs)
            throw IOException("Transceive failed")
        }
        val card = CardInField.card ?: throw TagLostException("Tag was lost.")
        if (CardInField.answered >= CardInField.leaveAfter) throw TagLostException("Tag was lost.")
        CardInField.answered++
        return card.answer(data)
    }
}

@RunWith(RobolectricTestRunner::class)
@Config(shadows = [ShadowCardIsoDep::class])
class NfcCardTest {
    private lateinit var facility: TestFacility

    @Before
    fun setUp() {
        CardInField.reset()
        ShadowNfcAdapter.setNfcHardwareExists(true)
        facility = TestFacility(cards = false)
        facility.setupAsAdmin()
    }

    @After
    fun tearDown() {
        if (::facility.isInitialized) facility.close()
        CardInField.reset()
    }

    private fun phoneWithNfc(): Activity {
        val activity = Robolectric.buildActivity(Activity::class.java).setup().get()
        shadowOf(activity.packageManager).setSystemFeature(PackageManager.FEATURE_NFC, true)
        return activity
    }

    /** An ISO-DEP tag on NFC-B, as Android makes one when a My Number card is tapped. */
    private fun isoDepTag(): Tag = ReflectionHelpers.callStaticMethod(
        Tag::class.java,
        "createMockTag",
        ClassParameter.from(ByteArray::class.java, byteArrayOf(1, 2, 3, 4)),
        ClassParameter.from(IntArray::class.java, intArrayOf(TagTechnology.NFC_B, TagTechnology.ISO_DEP)),
        ClassParameter.from(Array<Bundle>::class.java, arrayOf(Bundle(), Bundle())),
        ClassParameter.from(Long::class.javaPrimitiveType, 1L),
    )

    private fun nfcBOnlyTag(): Tag = ReflectionHelpers.callStaticMethod(
        Tag::class.java,
        "createMockTag",
        ClassParameter.from(ByteArray::class.java, byteArrayOf(5, 6, 7, 8)),
        ClassParameter.from(IntArray::class.java, intArrayOf(TagTechnology.NFC_B)),
        ClassParameter.from(Array<Bundle>::class.java, arrayOf(Bundle())),
        ClassParameter.from(Long::class.javaPrimitiveType, 2L),
    )

    private fun transceiver(timeoutMs: Int = IsoDepTransceiver.DEFAULT_TIMEOUT_MS) =
        IsoDepTransceiver(IsoDep.get(isoDepTag())!!, timeoutMs)

    @Test
    fun readerModeListensForNfcBAndHandsOverEachIsoDepCard() {
        val activity = phoneWithNfc()
        val adapter = NfcAdapter.getDefaultAdapter(activity)
        assertNotNull(adapter)
        shadowOf(adapter).setEnabled(true)
        val reader = ReaderModeCardReader(adapter)
        assertTrue(reader.available)

        val tapped = mutableListOf<CardTransceiver>()
        reader.start(activity) { tapped += it }
        assertTrue(shadowOf(adapter).isInReaderMode)
        assertEquals(250, shadowOf(adapter).readerModeExtras.getInt(NfcAdapter.EXTRA_READER_PRESENCE_CHECK_DELAY))

        shadowOf(adapter).dispatchTagDiscovered(nfcBOnlyTag())
        assertTrue("a tag without ISO-DEP is not a My Number card", tapped.isEmpty())
        shadowOf(adapter).dispatchTagDiscovered(isoDepTag())
        assertEquals(1, tapped.size)
        assertTrue(tapped[0] is IsoDepTransceiver)

        // The transceiver handed over reads a card through the real core.
        CardInField.card = SoftwareMyNumberCard()
        assertRead(facility.registerCard(TestFacility.HANA, tapped[0]))

        reader.stop(activity)
        assertFalse(shadowOf(adapter).isInReaderMode)
        assertEquals(ReaderModeCardReader.FLAGS and NfcAdapter.FLAG_READER_NFC_B, NfcAdapter.FLAG_READER_NFC_B)
        assertEquals(0, ReaderModeCardReader.FLAGS and NfcAdapter.FLAG_READER_NFC_A)
    }

    @Test
    fun noNfcMeansNoReader() {
        val reader = ReaderModeCardReader(null)
        assertFalse(reader.available)
        val activity = phoneWithNfc()
        reader.start(activity) { fail("no card can come without NFC") }
        val adapter = NfcAdapter.getDefaultAdapter(activity)
        shadowOf(adapter).setEnabled(false)
        assertFalse(ReaderModeCardReader(adapter).available)
    }

    @Test
    fun theCoreReadsTheCardThroughIsoDepWithoutAnyPin() {
        val card = SoftwareMyNumberCard()
        CardInField.card = card
        assertRead(facility.registerCard(TestFacility.HANA, transceiver()))
        assertTrue(card.sent.isNotEmpty())
        assertFalse("no VERIFY", card.sent.any { (it[1].toInt() and 0xFF) == 0x20 })
        val selected = card.sent.filter { (it[1].toInt() and 0xFF) == 0xA4 && it[2].toInt() == 0x04 }
            .map { it.copyOfRange(5, 15).toList() }.toSet()
        assertEquals(
            setOf(SoftwareMyNumberCard.JPKI_AP.toList(), SoftwareMyNumberCard.COMMON_CARD_AP.toList()),
            selected,
        )
        // Every READ BINARY is a short APDU.
        assertTrue(card.sent.filter { (it[1].toInt() and 0xFF) == 0xB0 }.all { it.size == 5 })
    }

    @Test
    fun aCardTakenAwayMidReadIsARetryableFailureAndTheReaderStaysOpen() {
        CardInField.card = SoftwareMyNumberCard()
        CardInField.leaveAfter = 6 // inside the certificate's READ BINARY chunks
        val moved = facility.registerCard(TestFacility.HANA, transceiver())
        assertTrue("the core keeps asking for the card: ${moved.request}", moved.request is PlatformRequest.TapCard)
        assertTrue("and says why", moved.notices.isNotEmpty())

        // Tapped again and held still, it reads.
        CardInField.answered = 0
        CardInField.leaveAfter = Int.MAX_VALUE
        assertRead(facility.app.presentCard(transceiver()))
    }

    @Test
    fun tagLostAndTimeoutMapToTheCoresRetryableErrors() {
        CardInField.card = null
        assertThrows<CardIoException.TagLost> { transceiver().transceive(SELECT_JPKI) }

        CardInField.card = SoftwareMyNumberCard()
        CardInField.stallMs = 80
        assertThrows<CardIoException.Timeout> { transceiver(timeoutMs = 50).transceive(SELECT_JPKI) }
        val slow = facility.registerCard(TestFacility.HANA, transceiver(timeoutMs = 50))
        assertTrue("a time-out is retryable: the reader stays open", slow.request is PlatformRequest.TapCard)
        assertTrue(slow.notices.isNotEmpty())
    }

    /** The card was read and registered: no error, nothing more asked. */
    private fun assertRead(view: uniffi.azukari_core.AppView) {
        assertEquals(emptyList<Any>(), view.notices.filter { it.kind == NoticeKind.ERROR })
        assertEquals(null, view.request)
    }

    @Test
    fun theTransceiverConnectsAndSetsTheTimeout() {
        CardInField.card = SoftwareMyNumberCard()
        val isoDep = IsoDep.get(isoDepTag())!!
        assertFalse(isoDep.isConnected)
        val answer = IsoDepTransceiver(isoDep, 1234).transceive(SELECT_JPKI)
        assertEquals(listOf(0x90.toByte(), 0x00.toByte()), answer.toList())
        assertTrue(isoDep.isConnected)
        assertEquals(1234, isoDep.timeout)
    }

    private inline fun <reified E : Throwable> assertThrows(block: () -> Unit) {
        try {
            block()
        } catch (e: Throwable) {
            if (e is E) return
            throw AssertionError("expected ${E::class.simpleName}, got $e", e)
        }
        throw AssertionError("expected ${E::class.simpleName}, nothing thrown")
    }

    companion object {
        val SELECT_JPKI = byteArrayOf(0x00, 0xA4.toByte(), 0x04, 0x0C, 0x0A) + SoftwareMyNumberCard.JPKI_AP
    }
}
