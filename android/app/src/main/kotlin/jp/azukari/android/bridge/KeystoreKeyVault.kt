package jp.azukari.android.bridge

import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import java.security.GeneralSecurityException
import java.security.KeyStore
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import uniffi.azukari_ffi.KeyVault
import uniffi.azukari_ffi.KeyVaultException

/**
 * The core's [KeyVault] on Android Keystore: the facility store's data key is wrapped with AES-256-GCM under a
 * non-exportable Keystore key (in StrongBox where the phone has one), with the store's id as associated data.
 * The data key is never written in clear; the blob the store keeps is `version ‖ nonce (12) ‖ ciphertext ‖ tag`.
 *
 * [hasStrongBox] is `PackageManager.hasSystemFeature(FEATURE_STRONGBOX_KEYSTORE)`; when StrongBox is there but
 * refuses the key, the key is made in the TEE instead.
 */
class KeystoreKeyVault(
    private val hasStrongBox: Boolean,
    private val alias: String = DEFAULT_ALIAS,
    private val provider: String = ANDROID_KEY_STORE,
) : KeyVault {

    override fun wrapDataKey(storeId: ByteArray, dataKey: ByteArray): ByteArray = guarded {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        // The Keystore picks the nonce (it refuses caller-chosen nonces for encryption).
        cipher.init(Cipher.ENCRYPT_MODE, existingKey() ?: newKey())
        cipher.updateAAD(storeId)
        val sealed = cipher.doFinal(dataKey)
        val nonce = cipher.iv
        require(nonce.size == NONCE_BYTES) { "unexpected nonce length" }
        byteArrayOf(VERSION) + nonce + sealed
    }

    override fun unwrapDataKey(storeId: ByteArray, wrapped: ByteArray): ByteArray = guarded {
        if (wrapped.size <= 1 + NONCE_BYTES || wrapped[0] != VERSION) {
            throw KeyVaultException.Refused("not a blob of this key vault")
        }
        val key = existingKey() ?: throw KeyVaultException.KeyMissing()
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(TAG_BITS, wrapped, 1, NONCE_BYTES))
        cipher.updateAAD(storeId)
        try {
            cipher.doFinal(wrapped, 1 + NONCE_BYTES, wrapped.size - 1 - NONCE_BYTES)
        } catch (e: AEADBadTagException) {
            // Another store's blob, or a key made after this blob: not this store's key.
            throw KeyVaultException.Refused("the wrapped key does not open with this device's key")
        }
    }

    /** Forget the Keystore key (the facility is removed from this phone): every wrapped blob becomes useless. */
    fun destroy() {
        keyStore().deleteEntry(alias)
    }

    private fun keyStore(): KeyStore = KeyStore.getInstance(provider).apply { load(null) }

    private fun existingKey(): SecretKey? = keyStore().getKey(alias, null) as SecretKey?

    private fun newKey(): SecretKey {
        if (hasStrongBox) {
            try {
                return generate(strongBox = true)
            } catch (_: StrongBoxUnavailableException) {
                // Fall through to the TEE.
            }
        }
        return generate(strongBox = false)
    }

    private fun generate(strongBox: Boolean): SecretKey {
        val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setKeySize(KEY_BITS)
            .setRandomizedEncryptionRequired(true)
            .setIsStrongBoxBacked(strongBox)
            .build()
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, provider)
        generator.init(spec)
        return generator.generateKey()
    }

    private inline fun guarded(block: () -> ByteArray): ByteArray = try {
        block()
    } catch (e: KeyVaultException) {
        throw e
    } catch (e: GeneralSecurityException) {
        // The platform's words only (class name): never key material or personal data.
        throw KeyVaultException.Refused(e.javaClass.simpleName)
    } catch (e: java.io.IOException) {
        throw KeyVaultException.Refused(e.javaClass.simpleName)
    }

    companion object {
        const val ANDROID_KEY_STORE = "AndroidKeyStore"
        const val DEFAULT_ALIAS = "azukari-data-key-wrapping"
        private const val TRANSFORMATION = "AES/GCM/NoPadding"
        private const val VERSION: Byte = 1
        private const val NONCE_BYTES = 12
        private const val TAG_BITS = 128
        private const val KEY_BITS = 256
    }
}
