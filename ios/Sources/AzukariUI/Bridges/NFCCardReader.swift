import CoreNFC
import Foundation
import azukari_ffi

/// What the core made of one card held to the phone: the sheet closes, stays open with the core's words for the
/// next try, or closes with the core's words.
public enum CardOutcome {
    case done
    case again(String)
    case failed(String)
}

/// The card reader as the app model uses it (NFC on a phone; the tests play the card themselves).
public protocol CardReading: AnyObject {
    /// Open the reader with `prompt`; call `onCard` with each card read (and its `finish`); `ended` when the reader
    /// closed, with true when the person closed it (its cancel button). Returns false when the device reads no NFC.
    func begin(
        prompt: String,
        onCard: @escaping (CardTransceiver, @escaping (CardOutcome) -> Void) -> Void,
        ended: @escaping (Bool) -> Void
    ) -> Bool
}

/// CoreNFC: an ISO 14443 tag session; the My Number card answers as an ISO 7816 tag whose application identifiers
/// (the JPKI AP and the common card AP) are listed in Info.plist. The core sends the APDUs; this only carries them.
public final class NFCCardReader: NSObject, CardReading, NFCTagReaderSessionDelegate {
    /// The session's own queue: the core's calls wait on it while the card answers.
    private let queue = DispatchQueue(label: Queues.nfc)
    private var session: NFCTagReaderSession?
    private var onCard: ((CardTransceiver, @escaping (CardOutcome) -> Void) -> Void)?
    private var ended: ((Bool) -> Void)?
    /// The app closed the session itself (the card was read, or the core's words end it): not the person.
    private var closing = false

    public override init() {
        super.init()
    }

    public func begin(
        prompt: String,
        onCard: @escaping (CardTransceiver, @escaping (CardOutcome) -> Void) -> Void,
        ended: @escaping (Bool) -> Void
    ) -> Bool {
        guard NFCTagReaderSession.readingAvailable,
              let session = NFCTagReaderSession(pollingOption: .iso14443, delegate: self, queue: queue)
        else { return false }
        self.onCard = onCard
        self.ended = ended
        self.session = session
        closing = false
        session.alertMessage = prompt
        session.begin()
        return true
    }

    public func tagReaderSessionDidBecomeActive(_ session: NFCTagReaderSession) {}

    public func tagReaderSession(_ session: NFCTagReaderSession, didInvalidateWithError error: Error) {
        // The system's cancel button ends the session as "user canceled"; so does the app's own invalidate.
        let closedByPerson = !closing
            && (error as? NFCReaderError)?.code == .readerSessionInvalidationErrorUserCanceled
        self.session = nil
        onCard = nil
        closing = false
        let ended = self.ended
        self.ended = nil
        ended?(closedByPerson)
    }

    public func tagReaderSession(_ session: NFCTagReaderSession, didDetect tags: [NFCTag]) {
        guard tags.count == 1, case .iso7816(let tag) = tags[0] else {
            // Two cards at once, or not a My Number card: wait for one card.
            session.restartPolling()
            return
        }
        session.connect(to: tags[0]) { [weak self] error in
            guard let self else { return }
            if error != nil {
                session.restartPolling()
                return
            }
            guard let onCard = self.onCard else { return }
            onCard(NFCTagTransceiver(tag: tag, timeout: .seconds(5))) { outcome in
                switch outcome {
                case .done:
                    self.closing = true
                    session.invalidate()
                case .again(let words):
                    session.alertMessage = words
                    session.restartPolling()
                case .failed(let words):
                    self.closing = true
                    session.invalidate(errorMessage: words)
                }
            }
        }
    }
}

/// The core's `CardTransceiver` over a connected ISO 7816 tag: one APDU out, the whole response (data, SW1,
/// SW2) back. Called on the core's queue; it waits for the session's queue to deliver the card's answer.
/// The card leaving the field is `TagLost`, which the core turns into its "hold the card still" notice and asks
/// again.
final class NFCTagTransceiver: CardTransceiver, @unchecked Sendable {
    private let tag: NFCISO7816Tag
    private let timeout: DispatchTimeInterval

    init(tag: NFCISO7816Tag, timeout: DispatchTimeInterval) {
        self.tag = tag
        self.timeout = timeout
    }

    func transceive(apdu: Data) throws -> Data {
        guard tag.isAvailable else { throw CardIoError.TagLost }
        guard let command = NFCISO7816APDU(data: apdu) else {
            throw CardIoError.Io(detail: String(apdu.count))
        }
        let answered = DispatchSemaphore(value: 0)
        var outcome: Result<Data, Error> = .failure(CardIoError.Timeout)
        tag.sendCommand(apdu: command) { response, sw1, sw2, error in
            if let error {
                outcome = .failure(error)
            } else {
                outcome = .success(response + Data([sw1, sw2]))
            }
            answered.signal()
        }
        if answered.wait(timeout: .now() + timeout) == .timedOut {
            throw CardIoError.Timeout
        }
        switch outcome {
        case .success(let response):
            return response
        case .failure(let error):
            throw Self.cardError(error)
        }
    }

    /// CoreNFC's errors as the core's: the card left the field, it did not answer, anything else.
    static func cardError(_ error: Error) -> CardIoError {
        if let error = error as? CardIoError { return error }
        guard let reader = error as? NFCReaderError else {
            return CardIoError.Io(detail: error.localizedDescription)
        }
        switch reader.code {
        case .readerTransceiveErrorTagConnectionLost, .readerTransceiveErrorTagNotConnected,
             .readerTransceiveErrorSessionInvalidated:
            return CardIoError.TagLost
        case .readerSessionInvalidationErrorSessionTimeout:
            return CardIoError.Timeout
        default:
            return CardIoError.Io(detail: reader.localizedDescription)
        }
    }
}
