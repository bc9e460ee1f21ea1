package jp.azukari.screens

import java.io.File
import java.nio.file.Files
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.spec.GCMParameterSpec
import javax.crypto.spec.SecretKeySpec
import uniffi.azukari_ffi.AgreementForm
import uniffi.azukari_ffi.AzukariApp
import uniffi.azukari_ffi.CardAuth
import uniffi.azukari_ffi.Facility
import uniffi.azukari_ffi.ItemCategory
import uniffi.azukari_ffi.ItemForm
import uniffi.azukari_ffi.KeyVault
import uniffi.azukari_ffi.KeyVaultException
import uniffi.azukari_ffi.LabelLayout
import uniffi.azukari_ffi.LabelSheetFormat
import uniffi.azukari_ffi.LockerKind
import uniffi.azukari_ffi.NewItemKind
import uniffi.azukari_ffi.Role
import uniffi.azukari_ffi.SetupDone
import uniffi.azukari_ffi.SetupFlow
import uniffi.azukari_ffi.SetupIntent
import uniffi.azukari_ffi.Shift
import uniffi.azukari_ffi.Signatory
import uniffi.azukari_ffi.TestClock
import uniffi.azukari_ffi.appForTests
import uniffi.azukari_ffi.createFacilityForTests

const val HUB_HOST = "hub.sakura-en.example.jp"

/**
 * A small facility made with the real core's setup API (test build: fast KDF, test clock): an administrator, a
 * supervisor, a day and a night caregiver, a card locker with its printed label, and two residents whose My Number
 * cards were registered by reading software cards. Then locked, and opened as the app a phone runs.
 */
class TestFacility {
    val dir: File = Files.createTempDirectory("azukari-screens").toFile()
    val path = File(dir, "facility.azukari").path
    val vault = MemoryKeyVault()
    val clock = TestClock()
    val hana = SoftwareMyNumberCard("AB1234567890123")
    val ichiro = SoftwareMyNumberCard("CD9876543210987")
    val staff = mutableMapOf<String, String>()
    val residents = mutableMapOf<String, String>()
    val items = mutableMapOf<String, String>()
    val locker: String
    val label: String

    init {
        val facility = createFacilityForTests(path, "さくら苑", "管理 一郎", "TEST-RECOVERY-PASSPHRASE-0001", vault, clock)
        fun setup(intent: SetupIntent) = SetupFlow(facility).handle(intent)
        staff["admin"] = facility.signedInStaffId()!!
        fun add(name: String, roles: List<Role>, shifts: List<Shift>) =
            (setup(SetupIntent.AddStaff(name, roles, shifts, "2026-10-01")) as SetupDone.StaffAdded).staffId
        staff["supervisor"] = add("主任 花子", listOf(Role.SUPERVISOR), listOf(Shift.DAY))
        staff["day"] = add("取扱 明美", listOf(Role.CARD_HANDLER, Role.CAREGIVER), listOf(Shift.DAY))
        staff["night"] = add("夜勤 健太", listOf(Role.CARD_HANDLER, Role.CAREGIVER), listOf(Shift.NIGHT))
        facility.signIn(staff.getValue("supervisor"))
        setup(SetupIntent.RecordTraining(staff.getValue("admin"), "2026-09-25"))
        facility.signIn(staff.getValue("admin"))
        locker = (setup(SetupIntent.RegisterLocker(LockerKind.CARD_LOCKER, "保険証ロッカー A", "1F 事務室"))
            as SetupDone.LockerRegistered).lockerId
        for ((key, name, kana) in listOf(Triple("hana", "佐藤 ハナ", "サトウ ハナ"), Triple("ichiro", "鈴木 一郎", "スズキ イチロウ"))) {
            val resident = (setup(SetupIntent.AdmitResident(name, kana, "201号室", "2026-10-01")) as SetupDone.ResidentAdmitted).residentId
            residents[key] = resident
            val agreement = AgreementForm(
                residentId = resident,
                signatory = Signatory.FamilyWithConsent,
                signatoryName = "山田 花子",
                relation = "長女",
                items = listOf(ItemCategory.MYNA_CARD),
                pinEnvelope = false,
                text = AGREEMENT,
                signedOn = "2026-10-01",
            )
            check(setup(SetupIntent.RecordPaperAgreement(agreement)) is SetupDone.AgreementRecorded)
            val form = ItemForm(resident, NewItemKind.MynaCard(CardAuth.PIN), locker, "", "", "")
            val card = if (key == "hana") hana else ichiro
            items[key] = (SetupFlow(facility).registerCardByReading(form, card) as SetupDone.ItemRegistered).itemId
        }
        label = facility.issueLabelSheet(listOf(locker), HUB_HOST, LabelLayout.A4_TWO_BY_SIX, LabelSheetFormat.Svg)
            .labels.single().url
        facility.lock()
    }

    /** The app a phone of this facility runs (locked, on the unlock screen). */
    fun app(): AzukariApp = appForTests(path, vault, HUB_HOST, clock)

    fun at(hour: Int, minute: Int) = clock.setTokyoTime(hour.toUInt(), minute.toUInt())

    fun close() {
        dir.deleteRecursively()
    }

    companion object {
        const val AGREEMENT = "私は、施設が私のマイナ保険証を施錠された保管庫で預かり、受診・手続きのために職員が持ち出し、記録のうえ返却することに同意します。"
    }
}

/** A key vault in memory (the app's own is the Android Keystore one, tested under Robolectric). */
class MemoryKeyVault : KeyVault {
    private val key = ByteArray(32).also { SecureRandom().nextBytes(it) }

    override fun wrapDataKey(storeId: ByteArray, dataKey: ByteArray): ByteArray {
        val nonce = ByteArray(12).also { SecureRandom().nextBytes(it) }
        return nonce + cipher(Cipher.ENCRYPT_MODE, nonce, storeId).doFinal(dataKey)
    }

    override fun unwrapDataKey(storeId: ByteArray, wrapped: ByteArray): ByteArray = try {
        cipher(Cipher.DECRYPT_MODE, wrapped.copyOfRange(0, 12), storeId).doFinal(wrapped, 12, wrapped.size - 12)
    } catch (e: javax.crypto.AEADBadTagException) {
        throw KeyVaultException.Refused("not this vault's blob")
    }

    private fun cipher(mode: Int, nonce: ByteArray, aad: ByteArray) = Cipher.getInstance("AES/GCM/NoPadding").apply {
        init(mode, SecretKeySpec(key, "AES"), GCMParameterSpec(128, nonce))
        updateAAD(aad)
    }
}
