//! [`ClaimMapping`]: how an identity provider's token claims become an identity (user id, roles,
//! permissions).

use serde_json::Value;

use crate::error::Reason;

/// Where the identity is read from in a provider's tokens.
///
/// Paths are dotted (`realm_access.roles`); a claim whose name holds dots (Auth0's namespaced
/// claims, `https://example.com/roles`) is given as one segment with
/// [`ClaimMapping::roles_at`]. Only the claims the mapping names are read: any other claim of the
/// token (a top-level `roles` while roles are read from `realm_access.roles`, a `token_type`,
/// an `is_superuser`) is ignored, whatever its shape. An absent claim grants nothing; a claim it
/// reads of another shape than it takes (a `scope` that is not a string, roles that are not an
/// array of strings) refuses the token, naming the claim, never yields an empty grant.
/// Permissions taken from a token never hold a wildcard. Staff and superuser flags are read only
/// where [`ClaimMapping::staff_claim`] and [`ClaimMapping::superuser_claim`] say (off by
/// default: a provider's user is neither).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimMapping {
    pub(crate) user_id: String,
    pub(crate) roles: Vec<Vec<String>>,
    pub(crate) permissions: Vec<Vec<String>>,
    pub(crate) scopes: bool,
    pub(crate) scope_prefix: String,
    pub(crate) scope_map: Vec<(String, String)>,
    pub(crate) staff: Option<Vec<String>>,
    pub(crate) superuser: Option<Vec<String>>,
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
            staff: None,
            superuser: None,
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

    /// Reads the staff flag (a JSON boolean) at this dotted path (default: not read; a
    /// provider's user is not staff).
    pub fn staff_claim(mut self, path: &str) -> Self {
        self.staff = Some(dotted(path));
        self
    }

    /// Reads the superuser flag (a JSON boolean) at this dotted path (default: not read; a
    /// provider's user is not a superuser).
    pub fn superuser_claim(mut self, path: &str) -> Self {
        self.superuser = Some(dotted(path));
        self
    }

    /// Grants `permission` for `scope` (instead of the scope's own name, prefixed).
    pub fn map_scope(mut self, scope: &str, permission: &str) -> Self {
        self.scope_map.push((scope.into(), permission.into()));
        self
    }

    /// The user id, roles, permissions and flags of a token's claims.
    pub(crate) fn apply(&self, claims: &Value) -> Result<Mapped, Reason> {
        let user_id = match claims.get(&self.user_id) {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            None if self.user_id == "sub" => return Err(Reason::MissingClaim("sub")),
            _ => {
                return Err(invalid(
                    std::slice::from_ref(&self.user_id),
                    "a non-empty string",
                ))
            }
        };
        let mut roles = Vec::new();
        for path in &self.roles {
            if let Some(v) = lookup(claims, path) {
                roles
                    .extend(strings(v, false).ok_or_else(|| invalid(path, "an array of strings"))?);
            }
        }
        let mut permissions = Vec::new();
        for path in &self.permissions {
            if let Some(v) = lookup(claims, path) {
                let expected = "a space-separated string or an array of strings";
                permissions.extend(strings(v, true).ok_or_else(|| invalid(path, expected))?);
            }
        }
        if self.scopes {
            // `scope` (RFC 8693, 9068): a space-separated string; `scp`: a string or an array.
            if let Some(v) = claims.get("scope") {
                let Value::String(s) = v else {
                    return Err(invalid(&["scope".into()], "a space-separated string"));
                };
                permissions.extend(s.split_ascii_whitespace().map(|s| self.scope(s)));
            }
            if let Some(v) = claims.get("scp") {
                let expected = "a space-separated string or an array of strings";
                let scopes = strings(v, true).ok_or_else(|| invalid(&["scp".into()], expected))?;
                permissions.extend(scopes.iter().map(|s| self.scope(s)));
            }
        }
        // A token may name permissions, never grant a wildcard.
        permissions.retain(|p| !p.contains('*'));
        Ok(Mapped {
            user_id,
            roles,
            permissions,
            staff: flag(claims, self.staff.as_deref())?,
            superuser: flag(claims, self.superuser.as_deref())?,
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
    pub staff: bool,
    pub superuser: bool,
}

/// A claim the mapping reads, of another shape than it takes.
fn invalid(path: &[String], expected: &'static str) -> Reason {
    Reason::InvalidClaim(format!("the claim `{}` is not {expected}", path.join(".")).into())
}

/// A flag the mapping reads at `path` (absent: false); anything but a boolean refuses.
fn flag(claims: &Value, path: Option<&[String]>) -> Result<bool, Reason> {
    let Some(path) = path else {
        return Ok(false);
    };
    match lookup(claims, path) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(invalid(path, "a boolean")),
    }
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
        let err = m
            .apply(&json!({"sub": "u", "realm_access": {"roles": "admin"}}))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the claim `realm_access.roles` is not an array of strings"
        );
        // Claims the mapping does not read are ignored, whatever their shape.
        let ignored = json!({"sub": "u", "roles": "admin", "token_type": "Bearer",
                             "is_superuser": true, "is_staff": "yes"});
        let got = m.apply(&ignored).unwrap();
        assert!(got.roles.is_empty() && !got.staff && !got.superuser);
        // Flags only where the mapping names them, and only booleans.
        let flags = ClaimMapping::default()
            .staff_claim("app.staff")
            .superuser_claim("admin");
        let got = flags
            .apply(&json!({"sub": "u", "app": {"staff": true}, "is_superuser": true}))
            .unwrap();
        assert!(got.staff && !got.superuser);
        assert_eq!(
            flags
                .apply(&json!({"sub": "u", "admin": "true"}))
                .unwrap_err()
                .to_string(),
            "the claim `admin` is not a boolean"
        );
        let oid = ClaimMapping::default().user_id_claim("oid");
        assert_eq!(oid.apply(&json!({"oid": "o"})).unwrap().user_id, "o");
        assert!(oid.apply(&json!({"sub": "s"})).is_err());
    }
}
