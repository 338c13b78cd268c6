use std::os::unix::fs::symlink;

use super::*;

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let import = dir.path().join("import");
    std::fs::create_dir_all(import.join("sub")).unwrap();
    std::fs::write(import.join("pvc.json"), b"{}").unwrap();
    std::fs::write(dir.path().join("secret.json"), b"{}").unwrap();
    (dir, import)
}

/// The error text of resolving `given`, which must fail.
fn refusal(import: &Path, given: &str, max: u64) -> String {
    ImportPath::resolve(import, given, max)
        .unwrap_err()
        .to_string()
}

#[test]
fn accepts_files_inside_by_absolute_or_relative_path() {
    let (_d, import) = setup();
    let p = ImportPath::resolve(&import, "pvc.json", 1024).unwrap();
    assert_eq!(p.size, 2);
    assert_eq!(p.read(1024).unwrap(), b"{}");
    assert_eq!(p.file_name(), "pvc.json");
    let abs = import.join("sub/../pvc.json");
    assert!(ImportPath::resolve(&import, abs.to_str().unwrap(), 1024).is_ok());
}

#[test]
fn refuses_escapes_and_non_files() {
    let (d, import) = setup();
    let outside = d.path().join("secret.json");
    for given in [
        "../secret.json",
        outside.to_str().unwrap(),
        "sub/../../secret.json",
    ] {
        let e = refusal(&import, given, 1024);
        assert!(e.contains("outside the import directory"), "{given}: {e}");
        assert!(e.contains(given), "{e}");
    }
    // Past the text, a link that leads outside and a missing file get one answer.
    symlink(&outside, import.join("link.json")).unwrap();
    symlink(d.path().join("nothing.json"), import.join("dangling.json")).unwrap();
    for given in [
        "link.json",
        "dangling.json",
        "missing.json",
        "sub/missing.json",
    ] {
        let e = refusal(&import, given, 1024);
        assert_eq!(
            e,
            format!("{given:?}: no such file in the import directory"),
            "{given}"
        );
    }
    assert!(refusal(&import, "sub", 1024).contains("not a regular file"));
    assert!(refusal(&import, "", 1024).contains("empty"));
    let status = std::process::Command::new("mkfifo")
        .arg(import.join("fifo"))
        .status()
        .unwrap();
    assert!(status.success());
    assert!(refusal(&import, "fifo", 1024).contains("not a regular file"));
    assert!(refusal(&import, "pvc.json", 1).contains("over the limit"));
}

#[test]
fn the_text_alone_decides_what_is_outside() {
    let root = Path::new("/srv/import");
    for inside in [
        "a.json",
        "./a.json",
        "sub/../a.json",
        "/srv/import/a.json",
        "/srv/import/x/../a.json",
    ] {
        assert_eq!(
            within(root, root, Path::new(inside)).as_deref(),
            Some(Path::new("a.json")),
            "{inside}"
        );
    }
    for outside in [
        "../a.json",
        "sub/../../a.json",
        "/srv/imported/a.json",
        "/srv/a.json",
        "/srv/import/../a.json",
        "/../srv/import/a.json/../../../x",
        "/etc/passwd",
    ] {
        assert_eq!(within(root, root, Path::new(outside)), None, "{outside}");
    }
    // Either spelling of the directory, as configured or as resolved, is accepted.
    let resolved = Path::new("/data/srv/import");
    assert!(within(root, resolved, Path::new("/data/srv/import/a.json")).is_some());
    assert!(within(root, resolved, Path::new("/srv/import/a.json")).is_some());
}

#[test]
fn refusals_do_not_name_server_paths_and_cut_long_input() {
    let (d, import) = setup();
    let outside = d.path().join("secret.json");
    let e = refusal(&import, outside.to_str().unwrap(), 1024);
    assert!(!e.contains(import.to_str().unwrap()), "{e}");
    let long = "x/".repeat(10_000);
    let e = refusal(&import, &long, 1024);
    assert!(e.len() < 400, "{}", e.len());
    let gone = d.path().join("gone");
    let e = refusal(&gone, "a.json", 1024);
    assert!(!e.contains(gone.to_str().unwrap()), "{e}");
}
