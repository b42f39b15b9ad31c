//! What a dynamically linked binary needs at run time, read from its ELF
//! headers: the dynamic loader named by `PT_INTERP`, then every `DT_NEEDED`
//! library of the binary and, recursively, of each library, found the way
//! glibc's loader finds them. An image built from nothing carries exactly
//! these files, so the default (dynamic) release build runs in it.
//!
//! The search follows `ld.so(8)`: a name with a slash is a path; otherwise
//! `DT_RPATH` of the loading object and its loaders (only while the loading
//! object has no `DT_RUNPATH`), then its `DT_RUNPATH`, then the directories of
//! `/etc/ld.so.conf` (what `/etc/ld.so.cache` is built from), then the loader's
//! default directories. A candidate of another ELF class or machine is skipped,
//! as the loader skips it. `glibc-hwcaps` subdirectories are not searched: the
//! baseline copy runs on every CPU the image may land on.
//!
//! Two paths per file: where it is read on this machine and where the loader
//! inside the image looks it up. They differ only for `$ORIGIN`, which is the
//! binary's folder here and `/` in the image (the binary is `/mlship`). The
//! image has no `ld.so.cache`, so a library found only through an
//! `ld.so.conf` directory is reached by `LD_LIBRARY_PATH` in the image config.
//! `ldd` is not run: it executes the binary's loader, and its output is text
//! meant for people.

use crate::ld_conf;
use crate::ShipError;
use object::elf;
use object::read::elf::{Dyn, FileHeader, ProgramHeader};
use object::Endianness;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// A file the image needs besides the binary: the loader or a shared library.
#[derive(Debug, Clone)]
pub struct SharedLibrary {
    /// Absolute path inside the image, e.g. `/lib/x86_64-linux-gnu/libc.so.6`.
    pub image_path: String,
    /// Where it was read on this machine (symlinks followed when reading).
    pub host_path: PathBuf,
    /// Its contents, as copied into the image.
    pub bytes: Vec<u8>,
}

/// Everything a binary needs at run time; empty for a static binary.
#[derive(Debug, Clone, Default)]
pub struct RuntimeFiles {
    /// The loader and the libraries, sorted by image path.
    pub libraries: Vec<SharedLibrary>,
    /// Directories (from `ld.so.conf`, outside the loader's defaults) the
    /// image's loader must be told about with `LD_LIBRARY_PATH`.
    pub library_path: Vec<String>,
}

/// The parts of an ELF file the loader reads to link it.
#[derive(Debug, Default)]
struct ElfInfo {
    machine: u16,
    interpreter: Option<String>,
    needed: Vec<String>,
    soname: Option<String>,
    rpath: Vec<String>,
    runpath: Option<Vec<String>>,
}

fn binary_error(path: &Path, message: impl Into<String>) -> ShipError {
    ShipError::Binary { path: path.display().to_string(), message: message.into() }
}

/// Reads the program headers and the dynamic segment (what the loader uses;
/// section headers may be stripped).
fn read_elf(path: &Path, bytes: &[u8]) -> Result<ElfInfo, ShipError> {
    let header =
        elf::FileHeader64::<Endianness>::parse(bytes).map_err(|_| binary_error(path, "not a 64-bit ELF executable"))?;
    let endian = header.endian().map_err(|e| binary_error(path, e.to_string()))?;
    let segments = header.program_headers(endian, bytes).map_err(|e| binary_error(path, e.to_string()))?;
    let mut info = ElfInfo { machine: header.e_machine(endian).0, ..ElfInfo::default() };
    let mut dynamic: &[elf::Dyn64<Endianness>] = &[];
    for segment in segments {
        if let Some(interpreter) = segment.interpreter(endian, bytes).map_err(|e| binary_error(path, e.to_string()))? {
            info.interpreter = Some(String::from_utf8_lossy(interpreter).into_owned());
        }
        if let Some(entries) = segment.dynamic(endian, bytes).map_err(|e| binary_error(path, e.to_string()))? {
            dynamic = entries;
        }
    }
    if dynamic.is_empty() {
        return Ok(info);
    }
    // DT_STRTAB is a virtual address: the PT_LOAD segment holding it gives the bytes.
    let value = |tag| dynamic.iter().find(|entry| entry.tag(endian) == tag).map(|entry| entry.val(endian));
    let (strtab, strsz) = (value(elf::DT_STRTAB).unwrap_or(0), value(elf::DT_STRSZ).unwrap_or(0));
    let strings = segments
        .iter()
        .filter(|segment| segment.p_type(endian) == elf::PT_LOAD)
        .find_map(|segment| segment.data_range(endian, bytes, strtab, strsz).ok().flatten())
        .ok_or_else(|| binary_error(path, "the dynamic string table is outside every loaded segment"))?;
    let string = |offset: u64| -> Result<String, ShipError> {
        let tail = usize::try_from(offset).ok().and_then(|at| strings.get(at..));
        let text = tail.and_then(|tail| tail.split(|&b| b == 0).next());
        text.map(|text| String::from_utf8_lossy(text).into_owned())
            .ok_or_else(|| binary_error(path, format!("dynamic string offset {offset} is out of range")))
    };
    for entry in dynamic {
        match entry.tag(endian) {
            elf::DT_NULL => break,
            elf::DT_NEEDED => info.needed.push(string(entry.val(endian))?),
            elf::DT_SONAME => info.soname = Some(string(entry.val(endian))?),
            elf::DT_RPATH => info.rpath.extend(split_path_list(&string(entry.val(endian))?)),
            elf::DT_RUNPATH => {
                info.runpath.get_or_insert_with(Vec::new).extend(split_path_list(&string(entry.val(endian))?))
            }
            _ => {}
        }
    }
    Ok(info)
}

fn split_path_list(list: &str) -> Vec<String> {
    list.split(':').filter(|dir| !dir.is_empty()).map(str::to_string).collect()
}

/// The loader's built-in directories, for the machine the binary is for: the
/// Debian/Ubuntu multiarch folders, the Fedora/SUSE `lib64` ones, then plain
/// `lib` (Arch, Alpine-style layouts).
fn default_dirs(machine: u16) -> Vec<String> {
    let multiarch = match elf::Machine(machine) {
        elf::EM_X86_64 => Some("x86_64-linux-gnu"),
        elf::EM_AARCH64 => Some("aarch64-linux-gnu"),
        _ => None,
    };
    let mut dirs = Vec::new();
    if let Some(triple) = multiarch {
        dirs.push(format!("/lib/{triple}"));
        dirs.push(format!("/usr/lib/{triple}"));
    }
    dirs.extend(["/lib64", "/usr/lib64", "/lib", "/usr/lib"].map(str::to_string));
    dirs
}

/// `/a/./b/../c` → `/a/c`; relative paths are taken from `/` (the image's working directory).
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

fn parent(image_path: &str) -> String {
    normalize(&format!("{image_path}/.."))
}

/// A directory as read on this machine and as seen by the image's loader.
#[derive(Debug, Clone)]
struct SearchDir {
    host: PathBuf,
    image: String,
    /// Found through `ld.so.conf` only: needs `LD_LIBRARY_PATH` in the image.
    needs_library_path: bool,
}

/// A loaded object: the binary or a library.
struct Loaded {
    label: String,
    needed: Vec<String>,
    rpath: Vec<SearchDir>,
    runpath: Option<Vec<SearchDir>>,
    loader: Option<usize>,
}

struct Walk<'a> {
    root: &'a Path,
    binary: &'a Path,
    machine: u16,
    system_dirs: Vec<SearchDir>,
    objects: Vec<Loaded>,
    satisfied: HashSet<String>,
    files: BTreeMap<String, SharedLibrary>,
    library_path: Vec<String>,
}

/// The loader and shared libraries the binary needs, read from this machine.
pub fn runtime_files(binary_path: &Path, binary: &[u8]) -> Result<RuntimeFiles, ShipError> {
    runtime_files_under(Path::new("/"), binary_path, binary)
}

/// As `runtime_files`, reading absolute paths under `root` (tests use a made-up tree).
fn runtime_files_under(root: &Path, binary_path: &Path, binary: &[u8]) -> Result<RuntimeFiles, ShipError> {
    let info = read_elf(binary_path, binary)?;
    let Some(interpreter) = info.interpreter.clone() else {
        return Ok(RuntimeFiles::default());
    };
    let mut walk = Walk::new(root, binary_path, info.machine);
    walk.add_interpreter(&interpreter)?;
    // $ORIGIN of the binary: its real folder here (as the loader reads
    // /proc/self/exe), `/` in the image.
    let real_binary = std::fs::canonicalize(binary_path).unwrap_or_else(|_| binary_path.to_path_buf());
    let host_origin = real_binary.parent().map(Path::to_path_buf).unwrap_or_default();
    walk.push_object(binary_path.display().to_string(), info, &host_origin, "/", None)?;
    let mut object_idx = 0;
    while object_idx < walk.objects.len() {
        for name in walk.objects[object_idx].needed.clone() {
            walk.load(object_idx, &name)?;
        }
        object_idx += 1;
    }
    Ok(RuntimeFiles { libraries: walk.files.into_values().collect(), library_path: walk.library_path })
}

impl<'a> Walk<'a> {
    fn new(root: &'a Path, binary: &'a Path, machine: u16) -> Self {
        let defaults = default_dirs(machine);
        let mut images: Vec<String> = ld_conf::dirs(root);
        images.extend(defaults.iter().cloned());
        let mut seen = HashSet::new();
        images.retain(|dir| seen.insert(dir.clone()));
        let system_dirs = images
            .into_iter()
            .map(|image| SearchDir {
                host: host_path(root, &image),
                needs_library_path: !defaults.contains(&image),
                image,
            })
            .collect();
        Walk {
            root,
            binary,
            machine,
            system_dirs,
            objects: Vec::new(),
            satisfied: HashSet::new(),
            files: BTreeMap::new(),
            library_path: Vec::new(),
        }
    }

    fn add_interpreter(&mut self, interpreter: &str) -> Result<(), ShipError> {
        let image_path = normalize(interpreter);
        let host = host_path(self.root, &image_path);
        let bytes = std::fs::read(&host).map_err(|e| {
            binary_error(self.binary, format!("its dynamic loader {interpreter} (PT_INTERP) cannot be read here: {e}"))
        })?;
        let info = read_elf(&host, &bytes)?;
        // libc names the loader in DT_NEEDED; the loader is already there under its soname.
        self.satisfied.extend(info.soname.clone());
        self.satisfied.extend(image_path.rsplit('/').next().map(str::to_string));
        self.files.insert(image_path.clone(), SharedLibrary { image_path, host_path: host, bytes });
        Ok(())
    }

    /// Records an object and expands its RPATH/RUNPATH against its own folder.
    fn push_object(
        &mut self,
        label: String,
        info: ElfInfo,
        host_dir: &Path,
        image_dir: &str,
        loader: Option<usize>,
    ) -> Result<(), ShipError> {
        let expand = |dirs: &[String]| -> Result<Vec<SearchDir>, ShipError> {
            dirs.iter().map(|dir| self.expand(&label, dir, host_dir, image_dir)).collect()
        };
        let rpath = expand(&info.rpath)?;
        let runpath = info.runpath.as_deref().map(expand).transpose()?;
        self.objects.push(Loaded { label, needed: info.needed, rpath, runpath, loader });
        Ok(())
    }

    fn expand(&self, label: &str, dir: &str, host_dir: &Path, image_dir: &str) -> Result<SearchDir, ShipError> {
        if dir.contains("$LIB") || dir.contains("${LIB}") || dir.contains("$PLATFORM") || dir.contains("${PLATFORM}") {
            return Err(binary_error(
                Path::new(label),
                format!("search path {dir:?} uses $LIB or $PLATFORM, which mlship does not expand"),
            ));
        }
        let rest = dir.strip_prefix("${ORIGIN}").or_else(|| dir.strip_prefix("$ORIGIN"));
        Ok(match rest {
            Some(rest) => SearchDir {
                host: host_dir.join(rest.trim_start_matches('/')),
                image: normalize(&format!("{image_dir}/{rest}")),
                needs_library_path: false,
            },
            None => {
                let image = normalize(dir);
                SearchDir { host: host_path(self.root, &image), image, needs_library_path: false }
            }
        })
    }

    /// The folders searched for a name needed by `object_idx`, in the loader's order.
    fn search_dirs(&self, object_idx: usize) -> Vec<SearchDir> {
        let object = &self.objects[object_idx];
        let mut dirs = Vec::new();
        if object.runpath.is_none() {
            let mut chain = Some(object_idx);
            while let Some(idx) = chain {
                let link = &self.objects[idx];
                if link.runpath.is_none() {
                    dirs.extend(link.rpath.iter().cloned());
                }
                chain = link.loader;
            }
        }
        dirs.extend(object.runpath.iter().flatten().cloned());
        dirs.extend(self.system_dirs.iter().cloned());
        dirs
    }

    fn load(&mut self, object_idx: usize, name: &str) -> Result<(), ShipError> {
        if self.satisfied.contains(name) {
            return Ok(());
        }
        let dirs = if name.contains('/') {
            let image = parent(&normalize(name));
            vec![SearchDir { host: host_path(self.root, &image), image, needs_library_path: false }]
        } else {
            self.search_dirs(object_idx)
        };
        let file_name = name.rsplit('/').next().unwrap_or(name);
        let Some((dir, bytes, info)) = dirs.iter().find_map(|dir| self.candidate(dir, file_name)) else {
            let searched: Vec<&str> = dirs.iter().map(|dir| dir.image.as_str()).collect();
            return Err(ShipError::LibraryNotFound {
                binary: self.binary.display().to_string(),
                library: name.to_string(),
                needed_by: self.objects[object_idx].label.clone(),
                searched: searched.join(", "),
            });
        };
        if dir.needs_library_path && !self.library_path.contains(&dir.image) {
            self.library_path.push(dir.image.clone());
        }
        let image_path = normalize(&format!("{}/{file_name}", dir.image));
        let host = dir.host.join(file_name);
        self.satisfied.insert(name.to_string());
        self.satisfied.extend(info.soname.clone());
        self.push_object(image_path.clone(), info, &dir.host, &dir.image, Some(object_idx))?;
        self.files.entry(image_path.clone()).or_insert(SharedLibrary { image_path, host_path: host, bytes });
        Ok(())
    }

    /// A file the loader would accept: an ELF object for the binary's class
    /// and machine. Anything else is skipped, as the loader skips it.
    fn candidate(&self, dir: &SearchDir, file_name: &str) -> Option<(SearchDir, Vec<u8>, ElfInfo)> {
        let path = dir.host.join(file_name);
        let bytes = std::fs::read(&path).ok()?;
        let info = read_elf(&path, &bytes).ok()?;
        (info.machine == self.machine).then(|| (dir.clone(), bytes, info))
    }
}

/// An absolute image path read under `root` on this machine.
fn host_path(root: &Path, image_path: &str) -> PathBuf {
    root.join(image_path.trim_start_matches('/'))
}

#[cfg(test)]
#[path = "elf_tests.rs"]
mod tests;
