import CryptoKit
import Foundation
import XCTest
import azukari_core
import azukari_ffi

/// A small facility set up the way an administrator does it, through the app's own screens (as
/// tests/kotlin/AppDay.kt, tests/python/test_app.py and the Android tests' TestFacility do): founded with
/// `foundFacilityForTests` (the test build: fast KDF, test clock), then, by taps and reads only, a card locker, a
/// supervisor, a day and a night caregiver, two residents whose My Number cards were registered by tapping
/// software cards, their custody agreements recorded by the supervisor, the administrator's training recorded by
/// the supervisor, and the locker's label as a camera reads it (`printLabelsForTests`). Then locked: `app()` opens
/// it as the app a phone runs, on the unlock screen.
final class TestFacility {
    static let hubHost = "hub.sakura-en.example.jp"
    static let passphrase = "TEST-RECOVERY-PASSPHRASE-0001"
    static let admin = "管理 一郎"
    static let supervisor = "主任 花子"
    static let day = "取扱 明美"
    static let night = "夜勤 健太"
    static let hana = "佐藤 ハナ"
    static let ichiro = "鈴木 一郎"
    static let locker = "保険証ロッカー A"

    let dir: URL
    let path: String
    let vault = MemoryKeyVault()
    let clock = TestClock()
    let hanaCard = SoftwareMyNumberCard(serial: "AB1234567890123")
    let ichiroCard = SoftwareMyNumberCard(serial: "CD9876543210987")
    /// The locker's label, as the camera reads it.
    private(set) var label = ""

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        path = dir.appendingPathComponent("facility.azukari").path
        try foundFacilityForTests(
            path: path, facilityName: "さくら苑", administratorName: TestFacility.admin,
            recoveryPassphrase: TestFacility.passphrase, vault: vault, clock: clock
        )
        let setup = Walk(app: app())
        try setup.tap { $0 == .unlockWithVault }
        try setup.signIn(TestFacility.admin)
        try setup.step(.open(screen: .setup))
        try setup.edit(.lockerKind, "保険証ロッカー")
        try setup.edit(.lockerName, TestFacility.locker)
        try setup.edit(.lockerPlace, "1F 事務室")
        try setup.tap { $0 == .registerLocker }
        for (name, role, shift) in [
            (TestFacility.supervisor, "責任者", "日勤"),
            (TestFacility.day, "介護職員・取扱担当者", "日勤"),
            (TestFacility.night, "介護職員・取扱担当者", "夜勤"),
        ] {
            try setup.edit(.staffName, name)
            try setup.edit(.staffRole, role)
            try setup.edit(.staffShift, shift)
            try setup.edit(.trainedOn, "2026-10-01")
            try setup.tap { $0 == .addStaff }
        }
        for (name, kana) in [(TestFacility.hana, "サトウ ハナ"), (TestFacility.ichiro, "スズキ イチロウ")] {
            try setup.edit(.residentName, name)
            try setup.edit(.residentKana, kana)
            try setup.edit(.residentRoom, "201号室")
            try setup.edit(.admittedOn, "2026-10-01")
            try setup.tap { $0 == .admitResident }
        }
        // Each card is registered by tapping it: the view asks for the card, the reader hands it to the core.
        for (name, card) in [(TestFacility.hana, hanaCard), (TestFacility.ichiro, ichiroCard)] {
            try setup.edit(.itemResident, name)
            try setup.edit(.itemKind, "暗証番号あり")
            try setup.edit(.itemLocker, TestFacility.locker)
            try setup.tap { $0 == .registerItem }
            guard setup.asksForCard else { throw TestFailure.unexpected("no card asked for: \(setup.view.screen)") }
            try setup.present(card)
            guard setup.view.request == nil else { throw TestFailure.unexpected("the card was not taken") }
        }
        label = try XCTUnwrap(printLabelsForTests(app: setup.app).first { $0.locker == TestFacility.locker }).text
        try setup.step(.signOut)
        // The supervisor records each family's agreement and the administrator's training.
        try setup.signIn(TestFacility.supervisor)
        for name in [TestFacility.hana, TestFacility.ichiro] {
            try setup.step(.open(screen: .agreements))
            try setup.tapInRow(name) { if case .openConsent = $0 { return true } else { return false } }
            try setup.tap { $0 == .acknowledgeAlternatives }
            try setup.edit(.signatory, "家族")
            try setup.edit(.signatoryName, "山田 花子")
            try setup.edit(.relation, "長女")
            try setup.tap { $0 == .confirmCustody }
        }
        try setup.step(.open(screen: .setup))
        try setup.edit(.trainingStaff, TestFacility.admin)
        try setup.edit(.trainingDate, "2026-09-25")
        try setup.tap { $0 == .recordTraining }
        try setup.step(.open(screen: .settings))
        try setup.tap { $0 == .lock }
        guard setup.view.screen == .unlock else { throw TestFailure.unexpected("not locked: \(setup.view.screen)") }
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

/// A person at the app: taps the buttons the view drew (found by their event, in a row by its title), fills the
/// fields it drew (by their id: the text, or the choice whose label contains the value) and reads what it says.
/// Every step but `dispatch` must end without an error notice.
final class Walk {
    private(set) var app: AzukariApp
    private(set) var view: AppView {
        didSet { drawn?(view) }
    }
    /// Called with every view the walk comes to (the day's tests draw each one in the SwiftUI frame).
    var drawn: ((AppView) -> Void)?

    init(app: AzukariApp) {
        self.app = app
        view = app.view()
    }

    /// The process was stopped: a new app on the same store brings the sealed screen back (after unlocking).
    func restart(_ app: AzukariApp, saved: Data) {
        self.app = app
        view = app.restore(saved: saved)
    }

    /// One event; the view after it must show no error.
    @discardableResult
    func step(_ event: AppEvent) throws -> AppView {
        view = try app.dispatch(event: event)
        let refused = errors
        guard refused.isEmpty else { throw TestFailure.unexpected("\(event) on \(view.screen): \(refused)") }
        return view
    }

    /// One event, whatever the view then says (a refusal is a notice).
    @discardableResult
    func dispatch(_ event: AppEvent) throws -> AppView {
        view = try app.dispatch(event: event)
        return view
    }

    /// Tap the first enabled button whose event matches (it must end without an error); returns its label.
    @discardableResult
    func tap(_ match: (AppEvent) -> Bool) throws -> String {
        let found = try button(match)
        try step(found.event)
        return found.label
    }

    /// Tap the matching button of the row whose title contains `title`; returns its label.
    @discardableResult
    func tapInRow(_ title: String, _ match: (AppEvent) -> Bool) throws -> String {
        let row = view.sections.flatMap(\.rows).first { row in
            row.title.contains(title) && row.buttons.contains { $0.enabled && match($0.event) }
        }
        guard let found = row?.buttons.first(where: { $0.enabled && match($0.event) }) else {
            throw TestFailure.unexpected("no row '\(title)' with such a button on \(view.screen): "
                + "\(view.sections.flatMap(\.rows).map(\.title))")
        }
        try step(found.event)
        return found.label
    }

    /// Sign `name` in (on the sign-in screen).
    func signIn(_ name: String) throws {
        try tapInRow(name) { if case .signIn = $0 { return true } else { return false } }
    }

    /// Fill a field: its text, or the choice whose label contains `value`.
    func edit(_ id: FieldId, _ value: String) throws {
        guard let field = view.sections.flatMap(\.fields).first(where: { $0.id == id }) else {
            throw TestFailure.unexpected("no field \(id) on \(view.screen)")
        }
        var sent = value
        if case .oneOf(let choices) = field.kind {
            guard let choice = choices.first(where: { $0.label.contains(value) }) else {
                throw TestFailure.unexpected("no choice '\(value)' in \(id): \(choices.map(\.label))")
            }
            sent = choice.value
        }
        view = try app.dispatch(event: .edit(field: id, value: sent))
    }

    /// Be the card reader: hand the card to the app, as the NFC bridge does.
    @discardableResult
    func present(_ card: CardTransceiver) throws -> AppView {
        view = try app.presentCard(card: card)
        return view
    }

    /// The first enabled button whose event matches.
    func button(_ match: (AppEvent) -> Bool) throws -> azukari_core.Button {
        guard let found = buttons.first(where: { $0.enabled && match($0.event) }) else {
            throw TestFailure.unexpected("no such button on \(view.screen): \(buttons.map(\.label))")
        }
        return found
    }

    var asksForCard: Bool {
        if case .tapCard? = view.request { return true }
        return false
    }

    /// Every button on the screen, in the order drawn.
    var buttons: [azukari_core.Button] {
        var found: [azukari_core.Button] = view.back.map { [$0] } ?? []
        for section in view.sections {
            for row in section.rows { found += row.buttons }
            found += section.buttons
        }
        return found
    }

    /// Every text a person reads on the screen.
    var texts: [String] {
        var found = [view.title] + view.notices.map(\.text)
        for section in view.sections {
            found += (section.title.map { [$0] } ?? []) + section.paragraphs
            found += section.facts.flatMap { [$0.label, $0.value] }
            for row in section.rows { found += [row.title] + row.details }
            found += section.fields.map(\.label)
        }
        return found + buttons.map(\.label)
    }

    var errors: [String] {
        view.notices.filter { $0.kind == .error }.map(\.text)
    }
}

enum TestFailure: Error {
    case unexpected(String)
}

/// A key vault in memory (the app's own is the Keychain one); `reset()` plays a Keychain whose key was lost.
final class MemoryKeyVault: KeyVault, @unchecked Sendable {
    private var key = SymmetricKey(size: .bits256)

    func reset() {
        key = SymmetricKey(size: .bits256)
    }

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
