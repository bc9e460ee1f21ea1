import Foundation
import UIKit
import azukari_core
import azukari_ffi

/// The platform's side of the core's requests: the key vault, the card reader, the hub, and where the sealed
/// screen state waits while the app is stopped. The app builds one; tests build one with their own parts.
public final class Bridges {
    public let vault: KeyVault
    let cardReader: CardReading
    let savedState: SavedState
    let hubSettings: HubSettings

    let backgroundWork: BackgroundWork

    public init(
        vault: KeyVault = KeychainKeyVault(),
        cardReader: CardReading = NFCCardReader(),
        savedState: SavedState = SavedState(),
        hubSettings: HubSettings = HubSettings(),
        backgroundWork: @escaping BackgroundWork = Bridges.systemBackgroundWork
    ) {
        self.vault = vault
        self.cardReader = cardReader
        self.savedState = savedState
        self.hubSettings = hubSettings
        self.backgroundWork = backgroundWork
    }

    /// Asks the system for time to finish work as the app goes to the background; returns what ends the request.
    public typealias BackgroundWork = () -> () -> Void

    /// UIKit's background task.
    public static let systemBackgroundWork: BackgroundWork = {
        let task = UIApplication.shared.beginBackgroundTask(expirationHandler: nil)
        return { UIApplication.shared.endBackgroundTask(task) }
    }

    /// Whether this device has joined a hub (a `JoinHub` request was performed).
    var hasJoinedHub: Bool {
        hubSettings.load() != nil
    }

    /// The HTTP channel to this device's hub, pinned to the certificate of the enrollment QR it joined with.
    func hub() -> HubConnection {
        guard let hub = hubSettings.load() else { return NoHub() }
        return PinnedHubConnection(hubURL: hub.url, certificateSHA256: hub.certificateSHA256)
    }

    /// Keep the hub a `JoinHub` request names (its URL and the certificate fingerprint to pin) and return the
    /// pinned connection to it. A URL that cannot be read gives a connection that reaches nothing: the core says so.
    func remember(hubUrl: String, certSha256: String?) -> HubConnection {
        guard let url = URL(string: hubUrl) else { return NoHub() }
        let hub = HubSettings.Hub(url: url, certificateSHA256: certSha256.flatMap(Hex.decode))
        try? hubSettings.save(hub)
        return PinnedHubConnection(hubURL: hub.url, certificateSHA256: hub.certificateSHA256)
    }

    /// The host name of the joined hub, which printed locker labels name (empty before joining).
    public func labelHost() -> String {
        hubSettings.load()?.url.host ?? String()
    }

    /// The facility store of this device, in Application Support (backed up: no; protected until first unlock).
    public static func storePath() throws -> String {
        let folder = try FileManager.default.url(
            for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true
        )
        var url = folder.appendingPathComponent(Files.store)
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try? url.setResourceValues(values)
        return url.path
    }
}

/// File names and defaults keys of the app (identifiers, never shown).
enum Files {
    static let store = "facility.azukari"
    static let savedState = "screen.sealed"
    static let hubDefaultsKey = "jp.azukari.hub"
}

/// Where `AzukariApp.save()` waits across process death. The bytes are sealed by the core under the facility's
/// key; the file is kept with complete protection and read once.
public final class SavedState {
    private let url: URL

    public init(folder: URL = FileManager.default.temporaryDirectory) {
        url = folder.appendingPathComponent(Files.savedState)
    }

    func keep(_ bytes: Data) {
        try? bytes.write(to: url, options: [.atomic, .completeFileProtection])
    }

    /// What was kept, removed as it is read (a restore happens once).
    func take() -> Data? {
        defer { try? FileManager.default.removeItem(at: url) }
        return try? Data(contentsOf: url)
    }
}

/// The hub this device joined: its URL and the SHA-256 of its certificate, as the core's `JoinHub` request named
/// them from the enrollment QR. Neither is secret; the device's keys live in the core's store.
public final class HubSettings {
    public struct Hub: Codable, Equatable {
        public var url: URL
        public var certificateSHA256: Data?
    }

    private let defaults: UserDefaults

    public init(defaults: UserDefaults = .standard) {
        self.defaults = defaults
    }

    func load() -> Hub? {
        guard let data = defaults.data(forKey: Files.hubDefaultsKey) else { return nil }
        return try? JSONDecoder().decode(Hub.self, from: data)
    }

    func save(_ hub: Hub) throws {
        defaults.set(try JSONEncoder().encode(hub), forKey: Files.hubDefaultsKey)
    }
}

/// No hub joined yet: every request goes unanswered, and the core says so in its view.
final class NoHub: HubConnection, @unchecked Sendable {
    func post(path: String, headers: [HttpHeader], body: Data) throws -> HttpResponse {
        throw HubConnectionError.Unreachable(detail: path)
    }
}

/// Hex digits to bytes (the certificate fingerprint of the enrollment QR).
enum Hex {
    static func decode(_ text: String) -> Data? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes = Data(capacity: digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
