//! Small ELF64 files for the image and dependency-walk tests: just the
//! program headers and dynamic entries the loader (and `elf.rs`) read, so a
//! test can name its own loader, libraries and search paths. Shared by the
//! unit tests in `src/elf_tests.rs` and the integration tests.

/// What a made-up ELF file says about itself.
#[derive(Default)]
pub struct Fake<'a> {
    pub machine: u16,
    pub interpreter: Option<&'a str>,
    pub needed: &'a [&'a str],
    pub soname: Option<&'a str>,
    pub rpath: Option<&'a str>,
    pub runpath: Option<&'a str>,
}

/// A little-endian ELF64 file: program headers (PT_INTERP, PT_LOAD over the
/// whole file at address 0, PT_DYNAMIC), the interpreter, the string table
/// and the dynamic entries.
pub fn fake_elf(fake: &Fake<'_>) -> Vec<u8> {
    let mut strtab = vec![0u8];
    let mut string = |text: &str| {
        let offset = strtab.len() as u64;
        strtab.extend_from_slice(text.as_bytes());
        strtab.push(0);
        offset
    };
    let mut entries: Vec<(i64, u64)> = fake.needed.iter().map(|name| (1, string(name))).collect();
    entries.extend(fake.soname.map(|name| (14, string(name))));
    entries.extend(fake.rpath.map(|dirs| (15, string(dirs))));
    entries.extend(fake.runpath.map(|dirs| (29, string(dirs))));
    let n_headers = 2 + u64::from(fake.interpreter.is_some());
    let interpreter_at = 64 + 56 * n_headers;
    let interpreter = fake.interpreter.map(|path| format!("{path}\0")).unwrap_or_default();
    let strtab_at = interpreter_at + interpreter.len() as u64;
    let dynamic_at = (strtab_at + strtab.len() as u64).next_multiple_of(8);
    entries.extend([(5, strtab_at), (10, strtab.len() as u64), (0, 0)]);
    let total = dynamic_at + 16 * entries.len() as u64;

    let mut bytes = vec![0u8; 64];
    bytes[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
    bytes[16..18].copy_from_slice(&3u16.to_le_bytes()); // ET_DYN
    bytes[18..20].copy_from_slice(&fake.machine.to_le_bytes());
    bytes[20..24].copy_from_slice(&1u32.to_le_bytes());
    bytes[32..40].copy_from_slice(&64u64.to_le_bytes());
    bytes[52..54].copy_from_slice(&64u16.to_le_bytes());
    bytes[54..56].copy_from_slice(&56u16.to_le_bytes());
    bytes[56..58].copy_from_slice(&(n_headers as u16).to_le_bytes());
    let mut header = |kind: u32, offset: u64, size: u64| {
        bytes.extend_from_slice(&kind.to_le_bytes());
        bytes.extend_from_slice(&4u32.to_le_bytes());
        for word in [offset, offset, offset, size, size, 8] {
            bytes.extend_from_slice(&word.to_le_bytes());
        }
    };
    if fake.interpreter.is_some() {
        header(3, interpreter_at, interpreter.len() as u64);
    }
    header(1, 0, total);
    header(2, dynamic_at, total - dynamic_at);
    bytes.extend_from_slice(interpreter.as_bytes());
    bytes.extend_from_slice(&strtab);
    bytes.resize(dynamic_at as usize, 0);
    for (tag, value) in entries {
        bytes.extend_from_slice(&tag.to_le_bytes());
        bytes.extend_from_slice(&value.to_le_bytes());
    }
    bytes
}
