//! The process's own resource use for `/metrics`: resident memory, CPU time and open files, read
//! from `/proc/self` (Linux; elsewhere nothing is published). The parsing is pure and tested; the
//! reads are a few small files every few seconds. A leaf: it imports nothing from the crate.

use std::time::Duration;

/// Clock ticks per second of `/proc/PID/stat`'s times: `USER_HZ`, 100 on every Linux
/// architecture's user-space ABI.
const USER_HZ: f64 = 100.0;

/// One reading of the process's resource use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    /// Resident set size, in bytes.
    pub rss_bytes: u64,
    /// User plus system CPU time since start.
    pub cpu: Duration,
    /// Open file descriptors.
    pub open_fds: usize,
}

/// `VmRSS` of `/proc/PID/status`, in bytes.
#[must_use]
pub fn parse_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let mut words = line["VmRSS:".len()..].split_whitespace();
    let kib: u64 = words.next()?.parse().ok()?;
    (words.next() == Some("kB")).then_some(kib * 1024)
}

/// `utime + stime` of `/proc/PID/stat`. The command name (field 2) may hold spaces and
/// parentheses, so the fields are counted after its last `)`.
#[must_use]
pub fn parse_cpu(stat: &str) -> Option<Duration> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // After the name: state is field 3, so utime (14) and stime (15) are the 12th and 13th here.
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    #[expect(clippy::cast_precision_loss, reason = "clock ticks of a process lifetime fit an f64")]
    let secs = (utime + stime) as f64 / USER_HZ;
    Some(Duration::from_secs_f64(secs))
}

/// This process's usage now, when `/proc/self` can be read.
#[must_use]
pub fn usage() -> Option<Usage> {
    let rss_bytes = parse_rss(&std::fs::read_to_string("/proc/self/status").ok()?)?;
    let cpu = parse_cpu(&std::fs::read_to_string("/proc/self/stat").ok()?)?;
    let open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count();
    Some(Usage { rss_bytes, cpu, open_fds })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_memory_is_read_in_bytes() {
        let cases = [
            ("Name:\tflashpoint\nVmRSS:\t   34712 kB\nVmSwap:\t0 kB\n", Some(34712 * 1024)),
            ("VmRSS: 1 kB", Some(1024)),
            ("VmRSS: 12 MB", None),
            ("Name: x\n", None),
        ];
        for (status, want) in cases {
            assert_eq!(parse_rss(status), want, "{status:?}");
        }
    }

    #[test]
    fn cpu_time_counts_after_the_command_name() {
        let fields = "S 1 1 1 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 100 1000 200";
        let cases = [
            (format!("4242 (flashpoint) {fields}"), Some(Duration::from_secs(3))),
            (format!("4242 (tokio (rt) x) {fields}"), Some(Duration::from_secs(3))),
            ("4242 (flashpoint) S 1".to_string(), None),
            (String::new(), None),
        ];
        for (stat, want) in cases {
            assert_eq!(parse_cpu(&stat), want, "{stat:?}");
        }
    }
}
