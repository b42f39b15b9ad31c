//! Images built from nothing are reproducible to the byte and well formed;
//! a dynamic binary brings its loader and libraries; manifests carry what
//! production needs.

// Tests and benches fail by panicking with the value; clippy.toml's test
// allowances do not reach their helper functions.
#![allow(clippy::unwrap_used)]

use mlship_ship::image::{self, sha256_digest};
use mlship_ship::manifests::{self, DeploySpec};
use std::path::{Path, PathBuf};

#[path = "support/fake_elf.rs"]
mod fake_elf;

fn golden() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../mlship-artifact/tests/golden/insurance_v1.mlship")
}

/// A minimal static ELF64 executable header: one PT_LOAD program header, no PT_INTERP.
fn fake_static_binary(dir: &Path) -> PathBuf {
    let mut bytes = vec![0u8; 64 + 56];
    bytes[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
    bytes[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
    bytes[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
    bytes[56..58].copy_from_slice(&1u16.to_le_bytes()); // e_phnum
    bytes[64..68].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    bytes.extend_from_slice(b"pretend machine code");
    let path = dir.join("mlship-static");
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A small dynamically linked executable: this test binary's loader and
/// machine, needing libc.so.6 (an image of the 100 MB debug test binary itself
/// would spend a minute in unoptimised gzip).
fn small_dynamic_binary(dir: &Path) -> PathBuf {
    use object::read::elf::{FileHeader, ProgramHeader};
    let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    let header = object::elf::FileHeader64::<object::Endianness>::parse(exe.as_slice()).unwrap();
    let endian = header.endian().unwrap();
    let segments = header.program_headers(endian, exe.as_slice()).unwrap();
    let interpreter = segments.iter().find_map(|segment| segment.interpreter(endian, exe.as_slice()).unwrap());
    let interpreter = std::str::from_utf8(interpreter.expect("test binaries are dynamic")).unwrap();
    let fake = fake_elf::Fake {
        machine: header.e_machine(endian).0,
        interpreter: Some(interpreter),
        needed: &["libc.so.6"],
        ..fake_elf::Fake::default()
    };
    let path = dir.join("mlship-dynamic");
    std::fs::write(&path, fake_elf::fake_elf(&fake)).unwrap();
    path
}

#[test]
fn building_twice_gives_the_same_digest() {
    let dir = tempfile::tempdir().unwrap();
    let binary = fake_static_binary(dir.path());
    let first = image::build(&binary, &golden(), 5000).unwrap();
    let second = image::build(&binary, &golden(), 5000).unwrap();
    assert_eq!(first.manifest_digest(), second.manifest_digest());
    assert_eq!(first.layer_gz, second.layer_gz);
    // A different model is a different image.
    let other = dir.path().join("other.mlship");
    let artifact = mlship_artifact::Artifact::load(&golden()).unwrap();
    let mut changed = artifact.clone();
    changed.name = "other".to_string();
    changed.save(&other).unwrap();
    assert_ne!(image::build(&binary, &other, 5000).unwrap().manifest_digest(), first.manifest_digest());
}

#[test]
fn the_image_runs_the_server_as_non_root_with_labels() {
    let dir = tempfile::tempdir().unwrap();
    let built = image::build(&fake_static_binary(dir.path()), &golden(), 5000).unwrap();
    let config: serde_json::Value = serde_json::from_slice(&built.config).unwrap();
    assert_eq!(config["config"]["User"], "65532:65532");
    assert_eq!(config["config"]["Entrypoint"], serde_json::json!(["/mlship"]));
    assert_eq!(config["config"]["Cmd"][0], "serve");
    assert!(config["config"]["ExposedPorts"]["5000/tcp"].is_object());
    let labels = &config["config"]["Labels"];
    assert_eq!(labels["io.mlship.model.name"], "deployment_28042020");
    assert_eq!(labels["io.mlship.data.rows"], "1338");
    assert!(labels["io.mlship.metrics.holdout.r2"].as_str().unwrap().starts_with("0.8556"));
    assert_eq!(config["rootfs"]["diff_ids"][0], built.diff_id());
    let mut archive = tar::Archive::new(built.layer_tar.as_slice());
    let entries: Vec<(String, u32, u64, u64)> = archive
        .entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let header = e.header();
            (
                e.path().unwrap().display().to_string(),
                header.mode().unwrap(),
                header.mtime().unwrap(),
                header.uid().unwrap(),
            )
        })
        .collect();
    let names: Vec<&str> = entries.iter().map(|(n, ..)| n.as_str()).collect();
    assert_eq!(
        names,
        ["etc/", "etc/group", "etc/passwd", "mlship", "model.mlship", "var/", "var/log/", "var/log/mlship/"],
        "no shell, nothing else"
    );
    assert!(entries.iter().all(|(_, _, mtime, _)| *mtime == 0));
    assert_eq!(entries[3].1, 0o755);
    // Inference logs on by default, into a volume the non-root user owns.
    let owners: Vec<u64> = entries.iter().map(|(.., uid)| *uid).collect();
    assert_eq!(owners, [0, 0, 0, 0, 0, 0, 0, 65532], "only the log folder is the server's");
    assert_eq!(config["config"]["Volumes"], serde_json::json!({ "/var/log/mlship": {} }));
    let cmd: Vec<&str> = config["config"]["Cmd"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(cmd.windows(2).any(|w| w == ["--log-inferences", "/var/log/mlship"]), "{cmd:?}");
}

#[test]
fn an_image_from_the_registry_is_labelled_with_its_name_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let identity =
        image::RegistryIdentity { name: "insurance".into(), version: 3, reference: "insurance@production".into() };
    let built = image::build_with_identity(&fake_static_binary(dir.path()), &golden(), 5000, Some(&identity)).unwrap();
    let config: serde_json::Value = serde_json::from_slice(&built.config).unwrap();
    let labels = &config["config"]["Labels"];
    assert_eq!(labels["io.mlship.model.name"], "insurance");
    assert_eq!(labels["io.mlship.model.version"], "3");
    assert_eq!(labels["org.opencontainers.image.version"], "3");
    assert_eq!(labels["io.mlship.registry.reference"], "insurance@production");
    assert_eq!(labels["io.mlship.model.sha256"].as_str().unwrap().len(), 64, "the digest is still there");
    let plain = image::build(&fake_static_binary(dir.path()), &golden(), 5000).unwrap();
    assert_ne!(plain.manifest_digest(), built.manifest_digest());
}

#[test]
fn the_serving_port_is_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let built = image::build(&fake_static_binary(dir.path()), &golden(), 8080).unwrap();
    let config: serde_json::Value = serde_json::from_slice(&built.config).unwrap();
    assert_eq!(config["config"]["Cmd"][6], "8080");
    assert!(config["config"]["ExposedPorts"]["8080/tcp"].is_object());
    let mut spec = DeploySpec::for_image("insurance:1").unwrap();
    spec.container_port = 8080;
    assert!(manifests::kubernetes(&spec).unwrap().contains("containerPort: 8080"));
    assert!(manifests::compose(&spec, 80).unwrap().contains("server model:8080"));
}

#[test]
fn oci_layout_and_docker_archive_are_well_formed() {
    let dir = tempfile::tempdir().unwrap();
    let built = image::build(&fake_static_binary(dir.path()), &golden(), 5000).unwrap();
    let layout = dir.path().join("layout");
    image::write_oci_layout(&built, &layout, "localhost:5001/insurance:1").unwrap();
    let index: serde_json::Value = serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    assert_eq!(index["manifests"][0]["digest"], built.manifest_digest());
    for digest in [built.manifest_digest(), built.config_digest(), built.layer_digest()] {
        let blob = std::fs::read(layout.join("blobs/sha256").join(digest.trim_start_matches("sha256:"))).unwrap();
        assert_eq!(sha256_digest(&blob), digest, "each blob is stored under its own digest");
    }
    let archive_path = dir.path().join("image.tar");
    image::write_docker_archive(&built, &archive_path, "localhost:5001/insurance:1").unwrap();
    let bytes = std::fs::read(&archive_path).unwrap();
    let mut archive = tar::Archive::new(bytes.as_slice());
    let mut manifest = None;
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().to_str() == Some("manifest.json") {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
            manifest = Some(serde_json::from_str::<serde_json::Value>(&text).unwrap());
        }
    }
    assert_eq!(manifest.unwrap()[0]["RepoTags"][0], "localhost:5001/insurance:1");
}

#[test]
fn a_dynamic_binary_brings_its_loader_and_libraries_and_foreign_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Linked against glibc dynamically, as the default release mlship is.
    let exe = small_dynamic_binary(dir.path());
    let built = image::build(&exe, &golden(), 5000).unwrap();
    assert!(built.libraries.iter().any(|path| path.ends_with("/libc.so.6")), "{:?}", built.libraries);
    let mut archive = tar::Archive::new(built.layer_tar.as_slice());
    let names: Vec<String> =
        archive.entries().unwrap().map(|e| e.unwrap().path().unwrap().display().to_string()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "entries in a fixed order");
    for library in &built.libraries {
        let path = library.trim_start_matches('/');
        assert!(names.iter().any(|name| name == path), "{path} is in the layer: {names:?}");
        let parent = &path[..=path.rfind('/').unwrap()];
        assert!(names.iter().any(|name| name == parent), "{parent} is a folder entry: {names:?}");
    }
    assert!(!names.iter().any(|name| name.ends_with("/sh") || name.ends_with("bin/")), "no shell: {names:?}");
    assert_eq!(image::build(&exe, &golden(), 5000).unwrap().manifest_digest(), built.manifest_digest());
    let script = dir.path().join("run.sh");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    let error = image::build(&script, &golden(), 5000).unwrap_err().to_string();
    assert!(error.ends_with("run.sh: not a 64-bit ELF executable"), "{error}");
}

#[test]
fn kubernetes_manifests_carry_probes_limits_and_autoscaling() {
    let mut spec = DeploySpec::for_image("registry.example.com/team/Insurance_Model:3").unwrap();
    assert_eq!(spec.name, "insurance-model");
    spec.min_replicas = 3;
    spec.max_replicas = 7;
    let text = manifests::kubernetes(&spec).unwrap();
    assert_eq!(text.matches("\n---\n").count(), 3, "four documents");
    for kind in [
        "kind: \"Deployment\"",
        "kind: \"Service\"",
        "kind: \"HorizontalPodAutoscaler\"",
        "kind: \"PodDisruptionBudget\"",
    ] {
        assert!(text.contains(kind), "{kind}");
    }
    for needle in [
        "path: \"/readyz\"",
        "path: \"/healthz\"",
        "runAsNonRoot: true",
        "readOnlyRootFilesystem: true",
        "terminationGracePeriodSeconds: 30",
        "\"--grace-period\"\n        - \"20\"",
        "minReplicas: 3",
        "maxReplicas: 7",
        "averageUtilization: 70",
        "memory: \"256Mi\"",
        "cpu: \"100m\"",
        "maxUnavailable: 0",
        // Kubernetes' own sleep action (1.30+): the image has no shell to run `sleep`.
        "lifecycle:\n          preStop:\n            sleep:\n              seconds: 5",
        "\"--drain-seconds\"\n        - \"0\"",
        // Inference logs into the pod's emptyDir, under a budget half its size limit.
        "\"--log-inferences\"\n        - \"/var/log/mlship\"",
        "\"--log-max-bytes\"\n        - \"536870912\"",
        "mountPath: \"/var/log/mlship\"",
        "sizeLimit: \"1Gi\"",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    spec.min_replicas = 8;
    assert!(manifests::kubernetes(&spec)
        .unwrap_err()
        .to_string()
        .contains("--min must be at least 1 and at most --max"));
    spec.min_replicas = 1;
    spec.name = "Bad_Name".into();
    assert!(manifests::kubernetes(&spec).unwrap_err().to_string().contains("not a valid Kubernetes name"));
}

#[test]
fn compose_puts_replicas_behind_nginx() {
    let mut spec = DeploySpec::for_image("localhost:5001/insurance:1").unwrap();
    spec.replicas = 3;
    let text = manifests::compose(&spec, 8080).unwrap();
    for needle in [
        "replicas: 3",
        "image: \"nginx:stable\"",
        "- \"8080:80\"",
        "\"/mlship\"",
        "\"healthcheck\"",
        "proxy_next_upstream error timeout http_502 http_503",
        "read_only: true",
        "user: \"65532:65532\"",
        "\"--drain-seconds\"",
        "stop_grace_period: \"30s\"",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}
