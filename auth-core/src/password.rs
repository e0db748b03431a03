//! Password hashing with Argon2id (the `argon2` crate's recommended defaults), for the login
//! endpoint's credentials verifier.
//!
//! ```
//! use auth_core::password::{hash_password, verify_password, verify_user_password};
//! let hash = hash_password("correct horse battery staple").unwrap();
//! assert!(verify_password(&hash, "correct horse battery staple"));
//! assert!(!verify_password(&hash, "wrong"));
//! // Unknown user: the same work is done against a dummy hash, so timing does not tell.
//! assert!(!verify_user_password(None, "anything"));
//! ```

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Hashing failed (never for valid UTF-8 input with the default parameters).
#[derive(Debug, Clone, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct PasswordError(String);

/// Hashes a password into a PHC string (`$argon2id$v=19$...`) with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError(e.to_string()))
}

/// Whether `password` matches the PHC `hash`. A malformed hash never matches.
/// The comparison inside `argon2` is constant-time.
pub fn verify_password(hash: &str, password: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

fn dummy_hash() -> Option<&'static str> {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    DUMMY
        .get_or_init(|| hash_password("auth-core dummy password").ok())
        .as_deref()
}

/// Verifies a user's password when the user may not exist (`hash` is `None`): an unknown user
/// costs the same Argon2 work as a known one and never matches, so user names cannot be probed
/// by timing.
pub fn verify_user_password(hash: Option<&str>, password: &str) -> bool {
    match hash {
        Some(h) => verify_password(h, password),
        None => {
            if let Some(d) = dummy_hash() {
                let _ = verify_password(d, password);
            }
            false
        }
    }
}
