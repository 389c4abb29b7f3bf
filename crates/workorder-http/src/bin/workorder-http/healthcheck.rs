//! `healthcheck`: asks the running server's `/healthz` and exits 0 on 200, else 1 with one line.
//! It is the container's HEALTHCHECK, so the runtime image needs no shell and no curl.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

use workorder_infra::one_line;

use crate::cli::{HealthcheckArgs, ServeArgs};

/// Runs the check; the server's address comes from `--url`, else from `WORKORDER_BIND`.
pub(crate) fn run(args: &HealthcheckArgs) -> ExitCode {
    let url = match &args.url {
        Some(url) => url.clone(),
        None => match ServeArgs::from_env().map_err(|e| e.to_string()).and_then(|serve| own_url(&serve.bind))
        {
            Ok(url) => url,
            Err(error) => return unhealthy(&format!("no address to check: {error}")),
        },
    };
    let agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_millis(args.timeout_ms.max(1))))
        .http_status_as_error(false)
        // The server is this host's own: an HTTP_PROXY of the environment must not see it.
        .proxy(None)
        .build()
        .new_agent();
    match agent.get(&url).call() {
        Ok(response) if response.status() == 200 => ExitCode::SUCCESS,
        Ok(response) => unhealthy(&format!("{url} answered {}", response.status())),
        Err(error) => unhealthy(&format!("{url}: {error}")),
    }
}

fn unhealthy(why: &str) -> ExitCode {
    eprintln!("unhealthy: {}", one_line(why));
    ExitCode::FAILURE
}

/// `/healthz` on the address the server listens on; a wildcard address is asked on loopback.
fn own_url(bind: &str) -> Result<String, String> {
    let addr = bind
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| format!("WORKORDER_BIND {bind:?} is not an address and port"))?;
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    Ok(format!("http://{}/healthz", SocketAddr::new(ip, addr.port())))
}
