//! Decisions signed with a passkey (WebAuthn) in the hub's browser pages: an approval, a denial, a family
//! member's consent or revocation, each bound to the exact text shown and to one request or agreement.
//!
//! The browser signs a challenge the hub derives, not one the authenticator library picks:
//!
//! `challenge = SHA-256( domain tag of the decision ‖ SHA-256(shown text) ‖ subject id (16 bytes) ‖ nonce (32) )`
//!
//! The assertion (authenticator data, client data JSON, signature) goes into a [`PasskeySigned`] event next to
//! the decision it signs; the credential's public key was recorded earlier by a `PasskeyRegistered` event. So
//! anyone holding the log can check, offline ([`verify_passkey_decisions`]), that each signed decision was made by
//! the holder of that passkey, for that request and that text, once: the signature (ECDSA P-256 over
//! `authenticatorData ‖ SHA-256(clientDataJSON)`), the type `webauthn.get`, the origin and RP ID the key was
//! registered for, the challenge, and the user-presence and user-verification flags.
//!
//! [`PasskeySigned`]: crate::ledger::EventBody::PasskeySigned

use super::{EventBody, EventHash, SignedEvent};
use crate::model::{AgreementId, RequestId, StaffId};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// Authenticator data flag: the user was present (touched, tapped).
pub const FLAG_USER_PRESENT: u8 = 0x01;
/// Authenticator data flag: the user was verified (biometrics, device PIN).
pub const FLAG_USER_VERIFIED: u8 = 0x04;

/// Whose passkey it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PasskeyOwner {
    /// A member of staff, who signs approvals and denials.
    Staff(StaffId),
    /// The family member or legal representative who signs (and may revoke) a custody agreement.
    Family {
        /// The agreement.
        agreement: AgreementId,
    },
}

/// A registered passkey's public part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyKey {
    /// The credential id the authenticator gave.
    pub credential_id: Vec<u8>,
    /// The P-256 public key, SEC1 uncompressed (65 bytes, `04 ‖ x ‖ y`).
    pub public_key: Vec<u8>,
    /// The relying party id it was registered for (the hub's host name).
    pub rp_id: String,
    /// The web origin it was registered on, e.g. `https://hub.example.jp`.
    pub origin: String,
}

/// What a signed decision decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DecisionKind {
    /// A supervisor approves a checkout request.
    Approve,
    /// A supervisor denies a checkout request.
    Deny,
    /// A family member confirms a custody agreement.
    Consent,
    /// A family member revokes a custody agreement.
    Revoke,
}

impl DecisionKind {
    /// The domain tag that starts the challenge, so a signature for one kind never counts as another.
    pub fn domain_tag(self) -> &'static [u8] {
        match self {
            DecisionKind::Approve => b"azukari/passkey-decision/v1/approve",
            DecisionKind::Deny => b"azukari/passkey-decision/v1/deny",
            DecisionKind::Consent => b"azukari/passkey-decision/v1/consent",
            DecisionKind::Revoke => b"azukari/passkey-decision/v1/revoke",
        }
    }
}

/// What a decision is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DecisionSubject {
    /// A checkout request.
    Request {
        /// The request.
        request: RequestId,
        /// Hash of the request's event.
        request_hash: EventHash,
    },
    /// A custody agreement.
    Agreement {
        /// The agreement.
        agreement: AgreementId,
    },
}

impl DecisionSubject {
    /// The subject's id, as it enters the challenge.
    pub fn id_bytes(&self) -> [u8; 16] {
        match self {
            DecisionSubject::Request { request, .. } => *request.as_bytes(),
            DecisionSubject::Agreement { agreement } => *agreement.as_bytes(),
        }
    }
}

/// A WebAuthn assertion as the browser returned it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyAssertion {
    /// The credential that signed.
    pub credential_id: Vec<u8>,
    /// The authenticator data (RP ID hash, flags, counter).
    pub authenticator_data: Vec<u8>,
    /// The client data JSON, byte for byte as the browser produced it.
    pub client_data_json: Vec<u8>,
    /// The ECDSA signature (ASN.1 DER).
    pub signature: Vec<u8>,
}

/// Why a passkey assertion or a signed decision does not verify. No personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasskeyError {
    /// The assertion names another credential than the key.
    #[error("the assertion is from another passkey / 別のパスキーによる署名です")]
    WrongCredential,
    /// The client data is not the JSON of a WebAuthn sign-in.
    #[error("the assertion's client data is malformed / 署名のクライアントデータが不正です")]
    BadClientData,
    /// The client data's type is not `webauthn.get`.
    #[error("the assertion is not a WebAuthn sign-in / WebAuthnの認証ではありません")]
    WrongType,
    /// The challenge signed is not the one this decision needs.
    #[error("the assertion signs another challenge / 署名の対象が一致しません")]
    WrongChallenge,
    /// Signed on another web origin.
    #[error("the assertion was made on another site / 別のサイトで作成された署名です")]
    WrongOrigin,
    /// The authenticator data is too short or for another relying party.
    #[error("the assertion is for another site / 別のサイト向けの署名です")]
    WrongRelyingParty,
    /// The user was not present or not verified.
    #[error("the person was not verified by the passkey / パスキーで本人確認されていません")]
    NotVerified,
    /// The signature does not verify with the key.
    #[error("the passkey signature is invalid / パスキーの署名が不正です")]
    BadSignature,
    /// A signed decision names a passkey the log never registered (before it).
    #[error(
        "event #{index} is signed with an unregistered passkey / 記録#{index}は未登録のパスキーで署名されています"
    )]
    UnknownPasskey {
        /// Position in the log.
        index: usize,
    },
    /// A passkey was registered twice.
    #[error(
        "event #{index} registers a passkey again / 記録#{index}はパスキーを重複登録しています"
    )]
    DuplicatePasskey {
        /// Position in the log.
        index: usize,
    },
    /// A signed decision does not match the decision event it signs, or its signer may not make it.
    #[error(
        "event #{index} does not sign the decision it names / 記録#{index}は対象の決定と一致しません"
    )]
    Mismatch {
        /// Position in the log.
        index: usize,
    },
    /// The same challenge nonce was used twice (a replayed assertion).
    #[error("event #{index} replays an earlier signature / 記録#{index}は以前の署名の再利用です")]
    Replayed {
        /// Position in the log.
        index: usize,
    },
    /// A signed decision's assertion does not verify.
    #[error("event #{index}: {problem}")]
    Assertion {
        /// Position in the log.
        index: usize,
        /// What is wrong.
        problem: Box<PasskeyError>,
    },
    /// An event could not be decoded.
    #[error("event #{index} is malformed / 記録#{index}の形式が不正です")]
    Malformed {
        /// Position in the log.
        index: usize,
    },
}

/// The challenge a decision must sign (see the module documentation).
pub fn decision_challenge(
    kind: DecisionKind,
    text_sha256: &[u8; 32],
    subject: &DecisionSubject,
    nonce: &[u8; 32],
) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(kind.domain_tag());
    hasher.update(text_sha256);
    hasher.update(subject.id_bytes());
    hasher.update(nonce);
    hasher.finalize().into()
}

/// SHA-256 of the text shown to the person deciding (UTF-8).
pub fn text_sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

#[derive(Deserialize)]
struct ClientData {
    #[serde(rename = "type")]
    kind: String,
    challenge: String,
    origin: String,
    #[serde(rename = "crossOrigin", default)]
    cross_origin: bool,
}

/// Check one assertion against a registered key and the challenge it must sign: the credential, the client data
/// (type `webauthn.get`, challenge, origin, not cross-origin), the RP ID hash, the user-present and user-verified
/// flags and the signature over `authenticatorData ‖ SHA-256(clientDataJSON)`.
pub fn verify_assertion(
    key: &PasskeyKey,
    assertion: &PasskeyAssertion,
    challenge: &[u8],
) -> Result<(), PasskeyError> {
    if assertion.credential_id != key.credential_id {
        return Err(PasskeyError::WrongCredential);
    }
    let client: ClientData = serde_json::from_slice(&assertion.client_data_json)
        .map_err(|_| PasskeyError::BadClientData)?;
    if client.kind != "webauthn.get" {
        return Err(PasskeyError::WrongType);
    }
    let signed_challenge = URL_SAFE_NO_PAD
        .decode(client.challenge.trim_end_matches('='))
        .map_err(|_| PasskeyError::BadClientData)?;
    if signed_challenge != challenge {
        return Err(PasskeyError::WrongChallenge);
    }
    if client.origin != key.origin || client.cross_origin {
        return Err(PasskeyError::WrongOrigin);
    }
    let data = &assertion.authenticator_data;
    if data.len() < 37 {
        return Err(PasskeyError::WrongRelyingParty);
    }
    let rp_hash: [u8; 32] = Sha256::digest(key.rp_id.as_bytes()).into();
    if data[..32] != rp_hash {
        return Err(PasskeyError::WrongRelyingParty);
    }
    let flags = data[32];
    if flags & FLAG_USER_PRESENT == 0 || flags & FLAG_USER_VERIFIED == 0 {
        return Err(PasskeyError::NotVerified);
    }
    let mut message = Vec::with_capacity(data.len() + 32);
    message.extend_from_slice(data);
    message.extend_from_slice(&Sha256::digest(&assertion.client_data_json));
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &key.public_key)
        .verify(&message, &assertion.signature)
        .map_err(|_| PasskeyError::BadSignature)
}

/// What [`verify_passkey_decisions`] checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PasskeyReport {
    /// Passkeys registered in the log.
    pub passkeys: usize,
    /// Signed decisions verified.
    pub decisions: usize,
}

/// Check every passkey-signed decision of a log (in log order): each is signed by a passkey registered earlier,
/// whose owner may make it (the staff member who recorded the approval or denial; the family member of that
/// agreement), over the challenge derived from its own text hash, subject and nonce, with no nonce used twice;
/// and the decision event it names comes earlier and decides the same request or agreement.
pub fn verify_passkey_decisions(events: &[SignedEvent]) -> Result<PasskeyReport, PasskeyError> {
    let mut keys: HashMap<Vec<u8>, (PasskeyOwner, PasskeyKey)> = HashMap::new();
    let mut decided: HashMap<EventHash, (Option<StaffId>, EventBody)> = HashMap::new();
    let mut nonces: HashSet<[u8; 32]> = HashSet::new();
    let mut report = PasskeyReport::default();
    for (index, event) in events.iter().enumerate() {
        let envelope = event
            .decode()
            .map_err(|_| PasskeyError::Malformed { index })?;
        match envelope.body {
            EventBody::PasskeyRegistered { owner, key } => {
                if keys.contains_key(&key.credential_id) {
                    return Err(PasskeyError::DuplicatePasskey { index });
                }
                keys.insert(key.credential_id.clone(), (owner, key));
                report.passkeys += 1;
            }
            EventBody::PasskeySigned {
                decision,
                subject,
                decided: decided_event,
                text_sha256,
                nonce,
                assertion,
            } => {
                let (owner, key) = keys
                    .get(&assertion.credential_id)
                    .ok_or(PasskeyError::UnknownPasskey { index })?;
                if !nonces.insert(nonce) {
                    return Err(PasskeyError::Replayed { index });
                }
                let matches = match (decision, subject, owner, decided_event) {
                    (
                        DecisionKind::Approve | DecisionKind::Deny,
                        DecisionSubject::Request {
                            request,
                            request_hash,
                        },
                        PasskeyOwner::Staff(staff),
                        Some(hash),
                    ) => match decided.get(&hash) {
                        Some((
                            actor,
                            EventBody::ApprovalGranted {
                                request: r,
                                request_hash: h,
                            },
                        )) if decision == DecisionKind::Approve => {
                            *r == request && *h == request_hash && *actor == Some(*staff)
                        }
                        Some((
                            actor,
                            EventBody::ApprovalDenied {
                                request: r,
                                request_hash: h,
                                ..
                            },
                        )) if decision == DecisionKind::Deny => {
                            *r == request && *h == request_hash && *actor == Some(*staff)
                        }
                        _ => false,
                    },
                    (
                        DecisionKind::Consent,
                        DecisionSubject::Agreement { agreement },
                        PasskeyOwner::Family { agreement: own },
                        None,
                    ) => agreement == *own,
                    (
                        DecisionKind::Revoke,
                        DecisionSubject::Agreement { agreement },
                        PasskeyOwner::Family { agreement: own },
                        Some(hash),
                    ) => {
                        agreement == *own
                            && matches!(
                                decided.get(&hash),
                                Some((_, EventBody::AgreementRevoked { agreement: a, .. })) if *a == agreement
                            )
                    }
                    _ => false,
                };
                if !matches {
                    return Err(PasskeyError::Mismatch { index });
                }
                let challenge = decision_challenge(decision, &text_sha256, &subject, &nonce);
                verify_assertion(key, &assertion, &challenge).map_err(|problem| {
                    PasskeyError::Assertion {
                        index,
                        problem: Box::new(problem),
                    }
                })?;
                report.decisions += 1;
            }
            body @ (EventBody::ApprovalGranted { .. }
            | EventBody::ApprovalDenied { .. }
            | EventBody::AgreementRevoked { .. }) => {
                decided.insert(event.hash(), (envelope.actor, body));
            }
            _ => {}
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::envelope::to_hex;
    use uuid::Uuid;

    #[test]
    fn the_challenge_commits_to_kind_text_subject_and_nonce() {
        let subject = DecisionSubject::Request {
            request: RequestId(Uuid::from_u128(3)),
            request_hash: EventHash([1; 32]),
        };
        let text = text_sha256("承認します");
        let base = decision_challenge(DecisionKind::Approve, &text, &subject, &[7; 32]);
        assert_eq!(
            to_hex(&base),
            to_hex(&decision_challenge(
                DecisionKind::Approve,
                &text,
                &subject,
                &[7; 32]
            ))
        );
        let other_request = DecisionSubject::Request {
            request: RequestId(Uuid::from_u128(4)),
            request_hash: EventHash([1; 32]),
        };
        for other in [
            decision_challenge(DecisionKind::Deny, &text, &subject, &[7; 32]),
            decision_challenge(DecisionKind::Approve, &text_sha256("x"), &subject, &[7; 32]),
            decision_challenge(DecisionKind::Approve, &text, &other_request, &[7; 32]),
            decision_challenge(DecisionKind::Approve, &text, &subject, &[8; 32]),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn new_variants_are_appended_at_the_end() {
        // Variant indices are the encoding: the two passkey events follow CardMismatch (32).
        let registered = EventBody::PasskeyRegistered {
            owner: PasskeyOwner::Staff(StaffId(Uuid::from_u128(1))),
            key: PasskeyKey {
                credential_id: vec![1],
                public_key: vec![4],
                rp_id: "localhost".into(),
                origin: "http://localhost:1".into(),
            },
        };
        assert_eq!(postcard::to_stdvec(&registered).unwrap()[0], 33);
        let signed = EventBody::PasskeySigned {
            decision: DecisionKind::Consent,
            subject: DecisionSubject::Agreement {
                agreement: AgreementId(Uuid::from_u128(2)),
            },
            decided: None,
            text_sha256: [0; 32],
            nonce: [0; 32],
            assertion: PasskeyAssertion {
                credential_id: vec![1],
                authenticator_data: vec![],
                client_data_json: vec![],
                signature: vec![],
            },
        };
        assert_eq!(postcard::to_stdvec(&signed).unwrap()[0], 34);
        assert_eq!(registered.kind_name(), "passkey_registered");
        assert_eq!(signed.kind_name(), "passkey_signed");
    }

    /// A software passkey: signs assertions as an authenticator would.
    fn software_assertion(
        pair: &ring::signature::EcdsaKeyPair,
        rp_id: &str,
        origin: &str,
        challenge: &[u8],
        flags: u8,
    ) -> PasskeyAssertion {
        let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
        data.push(flags);
        data.extend_from_slice(&[0, 0, 0, 1]);
        let client = format!(
            r#"{{"type":"webauthn.get","challenge":"{}","origin":"{origin}","crossOrigin":false}}"#,
            URL_SAFE_NO_PAD.encode(challenge)
        );
        let mut message = data.clone();
        message.extend_from_slice(&Sha256::digest(client.as_bytes()));
        let rng = ring::rand::SystemRandom::new();
        let signature = pair.sign(&rng, &message).unwrap();
        PasskeyAssertion {
            credential_id: vec![9, 9],
            authenticator_data: data,
            client_data_json: client.into_bytes(),
            signature: signature.as_ref().to_vec(),
        }
    }

    #[test]
    fn assertions_verify_only_as_made() {
        use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let key = PasskeyKey {
            credential_id: vec![9, 9],
            public_key: pair.public_key().as_ref().to_vec(),
            rp_id: "localhost".into(),
            origin: "http://localhost:8443".into(),
        };
        let good = software_assertion(&pair, "localhost", "http://localhost:8443", b"c1", 0x05);
        assert_eq!(verify_assertion(&key, &good, b"c1"), Ok(()));
        assert_eq!(
            verify_assertion(&key, &good, b"c2"),
            Err(PasskeyError::WrongChallenge)
        );
        let evil = software_assertion(&pair, "localhost", "http://evil.example", b"c1", 0x05);
        assert_eq!(
            verify_assertion(&key, &evil, b"c1"),
            Err(PasskeyError::WrongOrigin)
        );
        let other_rp = software_assertion(&pair, "example.com", "http://localhost:8443", b"c1", 5);
        assert_eq!(
            verify_assertion(&key, &other_rp, b"c1"),
            Err(PasskeyError::WrongRelyingParty)
        );
        let unverified = software_assertion(&pair, "localhost", "http://localhost:8443", b"c1", 1);
        assert_eq!(
            verify_assertion(&key, &unverified, b"c1"),
            Err(PasskeyError::NotVerified)
        );
        for at in [0, 33, 36] {
            let mut edited = good.clone();
            edited.authenticator_data[at] ^= 1;
            assert!(verify_assertion(&key, &edited, b"c1").is_err());
        }
        let mut edited = good.clone();
        let last = edited.signature.len() - 1;
        edited.signature[last] ^= 1;
        assert_eq!(
            verify_assertion(&key, &edited, b"c1"),
            Err(PasskeyError::BadSignature)
        );
    }
}
