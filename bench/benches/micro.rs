//! Criterion micro benches: policy evaluation, permission lookup, API-key lookup, and JWT
//! verification through our backend next to `jsonwebtoken::decode` on the same token, cold
//! (cache off) and warm (cache on).
//!
//! `cargo bench -p bench --bench micro`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::future::Future as _;
use std::hint::black_box;

use auth_actix::{ApiKeys, Policy};
use auth_core::extend::SimpleRequest;
use auth_core::{AuthContext, PermissionSet};
use criterion::{criterion_group, criterion_main, Criterion};
use jsonwebtoken::Validation;

fn policy(c: &mut Criterion) {
    // The 5-term policy: any(is_staff, has_role, all(has_permission (wildcard), not(has_role))).
    let p = Policy::any([
        Policy::is_staff(),
        Policy::has_role("analyst"),
        Policy::all([
            Policy::has_permission("reports.monthly.view"),
            Policy::not(Policy::has_role("suspended")),
        ]),
    ]);
    let ctx = AuthContext::builder("1")
        .roles(["viewer", "editor"])
        .permissions([
            "articles.read",
            "articles.write",
            "reports.*",
            "billing.view",
        ])
        .build();
    let req = SimpleRequest::new("GET", "/reports");
    // A policy without asynchronous guards is decided at the first poll.
    let waker = std::task::Waker::noop();
    c.bench_function("policy/5-term any/all/not with wildcard", |b| {
        b.iter(|| {
            let decide = std::pin::pin!(black_box(&p).decide(Some(black_box(&ctx)), &req));
            let mut cx = std::task::Context::from_waker(waker);
            black_box(matches!(
                decide.poll(&mut cx),
                std::task::Poll::Ready(auth_core::adapter::Decision::Allow)
            ))
        })
    });
}

fn permissions(c: &mut Criterion) {
    let grants: Vec<String> = (0..20)
        .map(|i| format!("area{i}.resource.read"))
        .chain(["articles.*".to_owned()])
        .collect();
    let set = PermissionSet::from_iter(&grants);
    c.bench_function("permission/exact hit among 21", |b| {
        b.iter(|| black_box(set.contains(black_box("area7.resource.read"))))
    });
    c.bench_function("permission/wildcard hit (3 segments)", |b| {
        b.iter(|| black_box(set.contains(black_box("articles.comments.delete"))))
    });
    c.bench_function("permission/miss", |b| {
        b.iter(|| black_box(set.contains(black_box("billing.invoices.pay"))))
    });
}

fn api_keys(c: &mut Criterion) {
    let mut keys = ApiKeys::new();
    for i in 0..100 {
        keys = keys.key(format!("sk-bench-key-{i:04}"), ["articles.read"]);
    }
    let backend = keys.build(None).unwrap();
    c.bench_function("api_key/lookup among 100", |b| {
        b.iter(|| black_box(backend.lookup(black_box("sk-bench-key-0042")).is_some()))
    });
}

fn jwt(c: &mut Criterion) {
    for (name, alg) in bench::ALGS {
        let token = bench::mint(alg, 1);
        let cold = bench::jwt_config(alg).no_cache().build(None, None).unwrap();
        let warm = bench::jwt_config(alg).build(None, None).unwrap();
        let key = bench::decoding_key(alg);
        let validation = Validation::new(alg);
        assert!(cold.verify(&token).is_ok());
        assert!(jsonwebtoken::decode::<bench::Claims>(&token, &key, &validation).is_ok());
        let mut g = c.benchmark_group(format!("jwt/{name}"));
        g.bench_function("ours cold", |b| {
            b.iter(|| black_box(cold.verify(black_box(&token)).is_ok()))
        });
        g.bench_function("jsonwebtoken::decode", |b| {
            b.iter(|| {
                black_box(
                    jsonwebtoken::decode::<bench::Claims>(black_box(&token), &key, &validation)
                        .is_ok(),
                )
            })
        });
        g.bench_function("ours warm (cache)", |b| {
            b.iter(|| black_box(warm.verify(black_box(&token)).is_ok()))
        });
        // 2,000 cached tokens in turn.
        let pool: Vec<String> = (0..2_000).map(|i| bench::mint(alg, 100 + i)).collect();
        for t in &pool {
            assert!(warm.verify(t).is_ok());
        }
        let mut next = pool.iter().cycle();
        g.bench_function("ours warm, 2000 tokens in turn", |b| {
            b.iter(|| black_box(next.next().is_some_and(|t| warm.verify(t).is_ok())))
        });
        g.finish();
    }
}

criterion_group!(benches, policy, permissions, api_keys, jwt);
criterion_main!(benches);
