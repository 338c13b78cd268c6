//! The example configuration documents every key with its default.

use depotd::config::{Config, FileConfig};

const EXAMPLE: &str = include_str!("../../../../docs/config.example.toml");

#[test]
fn example_lists_every_key_with_its_default() {
    let parsed = FileConfig::parse(EXAMPLE).expect("the example parses with unknown keys refused");
    let as_json = serde_json::to_value(&parsed).unwrap();
    no_nulls(&as_json, "");
    let mut config = Config::default();
    parsed.apply(&mut config).unwrap();
    assert_eq!(
        config,
        Config::default(),
        "the example's values are the defaults"
    );
}

fn no_nulls(v: &serde_json::Value, path: &str) {
    match v {
        serde_json::Value::Null => {
            panic!("config key {path} is not in docs/config.example.toml")
        }
        serde_json::Value::Object(o) => o
            .iter()
            .for_each(|(k, v)| no_nulls(v, &format!("{path}.{k}"))),
        _ => {}
    }
}

#[test]
fn unknown_and_bad_keys_are_named() {
    let err = FileConfig::parse("lisen = \"x\"").unwrap_err();
    assert!(format!("{err:#}").contains("lisen"), "{err:#}");
    let mut c = Config::default();
    let err = FileConfig::parse("listen = \"nope\"")
        .unwrap()
        .apply(&mut c)
        .unwrap_err();
    assert!(format!("{err:#}").contains("listen"), "{err:#}");
    let err = FileConfig::parse("[log]\nformat = \"xml\"")
        .unwrap()
        .apply(&mut c)
        .unwrap_err();
    assert!(format!("{err:#}").contains("xml"), "{err:#}");
}

#[test]
fn flags_override_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("depotd.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:9001\"\nsecret_key_file = \"/etc/depotd/secret.key\"\n\
         [tasks]\nworkers = 7\n",
    )
    .unwrap();
    let flags = depotd::config::ConfigFlags {
        config: Some(file.clone()),
        listen: Some("127.0.0.1:9002".to_owned()),
        ..Default::default()
    };
    let c = Config::load(&flags).unwrap();
    assert_eq!(c.listen.port(), 9002);
    assert_eq!(c.task_workers, 7);
    assert_eq!(c.secret_key_file, Some("/etc/depotd/secret.key".into()));
    let flags = depotd::config::ConfigFlags {
        config: Some(file),
        secret_key_file: Some("/run/secrets/depotd.key".into()),
        ..Default::default()
    };
    assert_eq!(
        Config::load(&flags).unwrap().secret_key_file,
        Some("/run/secrets/depotd.key".into())
    );
    let bad = depotd::config::ConfigFlags {
        tls_cert: Some("/x.pem".into()),
        ..Default::default()
    };
    assert!(
        Config::load(&bad)
            .unwrap_err()
            .to_string()
            .contains("tls_key")
    );
}
