package jp.azukari.screens

import uniffi.azukari_ffi.CardTransceiver
import uniffi.azukari_ffi.testCardCertificate

/**
 * A My Number card in software answering the PIN-less APDUs of DOMAIN.md (SELECT JPKI AP, token info, the
 * authentication certificate by READ BINARY chunks, SELECT common card AP, READ RECORD 1), with a test certificate
 * made by the core. It records every command, so tests can check that no VERIFY was ever sent.
 */
class SoftwareMyNumberCard(serial: String = "AB1234567890123", certificateExpiresOn: String = "2029-05-16") : CardTransceiver {
    private val serial = serial.toByteArray()
    private val certificate = testCardCertificate(certificateExpiresOn)
    private var application: String? = null
    private var file: ByteArray? = null
    val sent = mutableListOf<ByteArray>()

    override fun transceive(apdu: ByteArray): ByteArray = answer(apdu)

    fun answer(apdu: ByteArray): ByteArray {
        sent += apdu
        if (apdu.size < 4 || apdu[0].toInt() != 0) return sw(0x6E00)
        val ins = apdu[1].toInt() and 0xFF
        val p1 = apdu[2].toInt() and 0xFF
        val p2 = apdu[3].toInt() and 0xFF
        if (ins == 0xA4 && p1 == 0x04 && p2 == 0x0C) {
            val aid = apdu.copyOfRange(5, 5 + apdu[4])
            application = when {
                aid.contentEquals(JPKI_AP) -> "jpki"
                aid.contentEquals(COMMON_CARD_AP) -> "common"
                else -> return sw(0x6A82)
            }
            file = null
            return sw(0x9000)
        }
        if (ins == 0xA4 && p1 == 0x02 && p2 == 0x0C && application == "jpki") {
            file = when (apdu[6].toInt()) {
                0x06 -> "JPKIAPICCTOKEN2".padEnd(32, ' ').toByteArray()
                0x0A -> certificate
                else -> return sw(0x6A82)
            }
            return sw(0x9000)
        }
        val current = file
        if (ins == 0xB0 && current != null) {
            val offset = (p1 shl 8) or p2
            val length = (apdu[4].toInt() and 0xFF).let { if (it == 0) 256 else it }
            val chunk = current.copyOfRange(minOf(offset, current.size), minOf(offset + length, current.size))
            return chunk + if (chunk.size == length) sw(0x9000) else sw(0x6282)
        }
        if (ins == 0xB2 && p1 == 0x01 && application == "common") {
            return byteArrayOf(0x01, 0x1C) + serial + "13101".toByteArray() + "20340516".toByteArray() + sw(0x9000)
        }
        return sw(0x6D00)
    }

    companion object {
        val JPKI_AP = hex("D392F000260100000001")
        val COMMON_CARD_AP = hex("D3921000310001010100")

        fun hex(text: String): ByteArray = text.chunked(2).map { it.toInt(16).toByte() }.toByteArray()

        private fun sw(word: Int) = byteArrayOf((word shr 8).toByte(), word.toByte())
    }
}
