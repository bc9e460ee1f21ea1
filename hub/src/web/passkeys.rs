//! The passkey ceremonies: registration (checked by webauthn-rs), sign-in over a random challenge, and signed
//! decisions over the challenge of `azukari_core::ledger::passkey` — both assertions checked with
//! `azukari_core::ledger::passkey::verify_assertion`, the same code the auditor's offline check runs.

use super::{Pending, Visit, Web, internal, random_32, refuse};
use axum::http::StatusCode;
use axum::response::Response;
use azukari_core::ledger::passkey::{
    DecisionKind, DecisionSubject, PasskeyAssertion, PasskeyKey, PasskeyOwner, decision_challenge,
    text_sha256, verify_assertion,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};
use webauthn_rs::prelude::{
    COSEKeyType, CredentialID, ECDSACurve, RegisterPublicKeyCredential, Uuid,
};

/// A decision waiting for its signature.
pub(crate) struct Decision {
    /// What is decided.
    pub kind: DecisionKind,
    /// About what.
    pub subject: DecisionSubject,
    /// The exact text shown.
    pub text: String,
    /// The one-time nonce.
    pub nonce: [u8; 32],
    /// Who must sign.
    pub owner: PasskeyOwner,
    /// A denial's reason.
    pub reason: Option<String>,
}

impl Decision {
    /// The challenge the assertion must sign.
    pub fn challenge(&self) -> [u8; 32] {
        decision_challenge(
            self.kind,
            &text_sha256(&self.text),
            &self.subject,
            &self.nonce,
        )
    }
}

/// An assertion as the script posts it (binary fields base64url).
#[derive(Debug, Deserialize)]
pub(crate) struct AssertionJson {
    #[serde(rename = "rawId")]
    raw_id: String,
    response: AssertionResponse,
}

#[derive(Debug, Deserialize)]
struct AssertionResponse {
    #[serde(rename = "authenticatorData")]
    authenticator_data: String,
    #[serde(rename = "clientDataJSON")]
    client_data_json: String,
    signature: String,
}

impl AssertionJson {
    /// The assertion's bytes.
    pub fn decode(&self) -> Option<PasskeyAssertion> {
        let bytes = |text: &str| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok();
        Some(PasskeyAssertion {
            credential_id: bytes(&self.raw_id)?,
            authenticator_data: bytes(&self.response.authenticator_data)?,
            client_data_json: bytes(&self.response.client_data_json)?,
            signature: bytes(&self.response.signature)?,
        })
    }
}

/// What the script posts to a `…/finish` route.
#[derive(Debug, Deserialize)]
pub(crate) struct Finish {
    /// A new credential.
    pub registration: Option<RegisterPublicKeyCredential>,
    /// An assertion.
    pub assertion: Option<AssertionJson>,
}

/// The options of a `navigator.credentials.get` over `challenge`, allowing `allow` (any discoverable
/// credential when empty).
pub(crate) fn get_options(web: &Web, challenge: &[u8], allow: &[Vec<u8>]) -> Value {
    let allow: Vec<Value> = allow
        .iter()
        .map(|id| json!({ "type": "public-key", "id": URL_SAFE_NO_PAD.encode(id) }))
        .collect();
    json!({
        "get": {
            "publicKey": {
                "challenge": URL_SAFE_NO_PAD.encode(challenge),
                "rpId": web.rp_id,
                "allowCredentials": allow,
                "userVerification": "required",
                "timeout": 120000
            }
        }
    })
}

/// Start registering a passkey for `owner`: the creation options (a discoverable credential with user
/// verification), the ceremony kept in the session.
pub(crate) fn start_registration(
    web: &Web,
    visit: &Visit,
    owner: PasskeyOwner,
    user: Uuid,
    name: &str,
) -> Result<Value, Response> {
    let existing = web
        .db(|db| db.passkeys_of(&owner))?
        .map_err(|_| internal())?;
    let exclude: Vec<CredentialID> = existing
        .iter()
        .map(|p| CredentialID::from(p.key.credential_id.clone()))
        .collect();
    let (options, state) = web
        .webauthn
        .start_passkey_registration(user, name, name, Some(exclude))
        .map_err(|_| internal())?;
    let mut value = serde_json::to_value(&options).map_err(|_| internal())?;
    if let Some(selection) = value
        .get_mut("publicKey")
        .and_then(|p| p.get_mut("authenticatorSelection"))
        .and_then(Value::as_object_mut)
    {
        selection.insert("residentKey".into(), json!("required"));
        selection.insert("requireResidentKey".into(), json!(true));
        selection.insert("userVerification".into(), json!("required"));
    }
    web.update(visit, |session| {
        session.pending = Some(Pending::Register {
            state: Box::new(state),
            owner,
        })
    });
    Ok(json!({ "create": value }))
}

/// Finish a registration started by [`start_registration`]: the owner and the key (P-256 only).
pub(crate) fn finish_registration(
    web: &Web,
    visit: &Visit,
    registration: &RegisterPublicKeyCredential,
) -> Result<(PasskeyOwner, PasskeyKey), Response> {
    let Some(Pending::Register { state, owner }) = web.take_pending(visit) else {
        return Err(refuse(
            StatusCode::CONFLICT,
            "no_ceremony",
            visit.text("web-refused-no-ceremony"),
        ));
    };
    let passkey = web
        .webauthn
        .finish_passkey_registration(registration, &state)
        .map_err(|_| {
            refuse(
                StatusCode::BAD_REQUEST,
                "bad_passkey",
                visit.text("web-refused-passkey"),
            )
        })?;
    let public_key = match &passkey.get_public_key().key {
        COSEKeyType::EC_EC2(ec) if ec.curve == ECDSACurve::SECP256R1 => {
            let mut key = vec![4u8];
            key.extend_from_slice(&ec.x);
            key.extend_from_slice(&ec.y);
            key
        }
        _ => {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "unsupported_passkey",
                visit.text("web-refused-passkey-kind"),
            ));
        }
    };
    let credential_id: &[u8] = passkey.cred_id().as_ref();
    Ok((
        owner,
        PasskeyKey {
            credential_id: credential_id.to_vec(),
            public_key,
            rp_id: web.rp_id.clone(),
            origin: web.origin.clone(),
        },
    ))
}

/// Start a sign-in: a random challenge, any discoverable credential of this site.
pub(crate) fn start_sign_in(web: &Web, visit: &Visit, family: bool) -> Result<Value, Response> {
    let challenge = random_32()?;
    web.update(visit, |session| {
        session.pending = Some(Pending::SignIn { challenge, family })
    });
    Ok(get_options(web, &challenge, &[]))
}

/// Finish a sign-in: whose passkey signed the challenge (staff or family, as the ceremony asked).
pub(crate) fn finish_sign_in(
    web: &Web,
    visit: &Visit,
    assertion: &AssertionJson,
) -> Result<PasskeyOwner, Response> {
    let refused = || {
        refuse(
            StatusCode::UNAUTHORIZED,
            "sign_in_refused",
            visit.text("web-refused-sign-in"),
        )
    };
    let Some(Pending::SignIn { challenge, family }) = web.take_pending(visit) else {
        return Err(refuse(
            StatusCode::CONFLICT,
            "no_ceremony",
            visit.text("web-refused-no-ceremony"),
        ));
    };
    let assertion = assertion.decode().ok_or_else(refused)?;
    let stored = web
        .db(|db| db.passkey(&assertion.credential_id))?
        .map_err(|_| internal())?
        .ok_or_else(refused)?;
    let kind_matches = matches!(
        (family, stored.owner),
        (false, PasskeyOwner::Staff(_)) | (true, PasskeyOwner::Family { .. })
    );
    if !kind_matches {
        return Err(refused());
    }
    verify_assertion(&stored.key, &assertion, &challenge).map_err(|_| refused())?;
    Ok(stored.owner)
}

/// Start signing `decision`: the options of an assertion over its challenge by one of its owner's passkeys.
pub(crate) fn start_decision(
    web: &Web,
    visit: &Visit,
    decision: Decision,
) -> Result<Value, Response> {
    let keys = web
        .db(|db| db.passkeys_of(&decision.owner))?
        .map_err(|_| internal())?;
    if keys.is_empty() {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "no_passkey",
            visit.text("web-refused-no-passkey"),
        ));
    }
    let allow: Vec<Vec<u8>> = keys.iter().map(|k| k.key.credential_id.clone()).collect();
    let options = get_options(web, &decision.challenge(), &allow);
    web.update(visit, |session| {
        session.pending = Some(Pending::Sign(Box::new(decision)))
    });
    Ok(options)
}

/// Finish signing: the decision and its verified assertion. The ceremony is used up whatever the outcome, so
/// an assertion can never be replayed, and one made for another request or text fails its challenge.
pub(crate) fn finish_decision(
    web: &Web,
    visit: &Visit,
    assertion: &AssertionJson,
) -> Result<(Decision, PasskeyAssertion), Response> {
    let refused = || {
        refuse(
            StatusCode::FORBIDDEN,
            "signature_refused",
            visit.text("web-refused-signature"),
        )
    };
    let Some(Pending::Sign(decision)) = web.take_pending(visit) else {
        return Err(refuse(
            StatusCode::CONFLICT,
            "no_ceremony",
            visit.text("web-refused-no-ceremony"),
        ));
    };
    let assertion = assertion.decode().ok_or_else(refused)?;
    let stored = web
        .db(|db| db.passkey(&assertion.credential_id))?
        .map_err(|_| internal())?
        .ok_or_else(refused)?;
    if stored.owner != decision.owner {
        return Err(refused());
    }
    verify_assertion(&stored.key, &assertion, &decision.challenge()).map_err(|_| refused())?;
    Ok((*decision, assertion))
}
