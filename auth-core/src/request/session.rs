//! What a framework's session middleware holds for a logged-in user, as the adapter hands it to
//! the `session` backend through [`RequestParts::session`](super::RequestParts::session).

use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

/// What the session middleware keeps for a logged-in user. Written by the login endpoint,
/// read on every request; the adapter stores it under one key of the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The session's own id (128 random bits): what logout revokes.
    pub sid: String,
    /// The user id ([`AuthUser::auth_id`](crate::identity::user::AuthUser::auth_id)).
    pub uid: String,
    /// The auth hash: a digest of the user's password hash at login (empty for users without
    /// one). A changed password changes it, which ends the session.
    pub hash: String,
    /// Login time, milliseconds since the epoch.
    pub login_ms: u64,
    /// Last use, milliseconds since the epoch (for the idle timeout; written at most once a
    /// second).
    pub seen_ms: u64,
}

impl SessionRecord {
    /// Whether the record's last use is old enough to be written again (at most once a second,
    /// so that a busy page does not rewrite its session on every request).
    pub fn stale(&self) -> bool {
        crate::util::time::now_ms() >= self.seen_ms.saturating_add(1000)
    }

    /// The record with its last use set to now.
    pub fn touched(&self) -> SessionRecord {
        SessionRecord {
            seen_ms: crate::util::time::now_ms(),
            ..self.clone()
        }
    }
}

/// A session record as the backend sees it in a request, with the backend's verdict on it.
#[derive(Debug)]
pub struct SessionView {
    record: SessionRecord,
    ended: AtomicBool,
}

impl SessionView {
    /// A view of `record`.
    pub fn new(record: SessionRecord) -> Self {
        SessionView {
            record,
            ended: AtomicBool::new(false),
        }
    }

    /// The record.
    pub fn record(&self) -> &SessionRecord {
        &self.record
    }

    /// Whether the backend refused the session for good (expired, logged out, user gone or
    /// password changed): the adapter then purges it.
    pub fn ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }

    /// Marks the session refused for good: the adapter purges it.
    pub(crate) fn mark_ended(&self) {
        self.ended.store(true, Ordering::Relaxed);
    }
}
