// Runs JUnit 4 test classes (Robolectric's runner included) and ends with the plain closing line
// "N passed, M failed" that CI reads; exits non-zero when a test failed or none ran.
//
//   java -cp … RunTestsKt LABEL ClassName…

import kotlin.system.exitProcess
import org.junit.runner.Description
import org.junit.runner.JUnitCore
import org.junit.runner.Request
import org.junit.runner.notification.Failure
import org.junit.runner.notification.RunListener

fun main(args: Array<String>) {
    val label = args.first()
    val classes = args.drop(1).map { Class.forName(it) }
    var passed = 0
    var skipped = 0
    val core = JUnitCore()
    core.addListener(object : RunListener() {
        private val failedNow = mutableSetOf<Description>()
        override fun testFailure(failure: Failure) {
            failedNow += failure.description
            println("FAIL ${failure.description.displayName}")
            // The first failure in full (its root cause is usually at the bottom), the rest shortened.
            val lines = if (failedNow.size == 1) 400 else 25
            println(failure.trace.lines().take(lines).joinToString("\n") { "    $it" })
        }
        override fun testAssumptionFailure(failure: Failure) {
            failedNow += failure.description
            skipped++
            println("SKIP ${failure.description.displayName}: ${failure.message}")
        }
        override fun testIgnored(description: Description) {
            skipped++
            println("SKIP ${description.displayName}")
        }
        override fun testFinished(description: Description) {
            if (description in failedNow) return
            passed++
            println("ok   ${description.displayName}")
        }
    })
    val result = core.run(Request.classes(*classes.toTypedArray()))
    val failed = result.failureCount
    val skippedText = if (skipped > 0) ", $skipped skipped" else ""
    println("$label: $passed passed, $failed failed$skippedText")
    exitProcess(if (failed == 0 && passed > 0 && skipped == 0) 0 else 1)
}
