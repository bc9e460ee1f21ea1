package jp.azukari.screens

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.azukari_core.AppEvent
import uniffi.azukari_core.AppView

/**
 * Holds what the screens draw and carries what they send to the core, off the main thread.
 *
 * [dispatch] is the core's `App.dispatch`: it takes an event and gives the next view (blocking); [step] runs any
 * other call of the App that gives a view (a card presented, a sync, a restore). Every step runs on [coreDispatcher] one after another, and the view it returns replaces [view] on
 * the main thread. A thrown error (the store locked, damaged or full: the core throws only when the device cannot
 * go on) is kept in [failure] with the core's own text, which [textOf] takes out of the platform's exception.
 */
class AppController(
    initial: AppView,
    private val dispatch: (AppEvent) -> AppView,
    private val scope: CoroutineScope,
    private val coreDispatcher: CoroutineDispatcher,
    private val textOf: (Exception) -> String = { it.message ?: it.javaClass.simpleName },
) {
    var view: AppView by mutableStateOf(initial)
        private set

    /** The core's message when it could not go on, if it could not. */
    var failure: String? by mutableStateOf(null)
        private set

    /** Send what the person did. */
    fun send(event: AppEvent) = step { dispatch(event) }

    /** Run one blocking step of the core (dispatch, present a card, sync) and show the view it returns. */
    fun step(block: () -> AppView) {
        scope.launch {
            try {
                val next = withContext(coreDispatcher) { block() }
                failure = null
                view = next
            } catch (e: Exception) {
                if (e is kotlinx.coroutines.CancellationException) throw e
                failure = textOf(e)
            }
        }
    }

    /** Replace the view with one the core gave outside a step (after a restore, a background sync). */
    fun show(next: AppView) {
        view = next
    }
}
