package jp.azukari.android.bridge

import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import java.io.InputStream
import java.io.OutputStream
import java.security.Key
import java.security.KeyStoreSpi
import java.security.Provider
import java.security.SecureRandom
import java.security.Security
import java.security.cert.Certificate
import java.security.spec.AlgorithmParameterSpec
import java.util.Collections
import java.util.Date
import java.util.Enumeration
import javax.crypto.KeyGeneratorSpi
import javax.crypto.SecretKey
import javax.crypto.spec.SecretKeySpec
import org.junit.After
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import jp.azukari.testing.HUB_HOST
import jp.azukari.testing.TestFacility
import uniffi.azukari_core.AppEvent
import uniffi.azukari_core.NoticeKind
import uniffi.azukari_core.ScreenKind
import uniffi.azukari_ffi.KeyVaultException
import uniffi.azukari_ffi.appForTests

/** Robolectric has no AndroidKeyStore: this provider plays it, keeping keys in memory and recording the key
 *  specifications asked for, so the test sees exactly what the app asks the real Keystore for. */
class TestAndroidKeyStore : Provider("AndroidKeyStore", "1.0", "test stand-in for Android Keystore") {
    init {
        put("KeyStore.AndroidKeyStore", TestKeyStoreSpi::class.java.name)
        put("KeyGenerator.AES", TestAesKeyGeneratorSpi::class.java.name)
    }

    companion object {
        val keys = Collections.synchronizedMap(mutableMapOf<String, SecretKey>())
        val specs = Collections.synchronizedList(mutableListOf<KeyGenParameterSpec>())
        @Volatile var strongBoxPresent = true

        fun reset() {
            keys.clear()
            specs.clear()
            strongBoxPresent = true
        }
    }
}

class TestAesKeyGeneratorSpi : KeyGeneratorSpi() {
    private var spec: KeyGenParameterSpec? = null

    override fun engineInit(random: SecureRandom?) = throw UnsupportedOperationException("a KeyGenParameterSpec is required")
    override fun engineInit(keysize: Int, random: SecureRandom?) = throw UnsupportedOperationException("a KeyGenParameterSpec is required")
    override fun engineInit(params: AlgorithmParameterSpec?, random: SecureRandom?) {
        spec = params as KeyGenParameterSpec
    }

    override fun engineGenerateKey(): SecretKey {
        val spec = spec!!
        TestAndroidKeyStore.specs += spec
        if (spec.isStrongBoxBacked && !TestAndroidKeyStore.strongBoxPresent) {
            throw StrongBoxUnavailableException("no StrongBox here")
        }
        val key = SecretKeySpec(ByteArray(spec.keySize / 8).also { SecureRandom().nextBytes(it) }, "AES")
        TestAndroidKeyStore.keys[spec.keystoreAlias] = key
        return key
    }
}

class TestKeyStoreSpi : KeyStoreSpi() {
    private val keys get() = TestAndroidKeyStore.keys
    override fun engineGetKey(alias: String, password: CharArray?): Key? = keys[alias]
    override fun engineGetCertificateChain(alias: String?): Array<Certificate>? = null
    override fun engineGetCertificate(alias: String?): Certificate? = null
    override fun engineGetCreationDate(alias: String?): Date? = null
    override fun engineSetKeyEntry(alias: String, key: Key, password: CharArray?, chain: Array<out Certificate>?) {
        throw UnsupportedOperationException("keys are only generated inside the Keystore")
    }
    override fun engineSetKeyEntry(alias: String?, key: ByteArray?, chain: Array<out Certificate>?) =
        throw UnsupportedOperationException("keys are only generated inside the Keystore")
    override fun engineSetCertificateEntry(alias: String?, cert: Certificate?) = throw UnsupportedOperationException()
    override fun engineDeleteEntry(alias: String) {
        keys.remove(alias)
    }
    override fun engineAliases(): Enumeration<String> = Collections.enumeration(keys.keys.toList())
    override fun engineContainsAlias(alias: String): Boolean = alias in keys
    override fun engineSize(): Int = keys.size
    override fun engineIsKeyEntry(alias: String): Boolean = alias in keys
    override fun engineIsCertificateEntry(alias: String?): Boolean = false
    override fun engineGetCertificateAlias(cert: Certificate?): String? = null
    override fun engineStore(stream: OutputStream?, password: CharArray?) = Unit
    override fun engineLoad(stream: InputStream?, password: CharArray?) = Unit
}

@RunWith(RobolectricTestRunner::class)
class KeystoreKeyVaultTest {
    private val storeId = ByteArray(16) { it.toByte() }
    private val dataKey = ByteArray(32).also { SecureRandom().nextBytes(it) }

    @Before
    fun setUp() {
        TestAndroidKeyStore.reset()
        Security.insertProviderAt(TestAndroidKeyStore(), 1)
    }

    @After
    fun tearDown() {
        Security.removeProvider("AndroidKeyStore")
    }

    @Test
    fun theDataKeyIsWrappedUnderANonExportableStrongBoxKeyAndComesBack() {
        val vault = KeystoreKeyVault(hasStrongBox = true)
        val blob = vault.wrapDataKey(storeId, dataKey)
        assertEquals(1 + 12 + 32 + 16, blob.size)
        assertFalse("the data key is never written in clear", blob.toList().windowed(8).any { it == dataKey.take(8) })
        assertArrayEquals(dataKey, vault.unwrapDataKey(storeId, blob))
        // Two wraps: two nonces, one Keystore key.
        val again = vault.wrapDataKey(storeId, dataKey)
        assertFalse(blob.contentEquals(again))
        assertEquals(1, TestAndroidKeyStore.specs.size)

        val spec = TestAndroidKeyStore.specs.single()
        assertTrue(spec.isStrongBoxBacked)
        assertEquals(KeystoreKeyVault.DEFAULT_ALIAS, spec.keystoreAlias)
        assertEquals(256, spec.keySize)
        assertEquals(KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT, spec.purposes)
        assertArrayEquals(arrayOf(KeyProperties.BLOCK_MODE_GCM), spec.blockModes)
        assertArrayEquals(arrayOf(KeyProperties.ENCRYPTION_PADDING_NONE), spec.encryptionPaddings)
        assertTrue(spec.isRandomizedEncryptionRequired)
    }

    @Test
    fun withoutStrongBoxTheKeyIsMadeInTheTee() {
        TestAndroidKeyStore.strongBoxPresent = false
        val vault = KeystoreKeyVault(hasStrongBox = true)
        assertArrayEquals(dataKey, vault.unwrapDataKey(storeId, vault.wrapDataKey(storeId, dataKey)))
        assertEquals(listOf(true, false), TestAndroidKeyStore.specs.map { it.isStrongBoxBacked })

        TestAndroidKeyStore.reset()
        KeystoreKeyVault(hasStrongBox = false).wrapDataKey(storeId, dataKey)
        assertEquals(listOf(false), TestAndroidKeyStore.specs.map { it.isStrongBoxBacked })
    }

    @Test
    fun aBlobOpensOnlyForItsStoreAndUnaltered() {
        val vault = KeystoreKeyVault(hasStrongBox = false)
        val blob = vault.wrapDataKey(storeId, dataKey)
        assertRefused { vault.unwrapDataKey(ByteArray(16), blob) }
        val altered = blob.copyOf().also { it[20] = (it[20].toInt() xor 1).toByte() }
        assertRefused { vault.unwrapDataKey(storeId, altered) }
        assertRefused { vault.unwrapDataKey(storeId, byteArrayOf(9, 9, 9)) }
    }

    @Test
    fun aResetKeystoreIsAMissingKey() {
        val vault = KeystoreKeyVault(hasStrongBox = false)
        val blob = vault.wrapDataKey(storeId, dataKey)
        vault.destroy()
        try {
            vault.unwrapDataKey(storeId, blob)
            fail("the key is gone")
        } catch (_: KeyVaultException.KeyMissing) {
        }
    }

    @Test
    fun theCoreCreatesAndUnlocksAStoreWithTheKeystoreVault() {
        val vault = KeystoreKeyVault(hasStrongBox = true)
        val facility = TestFacility(vault, cards = false)
        try {
            assertEquals(1, TestAndroidKeyStore.keys.size)
            // A new start of the app unlocks with the Keystore vault.
            val app = appForTests(facility.path, vault, HUB_HOST, facility.clock)
            val unlocked = app.dispatch(TestFacility.button(app.view()) { it is AppEvent.UnlockWithVault })
            assertEquals(ScreenKind.SIGN_IN, unlocked.screen)
            app.dispatch(AppEvent.Lock)

            // The Keystore was reset (the app reinstalled): the daily unlock fails and says so; the recovery
            // passphrase is the way in.
            vault.destroy()
            val again = appForTests(facility.path, vault, HUB_HOST, facility.clock)
            val refused = again.dispatch(TestFacility.button(again.view()) { it is AppEvent.UnlockWithVault })
            assertEquals(ScreenKind.UNLOCK, refused.screen)
            assertTrue(refused.notices.any { it.kind == NoticeKind.ERROR })
        } finally {
            facility.close()
        }
    }

    private fun assertRefused(block: () -> Unit) {
        try {
            block()
            fail("refused expected")
        } catch (_: KeyVaultException.Refused) {
        }
    }
}
