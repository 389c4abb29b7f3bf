//! The `process_*` metrics every Prometheus exporter has (CPU, memory, descriptors, start
//! time), read from `/proc/self` at each scrape, and `workorder_build_info`. Outside Linux the
//! process values stay 0.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Linux reports CPU times and the start time in clock ticks of `USER_HZ`, which is 100 on
/// every architecture Linux runs on (the kernel's ABI fixes it; `sysconf(_SC_CLK_TCK)` says so).
const TICKS_PER_SECOND: f64 = 100.0;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

/// The process's metrics, in a registry without the service's prefix (their names are the
/// exporters' convention).
#[derive(Debug)]
pub(crate) struct ProcessMetrics {
    pub(crate) registry: Registry,
    cpu_seconds: Counter<f64, AtomicU64>,
    resident_memory: Gauge,
    open_fds: Gauge,
    max_fds: Gauge,
    start_time: Gauge<f64, AtomicU64>,
}

impl Default for ProcessMetrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let cpu_seconds = Counter::<f64, AtomicU64>::default();
        let (resident_memory, open_fds, max_fds) = (Gauge::default(), Gauge::default(), Gauge::default());
        let start_time = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "process_cpu_seconds",
            "User and system CPU time spent, in seconds",
            cpu_seconds.clone(),
        );
        registry.register(
            "process_resident_memory_bytes",
            "Resident memory size, in bytes",
            resident_memory.clone(),
        );
        registry.register("process_open_fds", "Open file descriptors", open_fds.clone());
        registry.register("process_max_fds", "Most file descriptors the process may open", max_fds.clone());
        registry.register(
            "process_start_time_seconds",
            "Start time of the process since the Unix epoch, in seconds",
            start_time.clone(),
        );
        let build = Family::<BuildLabels, Gauge>::default();
        build.get_or_create(&BuildLabels { version: env!("CARGO_PKG_VERSION") }).set(1);
        registry.register("workorder_build_info", "The running build: 1, labelled with its version", build);
        Self { registry, cpu_seconds, resident_memory, open_fds, max_fds, start_time }
    }
}

impl ProcessMetrics {
    /// Reads `/proc/self` into the metrics; what cannot be read keeps its last value.
    pub(crate) fn refresh(&self) {
        if let Some(stat) = read_stat() {
            let cpu = (stat.utime + stat.stime) as f64 / TICKS_PER_SECOND;
            // A counter only goes up: move it to the kernel's total.
            self.cpu_seconds.inc_by((cpu - self.cpu_seconds.get()).max(0.0));
            if let Some(boot) = boot_time() {
                self.start_time.set(boot as f64 + stat.start_ticks as f64 / TICKS_PER_SECOND);
            }
        }
        if let Some(kib) = resident_kib() {
            self.resident_memory.set(kib.saturating_mul(1024));
        }
        if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
            self.open_fds.set(i64::try_from(entries.count()).unwrap_or(i64::MAX));
        }
        if let Ok((soft, _)) = rlimit::getrlimit(rlimit::Resource::NOFILE) {
            self.max_fds.set(i64::try_from(soft).unwrap_or(i64::MAX));
        }
    }
}

struct Stat {
    utime: u64,
    stime: u64,
    start_ticks: u64,
}

/// Fields 14, 15 and 22 of `/proc/self/stat`, counted after the command name, which is in
/// parentheses and may itself hold spaces and parentheses.
fn read_stat() -> Option<Stat> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // fields[0] is field 3 (the state).
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    Some(Stat { utime: field(14)?, stime: field(15)?, start_ticks: field(22)? })
}

/// The boot time, in seconds since the epoch (`btime` of `/proc/stat`).
fn boot_time() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    stat.lines().find_map(|line| line.strip_prefix("btime "))?.trim().parse().ok()
}

/// `VmRSS` of `/proc/self/status`, in KiB.
fn resident_kib() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let value = status.lines().find_map(|line| line.strip_prefix("VmRSS:"))?;
    value.trim().trim_end_matches("kB").trim().parse().ok()
}
