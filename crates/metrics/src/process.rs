//! This process's figures from `/proc/self` (Linux), as Prometheus clients name them.

use crate::Scrape;

/// One reading.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProcessStats {
    pub resident_bytes: u64,
    pub virtual_bytes: u64,
    /// User plus system CPU time.
    pub cpu_seconds: f64,
    pub threads: u64,
    pub open_fds: u64,
    /// Start time, seconds since the epoch.
    pub start_time_seconds: f64,
}

fn sysconf(name: libc::c_int) -> Option<u64> {
    // SAFETY: sysconf takes a plain integer and has no memory effects.
    let v = unsafe { libc::sysconf(name) };
    (v > 0).then_some(v as u64)
}

/// Reads `/proc/self/stat`, `/proc/stat` (boot time) and `/proc/self/fd`; `None` where
/// `/proc` is missing or unreadable.
pub fn read() -> Option<ProcessStats> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    parse_stat(
        &stat,
        sysconf(libc::_SC_CLK_TCK).unwrap_or(100),
        sysconf(libc::_SC_PAGESIZE).unwrap_or(4096),
        boot_time(),
    )
    .map(|mut p| {
        p.open_fds = std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64);
        p
    })
}

fn boot_time() -> Option<u64> {
    std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

/// Fields of `/proc/<pid>/stat` after the command (which may hold spaces and parentheses).
fn parse_stat(stat: &str, ticks: u64, page: u64, btime: Option<u64>) -> Option<ProcessStats> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // `f[0]` is field 3 (state): field n is f[n - 3].
    let num = |n: usize| f.get(n - 3).and_then(|v| v.parse::<u64>().ok());
    let ticks = ticks.max(1) as f64;
    Some(ProcessStats {
        cpu_seconds: (num(14)? + num(15)?) as f64 / ticks,
        threads: num(20)?,
        start_time_seconds: btime.map_or(0.0, |b| b as f64 + num(22).unwrap_or(0) as f64 / ticks),
        virtual_bytes: num(23)?,
        resident_bytes: num(24)? * page,
        open_fds: 0,
    })
}

/// `process_*`, as Prometheus clients name them.
pub fn add_to(s: &mut Scrape) {
    let Some(p) = read() else {
        return;
    };
    s.gauge(
        "process_resident_memory_bytes",
        "Resident memory size in bytes",
        p.resident_bytes as f64,
    );
    s.gauge(
        "process_virtual_memory_bytes",
        "Virtual memory size in bytes",
        p.virtual_bytes as f64,
    );
    s.counter(
        "process_cpu_seconds",
        "Total user and system CPU time spent in seconds",
        p.cpu_seconds,
    );
    s.gauge("process_threads", "OS threads", p.threads as f64);
    s.gauge(
        "process_open_fds",
        "Open file descriptors",
        p.open_fds as f64,
    );
    s.gauge(
        "process_start_time_seconds",
        "Start time of the process since the epoch, in seconds",
        p.start_time_seconds,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_line() {
        let s = "1234 (a (b) c) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 7 0 1000 \
                 104857600 2560 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        let p = parse_stat(s, 100, 4096, Some(1_700_000_000)).unwrap();
        assert_eq!(p.cpu_seconds, 3.0);
        assert_eq!(p.threads, 7);
        assert_eq!(p.virtual_bytes, 104_857_600);
        assert_eq!(p.resident_bytes, 2560 * 4096);
        assert_eq!(p.start_time_seconds, 1_700_000_010.0);
        assert!(parse_stat("garbage", 100, 4096, None).is_none());
    }

    #[test]
    fn this_process() {
        let p = read().expect("/proc/self");
        assert!(
            p.resident_bytes > 0 && p.threads > 0 && p.open_fds > 0,
            "{p:?}"
        );
    }
}
