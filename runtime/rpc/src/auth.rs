//! JWT authentication of the admin API, as the Engine API does it: a 32-byte secret shared
//! through a file, HS256 tokens carrying an `iat` (issued-at) claim within
//! [`MAX_CLOCK_SKEW_SECS`] of the server's clock, sent as `Authorization: Bearer <token>`.
//!
//! Written here rather than taken from `jsonwebtoken`: its 10.x line needs a crypto backend
//! (aws-lc or RustCrypto's RSA/EC stack) to compute one HMAC, and HS256 with an `iat` check is
//! all this scheme uses.

use std::{
    path::{Path, PathBuf},
    time::{SystemTime, UNIX_EPOCH},
};

use alloy_primitives::{B256, hex};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a token's `iat` may be from the server's clock (the Engine API's ±60 s).
pub const MAX_CLOCK_SKEW_SECS: u64 = 60;

/// The only header Keel issues and accepts.
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// A JWT problem: with the secret file, or with a presented token.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    /// The secret file could not be read or written.
    #[error("cannot {action} the JWT secret file {path}: {source}")]
    Io {
        /// `read` or `create`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The secret file does not hold 32 hex-encoded bytes.
    #[error(
        "the JWT secret file {path} must hold 32 bytes as 64 hex digits (optionally 0x-prefixed); \
         delete it to have a new one created"
    )]
    BadSecret {
        /// The file.
        path: PathBuf,
    },
    /// The secret file can be read by others than its owner.
    #[error(
        "the JWT secret file {path} is readable by others than its owner (mode {mode:o}): anyone \
         who reads it can swap the node's plugins; run `chmod 600 {path}`"
    )]
    Exposed {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// No `Authorization: Bearer …` header.
    #[error("missing `Authorization: Bearer <jwt>` header")]
    Missing,
    /// The token is not three base64url parts with a JSON header and claims.
    #[error("malformed JWT: {0}")]
    Malformed(&'static str),
    /// The header names another algorithm than HS256.
    #[error("unsupported JWT algorithm; only HS256 is accepted")]
    Algorithm,
    /// The signature does not match the secret.
    #[error("JWT signature does not match the node's secret")]
    Signature,
    /// `iat` is too far from the server's clock.
    #[error("JWT issued at {iat}, more than {MAX_CLOCK_SKEW_SECS} s from the node's clock ({now})")]
    Stale {
        /// The token's `iat`.
        iat: u64,
        /// The server's clock.
        now: u64,
    },
}

/// The shared HS256 secret.
#[derive(Clone, PartialEq, Eq)]
pub struct JwtSecret([u8; 32]);

impl core::fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("JwtSecret(…)")
    }
}

impl JwtSecret {
    /// A secret from its 32 bytes.
    pub const fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Reads the secret at `path`, or creates the file with a random secret (readable by its
    /// owner only) if there is none. An existing file must be readable by its owner only
    /// (on Unix): the secret guards the admin API.
    pub fn load_or_create(path: &Path) -> Result<Self, JwtError> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = std::fs::metadata(path)
                        .map_err(|source| JwtError::Io {
                            action: "read",
                            path: path.to_owned(),
                            source,
                        })?
                        .permissions()
                        .mode();
                    if mode & 0o077 != 0 {
                        return Err(JwtError::Exposed {
                            path: path.to_owned(),
                            mode: mode & 0o777,
                        });
                    }
                }
                Self::parse(&text).ok_or_else(|| JwtError::BadSecret {
                    path: path.to_owned(),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret = Self(B256::random().0);
                secret.create(path).map_err(|source| JwtError::Io {
                    action: "create",
                    path: path.to_owned(),
                    source,
                })?;
                Ok(secret)
            }
            Err(source) => Err(JwtError::Io {
                action: "read",
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Reads the secret at `path`; the file must exist.
    pub fn read(path: &Path) -> Result<Self, JwtError> {
        let text = std::fs::read_to_string(path).map_err(|source| JwtError::Io {
            action: "read",
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).ok_or_else(|| JwtError::BadSecret {
            path: path.to_owned(),
        })
    }

    fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let digits = text.strip_prefix("0x").unwrap_or(text);
        let bytes: [u8; 32] = hex::decode(digits).ok()?.try_into().ok()?;
        Some(Self(bytes))
    }

    fn create(&self, path: &Path) -> std::io::Result<()> {
        use std::io::Write;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path)?;
        writeln!(file, "{}", hex::encode(self.0))
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes a key of any length: this cannot fail.
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!())
    }

    /// A token issued at `iat` (seconds since the Unix epoch).
    pub fn token(&self, iat: u64) -> String {
        let header = URL_SAFE_NO_PAD.encode(HEADER);
        let claims = URL_SAFE_NO_PAD.encode(format!(r#"{{"iat":{iat}}}"#));
        let signing_input = format!("{header}.{claims}");
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{signature}")
    }

    /// A token issued now.
    pub fn token_now(&self) -> String {
        self.token(unix_now())
    }

    /// Checks `token` against this secret and the clock `now`.
    pub fn validate(&self, token: &str, now: u64) -> Result<(), JwtError> {
        let mut parts = token.split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::Malformed("expected three dot-separated parts"));
        };
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| JwtError::Malformed("signature is not base64url"))?;
        let mut mac = self.mac();
        mac.update(header.as_bytes());
        mac.update(b".");
        mac.update(claims.as_bytes());
        // Constant-time comparison.
        mac.verify_slice(&signature)
            .map_err(|_| JwtError::Signature)?;

        #[derive(serde::Deserialize)]
        struct Header {
            alg: String,
        }
        #[derive(serde::Deserialize)]
        struct Claims {
            iat: u64,
        }
        let decode = |part: &str, what: &'static str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| JwtError::Malformed(what))
        };
        let header: Header = serde_json::from_slice(&decode(header, "header is not base64url")?)
            .map_err(|_| JwtError::Malformed("header is not a JSON object with `alg`"))?;
        if header.alg != "HS256" {
            return Err(JwtError::Algorithm);
        }
        let claims: Claims = serde_json::from_slice(&decode(claims, "claims are not base64url")?)
            .map_err(|_| {
            JwtError::Malformed("claims are not a JSON object with a numeric `iat`")
        })?;
        if claims.iat.abs_diff(now) > MAX_CLOCK_SKEW_SECS {
            return Err(JwtError::Stale {
                iat: claims.iat,
                now,
            });
        }
        Ok(())
    }

    /// Checks an `Authorization` header value (`Bearer <token>`).
    pub fn validate_header(&self, header: Option<&str>) -> Result<(), JwtError> {
        let token = header
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or(JwtError::Missing)?;
        self.validate(token.trim(), unix_now())
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_round_trips_within_the_skew() {
        let secret = JwtSecret::new([7; 32]);
        let token = secret.token(1_000);
        secret.validate(&token, 1_000).unwrap();
        secret.validate(&token, 1_060).unwrap();
        secret.validate(&token, 940).unwrap();
        assert!(matches!(
            secret.validate(&token, 1_061),
            Err(JwtError::Stale {
                iat: 1_000,
                now: 1_061
            })
        ));
    }

    #[test]
    fn a_token_matches_one_computed_independently() {
        // Computed with Python's `hmac` and `base64` over the same header and claims, key
        // 32 × 0x07.
        assert_eq!(
            JwtSecret::new([7; 32]).token(1_000),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjEwMDB9.\
             OT2zP6HyvoKEwAGJSSXhaNajx8FdgMLyK7HOurYbHJo"
        );
    }

    #[test]
    fn refuses_other_secrets_tampering_and_garbage() {
        let secret = JwtSecret::new([7; 32]);
        let other = JwtSecret::new([8; 32]).token(1_000);
        assert!(matches!(
            secret.validate(&other, 1_000),
            Err(JwtError::Signature)
        ));
        let token = secret.token(1_000);
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged_claims = URL_SAFE_NO_PAD.encode(r#"{"iat":5000}"#);
        parts[1] = &forged_claims;
        assert!(matches!(
            secret.validate(&parts.join("."), 5_000),
            Err(JwtError::Signature)
        ));
        assert!(matches!(
            secret.validate("abc", 0),
            Err(JwtError::Malformed(_))
        ));
        assert!(matches!(
            secret.validate_header(None),
            Err(JwtError::Missing)
        ));
        assert!(matches!(
            secret.validate_header(Some(&format!("Basic {token}"))),
            Err(JwtError::Missing)
        ));
    }

    #[test]
    fn secret_file_is_created_once_and_reread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/jwt.hex");
        let created = JwtSecret::load_or_create(&path).unwrap();
        assert_eq!(JwtSecret::load_or_create(&path).unwrap(), created);
        assert_eq!(JwtSecret::read(&path).unwrap(), created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not hex").unwrap();
        let error = JwtSecret::load_or_create(&path).unwrap_err();
        assert!(error.to_string().contains("64 hex digits"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jwt.hex");
        JwtSecret::load_or_create(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = JwtSecret::load_or_create(&path).unwrap_err();
        assert!(
            matches!(error, JwtError::Exposed { mode: 0o644, .. }),
            "{error}"
        );
        assert!(error.to_string().contains("chmod 600"), "{error}");
    }
}
