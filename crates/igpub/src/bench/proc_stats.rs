//! CPU time and peak memory of a child process, read from Linux's `/proc` while it still runs.

use std::time::Duration;

/// Clock ticks per second in `/proc/<pid>/stat`: `USER_HZ`, which the kernel fixes at 100 for
/// user space on every architecture Linux ships (proc(5)).
const USER_HZ: u64 = 100;

/// What one process has used so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProcessUsage {
    /// User plus system CPU time.
    pub cpu: Duration,
    /// Peak resident set size (`VmHWM`), in KiB.
    pub peak_rss_kib: u64,
}

/// Reads the usage of process `pid`; `None` when it is gone or `/proc` is not Linux's.
pub fn read_usage(pid: u32) -> Option<ProcessUsage> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some(ProcessUsage {
        cpu: cpu_of_stat(&stat)?,
        peak_rss_kib: peak_rss_of_status(&status)?,
    })
}

/// utime + stime (fields 14 and 15) of a `/proc/<pid>/stat` line.
pub fn cpu_of_stat(stat: &str) -> Option<Duration> {
    // The command name (field 2) is in parentheses and may hold spaces and ')': the fields
    // after it start past the last ')'.
    let (_, after_name) = stat.rsplit_once(')')?;
    let mut fields = after_name.split_ascii_whitespace();
    // After the name come state (field 3) … utime is field 14, i.e. the 12th one here.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    let ticks = utime.checked_add(stime)?;
    Some(Duration::from_millis(ticks.checked_mul(1000)? / USER_HZ))
}

/// `VmHWM` of a `/proc/<pid>/status` text, in KiB.
pub fn peak_rss_of_status(status: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let value = line.strip_prefix("VmHWM:")?;
        value.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_is_user_plus_system_ticks_even_with_odd_command_names() {
        let stat = "4242 (igpub (worker) x) S 1 4242 4242 0 -1 4194560 2000 0 0 0 \
                    150 25 0 0 20 0 9 0 12345 100000000 5000 18446744073709551615";
        assert_eq!(cpu_of_stat(stat), Some(Duration::from_millis(1750)));
    }

    #[test]
    fn peak_rss_comes_from_vmhwm() {
        let status = "Name:\tigpub\nVmPeak:\t  900000 kB\nVmHWM:\t   51234 kB\nVmRSS:\t 40000 kB\n";
        assert_eq!(peak_rss_of_status(status), Some(51234));
    }

    #[test]
    fn malformed_proc_text_gives_none_not_a_panic() {
        assert_eq!(cpu_of_stat(""), None);
        assert_eq!(cpu_of_stat("1 (x) S 2"), None);
        assert_eq!(peak_rss_of_status("VmHWM: lots"), None);
    }

    #[test]
    fn this_process_can_be_measured() {
        let usage = read_usage(std::process::id()).expect("/proc is readable on Linux");
        assert!(usage.peak_rss_kib > 0);
    }
}
