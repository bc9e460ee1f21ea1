// The app state machine through the generated Kotlin bindings, on the JVM with JNA: a facility day by taps and
// reads only, as a shell would drive it (the same day as tests/python/test_app.py and hub/tests/app_day.rs). The
// facility is founded first (createFacilityForTests, then locked); from then on only AzukariApp.view(),
// dispatch() and the platform results are used. The run ends with a plain "N passed, M failed" line and exits
// non-zero when a step failed.
//
// Run by ./scripts/test, which builds the library with the test-only exports (feature `testing`), generates the
// Kotlin bindings from it (namespaces azukari_core and azukari_ffi), compiles them with this file using kotlinc,
// and runs `java -Djna.library.path=<dir of that library> AppDayKt`.

import java.io.File
import java.nio.file.Files
import java.security.SecureRandom
import javax.crypto.spec.SecretKeySpec
import kotlin.system.exitProcess
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import uniffi.azukari_core.*
import uniffi.azukari_core.Language
import uniffi.azukari_core.NoticeKind
import uniffi.azukari_ffi.*

const val PASSPHRASE = "TEST-RECOVERY-PASSPHRASE-0001"

val JPKI_AP = hex("D392F000260100000001")
val COMMON_CARD_AP = hex("D3921000310001010100")
val OK = byteArrayOf(0x90.toByte(), 0x00)
val FILE_NOT_FOUND = byteArrayOf(0x6A, 0x82.toByte())

fun hex(text: String): ByteArray = text.chunked(2).map { it.toInt(16).toByte() }.toByteArray()

/** A key vault in Kotlin: the data key wrapped with AES-GCM under a key held in memory (as Android Keystore would
 *  hold it); `reset()` plays a keystore that was reset. */
class KotlinKeyVault : KeyVault {
    private var key: ByteArray = ByteArray(32).also { SecureRandom().nextBytes(it) }
    var calls = 0

    /** The platform keystore was reset: a new key, which cannot open what the old one wrapped. */
    fun reset() {
        key = ByteArray(32).also { SecureRandom().nextBytes(it) }
    }

    private fun cipher(mode: Int, nonce: ByteArray, storeId: ByteArray): javax.crypto.Cipher {
        val cipher = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(mode, SecretKeySpec(key, "AES"), javax.crypto.spec.GCMParameterSpec(128, nonce))
        cipher.updateAAD(storeId)
        return cipher
    }

    override fun wrapDataKey(storeId: ByteArray, dataKey: ByteArray): ByteArray {
        calls++
        val nonce = ByteArray(12).also { SecureRandom().nextBytes(it) }
        return nonce + cipher(javax.crypto.Cipher.ENCRYPT_MODE, nonce, storeId).doFinal(dataKey)
    }

    override fun unwrapDataKey(storeId: ByteArray, wrapped: ByteArray): ByteArray {
        calls++
        val nonce = wrapped.copyOfRange(0, 12)
        try {
            return cipher(javax.crypto.Cipher.DECRYPT_MODE, nonce, storeId).doFinal(wrapped.copyOfRange(12, wrapped.size))
        } catch (e: javax.crypto.AEADBadTagException) {
            throw KeyVaultException.Refused("wrapped key does not match this vault")
        }
    }
}

/** A vault that hands back another store's key: the canary must refuse it as the wrong key. */
class OtherKeyVault : KeyVault {
    override fun wrapDataKey(storeId: ByteArray, dataKey: ByteArray) = byteArrayOf(1)
    override fun unwrapDataKey(storeId: ByteArray, wrapped: ByteArray) = ByteArray(32)
}

/** A software My Number card in Kotlin answering the PIN-less APDUs of DOMAIN.md, with a test certificate made in
 *  Rust; it records every APDU so the test can check that no VERIFY and no other application was asked for. */
class KotlinMyNumberCard(serial: String) : CardTransceiver {
    private val serial = serial.toByteArray()
    private val certificate = testCardCertificate("2029-05-16")
    private var application: String? = null
    private var file: ByteArray? = null
    val sent = mutableListOf<ByteArray>()

    override fun transceive(apdu: ByteArray): ByteArray {
        sent += apdu
        val ins = apdu[1].toInt() and 0xFF
        val p1 = apdu[2].toInt() and 0xFF
        val p2 = apdu[3].toInt() and 0xFF
        if (apdu[0].toInt() != 0) return byteArrayOf(0x6E, 0x00)
        if (ins == 0xA4 && p1 == 0x04 && p2 == 0x0C) {
            val aid = apdu.copyOfRange(5, 5 + apdu[4])
            application = when {
                aid.contentEquals(JPKI_AP) -> "jpki"
                aid.contentEquals(COMMON_CARD_AP) -> "common"
                else -> return FILE_NOT_FOUND
            }
            file = null
            return OK
        }
        if (ins == 0xA4 && p1 == 0x02 && p2 == 0x0C && application == "jpki") {
            file = when (apdu[6].toInt()) {
                0x06 -> "JPKIAPICCTOKEN2".padEnd(32, ' ').toByteArray()
                0x0A -> certificate
                else -> return FILE_NOT_FOUND
            }
            return OK
        }
        val current = file
        if (ins == 0xB0 && current != null) {
            val offset = (p1 shl 8) or p2
            val length = (apdu[4].toInt() and 0xFF).let { if (it == 0) 256 else it }
            val chunk = current.copyOfRange(minOf(offset, current.size), minOf(offset + length, current.size))
            return chunk + (if (chunk.size == length) OK else byteArrayOf(0x62, 0x82.toByte()))
        }
        if (ins == 0xB2 && p1 == 0x01 && application == "common") {
            return byteArrayOf(0x01, 0x1C) + serial + "13101".toByteArray() + "20340516".toByteArray() + OK
        }
        return byteArrayOf(0x6D, 0x00)
    }
}

/** A contactless card without the JPKI application. */
class NotAMyNumberCard : CardTransceiver {
    override fun transceive(apdu: ByteArray) = FILE_NOT_FOUND
}

/** A card taken off the phone before it answered. */
class CardThatMovesAway : CardTransceiver {
    override fun transceive(apdu: ByteArray): ByteArray = throw CardIoException.TagLost()
}

/** Every button on the screen, in the order drawn. */
fun AppView.allButtons(): List<Button> =
    listOfNotNull(back) + sections.flatMap { s -> s.rows.flatMap { it.buttons } + s.buttons }

/** Every text a person reads on the screen. */
fun AppView.allTexts(): List<String> =
    listOf(title) + notices.map { it.text } + sections.flatMap { s ->
        listOfNotNull(s.title) + s.paragraphs + s.facts.flatMap { listOf(it.label, it.value) } +
            s.rows.flatMap { listOf(it.title) + it.details } + s.fields.map { it.label }
    } + allButtons().map { it.label }

fun AppView.errors(): List<String> = notices.filter { it.kind == NoticeKind.ERROR }.map { it.text }

class AppDay {
    val dir: File = Files.createTempDirectory("azukari-kotlin-app").toFile()
    val path = File(dir, "sakura.azukari").path
    val vault = KotlinKeyVault()
    val clock = TestClock()
    val card = KotlinMyNumberCard("AB1234567890123")
    lateinit var app: AzukariApp
    val labels = mutableMapOf<String, String>()

    fun newApp() = appForTests(path, vault, "hub.sakura-en.example.jp", clock)

    fun tap(label: String): AppView {
        val view = app.view()
        val button = view.allButtons().firstOrNull { it.label == label }
            ?: error("no button '$label' on ${view.screen}: ${view.allButtons().map { it.label }}")
        assertTrue(button.enabled, label)
        return app.dispatch(button.event)
    }

    fun tapInRow(row: String, label: String): AppView {
        val view = app.view()
        val found = view.sections.flatMap { it.rows }.firstOrNull { it.title.contains(row) }
            ?: error("no row '$row' on ${view.screen}")
        val button = found.buttons.firstOrNull { it.label == label } ?: error("no '$label' in row '$row'")
        return app.dispatch(button.event)
    }

    fun fill(label: String, value: String): AppView {
        val view = app.view()
        val field = view.sections.flatMap { it.fields }.firstOrNull { it.label == label }
            ?: error("no field '$label' on ${view.screen}")
        val kind = field.kind
        val sent = if (kind is FieldKind.OneOf) {
            kind.choices.first { it.label.contains(value) }.value
        } else {
            value
        }
        return app.dispatch(AppEvent.Edit(field.id, sent))
    }

    fun ok(view: AppView): AppView {
        assertEquals(listOf(), view.errors(), "${view.screen}")
        return view
    }

    fun signIn(name: String) = tapInRow(name, "この職員でサインイン")

    fun foundAndSetUp() {
        foundFacilityForTests(path, "さくら苑", "管理 一郎", PASSPHRASE, vault, clock)
        app = newApp()
        assertEquals(ScreenKind.UNLOCK, app.view().screen)
        assertEquals(ScreenKind.SIGN_IN, tap("ロックを解除").screen)
        assertEquals(ScreenKind.HOME, signIn("管理 一郎").screen)
        app.dispatch(AppEvent.Open(ScreenKind.SETUP))
        fill("保管庫の種類", "保険証ロッカー")
        fill("保管庫の名前（ラベル表示）", "保険証ロッカー A")
        ok(tap("ロッカーを登録"))
        for ((name, roles, shift) in listOf(
            Triple("主任 花子", "責任者", "日勤"),
            Triple("夜勤 健太", "介護職員・取扱担当者", "夜勤"),
        )) {
            fill("職員の氏名", name)
            fill("役割", roles)
            fill("勤務帯", shift)
            fill("研修の受講日", "2026-10-01")
            ok(tap("職員を登録"))
        }
        fill("氏名", "佐藤 ハナ")
        fill("フリガナ", "サトウ ハナ")
        fill("入所日", "2026-10-01")
        ok(tap("利用者を登録"))
    }

    fun registerTheCardByTappingIt() {
        fill("入所者", "佐藤 ハナ")
        fill("品目", "暗証番号ありのカード")
        fill("保管する場所", "保険証ロッカー A")
        val view = ok(tap("預かり品を登録"))
        assertTrue(view.request is PlatformRequest.TapCard)
        assertNull(ok(app.presentCard(card)).request)
        assertFalse(card.sent.any { it[1] == 0x20.toByte() }, "no VERIFY was ever sent")
        printLabelsForTests(app).forEach { labels[it.locker] = it.text }
        app.dispatch(AppEvent.SignOut)
    }

    fun theFamilysAgreement() {
        signIn("主任 花子")
        app.dispatch(AppEvent.Open(ScreenKind.AGREEMENTS))
        tapInRow("佐藤 ハナ", "開く")
        ok(tap("説明を確認しました"))
        fill("署名する人", "家族（本人の同意あり）")
        fill("署名した人の氏名", "佐藤 一郎")
        fill("利用者との関係", "長男")
        ok(tap("この内容で預かりに同意する"))
        app.dispatch(AppEvent.SignOut)
    }

    fun aNightCheckoutWaitsForApprovalAcrossProcessDeath() {
        clock.setTokyoTime(21u, 0u)
        signIn("夜勤 健太")
        assertTrue(tap("ロッカーのラベルを読み取る").request is PlatformRequest.ScanQr)
        val view = ok(app.dispatch(AppEvent.Scanned(labels.getValue("保険証ロッカー A"))))
        assertEquals(ScreenKind.HANDOVER, view.screen)
        tapInRow("佐藤 ハナ様のマイナ保険証", "持ち出す")
        assertTrue(ok(tap("受診")).allTexts().joinToString().contains("夜間"))
        ok(tap("承認を依頼する"))
        // The platform stops the app; it comes back on the same screen after unlocking.
        val saved = app.save()
        app.destroy()
        app = newApp()
        app.restore(saved)
        val back = tap("ロックを解除")
        assertEquals(ScreenKind.HANDOVER, back.screen)
        assertTrue(back.allButtons().any { it.label == "承認を確認する" })
        assertEquals(listOf("まだ責任者の回答がありません。しばらく待ってから確認してください。"), tap("承認を確認する").errors())
        app.dispatch(AppEvent.SignOut)
    }

    fun theSupervisorApproves() {
        clock.setTokyoTime(21u, 5u)
        val home = signIn("主任 花子")
        assertEquals(1u, home.badges.first { it.screen == ScreenKind.APPROVALS }.count)
        app.dispatch(AppEvent.Open(ScreenKind.APPROVALS))
        ok(tap("承認する"))
        app.dispatch(AppEvent.SignOut)
    }

    fun theCardGoesOutAndComesBackWithTheRightCard() {
        signIn("夜勤 健太")
        app.dispatch(AppEvent.Open(ScreenKind.MY_REQUESTS))
        tapInRow("佐藤 ハナ様のマイナ保険証", "開く")
        ok(tap("持ち出しを記録する"))
        clock.setTokyoTime(23u, 0u)
        tap("次のラベルを読み取る")
        app.dispatch(AppEvent.Scanned(labels.getValue("保険証ロッカー A")))
        tapInRow("佐藤 ハナ様のマイナ保険証", "返却する")
        assertTrue(tap("カードをタッチして確認").request is PlatformRequest.TapCard)
        // Another resident's card is refused, and only the right card returns the item.
        val wrong = app.presentCard(KotlinMyNumberCard("CD9876543210987"))
        assertEquals(1, wrong.errors().size)
        tap("カードをタッチして確認")
        ok(app.presentCard(card))
        ok(tap("返却を記録する"))
        val holding = app.dispatch(AppEvent.Open(ScreenKind.HOLDING))
        assertEquals(listOf(), holding.sections.flatMap { it.rows })
        app.dispatch(AppEvent.SignOut)
    }

    fun theSupervisorAuditsAndHandlesALostCard() {
        clock.setTokyoTime(23u, 30u)
        signIn("主任 花子")
        app.dispatch(AppEvent.Open(ScreenKind.AUDIT))
        ok(tap("監査を始める"))
        ok(app.dispatch(AppEvent.Scanned(labels.getValue("保険証ロッカー A"))))
        app.view().allButtons().filter { it.event is AppEvent.MarkFound }.forEach { ok(app.dispatch(it.event)) }
        assertNotNull(app.view().progress)
        ok(tap("監査を完了する"))
        app.dispatch(AppEvent.Open(ScreenKind.HOME))
        app.dispatch(AppEvent.Open(ScreenKind.INCIDENT))
        fill("何が起きましたか", "施設の外で紛失")
        fill("対象の預かり品", "佐藤 ハナ")
        ok(tap("記録を始める"))
        repeat(10) {
            val view = app.view()
            val receipt = view.sections.flatMap { it.fields }.firstOrNull { it.id == FieldId.RECEIPT_NUMBER }
            if (receipt != null) {
                fill(receipt.label, "第123号")
                ok(tap("受理番号を記録"))
                return@repeat
            }
            view.allButtons().firstOrNull { it.event is AppEvent.CompleteStep }?.let { ok(app.dispatch(it.event)) }
        }
        val close = app.view().allButtons().first { it.event is AppEvent.CloseIncident }
        ok(app.dispatch(close.event))
    }

    fun everyTextFollowsTheLanguage() {
        // Every button and heading switches; Japanese terms kept in English texts as glosses (受理番号) and
        // residents' names are data, not interface.
        try {
            for (screen in listOf(ScreenKind.HOME, ScreenKind.APPROVALS, ScreenKind.AUDIT, ScreenKind.SETTINGS)) {
                app.dispatch(AppEvent.Open(screen))
                val english = app.dispatch(AppEvent.SetLanguage(Language.EN))
                val interface_ = listOf(english.title) + english.allButtons().map { it.label }.filter { it != "日本語" }
                assertFalse(interface_.any { text -> text.any { it in '\u3040'..'\u30FF' } }, interface_.toString())
                app.dispatch(AppEvent.SetLanguage(Language.JA))
            }
        } finally {
            app.dispatch(AppEvent.SetLanguage(Language.JA))
        }
    }

    fun aLostVaultKeyIsRecoveredWithThePassphrase() {
        assertEquals(ScreenKind.UNLOCK, app.dispatch(AppEvent.Lock).screen)
        vault.reset()
        val refused = tap("ロックを解除")
        assertEquals(ScreenKind.UNLOCK, refused.screen)
        assertEquals(1, refused.errors().size)
        fill("復旧用パスフレーズ", PASSPHRASE)
        assertEquals(ScreenKind.SIGN_IN, ok(tap("パスフレーズで解除")).screen)
        app.dispatch(AppEvent.Lock)
        assertEquals(ScreenKind.SIGN_IN, tap("ロックを解除").screen, "the data key was wrapped for the vault again")
        app.dispatch(AppEvent.Lock)
    }
}

fun main() {
    val day = AppDay()
    val steps: List<Pair<String, () -> Unit>> = listOf(
        "a facility is founded and set up from the drawn forms" to day::foundAndSetUp,
        "a card is registered by tapping it" to day::registerTheCardByTappingIt,
        "the family's agreement is recorded" to day::theFamilysAgreement,
        "a night checkout waits for approval across process death" to day::aNightCheckoutWaitsForApprovalAcrossProcessDeath,
        "the supervisor approves" to day::theSupervisorApproves,
        "the card goes out and comes back with the right card" to day::theCardGoesOutAndComesBackWithTheRightCard,
        "the supervisor audits and handles a lost card" to day::theSupervisorAuditsAndHandlesALostCard,
        "every text follows the language" to day::everyTextFollowsTheLanguage,
        "a lost vault key is recovered with the passphrase" to day::aLostVaultKeyIsRecoveredWithThePassphrase,
    )
    var passed = 0
    var failed = 0
    for ((name, step) in steps) {
        try {
            step()
            passed++
            println("ok      $name")
        } catch (e: Throwable) {
            failed++
            println("FAILED  $name: $e")
            e.printStackTrace(System.out)
        }
    }
    day.dir.deleteRecursively()
    println("$passed passed, $failed failed")
    if (failed > 0) exitProcess(1)
}
