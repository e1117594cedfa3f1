//! Token envelopes: every worker opens one per account it publishes to (cached after), and
//! every connect seals one. AES-256-GCM with the key ring's active key.

use std::str::FromStr;

use criterion::{Criterion, criterion_group, criterion_main};
use igpub::store::{IntegrationId, TenantId};
use igpub::vault::{Envelope, KeyRing, TokenContext, Vault};
use secrecy::SecretString;
use std::hint::black_box;

fn vault() -> Vault {
    let ring = KeyRing::from_setting(&KeyRing::generate_key()).expect("a generated key loads");
    Vault::new(ring)
}

fn envelopes(c: &mut Criterion) {
    let vault = vault();
    let context = TokenContext::integration(TenantId::generate(), IntegrationId::generate());
    // A Page token is about 200 characters.
    let token = SecretString::from("EAAB".repeat(50));
    let sealed = vault.encrypt(&token, &context).expect("sealing works");
    let text = sealed.to_text();
    c.bench_function("envelope/encrypt page token", |b| {
        b.iter(|| vault.encrypt(black_box(&token), &context))
    });
    c.bench_function("envelope/decrypt page token", |b| {
        b.iter(|| vault.decrypt(black_box(&sealed), &context))
    });
    c.bench_function("envelope/parse text form", |b| {
        b.iter(|| Envelope::from_str(black_box(&text)))
    });
}

criterion_group!(benches, envelopes);
criterion_main!(benches);
