// The app's speed as a shell feels it: from Kotlin on the JVM, through the generated bindings and JNA, on the
// 200,000-event store of the core's store benchmark (ten years of a 100-resident facility). Prints figures; it
// asserts nothing about time (scripts/bench-app runs it; figures go to the README).
//
//   cold start: a new AzukariApp, unlock with the key vault, the first view (the sign-in screen)
//   tap → next view: dispatch() of what a supervisor taps all day (home, board, alerts, approvals, what I hold,
//   settings, a language switch), each including the FFI's lowering and lifting of the whole view

import kotlin.system.exitProcess
import uniffi.azukari_core.*
import uniffi.azukari_core.Language
import uniffi.azukari_ffi.*

fun percentile(sorted: List<Double>, p: Double): Double = sorted[((sorted.size - 1) * p).toInt()]

fun main(args: Array<String>) {
    if (args.size != 2) {
        println("usage: AppBenchKt <store.azukari> <store.key>")
        exitProcess(2)
    }
    val (db, key) = args
    val coldStarts = mutableListOf<Double>()
    var app: AzukariApp? = null
    repeat(5) {
        app?.dispatch(AppEvent.Lock)
        val started = System.nanoTime()
        val opened = appWithFileVaultForTests(db, key, "hub.bench.example.jp")
        val view = opened.dispatch(AppEvent.UnlockWithVault)
        coldStarts += (System.nanoTime() - started) / 1e6
        check(view.screen == ScreenKind.SIGN_IN) { "unlock: ${view.notices}" }
        app = opened
    }
    val a = app!!
    val signIn = a.view().sections.flatMap { it.rows }.first { row -> row.details.any { it.contains("責任者") } }
    check(a.dispatch(signIn.buttons.first().event).screen == ScreenKind.HOME)
    val taps = listOf(
        "home" to AppEvent.Open(ScreenKind.HOME),
        "board" to AppEvent.Open(ScreenKind.BOARD),
        "alerts" to AppEvent.Open(ScreenKind.ALERTS),
        "approvals" to AppEvent.Open(ScreenKind.APPROVALS),
        "holding" to AppEvent.Open(ScreenKind.HOLDING),
        "settings" to AppEvent.Open(ScreenKind.SETTINGS),
        "english" to AppEvent.SetLanguage(Language.EN),
        "japanese" to AppEvent.SetLanguage(Language.JA),
    )
    val samples = mutableMapOf<String, MutableList<Double>>()
    repeat(800) { a.dispatch(taps[it % taps.size].second) } // warm the JIT (and the page cache)
    repeat(100) {
        for ((name, event) in taps) {
            val started = System.nanoTime()
            val view = a.dispatch(event)
            samples.getOrPut(name) { mutableListOf() } += (System.nanoTime() - started) / 1e6
            check(view.errors().isEmpty()) { "$name: ${view.notices}" }
        }
    }
    val all = samples.values.flatten().sorted()
    println("app benchmark from Kotlin/JVM through the bindings, 200,000-event store")
    println("cold start (new app, unlock, first view), 5 runs: first %.1f ms, then %s ms".format(
        coldStarts.first(), coldStarts.drop(1).joinToString(" ") { "%.1f".format(it) }))
    for ((name, values) in samples) {
        val sorted = values.sorted()
        println("  %-10s median %6.2f ms   p99 %6.2f ms".format(name, percentile(sorted, 0.5), percentile(sorted, 0.99)))
    }
    println("tap → next view, all %d taps: median %.2f ms, p99 %.2f ms (goal p99 < 8 ms)".format(
        all.size, percentile(all, 0.5), percentile(all, 0.99)))
    a.dispatch(AppEvent.Lock)
}

fun AppView.errors(): List<String> = notices.filter { it.kind == NoticeKind.ERROR }.map { it.text }
