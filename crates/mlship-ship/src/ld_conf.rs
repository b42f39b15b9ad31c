//! The directories listed in `/etc/ld.so.conf` and the files it includes
//! (`include /etc/ld.so.conf.d/*.conf` on most distributions): what
//! `ldconfig` builds the loader's cache from, read directly so the library
//! search does not depend on the cache file's binary format.
//!
//! As `ldconfig` reads it: `#` starts a comment, one directory per line,
//! `include PATTERN…` with patterns relative to the including file's folder,
//! `hwcap` lines ignored. Patterns may use `*` and `?` in their last component
//! (what distributions ship); matches are read in name order, as glob(3)
//! returns them. A missing file is an empty list: the loader then searches its
//! default directories only.

use std::path::Path;

/// Deep enough for any real configuration; stops an include cycle.
const MAX_INCLUDE_DEPTH: usize = 8;

/// The directories `/etc/ld.so.conf` lists, in order, as absolute paths; read under `root`.
pub fn dirs(root: &Path) -> Vec<String> {
    let mut dirs = Vec::new();
    read_file(root, "/etc/ld.so.conf", 0, &mut dirs);
    dirs
}

fn read_file(root: &Path, file: &str, depth: usize, dirs: &mut Vec<String>) {
    if depth > MAX_INCLUDE_DEPTH {
        return;
    }
    let Ok(text) = std::fs::read_to_string(root.join(file.trim_start_matches('/'))) else {
        return;
    };
    let folder = file.rsplit_once('/').map_or("", |(folder, _)| folder);
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if let Some(patterns) = line.strip_prefix("include").filter(|rest| rest.starts_with([' ', '\t'])) {
            for pattern in patterns.split_whitespace() {
                let pattern =
                    if pattern.starts_with('/') { pattern.to_string() } else { format!("{folder}/{pattern}") };
                for included in expand(root, &pattern) {
                    read_file(root, &included, depth + 1, dirs);
                }
            }
        } else if line.starts_with('/') {
            // Relative directories are ignored, as ldconfig ignores them.
            let dir = line.trim_end_matches('/');
            let dir = if dir.is_empty() { "/" } else { dir };
            if !dirs.iter().any(|known| known == dir) {
                dirs.push(dir.to_string());
            }
        }
    }
}

/// The files a pattern names, sorted; wildcards only in the last component.
fn expand(root: &Path, pattern: &str) -> Vec<String> {
    let (folder, name_pattern) = pattern.rsplit_once('/').unwrap_or(("", pattern));
    if !name_pattern.contains(['*', '?']) {
        return vec![pattern.to_string()];
    }
    let Ok(entries) = std::fs::read_dir(root.join(folder.trim_start_matches('/'))) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| !name.starts_with('.') && wildcard_match(name_pattern.as_bytes(), name.as_bytes()))
        .collect();
    names.sort();
    names.into_iter().map(|name| format!("{folder}/{name}")).collect()
}

fn wildcard_match(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            wildcard_match(&pattern[1..], name) || (!name.is_empty() && wildcard_match(pattern, &name[1..]))
        }
        (Some(b'?'), Some(_)) => wildcard_match(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => wildcard_match(&pattern[1..], &name[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn includes_are_followed_in_name_order_and_comments_dropped() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        write(root, "etc/ld.so.conf", "# the distribution's\ninclude /etc/ld.so.conf.d/*.conf\n/opt/last/\n");
        write(root, "etc/ld.so.conf.d/b.conf", "/usr/lib/b\n");
        write(root, "etc/ld.so.conf.d/a.conf", "/usr/local/lib  # local builds\n\nhwcap 0 nosegneg\n");
        write(root, "etc/ld.so.conf.d/ignored.txt", "/not/this\n");
        assert_eq!(dirs(root), ["/usr/local/lib", "/usr/lib/b", "/opt/last"]);
    }

    #[test]
    fn relative_includes_cycles_and_a_missing_file_are_handled() {
        let root = tempfile::tempdir().unwrap();
        assert!(dirs(root.path()).is_empty(), "no ld.so.conf: no directories");
        write(root.path(), "etc/ld.so.conf", "include conf.d/loop.conf\n");
        write(root.path(), "etc/conf.d/loop.conf", "/x\ninclude /etc/conf.d/loop.conf\n");
        assert_eq!(dirs(root.path()), ["/x"]);
    }

    #[test]
    fn wildcards_match_as_glob_does() {
        assert!(wildcard_match(b"*.conf", b"libc.conf"));
        assert!(wildcard_match(b"x86_64-?.conf", b"x86_64-a.conf"));
        assert!(!wildcard_match(b"*.conf", b"libc.conf.bak"));
        assert!(wildcard_match(b"*", b""));
    }
}
