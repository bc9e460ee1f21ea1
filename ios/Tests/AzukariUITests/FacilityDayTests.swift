import SwiftUI
import XCTest
@testable import AzukariUI
import azukari_core
import azukari_ffi

/// A facility day through the bindings, as a shell lives it (mirrors tests/kotlin/AppDay.kt, with
/// tests/python/test_app.py and hub/tests/app_day.rs): every step taps a button the view drew (found by its event,
/// in a row by its title) and reads what the view says; the camera and the card reader are played by the test, as
/// the bridges play them on a phone (ScanQr → Scanned or ScanCancelled, TapCard → presentCard or CardCancelled).
/// The facility was set up through the app's own screens (TestFacility). Each view is also drawn by the SwiftUI
/// frame.
final class FacilityDayTests: XCTestCase {
    private var facility: TestFacility!
    private var walk: Walk!

    override func setUpWithError() throws {
        facility = try TestFacility()
        walk = Walk(app: facility.app())
        walk.drawn = { [weak self] view in self?.draw(view) }
    }

    override func tearDown() {
        facility?.close()
    }

    func testTheCardsWereRegisteredByTappingThemWithoutThePin() throws {
        XCTAssertEqual(walk.view.screen, .unlock)
        XCTAssertEqual(walk.view.title, "ロック解除")
        // No command the core sent to a card was a VERIFY (INS 0x20): the PIN is never involved.
        for card in [facility.hanaCard, facility.ichiroCard] {
            XCTAssertFalse(card.sent.isEmpty)
            XCTAssertFalse(card.sent.contains { $0.count > 1 && $0[$0.startIndex + 1] == 0x20 })
        }
        try walk.tap { $0 == .unlockWithVault }
        XCTAssertEqual(walk.view.screen, .signIn)
        // Both cards wait in the locker: its label opens the handover with a row for each.
        try walk.signIn(TestFacility.supervisor)
        try scanLocker()
        XCTAssertTrue(walk.texts.contains { $0.contains(TestFacility.hana) })
        XCTAssertTrue(walk.texts.contains { $0.contains(TestFacility.ichiro) })
    }

    func testACaregiverChecksACardOutAndReturnsItWithTheCard() throws {
        try walk.tap { $0 == .unlockWithVault }
        try facility.at(10, 0)
        try walk.signIn(TestFacility.day)
        XCTAssertEqual(walk.view.screen, .home)

        // The camera opens with the view's prompt and cancel button; closing it changes nothing else.
        try walk.tap { $0 == .scanLabel }
        guard case .scanQr(let prompt, let cancel)? = walk.view.request else {
            return XCTFail("the view asks for the camera: \(String(describing: walk.view.request))")
        }
        XCTAssertFalse(prompt.isEmpty)
        XCTAssertFalse(cancel.isEmpty)
        try walk.step(.scanCancelled)
        XCTAssertNil(walk.view.request)
        XCTAssertEqual(walk.view.screen, .home)

        // Check out: scan the locker's label, pick the resident's card, the purpose, check out.
        try scanLocker()
        let checkoutLabel = try walk.tapInRow(TestFacility.hana, isChooseItem)
        try walk.tap(isMedicalVisit)
        try walk.tap { $0 == .checkOut }
        XCTAssertEqual(walk.view.screen, .handover)

        // Return at 11:30: the same card's row now offers the return; the card must be tapped.
        try facility.at(11, 30)
        try scanLocker()
        let returnLabel = try walk.tapInRow(TestFacility.hana, isChooseItem)
        XCTAssertNotEqual(checkoutLabel, returnLabel, "the row's action changed after the checkout")
        if !walk.asksForCard { try walk.tap { $0 == .tapCard } }
        // The reader can be closed with the view's own cancel button, and opened again.
        guard case .tapCard(let cardPrompt, let cardCancel)? = walk.view.request else {
            return XCTFail("the view asks for the card: \(String(describing: walk.view.request))")
        }
        XCTAssertFalse(cardPrompt.isEmpty)
        XCTAssertFalse(cardCancel.isEmpty)
        try walk.step(.cardCancelled)
        XCTAssertFalse(walk.asksForCard)
        try walk.tap { $0 == .tapCard }
        XCTAssertTrue(walk.asksForCard)

        // The card moved away mid-read: the request stays open and the view says to hold it still.
        try walk.present(MovesAwayAfter(facility.hanaCard, answers: 4))
        XCTAssertTrue(walk.asksForCard)
        XCTAssertFalse(walk.view.notices.isEmpty)
        // Another resident's card is refused, with the reason drawn.
        try walk.present(facility.ichiroCard)
        XCTAssertEqual(walk.errors.count, 1)
        if !walk.asksForCard { try tapAgain { $0 == .tapCard } }
        // The right card: the return can be recorded.
        try walk.present(facility.hanaCard)
        XCTAssertEqual(walk.errors, [])
        try walk.tap { $0 == .returnItem }
        XCTAssertFalse(facility.hanaCard.sent.contains { $0.count > 1 && $0[$0.startIndex + 1] == 0x20 })

        // The card is back: scanning again offers the checkout once more.
        try scanLocker()
        let row = walk.view.sections.flatMap(\.rows).first { $0.title.contains(TestFacility.hana) }
        XCTAssertEqual(row?.buttons.first(where: { isChooseItem($0.event) })?.label, checkoutLabel)

        // A forged label changes nothing and says why.
        let before = walk.view.screen
        try walk.dispatch(.scanned(text: facility.label.replacingOccurrences(of: "/l/", with: "/l/A")))
        XCTAssertEqual(walk.view.screen, before)
        XCTAssertEqual(walk.errors.count, 1)
    }

    func testANightCheckoutWaitsForApprovalAcrossProcessDeathAndTheCardComesBack() throws {
        try walk.tap { $0 == .unlockWithVault }
        try facility.at(21, 0)
        try walk.signIn(TestFacility.night)
        try scanLocker()
        try walk.tapInRow(TestFacility.hana, isChooseItem)
        try walk.tap(isMedicalVisit)
        // At night the rules want a supervisor: no checkout button, a request instead.
        XCTAssertTrue(walk.texts.joined().contains("夜間"))
        XCTAssertFalse(walk.buttons.contains { $0.event == .checkOut && $0.enabled })
        try walk.tap { $0 == .requestApproval }

        // The phone is stopped while it waits; it comes back on the same screen after unlocking.
        let saved = try walk.app.save()
        walk.restart(facility.app(), saved: saved)
        try walk.tap { $0 == .unlockWithVault }
        XCTAssertEqual(walk.view.screen, .handover)
        let check = try walk.button { $0 == .checkApproval }
        try walk.dispatch(check.event)
        XCTAssertEqual(walk.errors, ["まだ責任者の回答がありません。しばらく待ってから確認してください。"])
        try walk.step(.signOut)

        // The supervisor sees one request waiting, and approves it.
        try facility.at(21, 5)
        try walk.signIn(TestFacility.supervisor)
        XCTAssertEqual(walk.view.badges.first(where: { $0.screen == .approvals })?.count, 1)
        try walk.step(.open(screen: .approvals))
        XCTAssertTrue(walk.texts.contains { $0.contains(TestFacility.night) })
        try walk.tap { if case .approve = $0 { return true } else { return false } }
        XCTAssertFalse(walk.buttons.contains { if case .approve = $0.event { return true } else { return false } })
        try walk.step(.signOut)

        // The request opens where it stands: approved, so one tap takes the card out.
        try walk.signIn(TestFacility.night)
        try walk.step(.open(screen: .myRequests))
        try walk.tapInRow(TestFacility.hana) { if case .resumeRequest = $0 { return true } else { return false } }
        XCTAssertEqual(walk.view.screen, .handover)
        if walk.buttons.contains(where: { $0.event == .checkApproval && $0.enabled }) {
            try walk.tap { $0 == .checkApproval }
        }
        try walk.tap { $0 == .checkOut }

        // Back at 23:00: another resident's card is refused, and only the right card returns the item.
        try facility.at(23, 0)
        try scanLocker()
        try walk.tapInRow(TestFacility.hana, isChooseItem)
        if !walk.asksForCard { try walk.tap { $0 == .tapCard } }
        try walk.present(facility.ichiroCard)
        XCTAssertEqual(walk.errors.count, 1)
        if !walk.asksForCard { try tapAgain { $0 == .tapCard } }
        try walk.present(facility.hanaCard)
        XCTAssertEqual(walk.errors, [])
        try walk.tap { $0 == .returnItem }
        try walk.step(.open(screen: .holding))
        XCTAssertEqual(walk.view.sections.flatMap(\.rows).count, 0)
    }

    func testTheSupervisorAuditsAndHandlesALostCard() throws {
        try walk.tap { $0 == .unlockWithVault }
        try facility.at(23, 30)
        try walk.signIn(TestFacility.supervisor)
        try walk.step(.open(screen: .audit))
        try walk.tap { $0 == .startAudit }
        try walk.step(.scanned(text: facility.label))
        let marks = walk.buttons.filter { button in
            if case .markFound = button.event { return true } else { return false }
        }
        XCTAssertFalse(marks.isEmpty)
        for mark in marks {
            try walk.step(mark.event)
        }
        XCTAssertNotNil(walk.view.progress)
        try walk.tap { $0 == .completeAudit }

        try walk.step(.open(screen: .home))
        try walk.step(.open(screen: .incident))
        try walk.edit(.incidentKind, "施設の外で紛失")
        try walk.edit(.incidentItem, TestFacility.hana)
        try walk.tap { $0 == .openIncident }
        // The checklist, step by step; the police's receipt number when it is asked for.
        var reported = false
        for _ in 0..<10 {
            if walk.view.sections.flatMap(\.fields).contains(where: { $0.id == .receiptNumber }) {
                try walk.edit(.receiptNumber, "第123号")
                try walk.tap { $0 == .recordPoliceReport }
                reported = true
            } else if let next = walk.buttons.first(where: { button in
                if case .completeStep = button.event { return button.enabled } else { return false }
            }) {
                try walk.step(next.event)
            }
        }
        XCTAssertTrue(reported, "the checklist asked for the police's receipt number")
        try walk.tap { $0 == .closeIncident }
    }

    func testEveryScreenIsDrawnInBothLanguages() throws {
        try walk.tap { $0 == .unlockWithVault }
        try walk.signIn(TestFacility.admin)
        for language in [azukari_core.Language.ja, azukari_core.Language.en] {
            try walk.dispatch(.setLanguage(language: language))
            for screen in allScreens {
                try walk.dispatch(.open(screen: screen))
                for text in walk.texts {
                    XCTAssertFalse(text.hasPrefix("app-"), "\(screen): a message id, not a text: \(text)")
                }
            }
        }
        // In English every title and button switches (the button that switches back to Japanese says 日本語).
        for screen in [ScreenKind.home, .approvals, .audit, .settings] {
            try walk.dispatch(.open(screen: screen))
            try walk.dispatch(.setLanguage(language: .en))
            let words = [walk.view.title] + walk.buttons.map(\.label).filter { $0 != "日本語" }
            XCTAssertFalse(words.contains { text in text.unicodeScalars.contains { (0x3040...0x30FF).contains($0.value) } },
                           "\(screen): \(words)")
            try walk.dispatch(.setLanguage(language: .ja))
        }
        // Locking forgets every key: back to the unlock screen.
        try walk.dispatch(.lock)
        XCTAssertEqual(walk.view.screen, .unlock)
    }

    func testALostVaultKeyIsRecoveredWithThePassphrase() throws {
        XCTAssertEqual(walk.view.screen, .unlock)
        facility.vault.reset()
        let unlock = try walk.button { $0 == .unlockWithVault }
        try walk.dispatch(unlock.event)
        XCTAssertEqual(walk.view.screen, .unlock)
        XCTAssertEqual(walk.errors.count, 1)
        try walk.edit(.recoveryPassphrase, TestFacility.passphrase)
        try walk.tap { $0 == .unlockWithPassphrase }
        XCTAssertEqual(walk.view.screen, .signIn)
        // The data key was wrapped for the vault again: the next unlock needs no passphrase.
        try walk.dispatch(.lock)
        try walk.tap { $0 == .unlockWithVault }
        XCTAssertEqual(walk.view.screen, .signIn)
    }

    // MARK: what a person does

    /// From wherever the walk is: home, tap "scan the label", then be the camera (the label goes back as `Scanned`).
    private func scanLocker() throws {
        var steps = 0
        while walk.view.screen != .home && steps < 5 {
            steps += 1
            if walk.buttons.contains(where: { $0.enabled && $0.event == .open(screen: .home) }) {
                try walk.tap { $0 == .open(screen: .home) }
            } else {
                try walk.tap { $0 == .back }
            }
        }
        XCTAssertEqual(walk.view.screen, .home)
        try walk.tap { $0 == .scanLabel }
        guard case .scanQr(let prompt, _)? = walk.view.request else {
            return XCTFail("the view asks for the camera: \(String(describing: walk.view.request))")
        }
        XCTAssertFalse(prompt.isEmpty)
        try walk.step(.scanned(text: facility.label))
        XCTAssertEqual(walk.view.screen, .handover)
    }

    /// Tap a button while the view still shows the last refusal (the wrong card's notice stays until the next
    /// read).
    private func tapAgain(_ match: (AppEvent) -> Bool) throws {
        let again = try walk.button(match)
        try walk.dispatch(again.event)
    }

    private func isChooseItem(_ event: AppEvent) -> Bool {
        if case .chooseItem = event { return true }
        return false
    }

    /// The purpose "a clinic visit" (the core's code for it).
    private func isMedicalVisit(_ event: AppEvent) -> Bool {
        if case .choosePurpose(let purpose) = event { return purpose.contains("MedicalVisit") }
        return false
    }

    // MARK: what a person sees

    /// Draw the view in the SwiftUI frame, as a phone would, and lay it out.
    private func draw(_ view: AppView) {
        let host = UIHostingController(rootView: AppFrame(view: view, failure: nil, send: { _ in }))
        host.view.frame = CGRect(x: 0, y: 0, width: 390, height: 844)
        host.view.layoutIfNeeded()
    }

    private let allScreens: [ScreenKind] = [
        .unlock, .signIn, .home, .handover, .holding, .myRequests, .approvals, .board, .alerts, .audit, .incident,
        .agreements, .consent, .setup, .labels, .sync, .settings,
    ]
}
