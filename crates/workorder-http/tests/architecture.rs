//! The dependency rule, checked: the domain knows no adapter and no framework, infra knows no
//! HTTP, and of the HTTP crate only the binary (`src/bin/`) knows infra. Cargo enforces the
//! first two through the manifests; the third is one package, so it is checked here.

#![expect(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use std::fs;
use std::path::{Path, PathBuf};

fn crate_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().join(name)
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The names in a manifest's `[dependencies]` table (not dev-dependencies).
fn dependencies(manifest: &Path) -> Vec<String> {
    let text = fs::read_to_string(manifest).unwrap();
    let mut in_dependencies = false;
    let mut names = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
        } else if in_dependencies && let Some((name, _)) = line.split_once(['=', '.']) {
            names.push(name.trim().to_owned());
        }
    }
    names
}

#[test]
fn no_handler_or_middleware_imports_the_infrastructure() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let bin = src.join("bin");
    let library: Vec<&PathBuf> = files.iter().filter(|f| !f.starts_with(&bin)).collect();
    assert!(library.len() >= 10, "the library's files were not found: {library:?}");
    for file in library {
        let text = fs::read_to_string(file).unwrap();
        assert!(
            !text.contains("workorder_infra"),
            "{} names workorder_infra; only src/bin/ may",
            file.display()
        );
    }
}

#[test]
fn the_domain_depends_on_no_adapter_and_no_framework() {
    let names = dependencies(&crate_dir("workorder-domain").join("Cargo.toml"));
    assert!(names.contains(&"thiserror".to_owned()), "the manifest was not read: {names:?}");
    for forbidden in
        ["workorder-infra", "workorder-http", "actix-web", "diesel", "r2d2", "tokio", "serde_json"]
    {
        assert!(!names.iter().any(|n| n == forbidden), "workorder-domain depends on {forbidden}");
    }
}

#[test]
fn the_infrastructure_knows_no_http() {
    let names = dependencies(&crate_dir("workorder-infra").join("Cargo.toml"));
    assert!(names.contains(&"diesel".to_owned()), "the manifest was not read: {names:?}");
    for forbidden in ["workorder-http", "actix-web"] {
        assert!(!names.iter().any(|n| n == forbidden), "workorder-infra depends on {forbidden}");
    }
}

/// The project's own copy of its contract is docs/contract.md: nothing may point outside the
/// repository, which a clone does not have.
#[test]
fn no_file_of_the_project_points_outside_the_repository() {
    let root = crate_dir("..");
    let mut files = Vec::new();
    for dir in ["crates", "docs", "tests", "bench", ".ci", "fuzz/fuzz_targets"] {
        all_files(&root.join(dir), &mut files);
    }
    files.extend(["README.md", "Containerfile", "Cargo.toml"].map(|f| root.join(f)));
    assert!(files.len() > 40, "the project's files were not found: {}", files.len());
    let outside = ["..", "shared"].join("/");
    for file in files {
        if let Ok(text) = fs::read_to_string(&file) {
            assert!(!text.contains(&outside), "{} points at {outside}", file.display());
        }
    }
}

fn all_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                all_files(&path, found);
            }
        } else {
            found.push(path);
        }
    }
}
