//! The showcase's configuration, read from environment variables. A malformed variable stops
//! the server at start with a message naming it.

use std::net::SocketAddr;

use auth_actix::prelude::*;
use auth_actix::{Algorithm, ConfigError, IdentityProvider};

pub const HELP: &str = "\
showcase: the auth-actix reference server

USAGE: showcase [--help]

Configuration (environment variables):
  AUTH_BIND                 address to listen on                       (default 127.0.0.1:8080)
  AUTH_GRPC_BIND            also serve the gRPC service (proto/showcase.proto) on this address,
                            with the same configuration and store      (default: no gRPC listener)
  AUTH_JWT_SECRET           HS256 secret, at least 32 bytes            (default: a random development secret;
                            only then are demo tokens and the demo key printed at start)
  AUTH_JWT_RSA_PUBLIC_KEY   path to a PEM RSA public key: accept RS256 tokens
  AUTH_JWT_EC_PUBLIC_KEY    path to a PEM P-256 public key: accept ES256 tokens
  AUTH_JWT_ED_PUBLIC_KEY    path to a PEM Ed25519 public key: accept EdDSA tokens
  AUTH_JWT_SIGNING_KEY_DIR  issue with the private keys of this directory (`<kid>.pem`: RSA,
                            EC P-256 or Ed25519, PKCS#8) and the kid its file `current` names;
                            the others are published and accepted; /.well-known/jwks.json and
                            /.well-known/openid-configuration serve the public keys (default:
                            none; tokens signed with AUTH_JWT_SECRET)
  AUTH_JWT_KEY_RELOAD_SECS  read AUTH_JWT_SIGNING_KEY_DIR again this often, and on SIGHUP
                                                                       (default 30)
  AUTH_JWT_AUDIENCE         required `aud`                             (default: none; tokens with an aud are refused)
  AUTH_JWT_ISSUER           required `iss`, and the `iss` of issued tokens (default: none; with
                            AUTH_JWT_SIGNING_KEY_DIR, http:// and AUTH_BIND)
  AUTH_JWT_LEEWAY_SECS      clock-skew allowance for exp/nbf            (default 0)
  AUTH_OIDC_ISSUER          an OpenID provider's issuer URL: its tokens are accepted too, with keys
                            found by discovery and rotated in the background (https, or http on loopback)
  AUTH_JWKS_URL             a JWKS URL to take keys from instead of discovery (with AUTH_OIDC_ISSUER:
                            the issuer its tokens must state)
  AUTH_OIDC_AUDIENCE        the `aud` the provider's tokens must hold  (default: none)
  AUTH_OIDC_ROLES_CLAIM     dotted path of the roles claim             (default realm_access.roles)
  AUTH_OIDC_SCOPES_AS_PERMISSIONS  `on` or `off`: scopes become permissions (default on)
  AUTH_OIDC_STAFF_CLAIM, AUTH_OIDC_SUPERUSER_CLAIM  dotted paths of boolean claims that make a
                            provider's user staff or a superuser      (default: none, never)
  AUTH_OIDC_REQUIRE_AT_JWT  `on`: the provider's tokens must have typ at+jwt (RFC 9068)
                                                                       (default off)
  AUTH_JWKS_REFRESH_SECS    key refresh interval                       (default 600)
  AUTH_JWKS_COOLDOWN_SECS   least time between fetches asked for by unknown kids (default 30)
  AUTH_REFRESH_ABSOLUTE_SECS  a login's refresh tokens stop refreshing this long after it
                            (default 2592000, 30 days); every refresh also checks the user
  AUTH_API_KEYS             e.g. `sk-reader=articles.read,articles.list;sk-admin=*`
                            (default: without AUTH_JWT_SECRET, one random demo key with
                            articles.read, printed at start; with it, no key)
  AUTH_REVOCATION           `memory`, `redis://host:port`, `sqlite://file.db`, `sqlite::memory:`
                            or `postgres://user@host/db`               (default memory)
  AUTH_DEMO_USERS           `off` disables the demo users alice and bob (default on)
  AUTH_SESSIONS             where browser sessions are kept: `cookie` (encrypted in the cookie) or
                            redis://host:port                         (default cookie); log in with
                            POST /auth/session, or in a browser at /
  AUTH_SESSION_KEY          at least 64 bytes signing and encrypting session cookies
                            (default: random, sessions end with the process)
  AUTH_SESSION_IDLE_SECS    a session unused this long ends            (default 1800)
  AUTH_SESSION_ABSOLUTE_SECS  a session ends this long after login     (default 28800)
  AUTH_ALLOWED_ORIGINS      comma-separated origins allowed to send state-changing requests with
                            the session cookie (default: the server's own)
  RUST_LOG                  log filter (actix-session's per-cookie warnings stay off unless it
                            names actix_session)                      (default info)
";

/// A configuration mistake, naming the variable.
#[derive(Debug)]
pub struct EnvError {
    pub var: &'static str,
    pub message: String,
}

impl std::fmt::Display for EnvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.var, self.message)
    }
}

pub fn err(var: &'static str, message: impl std::fmt::Display) -> EnvError {
    EnvError {
        var,
        message: message.to_string(),
    }
}

pub fn secs(name: &'static str) -> Result<Option<std::time::Duration>, EnvError> {
    var(name)?
        .map(|v| match v.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(std::time::Duration::from_secs(n)),
            _ => Err(err(
                name,
                format!("{v:?} is not a positive whole number of seconds"),
            )),
        })
        .transpose()
}

/// The identity provider of `AUTH_OIDC_ISSUER` / `AUTH_JWKS_URL`, if one is set, added to the
/// `jwt` backend beside its own keys.
fn identity_provider(mut jwt: JwtConfig, has_own_issuer: bool) -> Result<JwtConfig, EnvError> {
    let (issuer, url) = (var("AUTH_OIDC_ISSUER")?, var("AUTH_JWKS_URL")?);
    let mut provider = match (&issuer, &url) {
        (None, None) => return Ok(jwt),
        (Some(iss), None) => IdentityProvider::oidc(iss),
        (Some(iss), Some(url)) => IdentityProvider::jwks(url).issuer(iss),
        (None, Some(url)) => {
            // The provider verifies the tokens of every issuer but this server's own, which
            // must then state one.
            if !has_own_issuer {
                jwt = jwt.issuer("auth-actix-showcase");
            }
            IdentityProvider::jwks(url)
        }
    };
    let roles = var("AUTH_OIDC_ROLES_CLAIM")?.unwrap_or_else(|| "realm_access.roles".into());
    let scopes = on_off("AUTH_OIDC_SCOPES_AS_PERMISSIONS", true)?;
    let (staff, superuser) = (
        var("AUTH_OIDC_STAFF_CLAIM")?,
        var("AUTH_OIDC_SUPERUSER_CLAIM")?,
    );
    provider = provider.map_claims(|mut m| {
        m = m
            .roles_claims([roles.as_str()])
            .scopes_as_permissions(scopes);
        if let Some(path) = &staff {
            m = m.staff_claim(path);
        }
        if let Some(path) = &superuser {
            m = m.superuser_claim(path);
        }
        m
    });
    provider = provider.require_access_token_type(on_off("AUTH_OIDC_REQUIRE_AT_JWT", false)?);
    if let Some(every) = secs("AUTH_JWKS_REFRESH_SECS")? {
        provider = provider.refresh_interval(every);
    }
    if let Some(cooldown) = secs("AUTH_JWKS_COOLDOWN_SECS")? {
        provider = provider.unknown_kid_cooldown(cooldown);
    }
    if let Some(aud) = var("AUTH_OIDC_AUDIENCE")? {
        jwt = jwt.audience(aud);
    }
    Ok(jwt.identity_provider(provider))
}

/// A variable that is `on` or `off`.
fn on_off(name: &'static str, default: bool) -> Result<bool, EnvError> {
    match var(name)?.as_deref() {
        None => Ok(default),
        Some("on") => Ok(true),
        Some("off") => Ok(false),
        Some(other) => Err(err(name, format!("{other:?}: expected `on` or `off`"))),
    }
}

pub fn var(name: &'static str) -> Result<Option<String>, EnvError> {
    match std::env::var(name) {
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(err(name, "is not valid UTF-8")),
    }
}

pub struct Settings {
    pub bind: SocketAddr,
    pub grpc_bind: Option<SocketAddr>,
    pub jwt: JwtConfig,
    /// The secret, when it was generated here (printed as a warning, not the secret itself).
    pub random_secret: bool,
    pub api_keys: ApiKeys,
    /// The demo key when none was configured.
    pub demo_key: Option<String>,
    pub demo_users: bool,
    pub revocation: Revocation,
    /// The signing keys' directory, when the showcase issues with its own rotating keys.
    pub key_dir: Option<crate::keys::KeyDir>,
}

/// Where revocations are kept.
pub enum Revocation {
    Memory,
    Redis(String),
    Sql(String),
}

fn random_token(bytes: usize) -> Result<String, EnvError> {
    use base64::Engine as _;
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)
        .map_err(|e| err("AUTH_JWT_SECRET", format!("no system randomness: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
}

fn pem_key(
    name: &'static str,
    build: impl Fn(&[u8]) -> Result<JwtKey, ConfigError>,
) -> Result<Option<JwtKey>, EnvError> {
    let Some(path) = var(name)? else {
        return Ok(None);
    };
    let pem = std::fs::read(&path).map_err(|e| err(name, format!("cannot read {path}: {e}")))?;
    build(&pem).map(Some).map_err(|e| err(name, e))
}

/// Parses `key=perm,perm;key=perm`.
pub fn parse_api_keys(spec: &str) -> Result<ApiKeys, EnvError> {
    let mut keys = ApiKeys::new();
    for (i, entry) in spec
        .split(';')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .enumerate()
    {
        let Some((key, perms)) = entry.split_once('=') else {
            return Err(err(
                "AUTH_API_KEYS",
                format!("entry {} has no `=`; write key=perm,perm", i + 1),
            ));
        };
        let perms: Vec<&str> = perms
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        keys = keys.with_key(
            ApiKey::new(key.trim())
                .permissions(perms)
                .name(format!("key{}", i + 1)),
        );
    }
    Ok(keys)
}

pub fn from_env() -> Result<Settings, EnvError> {
    let bind = match var("AUTH_BIND")? {
        Some(b) => b.parse().map_err(|e| {
            err(
                "AUTH_BIND",
                format!("{b:?} is not an address like 127.0.0.1:8080 ({e})"),
            )
        })?,
        None => SocketAddr::from(([127, 0, 0, 1], 8080)),
    };
    let grpc_bind = match var("AUTH_GRPC_BIND")? {
        Some(b) => Some(b.parse().map_err(|e| {
            err(
                "AUTH_GRPC_BIND",
                format!("{b:?} is not an address like 127.0.0.1:50051 ({e})"),
            )
        })?),
        None => None,
    };
    let (secret, random_secret) = match var("AUTH_JWT_SECRET")? {
        Some(s) => (s, false),
        None => (random_token(48)?, true),
    };
    let mut jwt = JwtConfig::new()
        .key(JwtKey::hs256(secret.as_bytes()).map_err(|e| err("AUTH_JWT_SECRET", e))?);
    if let Some(k) = pem_key("AUTH_JWT_RSA_PUBLIC_KEY", JwtKey::rs256_pem)? {
        jwt = jwt.key(k);
    }
    if let Some(k) = pem_key("AUTH_JWT_EC_PUBLIC_KEY", |p| {
        JwtKey::ec_pem(p, Algorithm::ES256)
    })? {
        jwt = jwt.key(k);
    }
    if let Some(k) = pem_key("AUTH_JWT_ED_PUBLIC_KEY", JwtKey::ed_pem)? {
        jwt = jwt.key(k);
    }
    if let Some(aud) = var("AUTH_JWT_AUDIENCE")? {
        jwt = jwt.audience(aud);
    }
    let key_dir = crate::keys::from_env()?;
    let mut own_issuer = var("AUTH_JWT_ISSUER")?;
    if key_dir.is_some() && own_issuer.is_none() {
        // Issuing with its own published keys: its tokens state its base URL, which is where
        // other services find the keys (discovery).
        own_issuer = Some(format!("http://{bind}"));
    }
    if let Some(iss) = &own_issuer {
        jwt = jwt.issuer(iss);
    }
    jwt = identity_provider(jwt, own_issuer.is_some())?;
    if let Some(l) = var("AUTH_JWT_LEEWAY_SECS")? {
        let secs: u64 = l.trim().parse().map_err(|_| {
            err(
                "AUTH_JWT_LEEWAY_SECS",
                format!("{l:?} is not a whole number of seconds"),
            )
        })?;
        jwt = jwt.leeway_secs(secs);
    }
    if let Some(absolute) = secs("AUTH_REFRESH_ABSOLUTE_SECS")? {
        jwt = jwt.refresh_absolute_secs(absolute.as_secs());
    }
    let (api_keys, demo_key) = match var("AUTH_API_KEYS")? {
        Some(spec) => (parse_api_keys(&spec)?, None),
        // A demo key only in the development mode (no AUTH_JWT_SECRET): it is printed.
        None if !random_secret => (ApiKeys::new(), None),
        None => {
            let key = format!("sk-demo-{}", random_token(18)?);
            (
                ApiKeys::new().with_key(
                    ApiKey::new(key.clone())
                        .permissions(["articles.read"])
                        .name("demo"),
                ),
                Some(key),
            )
        }
    };
    let revocation = match var("AUTH_REVOCATION")? {
        None => Revocation::Memory,
        Some(v) if v == "memory" => Revocation::Memory,
        Some(v) if v.starts_with("redis://") || v.starts_with("rediss://") => Revocation::Redis(v),
        Some(v) if v.starts_with("sqlite:") => {
            // `sqlite://file.db` creates the file when missing.
            if v.starts_with("sqlite://") && !v.contains('?') {
                Revocation::Sql(format!("{v}?mode=rwc"))
            } else {
                Revocation::Sql(v)
            }
        }
        Some(v) if v.starts_with("postgres://") || v.starts_with("postgresql://") => {
            Revocation::Sql(v)
        }
        Some(other) => {
            return Err(err(
                "AUTH_REVOCATION",
                format!("{other:?}: use memory, redis://, sqlite:// or postgres://"),
            ))
        }
    };
    let demo_users = match var("AUTH_DEMO_USERS")?.as_deref() {
        None | Some("on") => true,
        Some("off") => false,
        Some(other) => {
            return Err(err(
                "AUTH_DEMO_USERS",
                format!("{other:?}: use `on` or `off`"),
            ))
        }
    };
    Ok(Settings {
        bind,
        grpc_bind,
        jwt,
        random_secret,
        api_keys,
        demo_key,
        demo_users,
        revocation,
        key_dir,
    })
}
