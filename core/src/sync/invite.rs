//! The enrollment QR the hub shows: everything a new device needs to reach the hub safely and once.
//!
//! `azukari-enroll:v1?hub=URL&fp=SHA256&ck=CHECKPOINT_KEY&token=TOKEN&exp=UNIX_MS` (query values
//! `application/x-www-form-urlencoded`): the hub's URL, the SHA-256 fingerprint of its certificate to pin, the
//! checkpoint key to pin, the one-time token, and when the token expires.

use super::SyncError;
use crate::clock::Timestamp;

/// The QR's scheme and version.
const PREFIX: &str = "azukari-enroll:v1?";

/// What an enrollment QR carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentInvite {
    /// The hub's URL (`https://host:port`, or loopback `http://` in development).
    pub hub_url: String,
    /// The SHA-256 fingerprint of the hub's certificate (64 hex digits) to pin; `None` for a loopback `http://`
    /// hub in development.
    pub cert_sha256: Option<String>,
    /// The hub's checkpoint verifier key (C2SP note key) to pin.
    pub checkpoint_key: String,
    /// The one-time token.
    pub token: String,
    /// When the token stops working.
    pub expires_at: Timestamp,
}

impl EnrollmentInvite {
    /// The QR code's text.
    pub fn to_qr_text(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("hub", &self.hub_url);
        if let Some(fingerprint) = &self.cert_sha256 {
            query.append_pair("fp", fingerprint);
        }
        let query = query
            .append_pair("ck", &self.checkpoint_key)
            .append_pair("token", &self.token)
            .append_pair("exp", &self.expires_at.0.to_string())
            .finish();
        format!("{PREFIX}{query}")
    }

    /// Read a scanned QR code's text; an error names what is wrong (not an enrollment QR, or a part missing).
    pub fn parse(text: &str) -> Result<EnrollmentInvite, SyncError> {
        let query = text
            .trim()
            .strip_prefix(PREFIX)
            .ok_or(SyncError::Enrollment(
                "this is not an Azukari enrollment QR / 預かりの端末登録用QRではありません",
            ))?;
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        let field = |name: &str, missing: &'static str| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
                .filter(|value| !value.is_empty())
                .ok_or(SyncError::Enrollment(missing))
        };
        Ok(EnrollmentInvite {
            hub_url: field(
                "hub",
                "the enrollment QR has no hub address / 登録用QRにハブのアドレスがありません",
            )?,
            cert_sha256: field("fp", "").ok(),
            checkpoint_key: field(
                "ck",
                "the enrollment QR has no checkpoint key / 登録用QRにチェックポイント鍵がありません",
            )?,
            token: field(
                "token",
                "the enrollment QR has no token / 登録用QRにトークンがありません",
            )?,
            expires_at: Timestamp(
                field(
                    "exp",
                    "the enrollment QR has no expiry / 登録用QRに有効期限がありません",
                )?
                .parse()
                .map_err(|_| {
                    SyncError::Enrollment(
                        "the enrollment QR's expiry is not a time / 登録用QRの有効期限が読めません",
                    )
                })?,
            ),
        })
    }

    /// Whether the token has expired at `now` (the hub decides; this only spares a pointless request).
    pub fn is_expired(&self, now: Timestamp) -> bool {
        now.0 >= self.expires_at.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invite_reads_back_from_its_qr_text_and_a_damaged_one_says_what_is_missing() {
        let invite = EnrollmentInvite {
            hub_url: "https://hub.local:8443/".into(),
            cert_sha256: Some("ab".repeat(32)),
            checkpoint_key: "hub.local+1a2b3c4d+AbC/dEf+gh=".into(),
            token: "tok_en-123".into(),
            expires_at: Timestamp(1_800_000_000_000),
        };
        let text = invite.to_qr_text();
        assert!(
            text.starts_with("azukari-enroll:v1?hub=https%3A%2F%2Fhub.local"),
            "{text}"
        );
        assert_eq!(EnrollmentInvite::parse(&text).unwrap(), invite);
        assert_eq!(
            EnrollmentInvite::parse(&format!(" {text}\n")).unwrap(),
            invite
        );
        assert!(invite.is_expired(Timestamp(1_800_000_000_000)));
        assert!(!invite.is_expired(Timestamp(1_799_999_999_999)));

        assert!(matches!(
            EnrollmentInvite::parse("https://example.com/?token=x"),
            Err(SyncError::Enrollment(
                "this is not an Azukari enrollment QR / 預かりの端末登録用QRではありません"
            ))
        ));
        let without_token = text.replace("token=tok_en-123&", "");
        assert!(matches!(
            EnrollmentInvite::parse(&without_token),
            Err(SyncError::Enrollment(
                "the enrollment QR has no token / 登録用QRにトークンがありません"
            ))
        ));
        let bad_expiry = text.replace("exp=1800000000000", "exp=soon");
        assert!(EnrollmentInvite::parse(&bad_expiry).is_err());
        let loopback = EnrollmentInvite {
            hub_url: "http://127.0.0.1:8443".into(),
            cert_sha256: None,
            ..invite
        };
        assert!(!loopback.to_qr_text().contains("fp="));
        assert_eq!(
            EnrollmentInvite::parse(&loopback.to_qr_text()).unwrap(),
            loopback
        );
    }
}
