import CryptoKit
import Foundation
import Security
import azukari_ffi

/// The core's `KeyVault` on iOS: the facility's data key is wrapped by a key that never leaves this device.
///
/// Where the phone has a Secure Enclave, a P-256 key is made inside it (usable only while the device is unlocked,
/// this device only) and the data key is sealed to it with ECIES (X9.63 SHA-256, AES-GCM); the store's id is sealed
/// with it and checked on unwrap. Without one (the simulator), a random AES-256 key is kept in the Keychain with
/// `kSecAttrAccessibleWhenUnlockedThisDeviceOnly` and the data key is sealed with AES-GCM, the store's id as
/// associated data. The blob's first byte says which. A key that is gone (the device was restored from a
/// backup, the passcode was removed) is `KeyMissing`: the person unlocks with the recovery passphrase.
public final class KeychainKeyVault: KeyVault, @unchecked Sendable {
    private let tag: Data
    private let service: String

    /// `tag` names the Secure Enclave key, `service` the Keychain item of the fallback key.
    public init(tag: String = KeychainIds.enclaveTag, service: String = KeychainIds.service) {
        self.tag = Data(tag.utf8)
        self.service = service
    }

    public func wrapDataKey(storeId: Data, dataKey: Data) throws -> Data {
        if SecureEnclave.isAvailable {
            let key = try enclaveKey(create: true)
            guard let publicKey = SecKeyCopyPublicKey(key) else { throw refused(nil) }
            var error: Unmanaged<CFError>?
            guard let sealed = SecKeyCreateEncryptedData(publicKey, Self.algorithm, (storeId + dataKey) as CFData, &error)
            else { throw refused(error) }
            return Data([Scheme.enclave.rawValue]) + (sealed as Data)
        }
        let key = try keychainKey(create: true)
        let box = try AES.GCM.seal(dataKey, using: key, authenticating: storeId)
        guard let combined = box.combined else { throw refused(nil) }
        return Data([Scheme.keychain.rawValue]) + combined
    }

    public func unwrapDataKey(storeId: Data, wrapped: Data) throws -> Data {
        guard let first = wrapped.first, let scheme = Scheme(rawValue: first) else { throw refused(nil) }
        let body = wrapped.dropFirst()
        switch scheme {
        case .enclave:
            let key = try enclaveKey(create: false)
            var error: Unmanaged<CFError>?
            guard let opened = SecKeyCreateDecryptedData(key, Self.algorithm, Data(body) as CFData, &error) as Data?
            else { throw refused(error) }
            guard opened.count > storeId.count, opened.prefix(storeId.count) == storeId else { throw refused(nil) }
            return opened.dropFirst(storeId.count)
        case .keychain:
            let key = try keychainKey(create: false)
            do {
                return try AES.GCM.open(AES.GCM.SealedBox(combined: body), using: key, authenticating: storeId)
            } catch {
                throw KeyVaultError.Refused(reason: error.localizedDescription)
            }
        }
    }

    private enum Scheme: UInt8 {
        case enclave = 1
        case keychain = 2
    }

    private static let algorithm = SecKeyAlgorithm.eciesEncryptionCofactorVariableIVX963SHA256AESGCM

    private func refused(_ error: Unmanaged<CFError>?) -> KeyVaultError {
        let words = error.map { ($0.takeRetainedValue() as Error).localizedDescription }
        return KeyVaultError.Refused(reason: words ?? String(describing: Self.self))
    }

    // MARK: Secure Enclave

    private func enclaveKey(create: Bool) throws -> SecKey {
        let query: [String: Any] = [
            kSecClass as String: kSecClassKey,
            kSecAttrApplicationTag as String: tag,
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
            kSecReturnRef as String: true,
        ]
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        if status == errSecSuccess, let item {
            return item as! SecKey
        }
        guard create, status == errSecItemNotFound else { throw KeyVaultError.KeyMissing }
        var error: Unmanaged<CFError>?
        guard let access = SecAccessControlCreateWithFlags(
            nil, kSecAttrAccessibleWhenUnlockedThisDeviceOnly, .privateKeyUsage, &error
        ) else { throw refused(error) }
        let attributes: [String: Any] = [
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
            kSecAttrKeySizeInBits as String: 256,
            kSecAttrTokenID as String: kSecAttrTokenIDSecureEnclave,
            kSecPrivateKeyAttrs as String: [
                kSecAttrIsPermanent as String: true,
                kSecAttrApplicationTag as String: tag,
                kSecAttrAccessControl as String: access,
            ] as [String: Any],
        ]
        guard let key = SecKeyCreateRandomKey(attributes as CFDictionary, &error) else { throw refused(error) }
        return key
    }

    // MARK: Keychain fallback

    private func keychainKey(create: Bool) throws -> SymmetricKey {
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: KeychainIds.account,
            kSecReturnData as String: true,
        ]
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        if status == errSecSuccess, let data = item as? Data {
            return SymmetricKey(data: data)
        }
        guard create, status == errSecItemNotFound else { throw KeyVaultError.KeyMissing }
        let key = SymmetricKey(size: .bits256)
        let add: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: KeychainIds.account,
            kSecAttrAccessible as String: kSecAttrAccessibleWhenUnlockedThisDeviceOnly,
            kSecAttrSynchronizable as String: false,
            kSecValueData as String: key.withUnsafeBytes { Data($0) },
        ]
        let added = SecItemAdd(add as CFDictionary, nil)
        guard added == errSecSuccess else {
            throw KeyVaultError.Refused(reason: SecCopyErrorMessageString(added, nil) as String? ?? String(added))
        }
        return key
    }
}

/// Keychain identifiers of the app (never shown).
public enum KeychainIds {
    public static let enclaveTag = "jp.azukari.vault.enclave"
    public static let service = "jp.azukari.vault"
    static let account = "data-key-wrapping"
}
