//! The dependency walk on this test binary (dynamic, needs libc) and on
//! made-up trees of small ELF files that pin the search order: `$ORIGIN`,
//! RPATH inheritance, `ld.so.conf`, skipped foreign candidates, missing names.

use super::*;

#[path = "../tests/support/fake_elf.rs"]
mod fake_elf;
use fake_elf::{fake_elf, Fake};

const X86_64: u16 = 62;
const AARCH64: u16 = 183;

fn put(root: &Path, path: &str, fake: &Fake<'_>) -> Vec<u8> {
    let bytes = fake_elf(fake);
    let path = root.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    bytes
}

fn image_paths(files: &RuntimeFiles) -> Vec<&str> {
    files.libraries.iter().map(|library| library.image_path.as_str()).collect()
}

/// A loader at /lib64/ld-test.so.2 that libc names by its soname, and a libc.
fn put_loader_and_libc(root: &Path, libc_dir: &str) {
    let loader = Fake { machine: X86_64, soname: Some("ld-test.so.2"), ..Fake::default() };
    put(root, "lib64/ld-test.so.2", &loader);
    let libc = Fake { machine: X86_64, soname: Some("libc.so.6"), needed: &["ld-test.so.2"], ..Fake::default() };
    put(root, &format!("{libc_dir}/libc.so.6"), &libc);
}

#[test]
fn this_test_binary_needs_its_loader_and_libc() {
    let path = std::env::current_exe().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let interpreter = read_elf(&path, &bytes).unwrap().interpreter.expect("test binaries are dynamic");
    let files = runtime_files(&path, &bytes).unwrap();
    let paths = image_paths(&files);
    assert!(paths.contains(&normalize(&interpreter).as_str()), "{paths:?}");
    assert!(paths.iter().any(|path| path.ends_with("/libc.so.6")), "{paths:?}");
    assert!(paths.windows(2).all(|pair| pair[0] < pair[1]), "sorted, each once: {paths:?}");
    for library in &files.libraries {
        assert_eq!(library.bytes, std::fs::read(&library.host_path).unwrap(), "the real file's bytes");
    }
}

#[test]
fn non_elf_files_and_static_binaries() {
    let error = runtime_files(Path::new("run.sh"), b"#!/bin/sh\necho hi\n").unwrap_err().to_string();
    assert_eq!(error, "run.sh: not a 64-bit ELF executable");
    let error = runtime_files(Path::new("tiny"), b"\x7fELF").unwrap_err().to_string();
    assert_eq!(error, "tiny: not a 64-bit ELF executable");
    let static_binary = fake_elf(&Fake { machine: X86_64, ..Fake::default() });
    let files = runtime_files(Path::new("static"), &static_binary).unwrap();
    assert!(files.libraries.is_empty() && files.library_path.is_empty(), "a static binary needs nothing");
}

#[test]
fn origin_is_the_binary_folder_here_and_the_image_root_there() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    put_loader_and_libc(root, "lib/x86_64-linux-gnu");
    let binary = Fake {
        machine: X86_64,
        interpreter: Some("/lib64/ld-test.so.2"),
        needed: &["libmodel.so.1", "libc.so.6", "ld-test.so.2"],
        runpath: Some("$ORIGIN/../lib"),
        ..Fake::default()
    };
    let binary = put(root, "build/bin/app", &binary);
    // libmodel is read through a symlink: the image gets the real file's bytes.
    let real =
        put(root, "build/lib/libmodel.so.1.2.3", &Fake { machine: X86_64, needed: &["libc.so.6"], ..Fake::default() });
    std::os::unix::fs::symlink("libmodel.so.1.2.3", root.join("build/lib/libmodel.so.1")).unwrap();
    let files = runtime_files_under(root, &root.join("build/bin/app"), &binary).unwrap();
    assert_eq!(image_paths(&files), ["/lib/libmodel.so.1", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-test.so.2"]);
    assert_eq!(files.libraries[0].bytes, real);
    assert!(files.library_path.is_empty());
}

#[test]
fn rpath_is_inherited_until_a_runpath_and_conf_dirs_need_a_library_path() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    put_loader_and_libc(root, "opt/conf");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/ld.so.conf"), "/opt/conf\n").unwrap();
    let binary = Fake {
        machine: X86_64,
        interpreter: Some("/lib64/ld-test.so.2"),
        needed: &["liba.so"],
        rpath: Some("/opt/rpath"),
        ..Fake::default()
    };
    let binary = put(root, "app", &binary);
    // liba has no RUNPATH, so the binary's RPATH finds libb for it.
    put(root, "usr/lib/x86_64-linux-gnu/liba.so", &Fake { machine: X86_64, needed: &["libb.so"], ..Fake::default() });
    put(root, "opt/rpath/libb.so", &Fake { machine: X86_64, needed: &["libc.so.6"], ..Fake::default() });
    // An arm64 libc earlier in the search is skipped, as the loader skips it.
    put(root, "opt/rpath/libc.so.6", &Fake { machine: AARCH64, ..Fake::default() });
    let files = runtime_files_under(root, &root.join("app"), &binary).unwrap();
    assert_eq!(
        image_paths(&files),
        ["/lib64/ld-test.so.2", "/opt/conf/libc.so.6", "/opt/rpath/libb.so", "/usr/lib/x86_64-linux-gnu/liba.so"]
    );
    assert_eq!(files.library_path, ["/opt/conf"], "the image has no ld.so.cache");

    // A RUNPATH on liba stops the inheritance: libb is then nowhere liba's loader looks.
    put(
        root,
        "usr/lib/x86_64-linux-gnu/liba.so",
        &Fake { machine: X86_64, needed: &["libb.so"], runpath: Some("/opt/elsewhere"), ..Fake::default() },
    );
    let error = runtime_files_under(root, &root.join("app"), &binary).unwrap_err().to_string();
    assert!(
        error.starts_with(&format!(
            "{}: libb.so (needed by /usr/lib/x86_64-linux-gnu/liba.so)",
            root.join("app").display()
        )),
        "{error}"
    );
    assert!(
        error.contains("/opt/elsewhere, /opt/conf, /lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu, /lib64"),
        "{error}"
    );
}

#[test]
fn a_missing_loader_is_named() {
    let root = tempfile::tempdir().unwrap();
    let binary = fake_elf(&Fake { machine: X86_64, interpreter: Some("/lib/ld-gone.so.1"), ..Fake::default() });
    let error = runtime_files_under(root.path(), Path::new("app"), &binary).unwrap_err().to_string();
    assert!(error.starts_with("app: its dynamic loader /lib/ld-gone.so.1 (PT_INTERP) cannot be read here"), "{error}");
}

#[test]
fn paths_are_normalised_inside_the_image() {
    assert_eq!(normalize("/../lib"), "/lib");
    assert_eq!(normalize("/a/./b//../c/"), "/a/c");
    assert_eq!(normalize("lib"), "/lib");
    assert_eq!(parent("/lib/x86_64-linux-gnu/libc.so.6"), "/lib/x86_64-linux-gnu");
}
