//! [`AuthContext`]: what a successful authentication yields.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use serde::de::DeserializeOwned;

use crate::identity::permissions::{PermissionSet, RoleMap};
use crate::identity::user::AuthUser;

/// Facts about the token that authenticated a request (JWT backends only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenInfo {
    /// The token id (`jti`), if any.
    pub jti: Option<Box<str>>,
    /// Expiry (`exp`), seconds since the Unix epoch.
    pub exp: Option<u64>,
    /// Issue time (`iat`), seconds since the Unix epoch.
    pub iat: Option<u64>,
    /// Issue time in milliseconds since the Unix epoch: the token's `iat_ms` (tokens of this
    /// library), else the end of its `iat` second. Logout-everywhere stamps are compared with it.
    pub issued_at_ms: Option<u64>,
    /// `token_type`, if present (a verified token's is `"access"` or `"refresh"`).
    pub token_type: Option<TokenKind>,
    /// The refresh-token family (`fam`), if present. Never set for a provider's token.
    pub family: Option<Box<str>>,
    /// Whether the token was verified with an identity provider's keys: it belongs to the
    /// provider's token lifecycle, and this server's refresh, logout and reuse detection refuse
    /// it.
    pub from_provider: bool,
}

/// The kind of a token: its `token_type` claim, and the kind a verification expects.
///
/// ```
/// use auth_core::TokenKind;
/// assert_eq!(TokenKind::from_claim("refresh"), Some(TokenKind::Refresh));
/// assert_eq!(TokenKind::from_claim("id"), None);
/// assert_eq!(TokenKind::Access.as_claim(), "access");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An access token: `token_type` absent (tokens minted elsewhere) or `"access"`.
    Access,
    /// A refresh token: `token_type` must be `"refresh"`.
    Refresh,
}

impl TokenKind {
    /// The kind a `token_type` claim names, if it names one.
    pub fn from_claim(token_type: &str) -> Option<TokenKind> {
        match token_type {
            "access" => Some(TokenKind::Access),
            "refresh" => Some(TokenKind::Refresh),
            _ => None,
        }
    }

    /// The `token_type` claim of this kind (`"access"`, `"refresh"`).
    pub fn as_claim(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

/// Roles and effective permissions (own plus those granted by roles).
#[derive(Clone, Default)]
pub(crate) struct Grants {
    roles: Box<[Box<str>]>,
    permissions: PermissionSet,
}

impl Grants {
    /// Roles and permissions, plus those `map` grants to the roles.
    fn new<R: AsRef<str>, P: AsRef<str>>(
        roles: &[R],
        permissions: &[P],
        map: Option<&RoleMap>,
    ) -> Grants {
        let mut g = Grants {
            roles: roles.iter().map(|r| r.as_ref().into()).collect(),
            permissions: permissions.iter().map(AsRef::as_ref).collect(),
        };
        g.add_role_grants(map);
        g
    }

    fn add_role_grants(&mut self, map: Option<&RoleMap>) {
        let Some(map) = map else { return };
        for role in self.roles.iter() {
            for p in map.permissions_of(role) {
                self.permissions.insert(p);
            }
        }
    }
}

/// Shares each distinct [`Grants`] between the contexts that have it, so that the verified-token
/// cache holds one permission set per user (or per role mix), not one per token. At most
/// [`GrantsCache::MAX`] distinct sets are kept; past that, new ones are built per context.
#[derive(Default)]
pub(crate) struct GrantsCache {
    sets: RwLock<HashMap<Vec<u8>, Arc<Grants>>>,
}

impl GrantsCache {
    const MAX: usize = 4096;

    pub(crate) fn get<R: AsRef<str>, P: AsRef<str>>(
        &self,
        roles: &[R],
        permissions: &[P],
        map: Option<&RoleMap>,
    ) -> Arc<Grants> {
        // Each name length-prefixed and tagged, so that no two different lists encode alike.
        let mut key = Vec::new();
        let tagged = roles.iter().map(|r| (0u8, r.as_ref()));
        for (tag, name) in tagged.chain(permissions.iter().map(|p| (1u8, p.as_ref()))) {
            key.push(tag);
            key.extend_from_slice(&(name.len() as u64).to_le_bytes());
            key.extend_from_slice(name.as_bytes());
        }
        if let Some(g) = self.sets.read().ok().and_then(|m| m.get(&key).cloned()) {
            return g;
        }
        let g = Arc::new(Grants::new(roles, permissions, map));
        if let Ok(mut sets) = self.sets.write() {
            if sets.len() < Self::MAX {
                sets.insert(key, g.clone());
            }
        }
        g
    }
}

/// The identity of an authenticated request: who, through which backend, with which roles and
/// effective permissions (own plus those granted by roles), and the raw token claims.
///
/// Cloning is a reference-count increment: extractors share one context per request.
///
/// ```
/// use auth_core::AuthContext;
/// let ctx = AuthContext::builder("42").roles(["editor"]).permissions(["articles.*"]).build();
/// assert_eq!(ctx.user_id(), "42");
/// assert!(ctx.has_permission("articles.write"));
/// assert!(ctx.has_role("editor"));
/// ```
#[derive(Clone)]
pub struct AuthContext {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    user_id: Box<str>,
    name: Option<Box<str>>,
    backend: Option<Arc<str>>,
    grants: Arc<Grants>,
    is_staff: bool,
    is_superuser: bool,
    is_active: bool,
    claims: Option<Box<str>>,
    token: Option<TokenInfo>,
}

impl AuthContext {
    /// Starts a context for `user_id`.
    pub fn builder(user_id: impl Into<Box<str>>) -> AuthContextBuilder {
        AuthContextBuilder {
            inner: Inner {
                user_id: user_id.into(),
                name: None,
                backend: None,
                grants: Arc::default(),
                is_staff: false,
                is_superuser: false,
                is_active: true,
                claims: None,
                token: None,
            },
        }
    }

    /// Builds the context of an [`AuthUser`], with roles mapped to permissions by `roles`.
    pub fn from_user<U: AuthUser + ?Sized>(user: &U, roles: Option<&RoleMap>) -> AuthContext {
        let mut b = AuthContext::builder(user.auth_id().into_owned())
            .roles(user.auth_roles())
            .permissions(user.auth_permissions())
            .staff(user.is_staff())
            .superuser(user.is_superuser())
            .active(user.is_active());
        if let Some(name) = user.auth_name() {
            b = b.name(name.into_owned());
        }
        b.build_with_roles(roles)
    }

    /// The user's identity (the token's `sub`, the API key's user id, ...).
    pub fn user_id(&self) -> &str {
        &self.inner.user_id
    }

    /// The display name, if known.
    pub fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }

    /// The name of the backend that authenticated the request (`"jwt"`, `"api_key"`, a custom name).
    pub fn backend(&self) -> &str {
        self.inner.backend.as_deref().unwrap_or_default()
    }

    /// The roles.
    pub fn roles(&self) -> impl ExactSizeIterator<Item = &str> {
        self.inner.grants.roles.iter().map(|r| &**r)
    }

    /// The effective permissions (own plus those granted by roles).
    pub fn permissions(&self) -> &PermissionSet {
        &self.inner.grants.permissions
    }

    /// Whether the identity has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.inner.grants.roles.iter().any(|r| &**r == role)
    }

    /// Whether the identity holds `permission` (wildcards honoured; superusers hold every permission).
    pub fn has_permission(&self, permission: &str) -> bool {
        self.inner.is_superuser || self.inner.grants.permissions.contains(permission)
    }

    /// Whether the identity is staff.
    pub fn is_staff(&self) -> bool {
        self.inner.is_staff
    }

    /// Whether the identity is a superuser.
    pub fn is_superuser(&self) -> bool {
        self.inner.is_superuser
    }

    /// Whether the account is active.
    pub fn is_active(&self) -> bool {
        self.inner.is_active
    }

    /// The raw JSON claims of the token, for JWT-authenticated requests.
    pub fn raw_claims(&self) -> Option<&str> {
        self.inner.claims.as_deref()
    }

    /// Deserializes the token's claims into `T` (for custom claims).
    ///
    /// Returns `None` when the request was not authenticated by a token, and the JSON error when
    /// the claims do not fit `T`.
    pub fn claims<T: DeserializeOwned>(&self) -> Option<Result<T, serde_json::Error>> {
        self.raw_claims().map(serde_json::from_str)
    }

    /// Facts about the token, for JWT-authenticated requests.
    pub fn token(&self) -> Option<&TokenInfo> {
        self.inner.token.as_ref()
    }

    /// Returns this context with its backend name set to `name` (nothing to do when it already
    /// has that name: the chain's backends stamp their contexts when they are registered).
    pub(crate) fn with_backend(mut self, name: &Arc<str>) -> Self {
        let same = self
            .inner
            .backend
            .as_ref()
            .is_some_and(|b| Arc::ptr_eq(b, name) || **b == **name);
        if !same {
            Arc::make_mut(&mut self.inner).backend = Some(name.clone());
        }
        self
    }
}

impl fmt::Debug for AuthContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("AuthContext")
            .field("user_id", &i.user_id)
            .field("name", &i.name)
            .field("backend", &self.backend())
            .field("roles", &i.grants.roles)
            .field("permissions", &i.grants.permissions)
            .field("is_staff", &i.is_staff)
            .field("is_superuser", &i.is_superuser)
            .field("is_active", &i.is_active)
            .field("token", &i.token)
            .finish_non_exhaustive()
    }
}

/// Builds an [`AuthContext`]; custom backends use it to describe who they authenticated.
pub struct AuthContextBuilder {
    inner: Inner,
}

impl fmt::Debug for AuthContextBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthContextBuilder")
            .field("user_id", &self.inner.user_id)
            .finish_non_exhaustive()
    }
}

impl AuthContextBuilder {
    /// Sets the display name.
    pub fn name(mut self, name: impl Into<Box<str>>) -> Self {
        self.inner.name = Some(name.into());
        self
    }

    /// Sets the roles.
    pub fn roles<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, roles: I) -> Self {
        Arc::make_mut(&mut self.inner.grants).roles =
            roles.into_iter().map(|r| r.as_ref().into()).collect();
        self
    }

    /// Adds permissions (wildcards allowed).
    pub fn permissions<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, perms: I) -> Self {
        let grants = Arc::make_mut(&mut self.inner.grants);
        for p in perms {
            grants.permissions.insert(p.as_ref());
        }
        self
    }

    /// Uses roles and permissions built (and shared) elsewhere.
    pub(crate) fn grants(mut self, grants: Arc<Grants>) -> Self {
        self.inner.grants = grants;
        self
    }

    /// Sets the staff flag.
    pub fn staff(mut self, yes: bool) -> Self {
        self.inner.is_staff = yes;
        self
    }

    /// Sets the superuser flag.
    pub fn superuser(mut self, yes: bool) -> Self {
        self.inner.is_superuser = yes;
        self
    }

    /// Sets the active flag (default `true`).
    pub fn active(mut self, yes: bool) -> Self {
        self.inner.is_active = yes;
        self
    }

    /// Records the backend name (the chain sets it too).
    pub fn backend(mut self, name: impl Into<Arc<str>>) -> Self {
        self.inner.backend = Some(name.into());
        self
    }

    /// Keeps the raw JSON claims.
    pub fn raw_claims(mut self, json: impl Into<Box<str>>) -> Self {
        self.inner.claims = Some(json.into());
        self
    }

    /// Records facts about the token.
    pub fn token(mut self, info: TokenInfo) -> Self {
        self.inner.token = Some(info);
        self
    }

    /// Builds the context.
    pub fn build(self) -> AuthContext {
        AuthContext {
            inner: Arc::new(self.inner),
        }
    }

    /// Builds the context, adding the permissions `map` grants to its roles.
    pub fn build_with_roles(mut self, map: Option<&RoleMap>) -> AuthContext {
        if map.is_some() {
            Arc::make_mut(&mut self.inner.grants).add_role_grants(map);
        }
        self.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_are_built_once_per_distinct_set() {
        let cache = GrantsCache::default();
        let a = cache.get(&["editor"], &["articles.*"], None);
        let b = cache.get(&["editor"], &["articles.*"], None);
        assert!(Arc::ptr_eq(&a, &b));
        // Same characters, other split: another set.
        let c = cache.get(&["editora"], &["rticles.*"], None);
        let d = cache.get::<&str, &str>(&[], &["editor", "articles.*"], None);
        assert!(!Arc::ptr_eq(&a, &c) && !Arc::ptr_eq(&a, &d) && !Arc::ptr_eq(&c, &d));
        let ctx = AuthContext::builder("1").grants(a).build();
        assert!(ctx.has_permission("articles.write") && ctx.has_role("editor"));
        assert!(!ctx.has_role("editora"));
        // Role grants from the map are part of the set.
        let map = RoleMap::new().grant("editor", ["reports.view"]);
        let e = GrantsCache::default().get(&["editor"], &[] as &[&str], Some(&map));
        let ctx = AuthContext::builder("1").grants(e).build();
        assert!(ctx.has_permission("reports.view"));
    }

    #[test]
    fn a_backend_name_is_stamped_once() {
        let jwt: Arc<str> = "jwt".into();
        let ctx = AuthContext::builder("1").build().with_backend(&jwt);
        assert_eq!(ctx.backend(), "jwt");
        let again = ctx.clone().with_backend(&jwt);
        assert!(Arc::ptr_eq(&ctx.inner, &again.inner), "same name: no copy");
        let other = again.with_backend(&"partner".into());
        assert_eq!((ctx.backend(), other.backend()), ("jwt", "partner"));
    }
}
