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
    symlink(&outside, import.join("link.json")).unwrap();
    assert!(refusal(&import, "link.json", 1024).contains("outside"));
    assert!(refusal(&import, "sub", 1024).contains("not a regular file"));
    assert!(refusal(&import, "missing.json", 1024).contains("no such file"));
    assert!(refusal(&import, "", 1024).contains("empty"));
    let status = std::process::Command::new("mkfifo")
        .arg(import.join("fifo"))
        .status()
        .unwrap();
    assert!(status.success());
    assert!(refusal(&import, "fifo", 1024).contains("not a regular file"));
    assert!(refusal(&import, "pvc.json", 1).contains("over the limit"));
}
