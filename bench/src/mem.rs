//! Process memory figures from `/proc/self/status` (Linux).

/// Peak resident set size of this process so far (`VmHWM`), in KiB; `None` where `/proc` is not there.
pub fn peak_rss_kib() -> Option<u64> {
    status_field("VmHWM:")
}

/// Current resident set size (`VmRSS`), in KiB.
pub fn rss_kib() -> Option<u64> {
    status_field("VmRSS:")
}

fn status_field(name: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// KiB as MiB for printing.
pub fn mib(kib: Option<u64>) -> String {
    match kib {
        Some(k) => format!("{:.1} MiB", k as f64 / 1024.0),
        None => "n/a".into(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn peak_is_at_least_current_on_linux() {
        // Current first: memory may grow between the two reads (tests run in parallel).
        let now = super::rss_kib();
        if let (Some(peak), Some(now)) = (super::peak_rss_kib(), now) {
            assert!(peak >= now && now > 0);
        }
    }
}
