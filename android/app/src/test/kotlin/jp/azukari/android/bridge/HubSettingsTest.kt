package jp.azukari.android.bridge

import java.nio.file.Files
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test

class HubSettingsTest {
    @Test
    fun theHubOfTheEnrollmentIsKeptAndConnectedPinned() {
        val dir = Files.createTempDirectory("azukari-hub-settings").toFile()
        try {
            val settings = HubSettings(java.io.File(dir, "hub.properties"))
            assertNull("no hub before joining", settings.connection())
            assertNotNull(settings.join("https://hub.example.jp:8443", "ab".repeat(32)))
            assertNotNull(settings.connection())
            assertTrue(java.io.File(dir, "hub.properties").readText().contains("ab".repeat(32)))
            // A damaged pin is refused rather than connected without one, and not remembered.
            try {
                settings.join("https://hub.example.jp:8443", "zz")
                throw AssertionError("a bad pin must not connect")
            } catch (_: IllegalArgumentException) {
            }
            assertTrue(java.io.File(dir, "hub.properties").readText().contains("ab".repeat(32)))
        } finally {
            dir.deleteRecursively()
        }
    }
}

class CoreErrorsTest {
    @Test
    fun theCoresOwnTextIsShown() {
        org.junit.Assert.assertEquals("locked", CoreErrors.text(uniffi.azukari_ffi.AzukariException.LockedStore("locked")))
        org.junit.Assert.assertEquals("full", CoreErrors.text(uniffi.azukari_ffi.AzukariException.StorageFailure("full")))
        org.junit.Assert.assertEquals("IllegalStateException", CoreErrors.text(IllegalStateException("x")))
    }
}
