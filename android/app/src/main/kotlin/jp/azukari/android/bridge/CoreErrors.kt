package jp.azukari.android.bridge

import uniffi.azukari_ffi.AzukariException

/** The text to show for what the core threw: the app throws only when the device cannot go on (store locked,
 *  damaged or full), each with the core's message in the chosen language. */
object CoreErrors {
    fun text(error: Exception): String = when (error) {
        is AzukariException.LockedStore -> error.text
        is AzukariException.StorageFailure -> error.text
        is AzukariException.DamagedStore -> error.text
        else -> error.javaClass.simpleName
    }
}
