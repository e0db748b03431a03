//! Calls one method of the showcase's gRPC service and prints the outcome: the README's gRPC
//! example of a client call with metadata, and CI's smoke test of `AUTH_GRPC_BIND`.
//!
//! `grpc_call ADDR METHOD [--bearer TOKEN] [--api-key KEY]`, METHOD one of Public, Me,
//! ListArticles, CreateArticle, Staff, Admin. Prints `OK <reply>` (exit 0) or
//! `<Code>: <message>` (exit 1); exit 2 for a usage or connection error.

use examples::grpc::proto::showcase_client::ShowcaseClient;
use examples::grpc::proto::{Article, Empty};
use tonic::metadata::AsciiMetadataValue;
use tonic::Request;

fn usage() -> ! {
    eprintln!("usage: grpc_call ADDR METHOD [--bearer TOKEN] [--api-key KEY]");
    std::process::exit(2)
}

fn with_credentials<T>(
    msg: T,
    bearer: Option<&str>,
    key: Option<&str>,
) -> Result<Request<T>, String> {
    let mut request = Request::new(msg);
    if let Some(t) = bearer {
        let v = AsciiMetadataValue::try_from(format!("Bearer {t}")).map_err(|e| e.to_string())?;
        request.metadata_mut().insert("authorization", v);
    }
    if let Some(k) = key {
        let v = AsciiMetadataValue::try_from(k).map_err(|e| e.to_string())?;
        request.metadata_mut().insert("x-api-key", v);
    }
    Ok(request)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(addr), Some(method)) = (args.first(), args.get(1)) else {
        usage()
    };
    let flag = |name: &str| {
        args.iter().position(|a| a == name).map(|i| {
            args.get(i + 1)
                .map(String::as_str)
                .unwrap_or_else(|| usage())
        })
    };
    let (bearer, key) = (flag("--bearer"), flag("--api-key"));
    let mut client = match ShowcaseClient::connect(format!("http://{addr}")).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("grpc_call: cannot connect to {addr}: {e}");
            std::process::exit(2)
        }
    };
    let empty = || with_credentials(Empty {}, bearer, key);
    let sent = async {
        let reply = match method.as_str() {
            "Public" => client
                .public(empty()?)
                .await
                .map(|r| r.into_inner().message),
            "Me" => client.me(empty()?).await.map(|r| {
                let i = r.into_inner();
                format!("{} via {} roles={:?}", i.user_id, i.backend, i.roles)
            }),
            "ListArticles" => client
                .list_articles(empty()?)
                .await
                .map(|r| r.into_inner().message),
            "CreateArticle" => {
                let article = with_credentials(
                    Article {
                        title: "from grpc_call".into(),
                    },
                    bearer,
                    key,
                )?;
                client
                    .create_article(article)
                    .await
                    .map(|r| r.into_inner().message)
            }
            "Staff" => client.staff(empty()?).await.map(|r| r.into_inner().message),
            "Admin" => client.admin(empty()?).await.map(|r| r.into_inner().message),
            _ => usage(),
        };
        Ok::<_, String>(reply)
    };
    match sent.await {
        Ok(Ok(reply)) => println!("OK {reply}"),
        Ok(Err(status)) => {
            println!("{:?}: {}", status.code(), status.message());
            std::process::exit(1)
        }
        Err(e) => {
            eprintln!("grpc_call: {e}");
            std::process::exit(2)
        }
    }
}
