import CryptoKit
import Foundation
import azukari_ffi

/// The core's `HubConnection` on iOS: one POST to the hub with URLSession, the hub's certificate pinned to the
/// SHA-256 of the leaf certificate that the enrollment QR carries. Without a pin (a loopback `http://` hub in
/// development) the system's trust applies. Called on the core's queue; it waits for the answer (a pull may wait
/// up to 30 s at the hub: the request allows 40 s). Every status the hub answers is returned; only no answer is
/// `Unreachable`.
final class PinnedHubConnection: NSObject, HubConnection, URLSessionDelegate, @unchecked Sendable {
    private let hubURL: URL
    private let pin: Data?
    private lazy var session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 40
        configuration.waitsForConnectivity = false
        configuration.urlCache = nil
        return URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
    }()

    init(hubURL: URL, certificateSHA256: Data?) {
        self.hubURL = hubURL
        self.pin = certificateSHA256
    }

    func post(path: String, headers: [HttpHeader], body: Data) throws -> HttpResponse {
        guard let url = URL(string: path, relativeTo: hubURL)?.absoluteURL else {
            throw HubConnectionError.Unreachable(detail: path)
        }
        var request = URLRequest(url: url)
        request.httpMethod = HTTP.post
        request.setValue(HTTP.json, forHTTPHeaderField: HTTP.contentType)
        for header in headers {
            request.setValue(header.value, forHTTPHeaderField: header.name)
        }
        request.httpBody = body
        let answered = DispatchSemaphore(value: 0)
        var outcome: Result<HttpResponse, HubConnectionError> = .failure(.Unreachable(detail: path))
        let task = session.dataTask(with: request) { data, response, error in
            if let http = response as? HTTPURLResponse {
                outcome = .success(HttpResponse(status: UInt16(clamping: http.statusCode), body: data ?? Data()))
            } else {
                outcome = .failure(.Unreachable(detail: error?.localizedDescription ?? path))
            }
            answered.signal()
        }
        task.resume()
        answered.wait()
        return try outcome.get()
    }

    func urlSession(
        _ session: URLSession,
        didReceive challenge: URLAuthenticationChallenge,
        completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void
    ) {
        guard challenge.protectionSpace.authenticationMethod == NSURLAuthenticationMethodServerTrust,
              let trust = challenge.protectionSpace.serverTrust
        else {
            completionHandler(.performDefaultHandling, nil)
            return
        }
        guard let pin else {
            completionHandler(.performDefaultHandling, nil)
            return
        }
        // The hub's own certificate, self-signed or not: trusted when, and only when, it is the one in the QR.
        guard let chain = SecTrustCopyCertificateChain(trust) as? [SecCertificate], let leaf = chain.first else {
            completionHandler(.cancelAuthenticationChallenge, nil)
            return
        }
        let digest = Data(SHA256.hash(data: SecCertificateCopyData(leaf) as Data))
        if digest == pin {
            completionHandler(.useCredential, URLCredential(trust: trust))
        } else {
            completionHandler(.cancelAuthenticationChallenge, nil)
        }
    }
}

/// HTTP protocol tokens (never shown).
enum HTTP {
    static let post = "POST"
    static let contentType = "Content-Type"
    static let json = "application/json"
}
