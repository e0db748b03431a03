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

use std::sync::{Mutex, OnceLock};

use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;
use zeroize::{Zeroize, Zeroizing};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

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

/// [`verify_password`] in `memory`, Argon2's working memory (19 MiB with the default
/// parameters), kept by the caller between checks and wiped after each.
fn verify_in(hash: &str, password: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(version), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        parsed
            .version
            .map_or(Ok(Version::default()), Version::try_from),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let mut salt_bytes = [0u8; Salt::MAX_LENGTH];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    memory.resize(params.block_count(), Block::default());
    let mut out = Zeroizing::new(vec![0u8; expected.len()]);
    let hashed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        &mut out,
        &mut memory[..],
    );
    memory.iter_mut().for_each(Zeroize::zeroize);
    hashed.is_ok() && bool::from(expected.as_bytes().ct_eq(&out))
}

/// Argon2's working memory for [`verify_user_password_async`], one buffer per hashing slot,
/// reused: allocating 19 MiB per login made the allocator keep every freed buffer (measured:
/// the showcase's RSS went from 29 MB to 224 MB after 10 logins in a row, and to 477 MB under a
/// flood); with the buffers reused it stays at the slots' worth.
fn memory_pool() -> &'static Mutex<Vec<Vec<Block>>> {
    static POOL: OnceLock<Mutex<Vec<Vec<Block>>>> = OnceLock::new();
    POOL.get_or_init(|| Mutex::new(Vec::new()))
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
    // A poisoned pool only means another check panicked: its buffers are still plain memory.
    let taken = memory_pool()
        .lock()
        .map_or_else(|p| p.into_inner().pop(), |mut pool| pool.pop());
    let mut memory = taken.unwrap_or_default();
    let checked = tokio::task::spawn_blocking(move || {
        let ok = match hash.as_deref() {
            Some(h) => verify_in(h, &password, &mut memory),
            None => {
                if let Some(d) = dummy_hash() {
                    let _ = verify_in(d, &password, &mut memory);
                }
                false
            }
        };
        (ok, memory)
    })
    .await;
    match checked {
        Ok((ok, memory)) => {
            if let Ok(mut pool) = memory_pool().lock() {
                pool.push(memory);
            }
            ok
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checking_in_reused_memory_agrees_with_the_plain_check() {
        let hash = hash_password("correct horse").unwrap();
        let mut memory = Vec::new();
        for _ in 0..2 {
            assert!(verify_in(&hash, "correct horse", &mut memory));
            assert!(!verify_in(&hash, "wrong horse", &mut memory));
        }
        assert!(
            memory.iter().all(|b| b.as_ref().iter().all(|w| *w == 0)),
            "wiped after use"
        );
        for bad in ["", "$argon2id$", "not a hash", &hash[..hash.len() - 4]] {
            assert!(!verify_in(bad, "correct horse", &mut memory), "{bad:?}");
        }
    }

    #[test]
    fn asynchronous_checks_reuse_their_memory() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let hash = hash_password("pw").unwrap();
        rt.block_on(async {
            for _ in 0..3 {
                assert!(verify_user_password_async(Some(hash.clone()), "pw".into()).await);
                assert!(!verify_user_password_async(Some(hash.clone()), "no".into()).await);
                assert!(!verify_user_password_async(None, "pw".into()).await);
            }
        });
        assert!(memory_pool().lock().unwrap().len() <= hashing_slots().available_permits());
    }
}
