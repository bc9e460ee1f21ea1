package jp.azukari.android.bridge

import android.nfc.TagLostException
import android.nfc.tech.IsoDep
import java.io.IOException
import uniffi.azukari_ffi.CardIoException
import uniffi.azukari_ffi.CardTransceiver

/**
 * The core's [CardTransceiver] over Android's [IsoDep]: one command APDU in, the card's whole response out.
 *
 * The card leaving the field ([TagLostException], or a tag object Android already retired) becomes
 * [CardIoException.TagLost]; a command the card did not answer within [timeoutMs] becomes
 * [CardIoException.Timeout]. The core reports both as a retryable read failure ("hold the card still").
 * Blocking: called by the core on the thread that presented the card, never the main thread.
 */
class IsoDepTransceiver(
    private val isoDep: IsoDep,
    private val timeoutMs: Int = DEFAULT_TIMEOUT_MS,
    private val clock: () -> Long = System::nanoTime,
) : CardTransceiver {

    override fun transceive(apdu: ByteArray): ByteArray {
        val started = clock()
        try {
            if (!isoDep.isConnected) {
                isoDep.connect()
                isoDep.timeout = timeoutMs
            }
            return isoDep.transceive(apdu)
        } catch (e: TagLostException) {
            throw CardIoException.TagLost()
        } catch (e: SecurityException) {
            // "Tag … is out of date": the card left and Android dropped its handle.
            throw CardIoException.TagLost()
        } catch (e: IOException) {
            val elapsedMs = (clock() - started) / 1_000_000
            when {
                elapsedMs >= timeoutMs -> throw CardIoException.Timeout()
                !isoDep.isConnected -> throw CardIoException.TagLost()
                else -> throw CardIoException.Io(e.javaClass.simpleName)
            }
        }
    }

    /** Release the card (after the core's session, or when the reader stops). */
    fun close() {
        try {
            isoDep.close()
        } catch (_: IOException) {
        }
    }

    companion object {
        /** How long one command may take: a My Number card answers a 255-byte READ BINARY in well under this. */
        const val DEFAULT_TIMEOUT_MS = 2_000
    }
}
