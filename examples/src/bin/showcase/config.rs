//! The showcase's configuration, read from environment variables. A malformed variable stops
//! the server at start with a message naming it.

use std::net::SocketAddr;

use auth_actix::prelude::*;
use auth_actix::{Algorithm, ConfigError};

pub const HELP: &str = "\
showcase: the auth-actix reference server

USAGE: showcase [--help]

Configuration (environment variables):
  AUTH_BIND                 address to listen on                       (default 127.0.0.1:8080)
  AUTH_JWT_SECRET           HS256 secret, at least 32 bytes            (default: a random development secret;
                            only then are demo tokens and the demo key printed at start)
  AUTH_JWT_RSA_PUBLIC_KEY   path to a PEM RSA public key: accept RS256 tokens
  AUTH_JWT_EC_PUBLIC_KEY    path to a PEM P-256 public key: accept ES256 tokens
  AUTH_JWT_ED_PUBLIC_KEY    path to a PEM Ed25519 public key: accept EdDSA tokens
  AUTH_JWT_AUDIENCE         required `aud`                             (default: none; tokens with an aud are refused)
  AUTH_JWT_ISSUER           required `iss`                             (default: none)
  AUTH_JWT_LEEWAY_SECS      clock-skew allowance for exp/nbf            (default 0)
  AUTH_API_KEYS             e.g. `sk-reader=articles.read,articles.list;sk-admin=*`
                            (default: without AUTH_JWT_SECRET, one random demo key with
                            articles.read, printed at start; with it, no key)
  AUTH_REVOCATION           `memory`, `redis://host:port`, `sqlite://file.db`, `sqlite::memory:`
                            or `postgres://user@host/db`               (default memory)
  AUTH_DEMO_USERS           `off` disables the demo users alice and bob (default on)
  RUST_LOG                  log filter                                 (default info)
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

fn err(var: &'static str, message: impl std::fmt::Display) -> EnvError {
    EnvError {
        var,
        message: message.to_string(),
    }
}

fn var(name: &'static str) -> Result<Option<String>, EnvError> {
    match std::env::var(name) {
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(err(name, "is not valid UTF-8")),
    }
}

pub struct Settings {
    pub bind: SocketAddr,
    pub jwt: JwtConfig,
    /// The secret, when it was generated here (printed as a warning, not the secret itself).
    pub random_secret: bool,
    pub api_keys: ApiKeys,
    /// The demo key when none was configured.
    pub demo_key: Option<String>,
    pub demo_users: bool,
    pub revocation: Revocation,
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
    if let Some(iss) = var("AUTH_JWT_ISSUER")? {
        jwt = jwt.issuer(iss);
    }
    if let Some(l) = var("AUTH_JWT_LEEWAY_SECS")? {
        let secs: u64 = l.trim().parse().map_err(|_| {
            err(
                "AUTH_JWT_LEEWAY_SECS",
                format!("{l:?} is not a whole number of seconds"),
            )
        })?;
        jwt = jwt.leeway_secs(secs);
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
        jwt,
        random_secret,
        api_keys,
        demo_key,
        demo_users,
        revocation,
    })
}
