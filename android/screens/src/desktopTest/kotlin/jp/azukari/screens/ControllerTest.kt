package jp.azukari.screens

import androidx.compose.ui.test.junit4.createComposeRule
import androidx.compose.ui.test.onNodeWithText
import java.util.concurrent.Executors
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.asCoroutineDispatcher
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertNull
import org.junit.Rule
import org.junit.Test
import uniffi.azukari_core.AppEvent
import uniffi.azukari_core.AppView
import uniffi.azukari_core.ScreenKind
import uniffi.azukari_ffi.AzukariException
import jp.azukari.testing.TestFacility

class ControllerTest {
    @get:Rule
    val rule = createComposeRule()

    @Test
    fun stepsRunOnTheCoresThreadAndAThrownErrorIsDrawnWithTheCoresText() {
        val facility = TestFacility(cards = false)
        try {
            val app = facility.app
            val core = Executors.newSingleThreadExecutor { Thread(it, "core-under-test") }
            val threads = mutableListOf<String>()
            var fail = false
            val controller = AppController(
                app.view(),
                { event: AppEvent ->
                    threads += Thread.currentThread().name
                    if (fail) throw AzukariException.LockedStore("the store is locked (test)")
                    app.dispatch(event)
                },
                CoroutineScope(Dispatchers.Unconfined),
                core.asCoroutineDispatcher(),
                { e -> (e as? AzukariException.LockedStore)?.text ?: e.toString() },
            )
            rule.setContent { AppFrame(controller.view, controller::send, controller.failure) }

            controller.send(buttonFor(controller.view, "unlock") { it is AppEvent.UnlockWithVault }.event)
            rule.waitUntil(5_000) { controller.view.screen == ScreenKind.SIGN_IN }
            assertEquals(listOf("core-under-test"), threads)
            assertNotEquals("core-under-test", Thread.currentThread().name)
            assertNull(controller.failure)

            fail = true
            val before: AppView = controller.view
            controller.send(AppEvent.Back)
            rule.waitUntil(5_000) { controller.failure != null }
            rule.onNodeWithText("the store is locked (test)").assertExists()
            assertEquals("the view stays what it was", before, controller.view)
            core.shutdown()
        } finally {
            facility.close()
        }
    }
}
