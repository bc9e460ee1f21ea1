import AVFoundation
import SwiftUI
import UIKit
import VisionKit

/// The camera for a locker's QR label: VisionKit's live scanner where the phone has it, AVFoundation's metadata
/// output otherwise. It reads one QR code and hands its text back; the core decides what it is. The only words
/// drawn are the view's: its prompt and its cancel button, which closes the camera (`scanCancelled`).
struct QRScannerView: UIViewControllerRepresentable {
    let prompt: String
    let cancel: String
    let onScan: (String) -> Void
    let onCancel: () -> Void

    func makeCoordinator() -> Coordinator {
        Coordinator(onScan: onScan, onCancel: onCancel)
    }

    func makeUIViewController(context: Context) -> UINavigationController {
        let scanner: UIViewController
        if DataScannerViewController.isSupported && DataScannerViewController.isAvailable {
            let live = DataScannerViewController(
                recognizedDataTypes: [.barcode(symbologies: [.qr])],
                qualityLevel: .balanced,
                recognizesMultipleItems: false,
                isHighFrameRateTrackingEnabled: false,
                isHighlightingEnabled: true
            )
            live.delegate = context.coordinator
            context.coordinator.live = live
            scanner = live
        } else {
            scanner = MetadataScannerController(onScan: context.coordinator.found)
        }
        scanner.navigationItem.prompt = prompt
        scanner.navigationItem.leftBarButtonItem = UIBarButtonItem(
            title: cancel, style: .plain, target: context.coordinator, action: #selector(Coordinator.cancel)
        )
        return UINavigationController(rootViewController: scanner)
    }

    func updateUIViewController(_ controller: UINavigationController, context: Context) {
        controller.viewControllers.first?.navigationItem.prompt = prompt
        controller.viewControllers.first?.navigationItem.leftBarButtonItem?.title = cancel
        if let live = context.coordinator.live, !live.isScanning {
            try? live.startScanning()
        }
    }

    static func dismantleUIViewController(_ controller: UINavigationController, coordinator: Coordinator) {
        coordinator.live?.stopScanning()
    }

    final class Coordinator: NSObject, DataScannerViewControllerDelegate {
        let onScan: (String) -> Void
        let onCancel: () -> Void
        weak var live: DataScannerViewController?
        private var done = false

        init(onScan: @escaping (String) -> Void, onCancel: @escaping () -> Void) {
            self.onScan = onScan
            self.onCancel = onCancel
        }

        func found(_ text: String) {
            guard !done else { return }
            done = true
            live?.stopScanning()
            onScan(text)
        }

        @objc func cancel() {
            guard !done else { return }
            done = true
            onCancel()
        }

        func dataScanner(
            _ dataScanner: DataScannerViewController, didAdd addedItems: [RecognizedItem], allItems: [RecognizedItem]
        ) {
            for item in addedItems {
                if case .barcode(let code) = item, let text = code.payloadStringValue {
                    found(text)
                    return
                }
            }
        }
    }
}

/// The fallback camera: an AVCaptureSession with a metadata output for QR codes.
final class MetadataScannerController: UIViewController, AVCaptureMetadataOutputObjectsDelegate {
    private let session = AVCaptureSession()
    private let onScan: (String) -> Void
    private var preview: AVCaptureVideoPreviewLayer?

    init(onScan: @escaping (String) -> Void) {
        self.onScan = onScan
        super.init(nibName: nil, bundle: nil)
    }

    @available(*, unavailable)
    required init?(coder: NSCoder) {
        fatalError()
    }

    override func viewDidLoad() {
        super.viewDidLoad()
        view.backgroundColor = .black
        guard let camera = AVCaptureDevice.default(for: .video),
              let input = try? AVCaptureDeviceInput(device: camera),
              session.canAddInput(input)
        else { return }
        session.addInput(input)
        let output = AVCaptureMetadataOutput()
        guard session.canAddOutput(output) else { return }
        session.addOutput(output)
        output.setMetadataObjectsDelegate(self, queue: .main)
        output.metadataObjectTypes = [.qr]
        let layer = AVCaptureVideoPreviewLayer(session: session)
        layer.videoGravity = .resizeAspectFill
        view.layer.addSublayer(layer)
        preview = layer
    }

    override func viewDidLayoutSubviews() {
        super.viewDidLayoutSubviews()
        preview?.frame = view.bounds
    }

    override func viewWillAppear(_ animated: Bool) {
        super.viewWillAppear(animated)
        let session = self.session
        DispatchQueue.global(qos: .userInitiated).async { session.startRunning() }
    }

    override func viewWillDisappear(_ animated: Bool) {
        super.viewWillDisappear(animated)
        session.stopRunning()
    }

    func metadataOutput(
        _ output: AVCaptureMetadataOutput, didOutput metadataObjects: [AVMetadataObject], from connection: AVCaptureConnection
    ) {
        for object in metadataObjects {
            if let code = object as? AVMetadataMachineReadableCodeObject, code.type == .qr, let text = code.stringValue {
                session.stopRunning()
                onScan(text)
                return
            }
        }
    }
}
