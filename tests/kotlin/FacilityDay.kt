// A whole facility day driven through the generated Kotlin bindings of azukari-ffi, on the JVM with JNA: the same
// day as tests/python/test_facility_day.py. Each step runs in order on one facility; the run ends with a plain
// "N passed, N failed" line and exits non-zero when a step failed.
//
// Run by ./scripts/test, which builds the library with the test-only exports (feature `testing`), generates the
// Kotlin bindings from it, compiles them with this file using kotlinc, and runs
// `java -Djna.library.path=<dir of that library> …`.

import java.io.File
import java.nio.file.Files
import java.security.SecureRandom
import javax.crypto.spec.SecretKeySpec
import kotlin.system.exitProcess
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import uniffi.azukari_ffi.*

const val PASSPHRASE = "TEST-RECOVERY-PASSPHRASE-0001"
const val HUB = "hub.sakura-en.example.jp"
const val AGREEMENT = "私は、施設が私のマイナ保険証および資格確認書を施錠された保管庫で預かり、受診・手続きのために職員が持ち出し、記録のうえ返却することに同意します。"

val JPKI_AP = hex("D392F000260100000001")
val COMMON_CARD_AP = hex("D3921000310001010100")
val OK = byteArrayOf(0x90.toByte(), 0x00)
val FILE_NOT_FOUND = byteArrayOf(0x6A, 0x82.toByte())

fun hex(text: String): ByteArray = text.chunked(2).map { it.toInt(16).toByte() }.toByteArray()

/** A key vault in Kotlin: the data key wrapped with AES-GCM under a key held in memory (as Android Keystore would
 *  hold it); `forget()` plays a keystore that was reset. */
class KotlinKeyVault : KeyVault {
    private var key: ByteArray? = ByteArray(32).also { SecureRandom().nextBytes(it) }
    var calls = 0

    fun forget() {
        key = null
    }

    private fun cipher(mode: Int, nonce: ByteArray, storeId: ByteArray): javax.crypto.Cipher {
        val key = key ?: throw KeyVaultException.KeyMissing()
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

class Day {
    val dir: File = Files.createTempDirectory("azukari-kotlin").toFile()
    val path = File(dir, "sakura.azukari").path
    val vault = KotlinKeyVault()
    val clock = TestClock()
    val hana = KotlinMyNumberCard("AB1234567890123")
    val ichiro = KotlinMyNumberCard("CD9876543210987")
    lateinit var facility: Facility
    val staff = mutableMapOf<String, String>()
    val residents = mutableMapOf<String, String>()
    val items = mutableMapOf<String, String>()
    lateinit var locker: String
    lateinit var label: String

    fun at(hour: Int, minute: Int) = clock.setTokyoTime(hour.toUInt(), minute.toUInt())
    fun asStaff(name: String) = facility.signIn(staff.getValue(name))
    fun setup(intent: SetupIntent) = SetupFlow(facility).handle(intent)

    fun createAndSetUp() {
        facility = createFacilityForTests(path, "さくら苑", "管理 一郎", PASSPHRASE, vault, clock)
        assertTrue(vault.calls > 0, "the Kotlin key vault wrapped the data key")
        staff["admin"] = assertNotNull(facility.signedInStaffId())
        fun add(name: String, roles: List<Role>, shifts: List<Shift>): String {
            val done = setup(SetupIntent.AddStaff(name, roles, shifts, "2026-10-01"))
            return (done as SetupDone.StaffAdded).staffId
        }
        staff["supervisor"] = add("主任 花子", listOf(Role.SUPERVISOR), listOf(Shift.DAY))
        staff["day"] = add("取扱 明美", listOf(Role.CARD_HANDLER, Role.CAREGIVER), listOf(Shift.DAY))
        staff["night"] = add("夜勤 健太", listOf(Role.CARD_HANDLER, Role.CAREGIVER), listOf(Shift.NIGHT))
        // Staff do not certify their own training: the supervisor records the founding administrator's.
        asStaff("supervisor")
        assertEquals(
            SetupDone.StaffTrained(staff.getValue("admin"), "2026-09-25"),
            setup(SetupIntent.RecordTraining(staff.getValue("admin"), "2026-09-25")),
        )
        asStaff("admin")
        locker = (setup(SetupIntent.RegisterLocker(LockerKind.CARD_LOCKER, "保険証ロッカー A", "1F 事務室"))
            as SetupDone.LockerRegistered).lockerId
        setup(SetupIntent.RegisterLocker(LockerKind.PIN_SAFE, "暗証番号金庫", "1F 施設長室"))
        for ((key, name, kana) in listOf(Triple("hana", "佐藤 ハナ", "サトウ ハナ"), Triple("ichiro", "鈴木 一郎", "スズキ イチロウ"))) {
            val resident = (setup(SetupIntent.AdmitResident(name, kana, "201号室", "2026-10-01"))
                as SetupDone.ResidentAdmitted).residentId
            residents[key] = resident
            val agreement = AgreementForm(
                residentId = resident,
                signatory = Signatory.FamilyWithConsent,
                signatoryName = "山田 花子",
                relation = "長女",
                items = listOf(ItemCategory.MYNA_CARD, ItemCategory.ELIGIBILITY_CERTIFICATE),
                pinEnvelope = false,
                text = AGREEMENT,
                signedOn = "2026-10-01",
            )
            assertTrue(setup(SetupIntent.RecordPaperAgreement(agreement)) is SetupDone.AgreementRecorded)
            val form = ItemForm(resident, NewItemKind.MynaCard(CardAuth.PIN), locker, "", "", "")
            // The card is registered by tapping it: its dates and keyed identity come from the card.
            val card = if (key == "hana") hana else ichiro
            items[key] = (SetupFlow(facility).registerCardByReading(form, card) as SetupDone.ItemRegistered).itemId
        }
        val view = SetupFlow(facility).view()
        assertEquals(listOf("佐藤 ハナ", "鈴木 一郎"), view.residents.map { it.name }.sorted())
        assertEquals(4, view.staff.size)
    }

    fun registeringReadsOnlyWhatNeedsNoPin() {
        for (card in listOf(hana, ichiro)) {
            assertTrue(card.sent.isNotEmpty())
            assertFalse(card.sent.any { (it[1].toInt() and 0xFF) == 0x20 }, "no VERIFY")
            val selected = card.sent.filter { (it[1].toInt() and 0xFF) == 0xA4 && it[2].toInt() == 0x04 }
                .map { it.copyOfRange(5, 15).toList() }.toSet()
            assertEquals(setOf(JPKI_AP.toList(), COMMON_CARD_AP.toList()), selected)
        }
        val form = ItemForm(residents.getValue("hana"), NewItemKind.MynaCard(CardAuth.FACE_ONLY), locker, "", "", "")
        val head = facility.verifyLedger().events
        assertFailsWith<AzukariException.NotAMyNumberCard> {
            SetupFlow(facility).registerCardByReading(form, NotAMyNumberCard())
        }
        assertEquals(head, facility.verifyLedger().events)
    }

    fun printLabels() {
        val svg = facility.issueLabelSheet(listOf(locker), HUB, LabelLayout.A4_TWO_BY_SIX, LabelSheetFormat.Svg)
        assertTrue(svg.svgPages[0].startsWith("<svg"))
        assertNull(svg.pdf)
        val pdf = facility.issueLabelSheet(listOf(locker), HUB, LabelLayout.A4_THREE_BY_EIGHT, LabelSheetFormat.Pdf(null))
        assertTrue(String(pdf.pdf!!.copyOfRange(0, 4)) == "%PDF")
        assertEquals(svg.labels[0].serial + 1u, pdf.labels[0].serial)
        label = pdf.labels[0].url
        val superseded = assertFailsWith<AzukariException.InvalidQr> { facility.scanLabel(svg.labels[0].url) }
        assertEquals(QrProblem.SUPERSEDED, superseded.problem)
        assertEquals(locker, facility.scanLabel(label))
    }

    fun tamperedLabel() {
        val position = label.length - 20
        val swapped = if (label[position] != 'B') 'B' else 'C'
        val tampered = label.substring(0, position) + swapped + label.substring(position + 1)
        assertEquals(QrProblem.TAMPERED, assertFailsWith<AzukariException.InvalidQr> { facility.scanLabel(tampered) }.problem)
        val garbage = assertFailsWith<AzukariException.InvalidQr> {
            HandoverFlow(facility).handle(HandoverIntent.ScanLabel("https://example.com/not-a-label"))
        }
        assertEquals(QrProblem.NOT_A_LABEL, garbage.problem)
        assertTrue(garbage.text.isNotEmpty())
    }

    fun clinicVisit() {
        at(10, 0)
        asStaff("day")
        val flow = HandoverFlow(facility)
        assertEquals(HandoverStep.SCAN_LOCKER, flow.view().step)
        var view = flow.handle(HandoverIntent.ScanLabel(label))
        assertEquals(HandoverStep.CHOOSE_ITEM, view.step)
        val row = view.items.first { it.itemId == items["hana"] }
        assertEquals("佐藤 ハナ様のマイナ保険証", row.label)
        assertEquals("持ち出す", row.action)
        flow.handle(HandoverIntent.ChooseItem(items.getValue("hana")))
        view = flow.handle(HandoverIntent.ChoosePurpose(PurposeChoice.MEDICAL_VISIT, null))
        assertEquals(HandoverStep.READY_TO_CHECK_OUT, view.step)
        assertEquals("持ち出せます。", view.decision?.headline)
        assertEquals(HandoverStep.CHECKED_OUT, flow.handle(HandoverIntent.Confirm).step)
    }

    fun returnWithTheCard() {
        at(11, 30)
        asStaff("day")
        val flow = HandoverFlow(facility)
        val view = flow.handle(HandoverIntent.ScanLabel(label))
        assertEquals("返却する", view.items.first { it.itemId == items["hana"] }.action)
        assertEquals(HandoverStep.CARD_CHECK, flow.handle(HandoverIntent.ChooseItem(items.getValue("hana"))).step)
        assertFailsWith<AzukariException.NotAMyNumberCard> { flow.tapCard(NotAMyNumberCard()) }
        assertTrue(assertFailsWith<AzukariException.CardReadFailed> { flow.tapCard(CardThatMovesAway()) }.retryable)
        val mismatch = assertFailsWith<AzukariException.CardMismatch> { flow.tapCard(ichiro) }
        assertEquals(NoticeKind.ERROR, flow.view().notice?.kind)
        assertEquals(mismatch.text, flow.view().notice?.text)
        assertFailsWith<AzukariException.CardMismatch> { flow.handle(HandoverIntent.Confirm) }
        assertNull(flow.tapCard(hana).notice)
        assertEquals(HandoverStep.RETURNED, flow.handle(HandoverIntent.Confirm).step)
    }

    fun audit() {
        at(14, 0)
        asStaff("supervisor")
        val audit = AuditFlow(facility)
        assertEquals(AuditStep.SCAN_LOCKER, audit.handle(AuditIntent.Start).step)
        assertNotNull(audit.auditId())
        var view = audit.handle(AuditIntent.ScanLocker(facility.scanLabel(label)))
        assertEquals(AuditStep.LOCKER, view.step)
        assertEquals(items.values.toSet(), view.expected.map { it.itemId }.toSet())
        for (row in view.expected) view = audit.handle(AuditIntent.MarkFound(row.itemId))
        assertEquals(view.progress?.expected, view.progress?.checked)
        view = audit.handle(AuditIntent.Complete)
        assertEquals(AuditStep.COMPLETED, view.step)
        assertEquals(emptyList(), view.summary?.missing)
    }

    fun nightCheckoutWithApproval() {
        at(22, 15)
        asStaff("night")
        val flow = HandoverFlow(facility)
        flow.handle(HandoverIntent.ScanLabel(label))
        flow.handle(HandoverIntent.ChooseItem(items.getValue("ichiro")))
        var view = flow.handle(HandoverIntent.ChoosePurpose(PurposeChoice.MEDICAL_VISIT, null))
        assertEquals(HandoverStep.NEEDS_APPROVAL, view.step)
        assertTrue(view.decision!!.reasons.any { it.rule == "night-needs-approval" })
        assertFailsWith<AzukariException.OutOfOrder> { flow.handle(HandoverIntent.Confirm) }
        assertEquals(HandoverStep.WAITING_FOR_APPROVAL, flow.handle(HandoverIntent.RequestApproval).step)
        assertFailsWith<AzukariException.ApprovalRequired> { flow.handle(HandoverIntent.CheckApproval) }

        val inbox = ApprovalInbox(facility)
        val own = inbox.view().requests[0]
        assertFalse(own.canDecide)
        assertFailsWith<AzukariException.SelfApproval> { inbox.handle(ApprovalIntent.Approve(own.requestId)) }

        asStaff("supervisor")
        val pending = inbox.view()
        assertEquals("承認待ち 1 件", pending.summary)
        val request = pending.requests[0]
        assertEquals("夜勤 健太", request.requester)
        assertTrue(request.rules.any { it.rule == "night-needs-approval" })
        assertEquals(emptyList(), inbox.handle(ApprovalIntent.Approve(request.requestId)).requests)
        assertFailsWith<AzukariException.NoPendingRequest> { inbox.handle(ApprovalIntent.Approve(request.requestId)) }

        asStaff("night")
        view = flow.handle(HandoverIntent.CheckApproval)
        assertEquals(HandoverStep.READY_TO_CHECK_OUT, view.step)
        assertEquals(HandoverStep.CHECKED_OUT, flow.handle(HandoverIntent.Confirm).step)
    }

    fun lostCard() {
        at(23, 30)
        asStaff("supervisor")
        val incident = IncidentFlow(facility)
        assertEquals(IncidentFlowStep.CHOOSE_KIND, incident.view().step)
        var view = incident.handle(IncidentIntent.Open(IncidentKind.LOST_OUTSIDE, items["ichiro"]))
        assertEquals(IncidentStep.SUSPENSION_CALL, view.checklist[0].step)
        assertEquals("0120-95-0178", view.checklist[0].hotline?.phone)
        assertFailsWith<AzukariException.OutOfOrder> { incident.handle(IncidentIntent.Close) }
        while (true) {
            val next = view.checklist.firstOrNull { it.state == StepState.NEXT } ?: break
            view = if (next.step == IncidentStep.POLICE_REPORT) {
                incident.handle(IncidentIntent.RecordPoliceReport("第12345号"))
            } else {
                incident.handle(IncidentIntent.CompleteStep(next.step))
            }
        }
        assertTrue(view.checklist.all { it.state == StepState.DONE })
        assertEquals(IncidentFlowStep.CLOSED, incident.handle(IncidentIntent.Close).step)
        assertEquals(IncidentFlowStep.CLOSED, IncidentFlow.resume(facility, incident.incidentId()!!).view().step)
    }

    fun boardAndAlerts() {
        val board = BoardFlow(facility)
        assertEquals(listOf(items["hana"]), board.view().held.items.map { it.itemId })
        val view = board.handle(BoardIntent.ShowResident(residents.getValue("hana")))
        assertTrue(view.filter is BoardFilter.Resident)
        assertFailsWith<AzukariException.UnknownRecord> {
            board.handle(BoardIntent.ShowLocker("00000000-0000-4000-8000-000000000000"))
        }
        assertFailsWith<AzukariException.InvalidId> { board.handle(BoardIntent.ShowLocker("locker A")) }
        assertTrue(facility.alerts().all { it.message.isNotEmpty() })
        facility.setLanguage(Language.EN)
        assertEquals(Language.EN, facility.language())
        assertEquals("Take out / return", HandoverFlow(facility).view().title)
        facility.setLanguage(Language.JA)
    }

    fun consent() {
        asStaff("admin")
        val consent = ConsentFlow(facility, residents.getValue("hana"), null)
        assertEquals(ConsentStep.ALTERNATIVES, consent.view().step)
        assertEquals(AGREEMENT, consent.view().agreementText)
        assertFailsWith<AzukariException.OutOfOrder> { consent.handle(ConsentIntent.ConfirmPinEnvelope) }
        assertTrue(consent.handle(ConsentIntent.AcknowledgeAlternatives).pinEnvelope.available)
        val view = consent.handle(
            ConsentIntent.ConfirmCustody(
                Signatory.LegalRepresentative(LegalRepresentative.ADULT_GUARDIAN),
                "山田 太郎",
                "成年後見人",
                ConsentChannel.APP,
            ),
        )
        assertEquals(ConsentStep.RECORDED, view.step)
        assertEquals(2, view.agreements.size)
    }

    fun ledger() {
        val report = facility.verifyLedger()
        val export = facility.exportLedger()
        assertEquals(report.events, export.events.size.toULong())
        // Records holding bytes compare their arrays by reference in Kotlin: compare the fields.
        fun same(a: LedgerReport, b: LedgerReport) =
            a.events == b.events && a.devices == b.devices && a.logHash.contentEquals(b.logHash)
        assertTrue(same(report, export.report))
        assertTrue(same(report, verifyLedgerExport(export)))
        val changed = export.events[5].bytes.copyOf()
        changed[changed.size - 1] = (changed[changed.size - 1].toInt() xor 1).toByte()
        val events = export.events.toMutableList()
        events[5] = SignedEventBytes(changed, events[5].signature)
        assertFailsWith<AzukariException.LedgerInvalid> { verifyLedgerExport(export.copy(events = events)) }
    }

    fun lockAndUnlock() {
        val events = facility.verifyLedger().events
        facility.lock()
        assertTrue(facility.isLocked())
        assertFailsWith<AzukariException.LockedStore> { HandoverFlow(facility).view() }
        assertFailsWith<AzukariException.WrongPassphrase> {
            Facility.unlockWithRecoveryPassphrase(path, "WRONG-RECOVERY-PASSPHRASE-0001")
        }
        assertFailsWith<AzukariException.WrongKey> { Facility.unlockWithVault(path, OtherKeyVault()) }
        facility = unlockFacilityForTests(path, vault, clock)
        assertNull(facility.signedInStaffId())
        assertFailsWith<AzukariException.NotSignedIn> { HandoverFlow(facility).handle(HandoverIntent.ScanLabel(label)) }
        assertEquals(events, facility.verifyLedger().events)
        facility.lock()
        vault.forget()
        assertFailsWith<AzukariException.KeyVaultMissing> { Facility.unlockWithVault(path, vault) }
        facility = Facility.unlockWithRecoveryPassphrase(path, PASSPHRASE)
        val fresh = KotlinKeyVault()
        facility.rewrapForVault(fresh)
        facility.lock()
        facility = Facility.unlockWithVault(path, fresh)
        assertEquals(events, facility.verifyLedger().events)
        facility.lock()
    }
}

fun main() {
    val day = Day()
    val steps: List<Pair<String, () -> Unit>> = listOf(
        "an administrator creates the facility and sets it up" to day::createAndSetUp,
        "registering a card reads only what needs no PIN" to day::registeringReadsOnlyWhatNeedsNoPin,
        "locker labels are printed as SVG and PDF" to day::printLabels,
        "a tampered label is refused with its typed error" to day::tamperedLabel,
        "a designated handler takes a card to the clinic" to day::clinicVisit,
        "the return refuses the wrong card and takes the right one" to day::returnWithTheCard,
        "a supervisor audits the lockers" to day::audit,
        "a night checkout needs and gets a supervisor's approval" to day::nightCheckoutWithApproval,
        "the card lost outside is handled by the checklist" to day::lostCard,
        "the board and the alerts show the day" to day::boardAndAlerts,
        "a guardian confirms custody after reading the alternatives" to day::consent,
        "the ledger verifies and its export too" to day::ledger,
        "a locked store opens only with the right key or passphrase" to day::lockAndUnlock,
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
    exitProcess(if (failed == 0) 0 else 1)
}
