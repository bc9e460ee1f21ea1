import Foundation
import SwiftUI
import azukari_core
import azukari_ffi

/// Holds what the screens draw and carries what they send to the core, off the main thread.
///
/// Every call into `AzukariApp` blocks (SQLite commits, Argon2id, the card, the network), so each runs on one
/// serial queue, in the order the person tapped, and the view it returns replaces `view` on the main actor.
/// After each step the model performs the view's `PlatformRequest` (camera, card, sync, share) and hands the
/// result back. A thrown error (the store locked, damaged or full: the core throws only when the device cannot
/// go on) is kept in `failure`, in the core's own words. Everything published changes on the main queue.
public final class AppModel: ObservableObject {
    /// What to draw; nil until the core gave its first view.
    @Published public private(set) var view: AppView?
    /// The core's message when it could not go on, if it could not.
    @Published public private(set) var failure: String?
    /// Whether a step is under way (taps are not queued twice meanwhile).
    @Published public private(set) var working = false
    /// The camera is open, showing this prompt and cancel button of the view's.
    @Published var scanPrompt: ScanPrompt?
    /// A file the view asked to share, written where the share sheet can read it.
    @Published var sharedFile: SharedFile?

    private let app: AzukariApp
    private let bridges: Bridges
    private let core = DispatchQueue(label: Queues.core, qos: .userInitiated)
    /// The request being performed now, so a redraw does not start it twice.
    private var performing: PlatformRequest?
    /// Steps sent to the core and not answered yet.
    private var pending = 0

    public init(app: AzukariApp, bridges: Bridges) {
        self.app = app
        self.bridges = bridges
    }

    /// Load the first view, bringing back what `saveForBackground` kept if the system stopped the app.
    public func start() {
        let saved = bridges.savedState.take()
        step { app in
            if let saved {
                return app.restore(saved: saved)
            }
            return app.view()
        }
    }

    /// Send what the person did.
    public func send(_ event: AppEvent) {
        step { app in try app.dispatch(event: event) }
    }

    /// A link opened from outside the app (a locker label read by the phone's own camera): the core reads it.
    public func open(url: URL) {
        send(.scanned(text: url.absoluteString))
    }

    /// Keep the screen and the work under way, sealed by the core, while the system may stop the app.
    public func saveForBackground() {
        let app = self.app
        let store = bridges.savedState
        // The system gives a moment to finish before it suspends the app.
        let done = bridges.backgroundWork()
        core.async {
            if let saved = try? app.save() {
                store.keep(saved)
            }
            DispatchQueue.main.async(execute: done)
        }
    }

    /// Sync as the app comes to the foreground, once this device has joined a hub; the view says how it went.
    public func syncOnReturn() {
        guard bridges.hasJoinedHub, view != nil else { return }
        let hub = bridges.hub()
        step { app in try app.sync(hub: hub) }
    }

    /// Run one blocking call of the core off the main actor and show the view it returns.
    func step(_ call: @escaping (AzukariApp) throws -> AppView) {
        pending += 1
        working = true
        let app = self.app
        core.async {
            let result = Result { try call(app) }
            DispatchQueue.main.async {
                self.pending -= 1
                self.working = self.pending > 0
                switch result {
                case .success(let next):
                    self.failure = nil
                    self.show(next)
                case .failure(let error):
                    self.failure = AppModel.words(of: error)
                }
            }
        }
    }

    private func show(_ next: AppView) {
        view = next
        guard let request = next.request else {
            performing = nil
            return
        }
        if performing == request { return }
        performing = request
        perform(request)
    }

    /// Do the hardware or system work the view asks for, and send the result back.
    private func perform(_ request: PlatformRequest) {
        switch request {
        case .scanQr(let prompt, let cancel):
            scanPrompt = ScanPrompt(text: prompt, cancel: cancel)
        case .tapCard(let prompt, _):
            // CoreNFC's sheet has the system's own cancel button; the view's is drawn in the frame (RequestPrompt).
            readCard(prompt: prompt)
        case .syncNow:
            let hub = bridges.hub()
            step { app in try app.sync(hub: hub) }
        case .joinHub(let hubUrl, let certSha256):
            // The hub of the enrollment QR the person scanned: kept for every later sync, and joined through a
            // connection pinned to the QR's certificate. The core says whether it worked.
            let hub = bridges.remember(hubUrl: hubUrl, certSha256: certSha256)
            step { app in try app.join(hub: hub) }
        case .shareFile(let fileName, _, let bytes):
            do {
                sharedFile = try SharedFile.write(bytes, named: fileName)
            } catch {
                failure = error.localizedDescription
                send(.fileShared)
            }
        }
    }

    // MARK: the camera

    /// The camera read a code: the core decides what it is.
    func scanned(_ text: String) {
        scanPrompt = nil
        performing = nil  // if the view asks for the camera again (another label), it opens again
        send(.scanned(text: text))
    }

    /// The camera was closed with the view's cancel button, without reading anything.
    func scanCancelled() {
        scanPrompt = nil
        performing = nil
        send(.scanCancelled)
    }

    // MARK: the card

    /// Open the NFC sheet with the view's prompt; each card held to the phone goes to the core. While the view
    /// still asks for the card (it moved away, or it was the wrong one), the sheet stays open with the core's
    /// words; otherwise it closes. Closed by the person (its cancel button), the core stops asking for the card.
    private func readCard(prompt: String) {
        let app = self.app
        let core = self.core
        let started = bridges.cardReader.begin(prompt: prompt) { card, finish in
            core.async {
                let result = Result { try app.presentCard(card: card) }
                DispatchQueue.main.async {
                    switch result {
                    case .success(let next):
                        self.failure = nil
                        let stillAsked: Bool
                        if case .tapCard? = next.request { stillAsked = true } else { stillAsked = false }
                        let said = next.notices.first(where: { $0.kind == .error })?.text
                            ?? next.notices.first?.text
                        finish(stillAsked ? .again(said ?? prompt) : .done)
                        // The sheet is still up for the next card: do not open it again for this request.
                        self.view = next
                        if !stillAsked { self.show(next) }
                    case .failure(let error):
                        let words = AppModel.words(of: error)
                        self.failure = words
                        finish(.failed(words))
                    }
                }
            }
        } ended: { closedByPerson in
            DispatchQueue.main.async {
                self.performing = nil
                if closedByPerson, case .tapCard? = self.view?.request {
                    self.send(.cardCancelled)
                }
            }
        }
        if !started {
            // No NFC on this device: the request stays on screen with its prompt.
            performing = nil
        }
    }

    // MARK: sharing

    /// The share sheet closed (shared, saved, printed or dismissed).
    func fileShared() {
        guard let file = sharedFile else { return }
        file.remove()
        sharedFile = nil
        performing = nil
        send(.fileShared)
    }

    /// The core's own words for an error it threw (the store locked, damaged or full).
    static func words(of error: Error) -> String {
        switch error {
        case AzukariError.LockedStore(let text), AzukariError.StorageFailure(let text):
            return text
        default:
            return error.localizedDescription
        }
    }
}

/// The view's prompt and cancel label while the camera is open.
struct ScanPrompt: Identifiable, Equatable {
    let id = UUID()
    let text: String
    /// The label of the button that closes the camera.
    let cancel: String
}

/// A file the view asked to share, written to a temporary folder under the name the view gave.
struct SharedFile: Identifiable {
    let id = UUID()
    let url: URL

    static func write(_ bytes: Data, named name: String) throws -> SharedFile {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // The view's file name, reduced to its last path component so it cannot leave the folder.
        let url = folder.appendingPathComponent(URL(fileURLWithPath: name).lastPathComponent)
        try bytes.write(to: url, options: [.atomic, .completeFileProtection])
        return SharedFile(url: url)
    }

    func remove() {
        try? FileManager.default.removeItem(at: url.deletingLastPathComponent())
    }
}

/// Dispatch queue labels (identifiers, never shown).
enum Queues {
    static let core = "jp.azukari.core"
    static let nfc = "jp.azukari.nfc"
}
