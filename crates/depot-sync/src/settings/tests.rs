use super::*;

fn sealer() -> SecretBox {
    SecretBox::new(&[3; 32])
}

fn offline(url: &str, user: &str, password: Option<&str>) -> SettingsInput {
    SettingsInput {
        offline_account: Some(AccountInput {
            username: Some(user.to_owned()),
            password: password.map(Secret::new),
            ..AccountInput::default()
        }),
        configuration: Some(ConfigurationInput {
            is_offline_depot: Some(true),
            url: Some(url.to_owned()),
            ..ConfigurationInput::default()
        }),
        ..SettingsInput::default()
    }
}

#[test]
fn secrets_are_sealed_hidden_and_kept_when_omitted() {
    let s = sealer();
    let doc = Document::from_input(
        offline("https://d.example:8443/PROD", "u", Some("pw")),
        None,
        &s,
    )
    .unwrap();
    let text = doc.encode();
    assert!(!text.contains("pw\""), "{text}");
    let view = doc.view();
    assert_eq!(view.offline_account.unwrap().username.as_deref(), Some("u"));
    assert_eq!(doc.base_url(), "https://d.example:8443/");
    // A PUT of what GET showed (no password) keeps the stored one.
    let again = Document::from_input(
        offline("https://d.example:8443/", "u", None),
        Some(&doc),
        &s,
    )
    .unwrap();
    let settings = again.client_settings(&SyncConfig::default(), &s).unwrap();
    match settings.auth {
        DepotAuth::Basic { username, password } => {
            assert_eq!(username, "u");
            assert_eq!(password.expose(), "pw");
        }
        other => panic!("{other:?}"),
    }
    assert!(again.same_depot(&doc, &s) == (again.url == doc.url));
    // Another user name does not inherit the password.
    let other =
        Document::from_input(offline("https://d.example/", "v", None), Some(&doc), &s).unwrap();
    assert!(other.offline_account.unwrap().password.is_none());
}

#[test]
fn online_depot_uses_the_token_in_the_path() {
    let s = sealer();
    let input = SettingsInput {
        vmware_account: Some(AccountInput {
            download_token: Some(Secret::new("tok")),
            ..AccountInput::default()
        }),
        ..SettingsInput::default()
    };
    let doc = Document::from_input(input, None, &s).unwrap();
    assert_eq!(doc.base_url(), DEFAULT_ONLINE_URL);
    let settings = doc.client_settings(&SyncConfig::default(), &s).unwrap();
    assert!(
        matches!(settings.auth, DepotAuth::DownloadToken { ref token, .. } if token.expose() == "tok")
    );
}

#[test]
fn bad_settings_name_the_field() {
    let s = sealer();
    let err = |input: SettingsInput| {
        Document::from_input(input, None, &s)
            .unwrap_err()
            .to_string()
    };
    let mut no_url = offline("", "u", Some("p"));
    assert!(err(no_url.clone()).contains("depotConfiguration.url"));
    no_url.configuration.as_mut().unwrap().url = Some("https://x/".to_owned());
    no_url.configuration.as_mut().unwrap().trusted_certificates = Some(vec!["junk".to_owned()]);
    assert!(err(no_url.clone()).contains("trustedCertificates[0]"));
    no_url.configuration.as_mut().unwrap().trusted_certificates = None;
    no_url.configuration.as_mut().unwrap().port = Some(70_000);
    assert!(err(no_url).contains("depotConfiguration.port"));
    assert!(err(SettingsInput::default()).contains("vmwareAccount"));
    let empty_account = SettingsInput {
        vmware_account: Some(AccountInput::default()),
        ..SettingsInput::default()
    };
    assert!(err(empty_account).contains("downloadToken"));
}
