import CryptoKit
import Foundation
import XCTest
import azukari_core
import azukari_ffi

/// A small facility made with the real core's setup API (the test build of the library: fast KDF, test clock),
/// as the Android screens' tests make it: an administrator, a supervisor, a day and a night caregiver, a card
/// locker with its printed label, and two residents whose My Number cards were registered by reading software
/// cards. Then locked, and opened as the app a phone runs.
final class TestFacility {
    static let hubHost = "hub.sakura-en.example.jp"
    static let agreement = "私は、施設が私のマイナ保険証を施錠された保管庫で預かり、受診・手続きのために職員が持ち出し、記録のうえ返却することに同意します。"

    let dir: URL
    let path: String
    let vault = MemoryKeyVault()
    let clock = TestClock()
    let hana = SoftwareMyNumberCard(serial: "AB1234567890123")
    let ichiro = SoftwareMyNumberCard(serial: "CD9876543210987")
    var staff: [String: String] = [:]
    var residents: [String: String] = [:]
    var items: [String: String] = [:]
    var locker = ""
    var label = ""

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        path = dir.appendingPathComponent("facility.azukari").path
        let facility = try createFacilityForTests(
            path: path, facilityName: "さくら苑", administratorName: "管理 一郎",
            recoveryPassphrase: "TEST-RECOVERY-PASSPHRASE-0001", vault: vault, clock: clock
        )
        let setup = SetupFlow(facility: facility)
        staff["admin"] = try XCTUnwrap(try facility.signedInStaffId())
        func add(_ name: String, _ roles: [Role], _ shifts: [Shift]) throws -> String {
            guard case .staffAdded(let id) = try setup.handle(
                intent: .addStaff(name: name, roles: roles, shifts: shifts, trainedOn: "2026-10-01")
            ) else { throw TestFailure.unexpected("staff") }
            return id
        }
        staff["supervisor"] = try add("主任 花子", [.supervisor], [.day])
        staff["day"] = try add("取扱 明美", [.cardHandler, .caregiver], [.day])
        staff["night"] = try add("夜勤 健太", [.cardHandler, .caregiver], [.night])
        try facility.signIn(staffId: staff["supervisor"]!)
        _ = try setup.handle(intent: .recordTraining(staffId: staff["admin"]!, on: "2026-09-25"))
        try facility.signIn(staffId: staff["admin"]!)
        guard case .lockerRegistered(let lockerId) = try setup.handle(
            intent: .registerLocker(kind: .cardLocker, name: "保険証ロッカー A", place: "1F 事務室")
        ) else { throw TestFailure.unexpected("locker") }
        locker = lockerId
        for (key, name, kana) in [("hana", "佐藤 ハナ", "サトウ ハナ"), ("ichiro", "鈴木 一郎", "スズキ イチロウ")] {
            guard case .residentAdmitted(let resident) = try setup.handle(
                intent: .admitResident(name: name, kana: kana, room: "201号室", admittedOn: "2026-10-01")
            ) else { throw TestFailure.unexpected("resident") }
            residents[key] = resident
            let agreement = AgreementForm(
                residentId: resident, signatory: .familyWithConsent, signatoryName: "山田 花子", relation: "長女",
                items: [.mynaCard], pinEnvelope: false, text: TestFacility.agreement, signedOn: "2026-10-01"
            )
            guard case .agreementRecorded = try setup.handle(intent: .recordPaperAgreement(form: agreement))
            else { throw TestFailure.unexpected("agreement") }
            let form = ItemForm(
                residentId: resident, kind: .mynaCard(auth: .pin), homeLockerId: locker,
                cardExpiresOn: "", certificateExpiresOn: "", documentExpiresOn: ""
            )
            let card = key == "hana" ? hana : ichiro
            guard case .itemRegistered(let item) = try setup.registerCardByReading(form: form, card: card)
            else { throw TestFailure.unexpected("item") }
            items[key] = item
        }
        let sheet = try facility.issueLabelSheet(
            lockerIds: [locker], hubHost: TestFacility.hubHost, layout: .a4TwoBySix, format: .svg
        )
        label = try XCTUnwrap(sheet.labels.first).url
        try facility.lock()
    }

    /// The app a phone of this facility runs (locked, on the unlock screen).
    func app() -> AzukariApp {
        appForTests(path: path, vault: vault, labelHost: TestFacility.hubHost, clock: clock)
    }

    func at(_ hour: UInt32, _ minute: UInt32) throws {
        try clock.setTokyoTime(hour: hour, minute: minute)
    }

    func close() {
        try? FileManager.default.removeItem(at: dir)
    }
}

enum TestFailure: Error {
    case unexpected(String)
}

/// A key vault in memory (the app's own is the Keychain one).
final class MemoryKeyVault: KeyVault, @unchecked Sendable {
    private let key = SymmetricKey(size: .bits256)

    func wrapDataKey(storeId: Data, dataKey: Data) throws -> Data {
        guard let combined = try AES.GCM.seal(dataKey, using: key, authenticating: storeId).combined else {
            throw KeyVaultError.Refused(reason: "seal")
        }
        return combined
    }

    func unwrapDataKey(storeId: Data, wrapped: Data) throws -> Data {
        do {
            return try AES.GCM.open(AES.GCM.SealedBox(combined: wrapped), using: key, authenticating: storeId)
        } catch {
            throw KeyVaultError.Refused(reason: "not this vault's blob")
        }
    }
}

/// A My Number card in software answering the PIN-less APDUs of DOMAIN.md (SELECT JPKI AP, token info, the
/// authentication certificate by READ BINARY chunks, SELECT common card AP, READ RECORD 1), with a test
/// certificate made by the core. It records every command, so tests can check that no VERIFY was ever sent.
final class SoftwareMyNumberCard: CardTransceiver, @unchecked Sendable {
    static let jpkiAP = Data([0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01])
    static let commonCardAP = Data([0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x01, 0x00])

    private let serial: Data
    private let certificate: Data
    private var application: String?
    private var file: Data?
    private(set) var sent: [Data] = []

    init(serial: String, certificateExpiresOn: String = "2029-05-16") {
        self.serial = Data(serial.utf8)
        certificate = (try? testCardCertificate(certificateExpiresOn: certificateExpiresOn)) ?? Data()
    }

    func transceive(apdu: Data) throws -> Data {
        sent.append(apdu)
        let bytes = [UInt8](apdu)
        guard bytes.count >= 4, bytes[0] == 0 else { return sw(0x6E00) }
        let (ins, p1, p2) = (bytes[1], bytes[2], bytes[3])
        if ins == 0xA4 && p1 == 0x04 && p2 == 0x0C {
            let aid = Data(bytes[5..<(5 + Int(bytes[4]))])
            if aid == Self.jpkiAP {
                application = "jpki"
            } else if aid == Self.commonCardAP {
                application = "common"
            } else {
                return sw(0x6A82)
            }
            file = nil
            return sw(0x9000)
        }
        if ins == 0xA4 && p1 == 0x02 && p2 == 0x0C && application == "jpki" {
            switch bytes[6] {
            case 0x06: file = Data("JPKIAPICCTOKEN2".padding(toLength: 32, withPad: " ", startingAt: 0).utf8)
            case 0x0A: file = certificate
            default: return sw(0x6A82)
            }
            return sw(0x9000)
        }
        if ins == 0xB0, let current = file {
            let offset = Int(p1) << 8 | Int(p2)
            let length = bytes[4] == 0 ? 256 : Int(bytes[4])
            let chunk = current.subdata(in: min(offset, current.count)..<min(offset + length, current.count))
            return chunk + (chunk.count == length ? sw(0x9000) : sw(0x6282))
        }
        if ins == 0xB2 && p1 == 0x01 && application == "common" {
            return Data([0x01, 0x1C]) + serial + Data("13101".utf8) + Data("20340516".utf8) + sw(0x9000)
        }
        return sw(0x6D00)
    }

    private func sw(_ word: UInt16) -> Data {
        Data([UInt8(word >> 8), UInt8(word & 0xFF)])
    }
}

/// A card that leaves the field after `answers` answers (CoreNFC's "tag connection lost", as the bridge maps it).
final class MovesAwayAfter: CardTransceiver, @unchecked Sendable {
    private let card: CardTransceiver
    private let answers: Int
    private var count = 0

    init(_ card: CardTransceiver, answers: Int) {
        self.card = card
        self.answers = answers
    }

    func transceive(apdu: Data) throws -> Data {
        count += 1
        if count > answers { throw CardIoError.TagLost }
        return try card.transceive(apdu: apdu)
    }
}
