//! Verification and signing keys, each bound to the algorithms configured for it.

use std::fmt;
use std::str::FromStr;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

use crate::error::ConfigError;

/// The algorithm a JWS `alg` names: jsonwebtoken's names, and `Ed25519` (RFC 9864's fully
/// specified name for EdDSA over Ed25519, the only curve this library's EdDSA keys use).
pub(crate) fn algorithm_named(name: &str) -> Option<Algorithm> {
    match name {
        "Ed25519" => Some(Algorithm::EdDSA),
        other => Algorithm::from_str(other).ok(),
    }
}

/// The shortest HMAC secret accepted, in bytes.
pub const MIN_HMAC_SECRET_LEN: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Hmac,
    Rsa,
    Ec,
    Ed,
}

impl Family {
    fn name(self) -> &'static str {
        match self {
            Family::Hmac => "HMAC secret",
            Family::Rsa => "RSA",
            Family::Ec => "EC",
            Family::Ed => "Ed25519",
        }
    }

    fn allows(self, alg: Algorithm) -> bool {
        use Algorithm::*;
        matches!(
            (self, alg),
            (Family::Hmac, HS256 | HS384 | HS512)
                | (Family::Rsa, RS256 | RS384 | RS512 | PS256 | PS384 | PS512)
                | (Family::Ec, ES256 | ES384)
                | (Family::Ed, EdDSA)
        )
    }
}

/// One JWT key: a verification key bound to the algorithms it may verify, an optional `kid`,
/// and optionally a signing key (to issue tokens).
///
/// Keys come only from the configuration, never from a token: the `jwk`, `jku`, `x5u` and `x5c`
/// headers are ignored. An RSA, EC or Ed25519 public key can never be used as an HMAC secret,
/// because each key is bound at construction to algorithms of its own family.
///
/// ```
/// use auth_core::jwt::JwtKey;
/// let key = JwtKey::hs256(b"an example secret that is 32+ bytes long").unwrap().kid("2026-01");
/// assert!(JwtKey::hs256(b"short").is_err());
/// ```
pub struct JwtKey {
    pub(crate) kid: Option<Box<str>>,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) family: Family,
    pub(crate) decoding: DecodingKey,
    pub(crate) encoding: Option<EncodingKey>,
}

impl fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtKey")
            .field("kid", &self.kid)
            .field("algorithms", &self.algorithms)
            .field("family", &self.family)
            .field("can_sign", &self.encoding.is_some())
            .finish_non_exhaustive()
    }
}

fn invalid(what: &'static str) -> impl FnOnce(jsonwebtoken::errors::Error) -> ConfigError {
    move |source| ConfigError::InvalidKey { what, source }
}

impl JwtKey {
    fn new(
        family: Family,
        algorithms: &[Algorithm],
        decoding: DecodingKey,
    ) -> Result<Self, ConfigError> {
        if algorithms.is_empty() {
            return Err(ConfigError::Invalid(
                "a JWT key needs at least one algorithm".into(),
            ));
        }
        for &alg in algorithms {
            if !family.allows(alg) {
                return Err(ConfigError::AlgorithmKeyMismatch {
                    alg,
                    family: family.name(),
                });
            }
        }
        Ok(JwtKey {
            kid: None,
            algorithms: algorithms.to_vec(),
            family,
            decoding,
            encoding: None,
        })
    }

    /// A verification key made elsewhere in the crate (a JWKS entry), already bound to
    /// algorithms of its family.
    #[cfg(feature = "oidc")]
    pub(crate) fn from_parts(
        family: Family,
        algorithms: Vec<Algorithm>,
        decoding: DecodingKey,
    ) -> Self {
        JwtKey {
            kid: None,
            algorithms,
            family,
            decoding,
            encoding: None,
        }
    }

    /// A private key bound to the one algorithm it signs with (a key ring's).
    pub(crate) fn signing(
        family: Family,
        alg: Algorithm,
        decoding: DecodingKey,
        encoding: EncodingKey,
    ) -> Self {
        JwtKey {
            kid: None,
            algorithms: vec![alg],
            family,
            decoding,
            encoding: Some(encoding),
        }
    }

    /// An HMAC secret for the given algorithms (each of HS256/HS384/HS512); it also signs.
    ///
    /// Refuses secrets shorter than [`MIN_HMAC_SECRET_LEN`] bytes.
    pub fn hmac(secret: &[u8], algorithms: &[Algorithm]) -> Result<Self, ConfigError> {
        if secret.len() < MIN_HMAC_SECRET_LEN {
            return Err(ConfigError::WeakSecret {
                alg: algorithms.first().copied().unwrap_or(Algorithm::HS256),
                len: secret.len(),
                min: MIN_HMAC_SECRET_LEN,
            });
        }
        let mut key = Self::new(Family::Hmac, algorithms, DecodingKey::from_secret(secret))?;
        key.encoding = Some(EncodingKey::from_secret(secret));
        Ok(key)
    }

    /// An HS256 secret.
    pub fn hs256(secret: &[u8]) -> Result<Self, ConfigError> {
        Self::hmac(secret, &[Algorithm::HS256])
    }

    /// An HS384 secret.
    pub fn hs384(secret: &[u8]) -> Result<Self, ConfigError> {
        Self::hmac(secret, &[Algorithm::HS384])
    }

    /// An HS512 secret.
    pub fn hs512(secret: &[u8]) -> Result<Self, ConfigError> {
        Self::hmac(secret, &[Algorithm::HS512])
    }

    /// An RSA public key (PEM) for the given RS*/PS* algorithms.
    pub fn rsa_pem(public_pem: &[u8], algorithms: &[Algorithm]) -> Result<Self, ConfigError> {
        let d = DecodingKey::from_rsa_pem(public_pem).map_err(invalid("RSA public"))?;
        Self::new(Family::Rsa, algorithms, d)
    }

    /// An RSA public key (PEM) for RS256.
    pub fn rs256_pem(public_pem: &[u8]) -> Result<Self, ConfigError> {
        Self::rsa_pem(public_pem, &[Algorithm::RS256])
    }

    /// An EC public key (PEM) for ES256 (P-256) or ES384 (P-384).
    pub fn ec_pem(public_pem: &[u8], algorithm: Algorithm) -> Result<Self, ConfigError> {
        let d = DecodingKey::from_ec_pem(public_pem).map_err(invalid("EC public"))?;
        Self::new(Family::Ec, &[algorithm], d)
    }

    /// An EC P-256 public key (PEM) for ES256.
    pub fn es256_pem(public_pem: &[u8]) -> Result<Self, ConfigError> {
        Self::ec_pem(public_pem, Algorithm::ES256)
    }

    /// An Ed25519 public key (PEM) for EdDSA.
    pub fn ed_pem(public_pem: &[u8]) -> Result<Self, ConfigError> {
        let d = DecodingKey::from_ed_pem(public_pem).map_err(invalid("Ed25519 public"))?;
        Self::new(Family::Ed, &[Algorithm::EdDSA], d)
    }

    /// Adds the private key (PEM) so that this key can issue tokens.
    pub fn with_private_pem(mut self, private_pem: &[u8]) -> Result<Self, ConfigError> {
        let e = match self.family {
            Family::Hmac => {
                return Err(ConfigError::Invalid(
                    "an HMAC key signs with its secret already".into(),
                ))
            }
            Family::Rsa => {
                EncodingKey::from_rsa_pem(private_pem).map_err(invalid("RSA private"))?
            }
            Family::Ec => {
                EncodingKey::from_ec_pem(private_pem).map_err(invalid("EC private (PKCS#8)"))?
            }
            Family::Ed => {
                EncodingKey::from_ed_pem(private_pem).map_err(invalid("Ed25519 private"))?
            }
        };
        self.encoding = Some(e);
        Ok(self)
    }

    /// Names the key; tokens must then carry this `kid` in their header.
    pub fn kid(mut self, kid: impl Into<Box<str>>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The algorithms this key verifies.
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// Whether this key can sign (issue tokens).
    pub fn can_sign(&self) -> bool {
        self.encoding.is_some()
    }
}
