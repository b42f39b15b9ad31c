//! Which process owns a RUNNING run, and whether it is still alive. A pid
//! alone can be reused, so the process's start time (field 22 of
//! `/proc/PID/stat`, in clock ticks since boot) is recorded with it.

/// This machine's name, as runs record it.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_string())
}

/// The start time of `pid`, or None when no such process exists (or on a
/// system without /proc, where liveness falls back to the heartbeat).
pub fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19).map(str::to_string)
}

pub fn own_start_time() -> String {
    start_time(std::process::id()).unwrap_or_default()
}

/// Whether the process that recorded (`pid`, `recorded_start`) still runs here.
/// Without /proc the answer is "yes", and the heartbeat decides instead.
pub fn is_alive(pid: i64, recorded_start: &str) -> bool {
    if !std::path::Path::new("/proc/self/stat").exists() {
        return true;
    }
    let Ok(pid) = u32::try_from(pid) else { return false };
    match start_time(pid) {
        Some(start) => recorded_start.is_empty() || start == recorded_start,
        None => false,
    }
}

/// The login name of this process's uid from /etc/passwd, else `uid N`.
pub fn user_from_uid() -> String {
    let Some(uid) = std::fs::read_to_string("/proc/self/status").ok().and_then(|status| {
        status.lines().find(|l| l.starts_with("Uid:")).and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
    }) else {
        return "unknown".to_string();
    };
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| {
            passwd.lines().find_map(|line| {
                let fields: Vec<&str> = line.split(':').collect();
                (fields.len() > 2 && fields[2] == uid).then(|| fields[0].to_string())
            })
        })
        .unwrap_or_else(|| format!("uid {uid}"))
}
