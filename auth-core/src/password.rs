//! Password hashing with Argon2id (the `argon2` crate's recommended defaults), for the login
//! endpoint's credentials verifier.
//!
//! Argon2 is deliberately slow (tens of milliseconds of CPU). On a server, check passwords with
//! [`verify_user_password_async`]: it runs the hash on tokio's blocking threads, a few at a time,
//! so that a flood of login attempts cannot stall the threads that serve every other request.
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

use tokio::sync::Semaphore;
use zeroize::Zeroizing;

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

/// How many passwords are hashed at once by [`verify_user_password_async`]: half the cores (at
/// least one), so that the other half keeps serving requests during a flood of logins.
fn hashing_slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Semaphore::new((cores / 2).max(1))
    })
}

/// [`verify_user_password`] off the async worker threads: the Argon2 work runs on tokio's
/// blocking threads, at most half the cores' worth at once; callers beyond that wait their turn
/// without holding a thread. Needs a tokio runtime (actix-web and tonic run on one).
///
/// The password is wiped from memory once checked. `false` when the check could not run.
pub async fn verify_user_password_async(hash: Option<String>, password: String) -> bool {
    let password = Zeroizing::new(password);
    let Ok(_slot) = hashing_slots().acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || verify_user_password(hash.as_deref(), &password))
        .await
        .unwrap_or(false)
}
