package jp.azukari.android.bridge

import java.io.File
import java.nio.file.Files
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.spec.GCMParameterSpec
import javax.crypto.spec.SecretKeySpec
import uniffi.azukari_ffi.AgreementForm
import uniffi.azukari_ffi.CardAuth
import uniffi.azukari_ffi.CardTransceiver
import uniffi.azukari_ffi.Facility
import uniffi.azukari_ffi.ItemCategory
import uniffi.azukari_ffi.ItemForm
import uniffi.azukari_ffi.KeyVault
import uniffi.azukari_ffi.KeyVaultException
import uniffi.azukari_ffi.LockerKind
import uniffi.azukari_ffi.NewItemKind
import uniffi.azukari_ffi.Role
import uniffi.azukari_ffi.Shift
import uniffi.azukari_ffi.SetupDone
import uniffi.azukari_ffi.SetupFlow
import uniffi.azukari_ffi.SetupIntent
import uniffi.azukari_ffi.Signatory
import uniffi.azukari_ffi.TestClock
import uniffi.azukari_ffi.createFacilityForTests

const val AGREEMENT = "私は、施設が私のマイナ保険証を施錠された保管庫で預かり、受診・手続きのために職員が持ち出し、記録のうえ返却することに同意します。"

/** A facility store made by the real core (test build: fast KDF, test clock) with one locker and one resident
 *  whose custody agreement is recorded, ready for a card to be registered. */
class TestFacility(val vault: KeyVault = MemoryKeyVault()) {
    val dir: File = Files.createTempDirectory("azukari-android").toFile()
    val path = File(dir, "facility.azukari").path
    val clock = TestClock()
    val facility: Facility = createFacilityForTests(path, "さくら苑", "管理 一郎", "TEST-RECOVERY-PASSPHRASE-0001", vault, clock)
    val locker: String
    val resident: String
    val admin: String

    init {
        // Staff handle cards only with their privacy training on record, and nobody certifies their own: a
        // supervisor records the founding administrator's, then the administrator sets the facility up.
        admin = facility.signedInStaffId()!!
        val supervisor = (setup(SetupIntent.AddStaff("主任 花子", listOf(Role.SUPERVISOR), listOf(Shift.DAY), "2026-10-01"))
            as SetupDone.StaffAdded).staffId
        facility.signIn(supervisor)
        setup(SetupIntent.RecordTraining(admin, "2026-09-25"))
        facility.signIn(admin)
        locker = (setup(SetupIntent.RegisterLocker(LockerKind.CARD_LOCKER, "保険証ロッカー A", "1F 事務室"))
            as SetupDone.LockerRegistered).lockerId
        resident = (setup(SetupIntent.AdmitResident("佐藤 ハナ", "サトウ ハナ", "201号室", "2026-10-01"))
            as SetupDone.ResidentAdmitted).residentId
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
    }

    fun setup(intent: SetupIntent): SetupDone = SetupFlow(facility).handle(intent)

    /** Register the resident's My Number card by reading it through [card]; the new item's id. */
    fun registerCard(card: CardTransceiver): String {
        val form = ItemForm(resident, NewItemKind.MynaCard(CardAuth.PIN), locker, "", "", "")
        return (SetupFlow(facility).registerCardByReading(form, card) as SetupDone.ItemRegistered).itemId
    }

    fun close() {
        facility.lock()
        dir.deleteRecursively()
    }
}

/** A key vault in memory, for tests that are not about the key vault. */
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
