import SwiftUI
import XCTest
@testable import AzukariUI
import azukari_core
import azukari_ffi

/// A facility day through the bindings, as a shell lives it: every step taps a button the view drew (found by its
/// event or its label) and reads what the view says; the camera and the card reader are played by the test, as
/// the bridges play them on a phone (ScanQr → Scanned, TapCard → presentCard). Mirrors hub/tests/app_day.rs,
/// tests/python/test_app.py and the Android AppWalkTest. Each view is also drawn by the SwiftUI frame.
final class FacilityDayTests: XCTestCase {
    private var facility: TestFacility!
    private var app: AzukariApp!
    private var view: AppView!

    override func setUpWithError() throws {
        facility = try TestFacility()
        app = facility.app()
        view = app.view()
    }

    override func tearDown() {
        facility?.close()
    }

    func testACaregiverChecksACardOutAndReturnsItWithTheCard() throws {
        XCTAssertEqual(view.screen, .unlock)
        XCTAssertEqual(view.title, "ロック解除")
        try tap("unlock") { $0 == .unlockWithVault }
        XCTAssertEqual(view.screen, .signIn)

        try facility.at(10, 0)
        try signIn("day")
        XCTAssertEqual(view.screen, .home)

        // Check out: scan the locker's label, pick the resident's card, the purpose, check out.
        try scanLocker()
        let hana = facility.items["hana"]!
        let checkoutLabel = try tap("choose Hana's card") { $0 == .chooseItem(item: hana) }
        try tap("purpose: a clinic visit") {
            if case .choosePurpose(let purpose) = $0 { return purpose.contains("MedicalVisit") }
            return false
        }
        try tap("check out") { $0 == .checkOut }
        XCTAssertEqual(errors(), [])
        XCTAssertEqual(view.screen, .handover)

        // Return at 11:30: the same card's row now offers the return; the card must be tapped.
        try facility.at(11, 30)
        try home()
        try scanLocker()
        let returnLabel = try tap("return Hana's card") { $0 == .chooseItem(item: hana) }
        XCTAssertNotEqual(checkoutLabel, returnLabel, "the row's action changed after the checkout")
        if !asksForCard() { try tap("tap the card") { $0 == .tapCard } }
        XCTAssertTrue(asksForCard())

        // The card moved away mid-read: the request stays open and the view says to hold it still.
        try present(MovesAwayAfter(facility.hana, answers: 4))
        XCTAssertTrue(asksForCard())
        XCTAssertFalse(view.notices.isEmpty)
        // Another resident's card is refused, with the reason drawn.
        try present(facility.ichiro)
        XCTAssertFalse(errors().isEmpty)
        if !asksForCard() { try tap("tap the card again") { $0 == .tapCard } }
        // The right card: the return can be recorded.
        try present(facility.hana)
        XCTAssertEqual(errors(), [])
        try tap("record the return") { $0 == .returnItem }
        XCTAssertEqual(errors(), [])
        // No command the core sent to the card was a VERIFY (INS 0x20): the PIN is never involved.
        XCTAssertFalse(facility.hana.sent.contains { $0.count > 1 && $0[$0.startIndex + 1] == 0x20 })

        // The card is back: scanning again offers the checkout once more.
        try home()
        try scanLocker()
        XCTAssertEqual(try button("Hana's card") { $0 == .chooseItem(item: hana) }.label, checkoutLabel)

        // A forged label changes nothing and says why.
        let before = view.screen
        let forged = facility.label.replacingOccurrences(of: "/l/", with: "/l/A")
        view = try app.dispatch(event: .scanned(text: forged))
        XCTAssertEqual(view.screen, before)
        XCTAssertEqual(errors().count, 1)
    }

    func testANightCheckoutWaitsForASupervisorsApprovalAndSurvivesProcessDeath() throws {
        try tap("unlock") { $0 == .unlockWithVault }
        try facility.at(22, 15)
        try signIn("night")
        try scanLocker()
        let ichiro = facility.items["ichiro"]!
        try tap("choose Ichiro's card") { $0 == .chooseItem(item: ichiro) }
        try tap("purpose: a clinic visit") {
            if case .choosePurpose(let purpose) = $0 { return purpose.contains("MedicalVisit") }
            return false
        }
        // At night the rules want a supervisor: no checkout button, a request instead.
        XCTAssertFalse(buttons().contains { $0.event == .checkOut && $0.enabled })
        try tap("ask for approval") { $0 == .requestApproval }

        // The phone is stopped while it waits; it comes back on the same screen after unlocking.
        let saved = try app.save()
        app = facility.app()
        view = app.restore(saved: saved)
        try tap("unlock") { $0 == .unlockWithVault }
        XCTAssertEqual(view.screen, .handover)
        XCTAssertTrue(buttons().contains { $0.event == .checkApproval })

        try signOut()
        try signIn("supervisor")
        try tap("open the approvals") { $0 == .open(screen: .approvals) }
        XCTAssertEqual(view.screen, .approvals)
        XCTAssertTrue(texts().contains { $0.contains("夜勤 健太") })
        try tap("approve") { if case .approve = $0 { return true } else { return false } }
        XCTAssertFalse(buttons().contains { if case .approve = $0.event { return true } else { return false } })

        try signOut()
        try signIn("night")
        XCTAssertFalse(view.notices.isEmpty, "the home screen says the answer came")
        try tap("open my requests") { $0 == .open(screen: .myRequests) }
        XCTAssertTrue(texts().contains { $0.contains("鈴木 一郎") })
        // The request opens where it stands: approved, so one tap takes the card out.
        try tap("open the approved request") { if case .resumeRequest = $0 { return true } else { return false } }
        XCTAssertEqual(view.screen, .handover)
        if buttons().contains(where: { $0.event == .checkApproval && $0.enabled }) {
            try tap("check the answer") { $0 == .checkApproval }
        }
        try tap("check out") { $0 == .checkOut }
        XCTAssertEqual(errors(), [])
    }

    func testEveryScreenTheAdministratorOpensIsDrawnInBothLanguages() throws {
        try tap("unlock") { $0 == .unlockWithVault }
        try signIn("admin")
        for language in [azukari_core.Language.ja, azukari_core.Language.en] {
            view = try app.dispatch(event: .setLanguage(language: language))
            for screen in allScreens {
                view = try app.dispatch(event: .open(screen: screen))
                for text in texts() {
                    XCTAssertFalse(text.hasPrefix("app-"), "\(screen): a message id, not a text: \(text)")
                }
                draw()
            }
        }
        view = try app.dispatch(event: .setLanguage(language: .ja))
        // Locking forgets every key: back to the unlock screen.
        view = try app.dispatch(event: .lock)
        XCTAssertEqual(view.screen, .unlock)
    }

    // MARK: what a person does

    /// Tap the first enabled button whose event matches; returns its label. The next view is drawn.
    @discardableResult
    private func tap(_ what: String, _ match: (AppEvent) -> Bool) throws -> String {
        let target = try button(what, match)
        XCTAssertFalse(target.label.isEmpty, "\(what): the button says something")
        view = try app.dispatch(event: target.event)
        draw()
        return target.label
    }

    private func button(_ what: String, _ match: (AppEvent) -> Bool) throws -> azukari_core.Button {
        guard let found = buttons().first(where: { $0.enabled && match($0.event) }) else {
            XCTFail("no button for \(what) on \(view.screen); the view offers \(buttons().map(\.label))")
            throw TestFailure.unexpected(what)
        }
        return found
    }

    private func signIn(_ who: String) throws {
        let id = facility.staff[who]!
        try tap("sign in as \(who)") { $0 == .signIn(staff: id) }
    }

    private func signOut() throws {
        try home()
        if !buttons().contains(where: { $0.event == .signOut }) {
            try tap("settings") { $0 == .open(screen: .settings) }
        }
        try tap("sign out") { $0 == .signOut }
        XCTAssertEqual(view.screen, .signIn)
    }

    private func home() throws {
        var steps = 0
        while view.screen != .home && steps < 5 {
            steps += 1
            if buttons().contains(where: { $0.event == .open(screen: .home) }) {
                try tap("home") { $0 == .open(screen: .home) }
            } else {
                try tap("back") { $0 == .back }
            }
        }
        XCTAssertEqual(view.screen, .home)
    }

    /// Tap "scan the label", then be the camera: the label's text goes back as `Scanned`.
    private func scanLocker() throws {
        try tap("scan a locker label") { $0 == .scanLabel }
        guard case .scanQr(let prompt)? = view.request else {
            return XCTFail("the view asks for the camera: \(String(describing: view.request))")
        }
        XCTAssertFalse(prompt.isEmpty)
        view = try app.dispatch(event: .scanned(text: facility.label))
        XCTAssertEqual(view.screen, .handover)
        draw()
    }

    /// Be the card reader: hand the card to the app, as the NFC bridge does.
    private func present(_ card: CardTransceiver) throws {
        view = try app.presentCard(card: card)
        draw()
    }

    // MARK: what a person reads

    private func asksForCard() -> Bool {
        if case .tapCard? = view.request { return true }
        return false
    }

    private func buttons() -> [azukari_core.Button] {
        var found: [azukari_core.Button] = view.back.map { [$0] } ?? []
        for section in view.sections {
            for row in section.rows { found += row.buttons }
            found += section.buttons
        }
        return found
    }

    private func texts() -> [String] {
        var found = [view.title] + view.notices.map(\.text)
        for section in view.sections {
            found += (section.title.map { [$0] } ?? []) + section.paragraphs
            found += section.facts.flatMap { [$0.label, $0.value] }
            for row in section.rows { found += [row.title] + row.details }
            found += section.fields.map(\.label)
        }
        return found + buttons().map(\.label)
    }

    private func errors() -> [String] {
        view.notices.filter { $0.kind == .error }.map(\.text)
    }

    /// Draw the view in the SwiftUI frame, as a phone would, and lay it out.
    private func draw() {
        let host = UIHostingController(rootView: AppFrame(view: view, failure: nil, send: { _ in }))
        host.view.frame = CGRect(x: 0, y: 0, width: 390, height: 844)
        host.view.layoutIfNeeded()
    }

    private let allScreens: [ScreenKind] = [
        .unlock, .signIn, .home, .handover, .holding, .myRequests, .approvals, .board, .alerts, .audit, .incident,
        .agreements, .consent, .setup, .labels, .sync, .settings,
    ]
}
