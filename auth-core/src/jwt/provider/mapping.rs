//! [`ClaimMapping`]: how an identity provider's token claims become an identity (user id, roles,
//! permissions).

use serde_json::Value;

use crate::error::Reason;

/// Where the identity is read from in a provider's tokens.
///
/// Paths are dotted (`realm_access.roles`); a claim whose name holds dots (Auth0's namespaced
/// claims, `https://example.com/roles`) is given as one segment with
/// [`ClaimMapping::roles_at`]. An absent claim grants nothing; a claim of the wrong shape (a
/// `scope` that is not a string, roles that are not an array of strings) refuses the token as
/// malformed, never yields an empty grant. Permissions taken from a token never hold a wildcard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimMapping {
    pub(crate) user_id: String,
    pub(crate) roles: Vec<Vec<String>>,
    pub(crate) permissions: Vec<Vec<String>>,
    pub(crate) scopes: bool,
    pub(crate) scope_prefix: String,
    pub(crate) scope_map: Vec<(String, String)>,
}

impl Default for ClaimMapping {
    /// `sub` as the user id, roles from `roles`, permissions from `permissions` and from the
    /// scopes (`scope` or `scp`).
    fn default() -> Self {
        ClaimMapping {
            user_id: "sub".into(),
            roles: vec![vec!["roles".into()]],
            permissions: vec![vec!["permissions".into()]],
            scopes: true,
            scope_prefix: String::new(),
            scope_map: Vec::new(),
        }
    }
}

fn dotted(path: &str) -> Vec<String> {
    path.split('.').map(str::to_owned).collect()
}

impl ClaimMapping {
    /// The claim that holds the user id (default `sub`; Entra ID: `oid`).
    pub fn user_id_claim(mut self, claim: &str) -> Self {
        self.user_id = claim.into();
        self
    }

    /// Reads roles from these dotted paths only (replacing the defaults).
    pub fn roles_claims<'a>(mut self, paths: impl IntoIterator<Item = &'a str>) -> Self {
        self.roles = paths.into_iter().map(dotted).collect();
        self
    }

    /// Also reads roles at this path, given segment by segment (for claim names with dots).
    pub fn roles_at<'a>(mut self, segments: impl IntoIterator<Item = &'a str>) -> Self {
        self.roles
            .push(segments.into_iter().map(str::to_owned).collect());
        self
    }

    /// Reads permissions (arrays of strings, or space-separated strings) from these dotted
    /// paths only (replacing the default `permissions`).
    pub fn permissions_claims<'a>(mut self, paths: impl IntoIterator<Item = &'a str>) -> Self {
        self.permissions = paths.into_iter().map(dotted).collect();
        self
    }

    /// Whether the scopes (`scope`, a space-separated string, or `scp`, a string or an array)
    /// become permissions (default: yes).
    pub fn scopes_as_permissions(mut self, yes: bool) -> Self {
        self.scopes = yes;
        self
    }

    /// Prefixes each scope taken as a permission (`scope.` makes `read` into `scope.read`).
    pub fn scope_prefix(mut self, prefix: &str) -> Self {
        self.scope_prefix = prefix.into();
        self
    }

    /// Grants `permission` for `scope` (instead of the scope's own name, prefixed).
    pub fn map_scope(mut self, scope: &str, permission: &str) -> Self {
        self.scope_map.push((scope.into(), permission.into()));
        self
    }

    /// The user id, roles and permissions of a token's claims.
    pub(crate) fn apply(&self, claims: &Value) -> Result<Mapped, Reason> {
        let user_id = match claims.get(&self.user_id) {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            None if self.user_id == "sub" => return Err(Reason::MissingClaim("sub")),
            _ => {
                return Err(Reason::Malformed(
                    "the user-id claim is missing or not a string",
                ))
            }
        };
        let mut roles = Vec::new();
        for path in &self.roles {
            if let Some(v) = lookup(claims, path) {
                roles.extend(strings(v, false).ok_or(Reason::Malformed(
                    "a roles claim is not an array of strings",
                ))?);
            }
        }
        let mut permissions = Vec::new();
        for path in &self.permissions {
            if let Some(v) = lookup(claims, path) {
                permissions.extend(strings(v, true).ok_or(Reason::Malformed(
                    "a permissions claim is not a string or an array of strings",
                ))?);
            }
        }
        if self.scopes {
            // `scope` (RFC 8693, 9068): a space-separated string; `scp`: a string or an array.
            if let Some(v) = claims.get("scope") {
                let Value::String(s) = v else {
                    return Err(Reason::Malformed("`scope` is not a string"));
                };
                permissions.extend(s.split_ascii_whitespace().map(|s| self.scope(s)));
            }
            if let Some(v) = claims.get("scp") {
                let scopes = strings(v, true).ok_or(Reason::Malformed(
                    "`scp` is not a string or an array of strings",
                ))?;
                permissions.extend(scopes.iter().map(|s| self.scope(s)));
            }
        }
        // A token may name permissions, never grant a wildcard.
        permissions.retain(|p| !p.contains('*'));
        Ok(Mapped {
            user_id,
            roles,
            permissions,
        })
    }

    fn scope(&self, scope: &str) -> String {
        match self.scope_map.iter().find(|(s, _)| s == scope) {
            Some((_, p)) => p.clone(),
            None => format!("{}{scope}", self.scope_prefix),
        }
    }
}

/// What a mapping read from a token.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Mapped {
    pub user_id: String,
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
}

fn lookup<'v>(claims: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(claims, |v, seg| v.get(seg.as_str()))
}

/// An array of strings (or, with `split`, a space-separated string) as its strings.
fn strings(v: &Value, split: bool) -> Option<Vec<String>> {
    match v {
        Value::String(s) if split => Some(s.split_ascii_whitespace().map(str::to_owned).collect()),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scopes_roles_and_user_id_are_read_and_checked() {
        let m = ClaimMapping::default()
            .roles_claims(["realm_access.roles"])
            .roles_at(["https://acme.example/roles"])
            .scope_prefix("scope.")
            .map_scope("articles", "articles.read");
        let c = json!({
            "sub": "u1",
            "scope": "openid  articles *",
            "scp": ["admin.*", "x"],
            "realm_access": {"roles": ["editor"]},
            "https://acme.example/roles": ["auditor"],
            "permissions": ["reports.view"],
        });
        let got = m.apply(&c).unwrap();
        assert_eq!(got.user_id, "u1");
        assert_eq!(got.roles, ["editor", "auditor"]);
        assert_eq!(
            got.permissions,
            ["reports.view", "scope.openid", "articles.read", "scope.x"]
        );
        for bad in [
            json!({"sub": "u", "scope": ["a"]}),
            json!({"sub": "u", "scp": 3}),
            json!({"sub": "u", "realm_access": {"roles": "editor"}}),
            json!({"sub": "u", "realm_access": {"roles": [1]}}),
            json!({"sub": 7}),
            json!({}),
        ] {
            assert!(m.apply(&bad).is_err(), "{bad}");
        }
        let oid = ClaimMapping::default().user_id_claim("oid");
        assert_eq!(oid.apply(&json!({"oid": "o"})).unwrap().user_id, "o");
        assert!(oid.apply(&json!({"sub": "s"})).is_err());
    }
}
