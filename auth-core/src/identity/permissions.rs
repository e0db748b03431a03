//! Permission strings, the per-identity [`PermissionSet`] and the role-to-permission [`RoleMap`].
//!
//! Permissions are dotted names (`articles.write`, `reports.monthly.view`). A granted permission
//! may be a wildcard: `*` grants everything, `articles.*` grants every permission under
//! `articles.` (`articles.read`, `articles.comments.delete`) but not `articlesX.read`.

use std::collections::HashMap;
use std::fmt;

use crate::error::ConfigError;

/// Checks that `value` is a well-formed permission (`what = "permission"`), role or backend
/// name.
///
/// Segments are separated by `.`, each non-empty and made of ASCII letters, digits, `_`, `-`
/// and `:`; a permission may end in the wildcard segment `*` (or be `*`).
pub fn validate_name(what: &'static str, value: &str) -> Result<(), ConfigError> {
    match auth_names::invalid_name(value, what == "permission") {
        None => Ok(()),
        Some(why) => Err(ConfigError::InvalidName {
            what,
            value: value.to_owned(),
            why,
        }),
    }
}

/// The effective permissions of one identity, built once and then checked in O(segments).
///
/// A check costs one binary search for the exact name plus one per `.` in it when wildcards are
/// present; no string is scanned against every grant.
///
/// ```
/// use auth_core::PermissionSet;
/// let set = PermissionSet::from_iter(["articles.*", "reports.view"]);
/// assert!(set.contains("articles.comments.delete"));
/// assert!(set.contains("reports.view"));
/// assert!(!set.contains("articlesX.read"));
/// assert!(!set.contains("reports"));
/// ```
#[derive(Clone, Default)]
pub struct PermissionSet {
    all: bool,
    /// Sorted, without duplicates. An identity holds a few to a few hundred grants: a binary
    /// search over them costs a few string comparisons, less than hashing the name (a check of
    /// the bench's token: about 93 instructions against 118 with a foldhash set, callgrind).
    exact: Vec<Box<str>>,
    /// Wildcard grants, stored without the trailing `.*`; sorted, without duplicates.
    prefixes: Vec<Box<str>>,
}

/// Adds `name` to the sorted `set` unless it is there.
fn insert_sorted(set: &mut Vec<Box<str>>, name: &str) {
    if let Err(at) = set.binary_search_by(|g| (**g).cmp(name)) {
        set.insert(at, name.into());
    }
}

/// Whether the sorted `set` holds `name`.
#[inline]
fn holds(set: &[Box<str>], name: &str) -> bool {
    set.binary_search_by(|g| (**g).cmp(name)).is_ok()
}

impl PermissionSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one grant (exact, `prefix.*` or `*`).
    pub fn insert(&mut self, grant: &str) {
        if grant == "*" {
            self.all = true;
        } else if let Some(prefix) = grant.strip_suffix(".*") {
            if !prefix.is_empty() {
                insert_sorted(&mut self.prefixes, prefix);
            }
        } else if !grant.is_empty() {
            insert_sorted(&mut self.exact, grant);
        }
    }

    /// Whether `permission` is granted, exactly or through a wildcard.
    #[inline]
    pub fn contains(&self, permission: &str) -> bool {
        if self.all || holds(&self.exact, permission) {
            return true;
        }
        if self.prefixes.is_empty() {
            return false;
        }
        permission
            .bytes()
            .enumerate()
            .any(|(i, b)| b == b'.' && holds(&self.prefixes, &permission[..i]))
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        !self.all && self.exact.is_empty() && self.prefixes.is_empty()
    }

    /// The grants, in no particular order, as they were written (`articles.*`, `*`).
    pub fn iter(&self) -> impl Iterator<Item = String> + '_ {
        let all = self.all.then(|| "*".to_owned());
        all.into_iter()
            .chain(self.exact.iter().map(|p| p.to_string()))
            .chain(self.prefixes.iter().map(|p| format!("{p}.*")))
    }
}

impl<S: AsRef<str>> FromIterator<S> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut set = PermissionSet::new();
        for p in iter {
            set.insert(p.as_ref());
        }
        set
    }
}

impl fmt::Debug for PermissionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut grants: Vec<String> = self.iter().collect();
        grants.sort();
        f.debug_set().entries(grants).finish()
    }
}

/// Role-based access control: each role grants a list of permissions (wildcards allowed).
///
/// ```
/// use auth_core::RoleMap;
/// let roles = RoleMap::new().grant("editor", ["articles.*"]).grant("viewer", ["articles.read"]);
/// let set = roles.effective_permissions(["viewer"], std::iter::empty::<&str>());
/// assert!(set.contains("articles.read"));
/// assert!(!set.contains("articles.write"));
/// ```
#[derive(Clone, Default)]
pub struct RoleMap {
    grants: HashMap<Box<str>, Vec<Box<str>>>,
}

impl RoleMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Grants `permissions` to `role` (adding to what it already grants).
    ///
    /// Malformed names are reported by [`RoleMap::validate`] (called when the configuration is built).
    pub fn grant<I, S>(mut self, role: &str, permissions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let entry = self.grants.entry(role.into()).or_default();
        entry.extend(permissions.into_iter().map(|p| p.as_ref().into()));
        self
    }

    /// Reports the first malformed role or permission name given to [`RoleMap::grant`].
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (role, perms) in &self.grants {
            validate_name("role", role)?;
            for p in perms {
                validate_name("permission", p)?;
            }
        }
        Ok(())
    }

    /// Whether no role grants anything.
    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }

    /// The permissions granted to `role`.
    pub fn permissions_of(&self, role: &str) -> impl Iterator<Item = &str> {
        self.grants
            .get(role)
            .into_iter()
            .flat_map(|v| v.iter().map(|p| &**p))
    }

    /// Builds the effective permission set of an identity: its own grants plus its roles'.
    pub fn effective_permissions<R, P>(&self, roles: R, own: P) -> PermissionSet
    where
        R: IntoIterator,
        R::Item: AsRef<str>,
        P: IntoIterator,
        P::Item: AsRef<str>,
    {
        let mut set: PermissionSet = own.into_iter().collect();
        for role in roles {
            for p in self.permissions_of(role.as_ref()) {
                set.insert(p);
            }
        }
        set
    }
}

impl fmt::Debug for RoleMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.grants.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_table() {
        // (name, grants, asked, expected)
        let rows: &[(&str, &[&str], &str, bool)] = &[
            ("exact match", &["articles.read"], "articles.read", true),
            ("exact miss", &["articles.read"], "articles.write", false),
            ("star grants all", &["*"], "anything.at.all", true),
            (
                "prefix wildcard one level",
                &["articles.*"],
                "articles.read",
                true,
            ),
            (
                "prefix wildcard deep",
                &["articles.*"],
                "articles.comments.delete",
                true,
            ),
            (
                "prefix is not a string prefix",
                &["articles.*"],
                "articlesX.read",
                false,
            ),
            (
                "wildcard does not grant its parent",
                &["articles.*"],
                "articles",
                false,
            ),
            ("nested wildcard", &["a.b.*"], "a.b.c", true),
            ("nested wildcard miss", &["a.b.*"], "a.c.d", false),
            (
                "asking for a wildcard that is granted",
                &["articles.*"],
                "articles.*",
                true,
            ),
            ("empty set", &[], "articles.read", false),
            ("case sensitive", &["Articles.read"], "articles.read", false),
            ("empty ask", &["articles.*"], "", false),
            ("trailing dot ask", &["articles.*"], "articles.", true),
        ];
        for (name, grants, asked, expected) in rows {
            let set = PermissionSet::from_iter(grants.iter());
            assert_eq!(set.contains(asked), *expected, "case: {name}");
        }
    }

    #[test]
    fn emptiness_and_the_grants_as_written() {
        // Grants that name nothing are ignored: the set stays empty.
        let mut set = PermissionSet::new();
        for nothing in ["", ".*"] {
            set.insert(nothing);
            assert!(set.is_empty(), "{nothing:?} grants nothing");
        }
        assert_eq!(set.iter().count(), 0);
        for grant in ["*", "articles.*", "articles.read"] {
            let one = PermissionSet::from_iter([grant]);
            assert!(!one.is_empty(), "{grant} is a grant");
            assert_eq!(one.iter().collect::<Vec<_>>(), [grant]);
        }
        // Debug (as logs show a context) lists the grants as written, sorted.
        let set = PermissionSet::from_iter(["reports.view", "*", "articles.*"]);
        assert_eq!(format!("{set:?}"), r#"{"*", "articles.*", "reports.view"}"#);
    }

    #[test]
    fn name_validation_table() {
        let rows: &[(&str, &str, bool)] = &[
            ("permission", "articles.read", true),
            ("permission", "*", true),
            ("permission", "articles.*", true),
            ("permission", "", false),
            ("permission", "articles..read", false),
            ("permission", ".articles", false),
            ("permission", "articles.", false),
            ("permission", "articles.*.read", false),
            ("permission", "arti cles", false),
            ("permission", "a:b-c_d.e", true),
            ("role", "editor", true),
            ("role", "*", false),
            ("role", "", false),
        ];
        for (what, value, ok) in rows {
            assert_eq!(validate_name(what, value).is_ok(), *ok, "{what} {value:?}");
        }
    }

    #[test]
    fn role_map_grants_and_reports_bad_names() {
        let roles = RoleMap::new().grant("editor", ["articles.*"]);
        let set = roles.effective_permissions(["editor"], ["reports.view"]);
        assert!(set.contains("articles.publish"));
        assert!(set.contains("reports.view"));
        assert!(RoleMap::new().is_empty() && !roles.is_empty());
        assert_eq!(format!("{roles:?}"), r#"{"editor": ["articles.*"]}"#);
        let bad = RoleMap::new().grant("editor", ["articles..x"]);
        let err = bad.validate().unwrap_err().to_string();
        assert!(err.contains("articles..x"), "{err}");
    }
}
