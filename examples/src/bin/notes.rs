//! Serves the notes service (`examples/src/notes.rs`) on `NOTES_BIND` (default
//! `127.0.0.1:8081`), with its users and notes in the SQLite database `NOTES_DB` (default: a
//! file `notes.db` in the working directory). An empty database gets a demo user, `alice`
//! (`alice-demo-password`, role `writer`).
//!
//! `AUTH_JWT_SECRET` (at least 32 bytes) and `NOTES_SERVICE_KEY` (at least 8) are required:
//! this example has no development mode.

use actix_web::{web, App, HttpServer};
use examples::notes;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use std::str::FromStr;

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} must be set"))
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    tracing_subscriber::fmt().init();
    let bind = std::env::var("NOTES_BIND").unwrap_or_else(|_| "127.0.0.1:8081".into());
    let file = std::env::var("NOTES_DB").unwrap_or_else(|_| "notes.db".into());
    let db = SqlitePool::connect_with(
        SqliteConnectOptions::from_str(&format!("sqlite://{file}"))?.create_if_missing(true),
    )
    .await?;
    notes::migrate(&db).await?;
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&db)
        .await?;
    if users == 0 {
        notes::add_user(&db, "alice", "alice-demo-password", &["writer"], false).await?;
    }
    let auth = notes::config(&env("AUTH_JWT_SECRET")?, &env("NOTES_SERVICE_KEY")?, &db)?;
    println!("notes service on http://{bind}: POST /login, GET /me, POST /notes, GET|DELETE /notes/{{id}}");
    HttpServer::new(move || {
        App::new()
            .app_data(auth.clone())
            .app_data(web::Data::new(db.clone()))
            .configure(notes::routes(&db))
    })
    .bind(bind)?
    .run()
    .await?;
    Ok(())
}
