package jp.azukari.android.bridge

import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertTrue
import org.junit.Test

class BackgroundSyncTest {
    @Test
    fun syncsOffTheCallingThreadAgainAndAgainUntilStopped() {
        val threads = CoreThreads()
        val scope = CoroutineScope(SupervisorJob())
        val caller = Thread.currentThread().name
        val seen = mutableSetOf<String>()
        val count = AtomicInteger()
        val three = CountDownLatch(3)
        val sync = BackgroundSync(scope, threads.sync, pauseMs = 5, retryMs = 5) {
            synchronized(seen) { seen += Thread.currentThread().name }
            // A failing sync (the hub offline) does not stop the loop.
            if (count.incrementAndGet() == 2) throw IllegalStateException("hub offline")
            three.countDown()
        }
        sync.start()
        sync.start() // idempotent: one loop
        assertTrue(three.await(5, TimeUnit.SECONDS))
        sync.stop()
        assertFalse(sync.running)
        val after = count.get()
        Thread.sleep(50)
        assertTrue("at most the round under way when stopped", count.get() <= after + 1)
        assertEquals(setOf("azukari-sync-1"), synchronized(seen) { seen.toSet() })
        assertNotEquals(caller, "azukari-sync-1")
        scope.cancel()
    }

    @Test
    fun coreCallsRunOneAfterAnotherOnTheirOwnThread() = runBlocking {
        val threads = CoreThreads()
        val names = (1..3).map { withContext(threads.calls) { Thread.currentThread().name } }
        assertEquals(listOf("azukari-core-1", "azukari-core-1", "azukari-core-1"), names)
    }
}
