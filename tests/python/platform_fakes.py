"""Software stand-ins for what a phone provides, shared by the Python tests: a key vault and a My Number card.

Only the standard library is used. The card answers the PIN-less APDUs of DOMAIN.md with a test certificate made in
Rust (`test_card_certificate`); the vault wraps the data key with a key held in memory.
"""

import hashlib
import hmac
import os
import secrets
import sys

sys.path.insert(0, os.environ.get("AZUKARI_FFI_PYTHON", ""))

import azukari_ffi as az  # noqa: E402

PASSPHRASE = "TEST-RECOVERY-PASSPHRASE-0001"

JPKI_AP = bytes.fromhex("D392F000260100000001")
COMMON_CARD_AP = bytes.fromhex("D3921000310001010100")
OK = b"\x90\x00"
FILE_NOT_FOUND = b"\x6a\x82"


class PythonKeyVault(az.KeyVault):
    """A key vault in Python: the data key is wrapped with a key-encryption key held in memory (an HMAC-SHA256
    keystream and tag: the standard library has no AES). `forget()` plays a keystore that was reset."""

    def __init__(self):
        self.kek = secrets.token_bytes(32)
        self.calls = 0

    def forget(self):
        self.kek = None

    def _stream(self, nonce, store_id):
        return hmac.new(self.kek, b"stream" + nonce + store_id, hashlib.sha256).digest()

    def _tag(self, nonce, store_id, body):
        return hmac.new(self.kek, b"tag" + nonce + store_id + body, hashlib.sha256).digest()

    def wrap_data_key(self, store_id, data_key):
        self.calls += 1
        if self.kek is None:
            raise az.KeyVaultError.KeyMissing()
        nonce = secrets.token_bytes(16)
        body = bytes(a ^ b for a, b in zip(data_key, self._stream(nonce, store_id)))
        return nonce + body + self._tag(nonce, store_id, body)

    def unwrap_data_key(self, store_id, wrapped):
        self.calls += 1
        if self.kek is None:
            raise az.KeyVaultError.KeyMissing()
        nonce, body, tag = wrapped[:16], wrapped[16:48], wrapped[48:]
        if not hmac.compare_digest(tag, self._tag(nonce, store_id, body)):
            raise az.KeyVaultError.Refused("wrapped key does not match this vault")
        return bytes(a ^ b for a, b in zip(body, self._stream(nonce, store_id)))


class OtherKeyVault(az.KeyVault):
    """A vault that hands back a different 32-byte key: the store's canary must refuse it as the wrong key."""

    def wrap_data_key(self, store_id, data_key):
        return b"x"

    def unwrap_data_key(self, store_id, wrapped):
        return bytes(32)


class PythonMyNumberCard(az.CardTransceiver):
    """A software My Number card in Python answering the PIN-less APDUs of DOMAIN.md: SELECT of the JPKI and
    common card applications, SELECT and READ BINARY of the token information and the authentication certificate,
    READ RECORD 1. The certificate is a test certificate made in Rust (`test_card_certificate`). It records every
    APDU so the test can check that no VERIFY and no other application was ever asked for."""

    def __init__(self, serial, card_expires_on="20340516", certificate_expires_on="2029-05-16"):
        self.serial = serial.encode()
        self.card_expires_on = card_expires_on.encode()
        self.certificate = az.test_card_certificate(certificate_expires_on)
        self.application = None
        self.file = None
        self.sent = []

    def transceive(self, apdu):
        self.sent.append(bytes(apdu))
        cla, ins, p1, p2 = apdu[0], apdu[1], apdu[2], apdu[3]
        if cla != 0x00:
            return b"\x6e\x00"
        if ins == 0xA4 and p1 == 0x04 and p2 == 0x0C:
            aid = bytes(apdu[5 : 5 + apdu[4]])
            if aid == JPKI_AP:
                self.application, self.file = "jpki", None
                return OK
            if aid == COMMON_CARD_AP:
                self.application, self.file = "common", None
                return OK
            return FILE_NOT_FOUND
        if ins == 0xA4 and p1 == 0x02 and p2 == 0x0C and self.application == "jpki":
            ef = bytes(apdu[5:7])
            files = {b"\x00\x06": b"JPKIAPICCTOKEN2".ljust(32, b" "), b"\x00\x0a": self.certificate}
            if ef not in files:
                return FILE_NOT_FOUND
            self.file = files[ef]
            return OK
        if ins == 0xB0 and self.file is not None:
            offset = (p1 << 8) | p2
            length = apdu[4] or 256
            chunk = self.file[offset : offset + length]
            return chunk + (OK if len(chunk) == length else b"\x62\x82")
        if ins == 0xB2 and p1 == 0x01 and self.application == "common":
            return b"\x01\x1c" + self.serial + b"13101" + self.card_expires_on + OK
        return b"\x6d\x00"
