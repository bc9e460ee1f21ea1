import SwiftUI
import UIKit

/// The system share sheet for a file the view asked to share (the ledger CSV, a label sheet): share, save to
/// Files, print. `done` runs when it closes, whatever the person chose.
struct ShareSheet: UIViewControllerRepresentable {
    let url: URL
    let done: () -> Void

    func makeUIViewController(context: Context) -> UIActivityViewController {
        let controller = UIActivityViewController(activityItems: [url], applicationActivities: nil)
        controller.completionWithItemsHandler = { _, _, _, _ in done() }
        return controller
    }

    func updateUIViewController(_ controller: UIActivityViewController, context: Context) {}
}
