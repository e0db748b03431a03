//! The showcase's gRPC service (`proto/showcase.proto`), protected by the same `AuthConfig` as
//! its HTTP routes: the same backends, keys, roles and revocation store.

use auth_tonic::{guard, AuthConfig, AuthLayer, BuildError, RequestAuth};
use tonic::{Request, Response, Status};

/// The code tonic-prost-build generates from `proto/showcase.proto`.
#[allow(
    missing_docs,
    missing_debug_implementations,
    clippy::all,
    clippy::pedantic
)]
pub mod proto {
    tonic::include_proto!("showcase.v1");
}

use proto::showcase_server::{Showcase, ShowcaseServer};
use proto::{Article, Empty, Identity, Reply};

/// The encoded descriptor set of `proto/showcase.proto`: the layer checks its method table
/// against it, so a rule for a method that does not exist stops the server at start-up.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/showcase.bin"));

/// The method paths, as gRPC names them.
pub mod path {
    /// `Public`: anyone.
    pub const PUBLIC: &str = "/showcase.v1.Showcase/Public";
    /// `Me`: any authenticated caller (JWT or API key).
    pub const ME: &str = "/showcase.v1.Showcase/Me";
    /// `ListArticles`: `articles.read`.
    pub const LIST_ARTICLES: &str = "/showcase.v1.Showcase/ListArticles";
    /// `CreateArticle`: `articles.write`.
    pub const CREATE_ARTICLE: &str = "/showcase.v1.Showcase/CreateArticle";
    /// `Staff`: staff.
    pub const STAFF: &str = "/showcase.v1.Showcase/Staff";
    /// `Admin`: superusers.
    pub const ADMIN: &str = "/showcase.v1.Showcase/Admin";
}

/// The showcase's rules: `Public` is open, every other method needs authentication (the
/// default), and four ask for more. The same guards as the HTTP routes of the same names.
pub fn layer(auth: AuthConfig) -> Result<AuthLayer, BuildError> {
    AuthLayer::builder(auth)
        .file_descriptor_set(FILE_DESCRIPTOR_SET)
        .public(path::PUBLIC)
        .method(path::LIST_ARTICLES, guard!(has_permission("articles.read")))
        .method(
            path::CREATE_ARTICLE,
            guard!(has_permission("articles.write")),
        )
        .method(path::STAFF, guard!(is_staff))
        .method(path::ADMIN, guard!(is_superuser))
        .build()
}

/// The service; every method trusts the layer's decision and reads the identity from it.
#[derive(Debug, Default, Clone, Copy)]
pub struct ShowcaseService;

impl ShowcaseService {
    /// The service as tonic serves it.
    pub fn server() -> ShowcaseServer<ShowcaseService> {
        ShowcaseServer::new(ShowcaseService)
    }
}

fn reply(message: impl Into<String>) -> Result<Response<Reply>, Status> {
    Ok(Response::new(Reply {
        message: message.into(),
    }))
}

#[tonic::async_trait]
impl Showcase for ShowcaseService {
    async fn public(&self, request: Request<Empty>) -> Result<Response<Reply>, Status> {
        match request.auth_optional() {
            Some(ctx) => reply(format!("anyone may read this; hello {}", ctx.user_id())),
            None => reply("anyone may read this"),
        }
    }

    async fn me(&self, request: Request<Empty>) -> Result<Response<Identity>, Status> {
        let ctx = request.auth()?;
        let mut permissions: Vec<String> = ctx.permissions().iter().collect();
        permissions.sort();
        Ok(Response::new(Identity {
            user_id: ctx.user_id().to_owned(),
            backend: ctx.backend().to_owned(),
            roles: ctx.roles().map(str::to_owned).collect(),
            permissions,
            is_staff: ctx.is_staff(),
            is_superuser: ctx.is_superuser(),
        }))
    }

    async fn list_articles(&self, _: Request<Empty>) -> Result<Response<Reply>, Status> {
        reply("Declarative auth for actix-web")
    }

    async fn create_article(&self, request: Request<Article>) -> Result<Response<Reply>, Status> {
        let author = request.auth()?.user_id().to_owned();
        reply(format!("created {:?} by {author}", request.get_ref().title))
    }

    async fn staff(&self, _: Request<Empty>) -> Result<Response<Reply>, Status> {
        reply("staff only")
    }

    async fn admin(&self, _: Request<Empty>) -> Result<Response<Reply>, Status> {
        reply("superusers only")
    }
}
