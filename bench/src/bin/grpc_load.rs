//! The gRPC case of the load benchmark: the showcase's `ListArticles` (`has_permission
//! ("articles.read")`) behind `AuthLayer`, against the same method with no layer.
//!
//! - `grpc_load serve PORT protected|open`: one server, on one thread (as each benchmarked actix
//!   server runs one worker), with the bench's JWT configuration.
//! - `grpc_load drive ADDR SECONDS TOKEN_FILE`: keeps 32 calls in flight over 4 connections for
//!   SECONDS, and prints `calls errors`. Any error fails the benchmark.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_actix::ApiKeys;
use auth_tonic::AuthConfig;
use examples::grpc::proto::showcase_client::ShowcaseClient;
use examples::grpc::proto::Empty;
use examples::grpc::ShowcaseService;
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::server::TcpIncoming;

const CONNECTIONS: usize = 4;
const IN_FLIGHT: usize = 32;

async fn serve(port: u16, protected: bool) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let incoming = TcpIncoming::from(listener);
    let server = tonic::transport::Server::builder();
    if protected {
        let auth = AuthConfig::builder()
            .jwt(bench::jwt_config_all())
            .api_keys(ApiKeys::new().key(bench::API_KEY, ["articles.read"]))
            .build()
            .unwrap();
        let layer = examples::grpc::layer(auth).unwrap();
        server
            .layer(layer)
            .add_service(ShowcaseService::server())
            .serve_with_incoming(incoming)
            .await
            .unwrap();
    } else {
        let mut server = server;
        server
            .add_service(ShowcaseService::server())
            .serve_with_incoming(incoming)
            .await
            .unwrap();
    }
}

async fn drive(addr: &str, seconds: u64, token: &str) {
    let value: AsciiMetadataValue = format!("Bearer {}", token.trim()).parse().unwrap();
    let calls = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..CONNECTIONS {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        for _ in 0..IN_FLIGHT / CONNECTIONS {
            let mut client = ShowcaseClient::new(channel.clone());
            let (value, calls, errors) = (value.clone(), calls.clone(), errors.clone());
            tasks.push(tokio::spawn(async move {
                while Instant::now() < deadline {
                    let mut request = tonic::Request::new(Empty {});
                    request
                        .metadata_mut()
                        .insert("authorization", value.clone());
                    match client.list_articles(request).await {
                        Ok(_) => calls.fetch_add(1, Ordering::Relaxed),
                        Err(status) => {
                            if errors.fetch_add(1, Ordering::Relaxed) == 0 {
                                eprintln!("connection {c}: {status:?}");
                            }
                            0
                        }
                    };
                }
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    println!(
        "{} {}",
        calls.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["serve", port, mode] => {
            runtime.block_on(serve(port.parse().unwrap(), mode == "protected"))
        }
        ["drive", addr, seconds, token_file] => {
            let token = std::fs::read_to_string(token_file).unwrap();
            runtime.block_on(drive(addr, seconds.parse().unwrap(), &token));
        }
        _ => {
            eprintln!("usage: grpc_load serve PORT protected|open | grpc_load drive ADDR SECONDS TOKEN_FILE");
            std::process::exit(2);
        }
    }
}
