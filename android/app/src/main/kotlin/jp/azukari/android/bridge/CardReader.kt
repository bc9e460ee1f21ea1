package jp.azukari.android.bridge

import android.app.Activity
import android.nfc.NfcAdapter
import android.nfc.Tag
import android.nfc.tech.IsoDep
import android.os.Bundle
import uniffi.azukari_ffi.CardTransceiver

/** Waits for a card held to the phone while a screen asks for one (the core's `TapCard` request). */
interface CardReader {
    /** Whether this phone can read a card now (NFC present and switched on). */
    val available: Boolean

    /** Start listening on [activity]'s behalf; [onCard] gets each card tapped, on a binder thread. */
    fun start(activity: Activity, onCard: (CardTransceiver) -> Unit)

    /** Stop listening (the request is gone, or the activity pauses). */
    fun stop(activity: Activity)
}

/**
 * NFC reader mode for the My Number card: NFC-B only (the card is ISO 14443 Type B), no NDEF check and no platform
 * sound or dispatch, so the card goes straight to the app that asked. Each tapped ISO-DEP tag is handed over as an
 * [IsoDepTransceiver]; anything else (a transit card on NFC-B without ISO-DEP) is ignored.
 */
class ReaderModeCardReader(
    private val adapter: NfcAdapter?,
    private val timeoutMs: Int = IsoDepTransceiver.DEFAULT_TIMEOUT_MS,
) : CardReader {

    override val available: Boolean
        get() = adapter?.isEnabled == true

    override fun start(activity: Activity, onCard: (CardTransceiver) -> Unit) {
        val adapter = adapter ?: return
        val extras = Bundle().apply { putInt(NfcAdapter.EXTRA_READER_PRESENCE_CHECK_DELAY, PRESENCE_CHECK_MS) }
        adapter.enableReaderMode(activity, { tag: Tag -> isoDepOf(tag)?.let(onCard) }, FLAGS, extras)
    }

    override fun stop(activity: Activity) {
        adapter?.disableReaderMode(activity)
    }

    private fun isoDepOf(tag: Tag): IsoDepTransceiver? = IsoDep.get(tag)?.let { IsoDepTransceiver(it, timeoutMs) }

    companion object {
        const val FLAGS = NfcAdapter.FLAG_READER_NFC_B or
            NfcAdapter.FLAG_READER_SKIP_NDEF_CHECK or
            NfcAdapter.FLAG_READER_NO_PLATFORM_SOUNDS

        /** How often Android checks the card is still there; short, so a card taken away is noticed quickly. */
        const val PRESENCE_CHECK_MS = 250
    }
}
