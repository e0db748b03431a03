//! [`AuthContext`]: what a successful authentication yields.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::permissions::{PermissionSet, RoleMap};
use crate::user::AuthUser;

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
    /// `token_type` (`"access"`, `"refresh"`), if present.
    pub token_type: Option<Cow<'static, str>>,
    /// The refresh-token family (`fam`), if present.
    pub family: Option<Box<str>>,
}

/// Roles and effective permissions: shared by every context with the same grants (the JWT
/// backend builds each distinct set once), so a context costs a reference count, not a set.
#[derive(Clone, Default)]
pub(crate) struct Grants {
    roles: Box<[Box<str>]>,
    permissions: PermissionSet,
}

impl Grants {
    /// Roles and permissions, plus those `map` grants to the roles.
    pub(crate) fn new<R: AsRef<str>, P: AsRef<str>>(
        roles: &[R],
        permissions: &[P],
        map: Option<&RoleMap>,
    ) -> Grants {
        let mut g = Grants {
            roles: roles.iter().map(|r| r.as_ref().into()).collect(),
            permissions: PermissionSet::new(),
        };
        for p in permissions {
            g.permissions.insert(p.as_ref());
        }
        g.add_role_grants(map);
        g
    }

    fn add_role_grants(&mut self, map: Option<&RoleMap>) {
        if let Some(map) = map {
            for role in self.roles.iter() {
                for p in map.permissions_of(role) {
                    self.permissions.insert(p);
                }
            }
        }
    }
}

/// Builds each distinct [`Grants`] once and shares it: tokens of the same user (or of users
/// with the same roles and permissions) share one permission set. Bounded: past `MAX` distinct
/// sets, new ones are built per context and not kept.
#[derive(Default)]
pub(crate) struct GrantsCache {
    sets: std::sync::RwLock<HashMap<Box<[u8]>, Arc<Grants>, foldhash::fast::RandomState>>,
}

impl GrantsCache {
    const MAX: usize = 4096;

    pub(crate) fn get<R: AsRef<str>, P: AsRef<str>>(
        &self,
        roles: &[R],
        permissions: &[P],
        map: Option<&RoleMap>,
    ) -> Arc<Grants> {
        // Length-prefixed, so that no two different lists encode alike; on the stack when short.
        let items = || {
            let roles = roles.iter().map(|r| (0u8, r.as_ref()));
            roles.chain(permissions.iter().map(|p| (1u8, p.as_ref())))
        };
        let len: usize = items().map(|(_, s)| 5 + s.len()).sum();
        let mut stack = [0u8; 256];
        let mut heap = Vec::new();
        let key: &[u8] = {
            let put = |buf: &mut dyn FnMut(&[u8])| {
                for (kind, item) in items() {
                    buf(&[kind]);
                    buf(&u32::try_from(item.len()).unwrap_or(u32::MAX).to_le_bytes());
                    buf(item.as_bytes());
                }
            };
            if len <= stack.len() {
                let mut at = 0;
                put(&mut |b: &[u8]| {
                    stack[at..at + b.len()].copy_from_slice(b);
                    at += b.len();
                });
                &stack[..len]
            } else {
                heap.reserve_exact(len);
                put(&mut |b: &[u8]| heap.extend_from_slice(b));
                &heap
            }
        };
        if let Some(g) = self.sets.read().ok().and_then(|m| m.get(key).cloned()) {
            return g;
        }
        let g = Arc::new(Grants::new(roles, permissions, map));
        if let Ok(mut sets) = self.sets.write() {
            if sets.len() < Self::MAX {
                sets.insert(key.into(), g.clone());
            }
        }
        g
    }
}

/// A backend's name: static, or shared by reference counting (never copied per request).
#[derive(Clone)]
enum Name {
    Static(&'static str),
    Shared(Arc<str>),
}

impl Name {
    fn as_str(&self) -> &str {
        match self {
            Name::Static(s) => s,
            Name::Shared(s) => s,
        }
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[derive(Clone)]
struct Inner {
    user_id: Box<str>,
    name: Option<Box<str>>,
    backend: Name,
    grants: Arc<Grants>,
    is_staff: bool,
    is_superuser: bool,
    is_active: bool,
    claims: Option<Box<str>>,
    token: Option<TokenInfo>,
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

impl AuthContext {
    /// Starts a context for `user_id`.
    pub fn builder(user_id: impl Into<Box<str>>) -> AuthContextBuilder {
        AuthContextBuilder {
            inner: Inner {
                user_id: user_id.into(),
                name: None,
                backend: Name::Static(""),
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
        self.inner.backend.as_str()
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
    #[inline]
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
        self.inner.claims.as_deref().map(serde_json::from_str)
    }

    /// Facts about the token, for JWT-authenticated requests.
    pub fn token(&self) -> Option<&TokenInfo> {
        self.inner.token.as_ref()
    }

    /// Returns this context with its backend name set to `name` (a reference count when it
    /// is not already that name; nothing when it is).
    pub(crate) fn with_backend(mut self, name: &Arc<str>) -> Self {
        if self.inner.backend.as_str() != &**name {
            Arc::make_mut(&mut self.inner).backend = Name::Shared(name.clone());
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
            .field("backend", &i.backend)
            .field("roles", &i.grants.roles)
            .field("permissions", &i.grants.permissions)
            .field("is_staff", &i.is_staff)
            .field("is_superuser", &i.is_superuser)
            .field("is_active", &i.is_active)
            .field("token", &i.token)
            .finish_non_exhaustive()
    }
}

/// What the JWT backend knows of a verified token, turned into a context in one step (no
/// builder moves on the verification path).
pub(crate) struct JwtIdentity {
    pub user_id: Box<str>,
    pub name: Option<Box<str>>,
    pub backend: Arc<str>,
    pub grants: Arc<Grants>,
    pub is_staff: bool,
    pub is_superuser: bool,
    pub is_active: bool,
    pub claims: Box<str>,
    pub token: TokenInfo,
}

impl From<JwtIdentity> for AuthContext {
    fn from(j: JwtIdentity) -> AuthContext {
        AuthContext {
            inner: Arc::new(Inner {
                user_id: j.user_id,
                name: j.name,
                backend: Name::Shared(j.backend),
                grants: j.grants,
                is_staff: j.is_staff,
                is_superuser: j.is_superuser,
                is_active: j.is_active,
                claims: Some(j.claims),
                token: Some(j.token),
            }),
        }
    }
}

/// Builds an [`AuthContext`]; custom backends use it to describe who they authenticated.
#[derive(Debug)]
pub struct AuthContextBuilder {
    inner: Inner,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inner")
            .field("user_id", &self.user_id)
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

    /// Uses a permission set built elsewhere.
    pub fn permission_set(mut self, set: PermissionSet) -> Self {
        Arc::make_mut(&mut self.inner.grants).permissions = set;
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
    pub fn backend(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.inner.backend = match name.into() {
            Cow::Borrowed(s) => Name::Static(s),
            Cow::Owned(s) => Name::Shared(s.into()),
        };
        self
    }

    /// Uses roles and permissions built (and shared) elsewhere.
    #[cfg(test)]
    pub(crate) fn grants(mut self, grants: Arc<Grants>) -> Self {
        self.inner.grants = grants;
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
}
