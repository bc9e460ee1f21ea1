package jp.azukari.android.bridge

import java.util.concurrent.Executors
import java.util.concurrent.ThreadFactory
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.delay
import kotlinx.coroutines.isActive
import kotlinx.coroutines.launch

/**
 * Threads for the core: every call into it blocks (SQLite commits, Argon2id, NFC, HTTP), so none runs on the main
 * thread. [calls] runs the screen's calls one after another (the order a person tapped); [sync] runs the
 * background sync, which may wait on the hub for up to 30 s while the screens go on.
 */
class CoreThreads {
    val calls: CoroutineDispatcher = Executors.newSingleThreadExecutor(named("azukari-core")).asCoroutineDispatcher()
    val sync: CoroutineDispatcher = Executors.newSingleThreadExecutor(named("azukari-sync")).asCoroutineDispatcher()

    private fun named(prefix: String): ThreadFactory {
        val count = AtomicInteger()
        return ThreadFactory { runnable ->
            Thread(runnable, "$prefix-${count.incrementAndGet()}").apply { isDaemon = true }
        }
    }
}

/**
 * Syncs in the background while the app is in the foreground: [syncOnce] (the core's sync through the app's
 * `HubConnection`, which long-polls the hub) again and again, [pauseMs] apart, until [stop]. A failed sync (the
 * hub is offline) is tried again after [retryMs]; nothing is lost meanwhile — the core keeps its outbox.
 */
class BackgroundSync(
    private val scope: CoroutineScope,
    private val dispatcher: CoroutineDispatcher,
    private val pauseMs: Long = 1_000,
    private val retryMs: Long = 30_000,
    private val syncOnce: () -> Unit,
) {
    private var job: Job? = null

    val running: Boolean
        get() = job?.isActive == true

    fun start() {
        if (running) return
        job = scope.launch(dispatcher) {
            while (isActive) {
                val ok = try {
                    syncOnce()
                    true
                } catch (e: Exception) {
                    if (e is kotlinx.coroutines.CancellationException) throw e
                    false
                }
                delay(if (ok) pauseMs else retryMs)
            }
        }
    }

    fun stop() {
        job?.cancel()
        job = null
    }
}
