//! The notes service (`examples/src/notes.rs`) over its real routes, its users in SQLite: a
//! login, tokens from the test helpers (which mint what the login mints), the role-granted
//! permission, the owner-or-staff guard reading the database, the service account's API key.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use actix_web::{test, web, App};
use auth_actix::test::{token_for, TestRequestExt};
use auth_actix::AuthConfig;
use examples::notes::{self, Note, User};
use serde_json::{json, Value};
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::SqlitePool;

const SECRET: &str = "a notes test secret that is long enough";
const SERVICE_KEY: &str = "sk-notes-backup-01";

async fn database() -> SqlitePool {
    // One connection: every connection to :memory: is a database of its own.
    let db = SqlitePoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .unwrap();
    notes::migrate(&db).await.unwrap();
    notes::add_user(&db, "alice", "alice-password", &["writer"], false)
        .await
        .unwrap();
    notes::add_user(&db, "bob", "bob-password", &["reader"], false)
        .await
        .unwrap();
    notes::add_user(&db, "carol", "carol-password", &[], true)
        .await
        .unwrap();
    db
}

macro_rules! app {
    ($auth:expr, $db:expr) => {
        test::init_service(
            App::new()
                .app_data($auth.clone())
                .app_data(web::Data::new($db.clone()))
                .configure(notes::routes(&$db)),
        )
        .await
    };
}

async fn user(db: &SqlitePool, name: &str) -> User {
    use auth_actix::endpoints::CredentialsVerifier;
    let password = format!("{name}-password");
    notes::Users(db.clone())
        .verify(name, &password)
        .await
        .unwrap()
        .unwrap()
}

/// `POST /notes` with `body`, as the holder of `token`.
fn write(token: &str, body: &str) -> test::TestRequest {
    test::TestRequest::post()
        .uri("/notes")
        .bearer(token)
        .set_json(json!({ "body": body }))
}

fn config(db: &SqlitePool) -> AuthConfig {
    notes::config(SECRET, SERVICE_KEY, db).unwrap()
}

#[actix_rt::test]
async fn a_user_logs_in_writes_a_note_and_only_its_owner_or_staff_reads_it() {
    let db = database().await;
    let auth = config(&db);
    let app = app!(auth, db);

    // The login checks the Argon2 hash in the database.
    let wrong = test::TestRequest::post()
        .uri("/login")
        .set_json(json!({"username": "alice", "password": "nope"}))
        .to_request();
    assert_eq!(test::call_service(&app, wrong).await.status(), 401);
    let login = test::TestRequest::post()
        .uri("/login")
        .set_json(json!({"username": "alice", "password": "alice-password"}))
        .to_request();
    let login: Value = test::call_and_read_body_json(&app, login).await;
    let alice = login["access_token"].as_str().unwrap().to_owned();

    // GET /me loads the row.
    let me: Value = test::call_and_read_body_json(
        &app,
        test::TestRequest::get()
            .uri("/me")
            .bearer(&alice)
            .to_request(),
    )
    .await;
    assert_eq!(me["username"], "alice");
    assert!(me.get("password_hash").is_none(), "{me}");

    // The writer role grants notes.write.
    let created = write(&alice, "buy milk").to_request();
    let res = test::call_service(&app, created).await;
    assert_eq!(res.status(), 201);
    let note: Note = test::read_body_json(res).await;
    let path = format!("/notes/{}", note.id);

    // Bob, a reader, can neither write nor read alice's note; carol (staff) and alice can.
    let bob = token_for(&auth, &user(&db, "bob").await).unwrap();
    let res = test::call_service(&app, write(&bob, "x").to_request()).await;
    assert_eq!(res.status(), 403);
    let body: Value = test::read_body_json(res).await;
    assert_eq!(
        body["detail"],
        "guard has_permission(\"notes.write\") failed"
    );
    let read = |token: String| {
        test::TestRequest::get()
            .uri(&path)
            .bearer(&token)
            .to_request()
    };
    assert_eq!(
        test::call_service(&app, read(bob.clone())).await.status(),
        403
    );
    let carol = token_for(&auth, &user(&db, "carol").await).unwrap();
    let as_carol: Note = test::call_and_read_body_json(&app, read(carol)).await;
    assert_eq!(as_carol, note);
    let as_alice: Note = test::call_and_read_body_json(&app, read(alice.clone())).await;
    assert_eq!(as_alice.body, "buy milk");

    // The test helper mints what the login mints: alice's helper token writes too.
    let helper = token_for(&auth, &user(&db, "alice").await).unwrap();
    let res = test::call_service(&app, write(&helper, "second").to_request()).await;
    assert_eq!(res.status(), 201);

    // Only the owner deletes; then the note is gone for everyone, staff included.
    let delete = |token: &str| {
        test::TestRequest::delete()
            .uri(&path)
            .bearer(token)
            .to_request()
    };
    assert_eq!(test::call_service(&app, delete(&bob)).await.status(), 403);
    assert_eq!(test::call_service(&app, delete(&alice)).await.status(), 204);
    // The owner guard answers 404 for a note that is not there (its own error, not a 403).
    let res = test::call_service(&app, read(alice.clone())).await;
    assert_eq!(res.status(), 404);
    let body: Value = test::read_body_json(res).await;
    assert_eq!(
        body,
        json!({"error": "not_found", "detail": "no such note"})
    );
}

#[actix_rt::test]
async fn the_service_account_reads_every_note_with_its_api_key_and_nothing_else() {
    let db = database().await;
    let auth = config(&db);
    let app = app!(auth, db);
    let alice = token_for(&auth, &user(&db, "alice").await).unwrap();
    let res = test::call_service(&app, write(&alice, "for the backup").to_request()).await;
    let note: Note = test::read_body_json(res).await;

    let read = test::TestRequest::get()
        .uri(&format!("/notes/{}", note.id))
        .api_key_for(&auth, SERVICE_KEY)
        .to_request();
    let got: Note = test::call_and_read_body_json(&app, read).await;
    assert_eq!(got.body, "for the backup");

    // Writing takes a token: the key is named as not accepted there.
    let write = test::TestRequest::post()
        .uri("/notes")
        .api_key_for(&auth, SERVICE_KEY)
        .set_json(json!({"body": "x"}))
        .to_request();
    let res = test::call_service(&app, write).await;
    assert_eq!(res.status(), 401);
    let body: Value = test::read_body_json(res).await;
    assert_eq!(
        body["detail"],
        "this route does not accept api_key credentials; it accepts jwt"
    );
    // The service account has no user row: /me has no user to load.
    let me = test::TestRequest::get()
        .uri("/me")
        .api_key_for(&auth, SERVICE_KEY)
        .to_request();
    assert_eq!(test::call_service(&app, me).await.status(), 401);
}
