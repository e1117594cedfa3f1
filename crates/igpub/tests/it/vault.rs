//! Integration tests of `igpub::vault`: envelopes, associated data, key rings and rotation.

use igpub::store::{IntegrationId, TenantId};
use igpub::vault::{
    Envelope, KeyOrigin, KeyProblem, KeyRing, SECRET_KEYS_VARIABLE, TokenContext, Vault, VaultError,
};
use secrecy::{ExposeSecret, SecretString};

fn ring(keys: &[&SecretString]) -> KeyRing {
    let setting = keys
        .iter()
        .map(|k| k.expose_secret())
        .collect::<Vec<_>>()
        .join(",");
    KeyRing::from_setting(&SecretString::from(setting)).unwrap()
}

fn token() -> SecretString {
    SecretString::from("EAAGpagetoken0123456789")
}

fn integration_context() -> TokenContext {
    TokenContext::integration(TenantId::generate(), IntegrationId::generate())
}

fn setting_error(value: &str) -> VaultError {
    KeyRing::from_setting(&SecretString::from(value.to_owned())).unwrap_err()
}

#[test]
fn a_token_round_trips_through_the_text_form() {
    let vault = Vault::new(ring(&[&KeyRing::generate_key()]));
    let context = integration_context();
    let text = vault.encrypt(&token(), &context).unwrap().to_text();
    let opened = vault.decrypt(&text.parse().unwrap(), &context).unwrap();
    assert_eq!(opened.expose_secret(), token().expose_secret());
}

#[test]
fn the_envelope_names_version_key_id_nonce_and_ciphertext_and_nothing_else() {
    let ring = ring(&[&KeyRing::generate_key()]);
    let key_id = ring.active_key_id();
    let vault = Vault::new(ring);
    let envelope = vault.encrypt(&token(), &integration_context()).unwrap();
    let text = envelope.to_text();
    let parts: Vec<&str> = text.split('.').collect();
    assert_eq!(parts.len(), 4, "{text}");
    assert_eq!(parts[0], "v1");
    assert_eq!(parts[1], key_id.to_string());
    assert_eq!(parts[2].len(), 16, "a 96-bit nonce in base64url");
    let bytes = envelope.to_bytes();
    assert_eq!(bytes[0], 1);
    assert_eq!(bytes.len(), 1 + 8 + 12 + token().expose_secret().len() + 16);
    assert!(!text.contains("EAAG"));
}

#[test]
fn a_different_associated_data_does_not_decrypt() {
    let vault = Vault::new(ring(&[&KeyRing::generate_key()]));
    let tenant = TenantId::generate();
    let integration = IntegrationId::generate();
    let sealed_for = TokenContext::integration(tenant, integration);
    let envelope = vault.encrypt(&token(), &sealed_for).unwrap();
    for wrong in [
        TokenContext::integration(tenant, IntegrationId::generate()),
        TokenContext::integration(TenantId::generate(), integration),
        TokenContext::meta_app_secret(tenant),
    ] {
        assert!(matches!(
            vault.decrypt(&envelope, &wrong),
            Err(VaultError::Undecryptable)
        ));
    }
    assert!(vault.decrypt(&envelope, &sealed_for).is_ok());
}

#[test]
fn any_tampered_byte_of_nonce_or_ciphertext_fails_to_decrypt() {
    let vault = Vault::new(ring(&[&KeyRing::generate_key()]));
    let context = integration_context();
    let bytes = vault.encrypt(&token(), &context).unwrap().to_bytes();
    for index in 9..bytes.len() {
        let mut tampered = bytes.clone();
        tampered[index] ^= 0x01;
        let envelope = Envelope::from_bytes(&tampered).unwrap();
        assert!(
            matches!(
                vault.decrypt(&envelope, &context),
                Err(VaultError::Undecryptable)
            ),
            "byte {index} was not authenticated"
        );
    }
}

#[test]
fn an_envelope_of_a_key_outside_the_ring_names_that_key_id() {
    let foreign_ring = ring(&[&KeyRing::generate_key()]);
    let foreign_id = foreign_ring.active_key_id();
    let context = integration_context();
    let envelope = Vault::new(foreign_ring)
        .encrypt(&token(), &context)
        .unwrap();
    let vault = Vault::new(ring(&[&KeyRing::generate_key()]));
    match vault.decrypt(&envelope, &context) {
        Err(error @ VaultError::UnknownKey { key_id }) => {
            assert_eq!(key_id, foreign_id);
            let message = error.to_string();
            assert!(message.contains(&foreign_id.to_string()), "{message}");
            assert!(message.contains(SECRET_KEYS_VARIABLE), "{message}");
        }
        other => panic!("expected UnknownKey, got {other:?}"),
    }
}

#[test]
fn after_rotation_the_old_key_still_decrypts_until_resealed() {
    let old = KeyRing::generate_key();
    let new = KeyRing::generate_key();
    let context = integration_context();
    let old_envelope = Vault::new(ring(&[&old]))
        .encrypt(&token(), &context)
        .unwrap();

    let rotated = Vault::new(ring(&[&new, &old]));
    assert!(rotated.needs_rotation(&old_envelope));
    assert!(
        !old_envelope
            .to_text()
            .starts_with(&rotated.current_text_prefix())
    );
    assert_eq!(
        rotated
            .decrypt(&old_envelope, &context)
            .unwrap()
            .expose_secret(),
        token().expose_secret()
    );

    let resealed = rotated.reseal(&old_envelope, &context).unwrap();
    assert!(!rotated.needs_rotation(&resealed));
    assert!(
        resealed
            .to_text()
            .starts_with(&rotated.current_text_prefix())
    );
    let new_only = Vault::new(ring(&[&new]));
    assert_eq!(
        new_only
            .decrypt(&resealed, &context)
            .unwrap()
            .expose_secret(),
        token().expose_secret()
    );
    assert!(matches!(
        new_only.decrypt(&old_envelope, &context),
        Err(VaultError::UnknownKey { .. })
    ));
}

#[test]
fn the_first_key_of_the_setting_is_active_and_whitespace_is_ignored() {
    let first = KeyRing::generate_key();
    let second = KeyRing::generate_key();
    let setting = format!(" {} ,\n{} ,", first.expose_secret(), second.expose_secret());
    let ring = KeyRing::from_setting(&SecretString::from(setting)).unwrap();
    assert_eq!(ring.active_key_id(), self::ring(&[&first]).active_key_id());
    assert_eq!(ring.key_ids().count(), 2);
}

#[test]
fn generated_keys_are_32_random_bytes_of_base64() {
    use base64::Engine as _;
    let key = KeyRing::generate_key();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(key.expose_secret())
        .unwrap();
    assert_eq!(bytes.len(), 32);
    assert_ne!(key.expose_secret(), KeyRing::generate_key().expose_secret());
}

#[test]
fn no_key_at_all_stops_the_service_naming_both_settings() {
    let error = KeyRing::load(None, None).unwrap_err();
    assert!(matches!(error, VaultError::MissingKeys));
    let message = error.to_string();
    assert!(
        message.contains("IGPUB_SECRET_KEYS") && message.contains("secret_key_file"),
        "{message}"
    );
}

#[test]
fn an_empty_setting_is_refused_naming_it() {
    let error = setting_error(" , ");
    assert!(matches!(
        error,
        VaultError::EmptyKeyRing {
            origin: KeyOrigin::Setting
        }
    ));
    assert!(
        error.to_string().starts_with("IGPUB_SECRET_KEYS"),
        "{error}"
    );
}

#[test]
fn a_key_that_is_not_base64_is_refused_naming_the_setting_and_position() {
    let good = KeyRing::generate_key();
    let error = setting_error(&format!("{},not*base64", good.expose_secret()));
    match &error {
        VaultError::InvalidKey {
            origin: KeyOrigin::Setting,
            position: 2,
            problem: KeyProblem::NotBase64,
        } => {}
        other => panic!("unexpected {other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.starts_with("IGPUB_SECRET_KEYS") && message.contains("key #2"),
        "{message}"
    );
    assert!(
        !message.contains(good.expose_secret()),
        "a key leaked into {message}"
    );
}

#[test]
fn a_key_of_the_wrong_length_is_refused_with_its_length() {
    let error = setting_error("c2hvcnQ=");
    assert!(matches!(
        error,
        VaultError::InvalidKey {
            position: 1,
            problem: KeyProblem::WrongLength(5),
            ..
        }
    ));
    assert!(error.to_string().contains("5 bytes long"), "{error}");
}

#[test]
fn a_repeated_key_is_refused() {
    let key = KeyRing::generate_key();
    let error = setting_error(&format!("{0},{0}", key.expose_secret()));
    assert!(matches!(
        error,
        VaultError::InvalidKey {
            position: 2,
            problem: KeyProblem::Duplicate(1),
            ..
        }
    ));
}

#[test]
fn a_key_file_is_read_and_its_errors_name_its_path() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("keys.txt");
    let active = KeyRing::generate_key();
    let older = KeyRing::generate_key();
    std::fs::write(
        &path,
        format!(
            "# newest first\n{}\n\n{}\n",
            active.expose_secret(),
            older.expose_secret()
        ),
    )
    .unwrap();
    let loaded = KeyRing::load(None, Some(&path)).unwrap();
    assert_eq!(loaded.active_key_id(), ring(&[&active]).active_key_id());
    assert_eq!(loaded.key_ids().count(), 2);

    std::fs::write(&path, "not base64!\n").unwrap();
    let error = KeyRing::from_key_file(&path).unwrap_err();
    assert!(
        matches!(&error, VaultError::InvalidKey { origin: KeyOrigin::File(p), .. } if *p == path)
    );
    assert!(
        error.to_string().contains(&path.display().to_string()),
        "{error}"
    );

    let missing = directory.path().join("absent.txt");
    let error = KeyRing::from_key_file(&missing).unwrap_err();
    assert!(matches!(error, VaultError::KeyFileUnreadable { .. }));
    assert!(error.to_string().contains("absent.txt"), "{error}");
}

#[test]
fn the_setting_wins_over_the_key_file() {
    let key = KeyRing::generate_key();
    let ring = KeyRing::load(Some(&key), Some(std::path::Path::new("/nonexistent/keys"))).unwrap();
    assert_eq!(ring.active_key_id(), self::ring(&[&key]).active_key_id());
}

#[test]
fn debug_output_of_keys_rings_vaults_envelopes_and_tokens_is_redacted() {
    let key = KeyRing::generate_key();
    let vault = Vault::new(ring(&[&key]));
    let envelope = vault.encrypt(&token(), &integration_context()).unwrap();
    let ciphertext = envelope.to_text().rsplit('.').next().unwrap().to_owned();
    let shown = format!(
        "{key:?} {:?} {vault:?} {envelope:?} {:?}",
        ring(&[&key]),
        token()
    );
    assert!(!shown.contains(key.expose_secret()), "{shown}");
    assert!(!shown.contains(token().expose_secret()), "{shown}");
    assert!(!shown.contains(&ciphertext), "{shown}");
    assert!(
        shown.contains(&vault.key_ring().active_key_id().to_string()),
        "key ids are shown: {shown}"
    );
}
