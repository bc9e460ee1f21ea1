import XCTest
@testable import AzukariUI
import azukari_core
import azukari_ffi

/// The app model over the real core: it loads the first view off the main thread, opens the camera when the view
/// asks (the test is the camera), hands the card to the core when the view asks for it (the test's reader plays
/// the card as CoreNFC would), keeps the sealed screen across a stop, and sends what the person did in order.
final class AppModelTests: XCTestCase {
    private var facility: TestFacility!
    private var reader: PlayedCardReader!
    private var model: AppModel!

    override func setUpWithError() throws {
        facility = try TestFacility()
        reader = PlayedCardReader()
        model = try makeModel()
    }

    override func tearDown() {
        facility?.close()
    }

    private func makeModel() throws -> AppModel {
        let defaults = try XCTUnwrap(UserDefaults(suiteName: facility.dir.lastPathComponent))
        let bridges = Bridges(
            vault: facility.vault, cardReader: reader, savedState: SavedState(folder: facility.dir),
            hubSettings: HubSettings(defaults: defaults), backgroundWork: { {} }
        )
        return AppModel(app: facility.app(), bridges: bridges)
    }

    func testACheckoutAndAReturnWithTheCardThroughTheModel() throws {
        model.start()
        wait { self.model.view?.screen == .unlock }
        send { $0 == .unlockWithVault }
        wait { self.model.view?.screen == .signIn }
        try facility.at(10, 0)
        sendInRow(TestFacility.day) { if case .signIn = $0 { return true } else { return false } }
        wait { self.model.view?.screen == .home }

        // The view asks for the camera: the model opens it with the view's prompt and cancel label; closed with
        // that button, the core stops asking; opened again, the label goes back.
        send { $0 == .scanLabel }
        wait { self.model.scanPrompt != nil }
        XCTAssertFalse(model.scanPrompt!.text.isEmpty)
        XCTAssertFalse(model.scanPrompt!.cancel.isEmpty)
        model.scanCancelled()
        wait { !self.model.working && self.model.view?.request == nil && self.model.scanPrompt == nil }
        send { $0 == .scanLabel }
        wait { self.model.scanPrompt != nil }
        model.scanned(facility.label)
        wait { self.model.view?.screen == .handover && self.model.scanPrompt == nil }
        sendInRow(TestFacility.hana, isChooseItem)
        send { if case .choosePurpose(let purpose) = $0 { return purpose.contains("MedicalVisit") } else { return false } }
        send { $0 == .checkOut }
        XCTAssertEqual(errors(), [])

        // Back at 11:30: the view asks for the card; the reader is opened with its prompt and the card handed over.
        try facility.at(11, 30)
        home()
        send { $0 == .scanLabel }
        wait { self.model.scanPrompt != nil }
        model.scanned(facility.label)
        wait { self.has(self.isChooseItem) }
        // The person closes the reader first: the core stops asking for the card; the card tap opens it again.
        reader.closedByPerson = true
        sendInRow(TestFacility.hana, isChooseItem)
        if reader.prompts.isEmpty { send { $0 == .tapCard } }
        wait { !self.model.working && self.model.view?.request == nil }
        XCTAssertEqual(reader.prompts.count, 1)
        reader.closedByPerson = false
        reader.cards = [MovesAwayAfter(facility.hanaCard, answers: 4), facility.hanaCard]
        send { $0 == .tapCard }
        // The model opens the reader in the same main-queue turn as it shows the view that asks for the card.
        XCTAssertEqual(reader.prompts.count, 2)
        // The first card moves away: the sheet stays open with the core's words; the second read is the card.
        wait { self.reader.outcomes.count == 2 }
        guard case .again(let words) = reader.outcomes[0] else { return XCTFail("\(reader.outcomes)") }
        XCTAssertFalse(words.isEmpty)
        guard case .done = reader.outcomes[1] else { return XCTFail("\(reader.outcomes)") }
        XCTAssertEqual(reader.prompts.count, 2, "one sheet for one request")
        wait { self.has { $0 == .returnItem } }
        send { $0 == .returnItem }
        wait { !self.model.working && self.errors().isEmpty }

        // Stopped by the system: the sealed screen comes back after the next unlock.
        let screen = model.view?.screen
        model.saveForBackground()
        wait { FileManager.default.fileExists(atPath: self.facility.dir.appendingPathComponent(Files.savedState).path) }
        model = try makeModel()
        model.start()
        wait { self.model.view?.screen == .unlock }
        send { $0 == .unlockWithVault }
        wait { self.model.view?.screen == screen }
    }

    // MARK: helpers

    private func buttons() -> [azukari_core.Button] {
        guard let view = model.view else { return [] }
        var found: [azukari_core.Button] = view.back.map { [$0] } ?? []
        for section in view.sections {
            for row in section.rows { found += row.buttons }
            found += section.buttons
        }
        return found
    }

    private func isChooseItem(_ event: AppEvent) -> Bool {
        if case .chooseItem = event { return true }
        return false
    }

    private func has(_ match: (AppEvent) -> Bool) -> Bool {
        buttons().contains { $0.enabled && match($0.event) }
    }

    private func errors() -> [String] {
        (model.view?.notices ?? []).filter { $0.kind == .error }.map(\.text)
    }

    private func home() {
        var steps = 0
        while model.view?.screen != .home && steps < 5 {
            steps += 1
            if has({ $0 == .open(screen: .home) }) {
                send { $0 == .open(screen: .home) }
            } else {
                send { $0 == .back }
            }
        }
        XCTAssertEqual(model.view?.screen, .home)
    }

    /// Tap the first enabled button whose event matches, as the drawn button does.
    private func send(_ match: (AppEvent) -> Bool) {
        wait { !self.model.working }
        guard let button = buttons().first(where: { $0.enabled && match($0.event) }) else {
            return XCTFail("no such button on \(String(describing: model.view?.screen)): \(buttons().map(\.label))")
        }
        model.send(button.event)
        wait { !self.model.working }
    }

    /// Tap the matching button of the row whose title contains `title`.
    private func sendInRow(_ title: String, _ match: (AppEvent) -> Bool) {
        wait { !self.model.working }
        let rows = (model.view?.sections ?? []).flatMap(\.rows)
        guard let button = rows.filter({ $0.title.contains(title) }).flatMap(\.buttons)
            .first(where: { $0.enabled && match($0.event) })
        else {
            return XCTFail("no row '\(title)' with such a button: \(rows.map(\.title))")
        }
        model.send(button.event)
        wait { !self.model.working }
    }

    /// Let the main queue run until `condition` holds (the core answers on its own queue).
    private func wait(_ condition: @escaping () -> Bool, file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(20)
        while !condition() && Date() < deadline {
            RunLoop.main.run(until: Date().addingTimeInterval(0.01))
        }
        XCTAssertTrue(condition(), "timed out", file: file, line: line)
    }
}

/// The card reader played by the test: each `begin` reads the cards in turn, as a person holding them to the phone,
/// and records what the model made of each (close the sheet, read again with the core's words, fail); with
/// `closedByPerson`, the person closes the sheet with its cancel button instead.
final class PlayedCardReader: CardReading {
    var cards: [CardTransceiver] = []
    var closedByPerson = false
    private(set) var prompts: [String] = []
    private(set) var outcomes: [CardOutcome] = []

    func begin(
        prompt: String,
        onCard: @escaping (CardTransceiver, @escaping (CardOutcome) -> Void) -> Void,
        ended: @escaping (Bool) -> Void
    ) -> Bool {
        prompts.append(prompt)
        if closedByPerson {
            ended(true)
            return true
        }
        var remaining = cards
        func next() {
            guard !remaining.isEmpty else {
                ended(false)
                return
            }
            let card = remaining.removeFirst()
            onCard(card) { outcome in
                self.outcomes.append(outcome)
                if case .again = outcome {
                    next()
                } else {
                    ended(false)
                }
            }
        }
        next()
        return true
    }
}
