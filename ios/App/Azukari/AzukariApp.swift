import SwiftUI
import AzukariUI
import azukari_ffi

/// The iOS app: the core's app over this device's facility store, drawn by AzukariUI. Nothing else lives here.
/// (The type is not called `AzukariApp`: that is the core's object.)
@main
struct AzukariMain: App {
    @StateObject private var model: AppModel

    init() {
        let bridges = Bridges()
        // The store's path; the label host is the joined hub's (empty before joining: the core says what to do).
        let path = (try? Bridges.storePath()) ?? NSTemporaryDirectory()
        let app = AzukariApp(path: path, vault: bridges.vault, labelHost: bridges.labelHost())
        _model = StateObject(wrappedValue: AppModel(app: app, bridges: bridges))
    }

    var body: some Scene {
        WindowGroup {
            RootView(model: model)
        }
    }
}
