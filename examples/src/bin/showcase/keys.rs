//! The showcase's own signing keys, from `AUTH_JWT_SIGNING_KEY_DIR`: one PEM private key per
//! `<kid>.pem` (RSA signs RS256, EC P-256 ES256, Ed25519 EdDSA) and a file `current` whose one
//! line is the kid that signs. Every other key is published and accepted: *next* when it never
//! signed, *retired* when it did (until its last token has expired; then neither, while its
//! file stays: remove it). The
//! directory is read again every `AUTH_JWT_KEY_RELOAD_SECS` (default 30) and on `SIGHUP`; a
//! directory that does not read keeps the keys in use, and the log says why.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use auth_actix::jwt::{KeyRing, KeyState, SigningKey};

use crate::config::{err, secs, var, EnvError};

/// Where the keys are and how often they are read again.
pub struct KeyDir {
    pub dir: PathBuf,
    pub reload: Duration,
}

/// `AUTH_JWT_SIGNING_KEY_DIR` and `AUTH_JWT_KEY_RELOAD_SECS`, if the directory is set.
pub fn from_env() -> Result<Option<KeyDir>, EnvError> {
    let Some(dir) = var("AUTH_JWT_SIGNING_KEY_DIR")? else {
        return Ok(None);
    };
    let reload = secs("AUTH_JWT_KEY_RELOAD_SECS")?.unwrap_or(Duration::from_secs(30));
    Ok(Some(KeyDir {
        dir: PathBuf::from(dir),
        reload,
    }))
}

/// The keys of `dir`, their states following `before` (the ring's states now): a key that was
/// current or retired and is not current is retired until `now + retention`.
fn read(
    dir: &Path,
    before: &[(String, KeyState)],
    retention: u64,
) -> Result<Vec<(SigningKey, KeyState)>, String> {
    let current = std::fs::read_to_string(dir.join("current"))
        .map_err(|e| format!("{}: {e}", dir.join("current").display()))?;
    let current = current.trim();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let before: HashMap<&str, KeyState> = before.iter().map(|(k, s)| (k.as_str(), *s)).collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut keys = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let (Some(kid), Some("pem")) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|e| e.to_str()),
        ) else {
            continue;
        };
        let pem = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let key =
            SigningKey::from_pem(kid, &pem).map_err(|e| format!("{}: {e}", path.display()))?;
        let state = match (kid == current, before.get(kid)) {
            (true, _) => KeyState::Current,
            (false, Some(KeyState::Retired { until })) => KeyState::Retired { until: *until },
            (false, Some(KeyState::Current)) => KeyState::Retired {
                until: now + retention,
            },
            (false, _) => KeyState::Next,
        };
        // A retired key past its last token stays in the ring as retired, where it is neither
        // published nor accepted: dropped from the list, the next reload would take its file
        // for a new key (next) and publish it again.
        keys.push((key, state));
    }
    if !keys.iter().any(|(_, s)| *s == KeyState::Current) {
        return Err(format!(
            "`current` names {current:?}, but {}/{current}.pem is not a key there",
            dir.display()
        ));
    }
    keys.sort_by(|(a, _), (b, _)| a.kid().cmp(b.kid()));
    Ok(keys)
}

/// The ring of the keys in `dir` at start (an error stops the start-up, naming the variable).
pub fn load(dir: &KeyDir) -> Result<KeyRing, EnvError> {
    let keys = read(&dir.dir, &[], 0).map_err(|why| err("AUTH_JWT_SIGNING_KEY_DIR", why))?;
    KeyRing::new(keys).map_err(|e| err("AUTH_JWT_SIGNING_KEY_DIR", e))
}

/// Reads the directory again every `dir.reload` and on `SIGHUP`, replacing `ring`'s keys;
/// `retention` is how long a retired key verifies (the longest a token lives).
pub fn spawn_reloader(dir: KeyDir, ring: KeyRing, retention: u64) {
    actix_web::rt::spawn(async move {
        let mut hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "no SIGHUP handler: the signing keys reload on the timer only");
                None
            }
        };
        let mut timer = tokio::time::interval(dir.reload);
        timer.tick().await;
        loop {
            let hup = async {
                match hangup.as_mut() {
                    Some(h) => h.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = timer.tick() => {}
                _ = hup => tracing::info!("SIGHUP: reading the signing keys again"),
            }
            let before = ring.states();
            match read(&dir.dir, &before, retention)
                .and_then(|keys| ring.replace(keys).map_err(|e| e.to_string()))
            {
                Ok(()) => {
                    let now = ring.states();
                    if now != before {
                        tracing::info!(keys = ?now, "signing keys changed");
                    }
                }
                Err(why) => tracing::error!(
                    reason = %why,
                    "AUTH_JWT_SIGNING_KEY_DIR could not be read: the keys in use stay"
                ),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A retired key past its last token, whose file is still there, stays retired at the next
    /// reload: neither published nor accepted (it used to come back as a new, published key).
    #[test]
    fn a_retired_key_past_its_tokens_does_not_come_back() {
        let dir = std::env::temp_dir().join(format!("showcase-keys-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let keys = concat!(env!("CARGO_MANIFEST_DIR"), "/../auth-core/tests/keys");
        std::fs::copy(format!("{keys}/ec256_private.pem"), dir.join("new.pem")).unwrap();
        std::fs::copy(format!("{keys}/ed_private.pem"), dir.join("old.pem")).unwrap();
        std::fs::write(dir.join("current"), "new\n").unwrap();
        let before = vec![("old".to_owned(), KeyState::Retired { until: 1 })];
        let read = read(&dir, &before, 60).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let states: Vec<(&str, KeyState)> = read.iter().map(|(k, s)| (k.kid(), *s)).collect();
        assert_eq!(
            states,
            [
                ("new", KeyState::Current),
                ("old", KeyState::Retired { until: 1 })
            ]
        );
        let ring = KeyRing::new(read).unwrap();
        assert_eq!(
            ring.jwks()["keys"].as_array().unwrap().len(),
            1,
            "only the current key"
        );
    }
}
