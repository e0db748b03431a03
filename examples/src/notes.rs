//! The notes service: the kind of application a new user builds first, beside the showcase.
//!
//! Users live in SQLite (through sqlx) with Argon2 password hashes; `POST /login` checks them
//! with the built-in throttle and returns a token pair; `GET /me` loads the user row for the
//! token (a [`UserLoader`]); `POST /notes` needs the `notes.write` permission, which the
//! `writer` role grants; `GET` and `DELETE /notes/{id}` let the note's owner or staff through,
//! an object-level guard that reads the database; a service account's API key reads every note.
//! `examples/tests/notes.rs` tests it with the library's test helpers; `examples/src/bin/notes.rs`
//! serves it.

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use auth_actix::endpoints::{AuthEndpoints, CredentialsVerifier};
use auth_actix::password::verify_user_password_async;
use auth_actix::prelude::*;
use auth_actix::AuthError;
use serde::{Deserialize, Serialize};
use sqlx::{Row, SqlitePool};

/// A user row. `#[derive(AuthUser)]` finds `id`, `username`, `roles`, `is_staff` and
/// `is_active` by their names.
#[derive(AuthUser, Clone, Debug, Serialize)]
pub struct User {
    /// The primary key (the tokens' `sub`).
    pub id: i64,
    /// The login name.
    pub username: String,
    /// Roles, stored comma-separated; the [`roles`] map turns them into permissions.
    pub roles: Vec<String>,
    /// Staff may read and delete every note.
    pub is_staff: bool,
    /// An inactive account cannot log in, and its tokens stop working.
    pub is_active: bool,
    /// The Argon2 hash (never serialized).
    #[serde(skip)]
    pub password_hash: String,
}

/// Creates the tables if missing.
pub async fn migrate(db: &SqlitePool) -> sqlx::Result<()> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS users (
            id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
            roles TEXT NOT NULL DEFAULT '', is_staff BOOLEAN NOT NULL DEFAULT 0,
            is_active BOOLEAN NOT NULL DEFAULT 1)",
    )
    .execute(db)
    .await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS notes (
            id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL REFERENCES users(id), body TEXT NOT NULL)",
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Adds a user with `password` hashed (Argon2id); returns its id.
pub async fn add_user(
    db: &SqlitePool,
    username: &str,
    password: &str,
    roles: &[&str],
    is_staff: bool,
) -> Result<i64, Box<dyn std::error::Error + Send + Sync>> {
    let hash = auth_actix::password::hash_password(password)?;
    let id = sqlx::query(
        "INSERT INTO users (username, password_hash, roles, is_staff) VALUES (?, ?, ?, ?)",
    )
    .bind(username)
    .bind(hash)
    .bind(roles.join(","))
    .bind(is_staff)
    .execute(db)
    .await?
    .last_insert_rowid();
    Ok(id)
}

const USER_COLUMNS: &str = "id, username, password_hash, roles, is_staff, is_active";

fn user_of(row: &sqlx::sqlite::SqliteRow) -> sqlx::Result<User> {
    let roles: String = row.try_get("roles")?;
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        roles: roles
            .split(',')
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect(),
        is_staff: row.try_get("is_staff")?,
        is_active: row.try_get("is_active")?,
        password_hash: row.try_get("password_hash")?,
    })
}

/// A database error as the library answers it: 503, the cause in the log only.
fn unavailable(e: sqlx::Error) -> UserLoadError {
    tracing::error!(error = %e, "the users database cannot answer");
    UserLoadError::new("the users database cannot answer")
}

/// The users table, as the login and the user loader read it.
#[derive(Clone, Debug)]
pub struct Users(pub SqlitePool);

impl CredentialsVerifier for Users {
    type User = User;

    async fn verify(&self, username: &str, password: &str) -> Result<Option<User>, UserLoadError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = ?"
        ))
        .bind(username)
        .fetch_optional(&self.0)
        .await
        .map_err(unavailable)?;
        let user = row.as_ref().map(user_of).transpose().map_err(unavailable)?;
        // An unknown user costs the same Argon2 work as a wrong password.
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let ok = verify_user_password_async(hash, password.to_owned()).await;
        Ok(user.filter(|_| ok))
    }
}

impl UserLoader<User> for Users {
    async fn load(&self, ctx: &AuthContext) -> Result<Option<User>, UserLoadError> {
        let Ok(id) = ctx.user_id().parse::<i64>() else {
            return Ok(None); // an API key's service account has no row
        };
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.0)
            .await
            .map_err(unavailable)?;
        row.as_ref().map(user_of).transpose().map_err(unavailable)
    }
}

/// What the roles grant.
pub fn roles() -> RoleMap {
    RoleMap::new()
        .grant("writer", ["notes.write", "notes.read"])
        .grant("reader", ["notes.read"])
}

/// The configuration: HS256 tokens, the service account's API key, the roles, the user loader.
/// A secret under 32 bytes or a key under 8 is an error that says so.
pub fn config(
    jwt_secret: &str,
    service_key: &str,
    db: &SqlitePool,
) -> Result<AuthConfig, auth_actix::ConfigError> {
    AuthConfig::builder()
        .jwt(JwtConfig::hs256(jwt_secret).issuer("notes"))
        .api_keys(
            ApiKeys::new().with_key(
                ApiKey::new(service_key)
                    .user_id("service:backup")
                    .permissions(["notes.read_all"]),
            ),
        )
        .roles(roles())
        .user_loader(Users(db.clone()))
        .build()
}

/// A note as the API returns it.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct Note {
    /// Its id.
    pub id: i64,
    /// The user who wrote it.
    pub owner_id: i64,
    /// Its text.
    pub body: String,
}

/// The body of `POST /notes`.
#[derive(Deserialize, Debug)]
pub struct NewNote {
    /// Its text.
    pub body: String,
}

#[get("/me")]
#[auth(jwt)]
async fn me(user: Auth<User>) -> web::Json<User> {
    web::Json(user.into_inner())
}

#[post("/notes")]
#[auth(jwt)]
#[guard(has_permission("notes.write"))]
async fn create_note(
    who: AuthContext,
    db: web::Data<SqlitePool>,
    new: web::Json<NewNote>,
) -> actix_web::Result<HttpResponse> {
    let owner_id: i64 = who
        .user_id()
        .parse()
        .map_err(actix_web::error::ErrorBadRequest)?;
    let id = sqlx::query("INSERT INTO notes (owner_id, body) VALUES (?, ?)")
        .bind(owner_id)
        .bind(&new.body)
        .execute(db.get_ref())
        .await
        .map_err(actix_web::error::ErrorServiceUnavailable)?
        .last_insert_rowid();
    Ok(HttpResponse::Created().json(Note {
        id,
        owner_id,
        body: new.into_inner().body,
    }))
}

/// The object-level guard: the caller wrote the note in the path. It reads the database, so it
/// is asynchronous (`custom_async`). A note that is not there answers 404, a database that
/// cannot answer 503 (the guard returns `Result<bool, AuthError>`; `false` is a 403).
async fn owns_note(who: AuthContext, req: HttpRequest) -> Result<bool, AuthError> {
    let Some(db) = req.app_data::<web::Data<SqlitePool>>() else {
        return Err(AuthError::Misconfigured(
            "the notes pool is not registered: add .app_data(web::Data::new(pool))".into(),
        ));
    };
    let Some(Ok(id)) = req.match_info().get("id").map(str::parse::<i64>) else {
        return Err(AuthError::NotFound("no such note".into()));
    };
    let owner: Option<i64> = sqlx::query_scalar("SELECT owner_id FROM notes WHERE id = ?")
        .bind(id)
        .fetch_optional(db.get_ref())
        .await
        .map_err(|e| AuthError::Unavailable(format!("the notes database: {e}").into()))?;
    match owner {
        None => Err(AuthError::NotFound("no such note".into())),
        Some(owner) => Ok(owner.to_string() == who.user_id()),
    }
}

#[get("/notes/{id}")]
#[auth(jwt, api_key)]
#[guard(any(is_staff, has_permission("notes.read_all"), custom_async(owns_note)))]
async fn read_note(
    id: web::Path<i64>,
    db: web::Data<SqlitePool>,
) -> actix_web::Result<HttpResponse> {
    let row = sqlx::query("SELECT id, owner_id, body FROM notes WHERE id = ?")
        .bind(id.into_inner())
        .fetch_optional(db.get_ref())
        .await
        .map_err(actix_web::error::ErrorServiceUnavailable)?;
    let Some(row) = row else {
        return Ok(HttpResponse::NotFound().finish());
    };
    let note = Note {
        id: row.get("id"),
        owner_id: row.get("owner_id"),
        body: row.get("body"),
    };
    Ok(HttpResponse::Ok().json(note))
}

#[delete("/notes/{id}")]
#[auth(jwt)]
#[guard(any(is_staff, custom_async(owns_note)))]
async fn delete_note(
    id: web::Path<i64>,
    db: web::Data<SqlitePool>,
) -> actix_web::Result<HttpResponse> {
    sqlx::query("DELETE FROM notes WHERE id = ?")
        .bind(id.into_inner())
        .execute(db.get_ref())
        .await
        .map_err(actix_web::error::ErrorServiceUnavailable)?;
    Ok(HttpResponse::NoContent().finish())
}

/// The service's routes: `POST /login`, the token endpoints under `/auth` (refresh, logout),
/// `GET /me` and the notes. Register the [`config`] and the pool (`web::Data`) on the `App`.
pub fn routes(db: &SqlitePool) -> impl FnOnce(&mut web::ServiceConfig) {
    let endpoints = AuthEndpoints::new(Users(db.clone()));
    move |cfg: &mut web::ServiceConfig| {
        cfg.service(endpoints.token_resource("/login"))
            .service(endpoints.scope("/auth"))
            .service(me)
            .service(create_note)
            .service(read_note)
            .service(delete_note);
    }
}
