//! What the in-memory store holds and the rules it keeps under its lock: revoked tokens, one
//! record per refresh family, per-user stamps, and the per-user bound that folds a user's
//! entries into a stamp.

use std::collections::HashMap;
use std::sync::Arc;

use crate::revocation::{Rotate, Rotation};

/// A revoked token.
pub(super) struct Entry {
    /// Kept until then (seconds).
    pub until: u64,
    /// Whose it is (`None` in the Redis store's mirror, which Redis bounds).
    pub user: Option<Arc<str>>,
}

/// A refresh family: its rotation record, and whether it is revoked.
pub(super) struct Family {
    /// Kept until then (seconds).
    pub until: u64,
    /// Whose it is (`None` in the Redis store's mirror).
    pub user: Option<Arc<str>>,
    pub revoked: bool,
    /// The `jti` of the family's current refresh token (empty for a family revoked before it
    /// was ever refreshed).
    pub current: Box<str>,
    /// The `jti` of the one before it.
    pub previous: Box<str>,
    /// When `current` replaced `previous` (milliseconds).
    pub rotated_ms: u64,
}

impl Family {
    fn revoked(until: u64, user: Option<Arc<str>>) -> Self {
        Family {
            until,
            user,
            revoked: true,
            current: "".into(),
            previous: "".into(),
            rotated_ms: 0,
        }
    }
}

#[derive(Default)]
pub(super) struct State {
    pub tokens: HashMap<Box<str>, Entry>,
    pub families: HashMap<Box<str>, Family>,
    /// user id -> (not before, in milliseconds; keep until, in seconds)
    pub stamps: HashMap<Box<str>, (u64, u64)>,
    /// user id -> live entries of `tokens` and `families`
    pub counts: HashMap<Arc<str>, usize>,
    pub last_prune: u64,
}

/// Whose a new entry is, once counted.
enum Counted {
    /// Keep the entry, owned by this user (`None`: not counted).
    Keep(Option<Arc<str>>),
    /// The user was at the bound: everything of theirs before now is covered by their stamp.
    Folded,
}

impl State {
    pub fn len(&self) -> usize {
        self.tokens.len() + self.families.len() + self.stamps.len()
    }

    pub fn prune(&mut self, now: u64) {
        let counts = &mut self.counts;
        let mut live = |until: u64, user: &Option<Arc<str>>| {
            let live = until >= now;
            if let (false, Some(user)) = (live, user) {
                if let Some(n) = counts.get_mut(user) {
                    *n = n.saturating_sub(1);
                }
            }
            live
        };
        self.tokens.retain(|_, e| live(e.until, &e.user));
        self.families.retain(|_, f| live(f.until, &f.user));
        self.counts.retain(|_, n| *n > 0);
        self.stamps.retain(|_, (_, until)| *until >= now);
        self.last_prune = now;
    }

    /// Stamps `user`: tokens issued before `before_ms` are refused until `until`.
    pub fn stamp(&mut self, user: &str, before_ms: u64, until: u64) {
        let e = self.stamps.entry(user.into()).or_insert((before_ms, until));
        e.0 = e.0.max(before_ms);
        e.1 = e.1.max(until);
    }

    /// Counts a new entry of `user`'s. At the bound, folds the user's entries into a stamp
    /// instead: every token they concern was issued before now, so the stamp refuses them all,
    /// they are freed, and counting starts again. The scan is over the whole store, once per
    /// `per_user` entries of one user.
    fn count(&mut self, user: Option<&str>, until: u64, per_user: usize) -> Counted {
        let Some(user) = user else {
            return Counted::Keep(None);
        };
        let user: Arc<str> = match self.counts.get_key_value(user) {
            Some((shared, _)) => shared.clone(),
            None => Arc::from(user),
        };
        let n = self.counts.entry(user.clone()).or_insert(0);
        if *n < per_user {
            *n += 1;
            return Counted::Keep(Some(user));
        }
        let mut keep = until;
        let mut other = |until: u64, owner: &Option<Arc<str>>| {
            let theirs = owner.as_deref() == Some(&*user);
            if theirs {
                keep = keep.max(until);
            }
            !theirs
        };
        self.tokens.retain(|_, e| other(e.until, &e.user));
        self.families.retain(|_, f| other(f.until, &f.user));
        self.counts.remove(&user);
        self.stamp(&user, crate::util::time::now_ms(), keep);
        Counted::Folded
    }

    /// Records a revoked `jti` (of `user`, when known).
    pub fn revoke_token(&mut self, jti: &str, user: Option<&str>, until: u64, per_user: usize) {
        if let Some(e) = self.tokens.get_mut(jti) {
            e.until = e.until.max(until);
            return;
        }
        if let Counted::Keep(user) = self.count(user, until, per_user) {
            self.tokens.insert(jti.into(), Entry { until, user });
        }
    }

    /// Records a revoked family (of `user`, when known). A fold covers it whole: every token of
    /// a family exists before it is revoked.
    pub fn revoke_family(&mut self, family: &str, user: Option<&str>, until: u64, per_user: usize) {
        if let Some(f) = self.families.get_mut(family) {
            f.until = f.until.max(until);
            f.revoked = true;
            return;
        }
        if let Counted::Keep(user) = self.count(user, until, per_user) {
            self.families
                .insert(family.into(), Family::revoked(until, user));
        }
    }

    /// Records a family's current refresh token as another instance rotated it (the Redis
    /// store's mirror, whose entries are not counted).
    #[cfg(feature = "redis")]
    pub fn set_current(&mut self, family: &str, current: &str, until: u64) {
        match self.families.get_mut(family) {
            Some(f) => {
                f.until = f.until.max(until);
                if !f.revoked {
                    f.current = current.into();
                }
            }
            None => {
                let mut f = Family::revoked(until, None);
                f.revoked = false;
                f.current = current.into();
                self.families.insert(family.into(), f);
            }
        }
    }

    /// A new record for a family refreshed now: `r.next` current, `r.presented` before it.
    fn new_family(&mut self, r: &Rotate<'_>, per_user: usize) {
        let user = match self.count(Some(r.user_id), r.until, per_user) {
            Counted::Keep(user) => user,
            // The fold stamped every token before now; this family's next token comes after,
            // and its record is what detects the reuse of the tokens before it: keep it.
            Counted::Folded => match self.count(Some(r.user_id), r.until, per_user) {
                Counted::Keep(user) => user,
                Counted::Folded => None,
            },
        };
        self.families.insert(
            r.family.into(),
            Family {
                until: r.until,
                user,
                revoked: false,
                current: r.next.into(),
                previous: r.presented.into(),
                rotated_ms: r.now_ms,
            },
        );
    }

    /// The token before `current` is spent (see [`crate::revocation::RevocationStore::settle`]).
    pub fn settle(&mut self, family: &str, current: &str) {
        if let Some(f) = self.families.get_mut(family) {
            if &*f.current == current {
                f.previous = "".into();
            }
        }
    }

    /// One refresh of a family (see [`crate::revocation::RevocationStore::rotate`]).
    pub fn rotate(&mut self, r: &Rotate<'_>, now: u64, per_user: usize) -> Rotation {
        let Some(f) = self.families.get_mut(r.family) else {
            self.new_family(r, per_user);
            return Rotation::Rotated;
        };
        if f.until < now && !f.revoked {
            // Expired, not yet pruned: every token it issued has expired, so the presented one
            // is a new start of the family (its record is reused).
            f.until = r.until;
            f.current = r.next.into();
            f.previous = r.presented.into();
            f.rotated_ms = r.now_ms;
            return Rotation::Rotated;
        }
        f.until = f.until.max(r.until);
        if f.revoked {
            return Rotation::Reused;
        }
        let verdict = Rotation::judge(r, &f.current, &f.previous, f.rotated_ms);
        match verdict {
            Rotation::Rotated => {
                f.previous = std::mem::replace(&mut f.current, r.next.into());
                f.rotated_ms = r.now_ms;
            }
            Rotation::Retried => f.current = r.next.into(),
            Rotation::Reused => f.revoked = true,
        }
        verdict
    }
}
