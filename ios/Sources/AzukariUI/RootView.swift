import SwiftUI
import azukari_core

/// The app's one window: the core's view in the shared frame, the camera and the share sheet when the view asks
/// for them, label links opened from outside, and the sealed save when the system may stop the app.
public struct RootView: View {
    @ObservedObject var model: AppModel
    @Environment(\.scenePhase) private var scenePhase

    public init(model: AppModel) {
        self.model = model
    }

    public var body: some View {
        Group {
            if let view = model.view {
                AppFrame(view: view, failure: model.failure, send: model.send)
                    .environment(\.locale, Locale(identifier: view.language == .en ? Locales.english : Locales.japanese))
            } else {
                ProgressView()
            }
        }
        .fullScreenCover(item: $model.scanPrompt) { prompt in
            QRScannerView(
                prompt: prompt.text, cancel: prompt.cancel, onScan: model.scanned, onCancel: model.scanCancelled
            )
            .ignoresSafeArea()
        }
        .sheet(item: $model.sharedFile, onDismiss: model.fileShared) { file in
            ShareSheet(url: file.url, done: model.fileShared)
        }
        .onOpenURL { url in model.open(url: url) }
        .onContinueUserActivity(NSUserActivityTypeBrowsingWeb) { activity in
            if let url = activity.webpageURL { model.open(url: url) }
        }
        .onChange(of: scenePhase) { phase in
            switch phase {
            case .background: model.saveForBackground()
            case .active: if model.view == nil { model.start() } else { model.syncOnReturn() }
            default: break
            }
        }
        .onAppear { if model.view == nil { model.start() } }
    }
}

/// The locales the system's own controls follow, as the view's language says (identifiers, never shown).
enum Locales {
    static let japanese = "ja"
    static let english = "en"
}
