//! The two text formats of `/metrics`. prometheus-client writes OpenMetrics only; a scraper that
//! does not ask for it (promtool, an older Prometheus, `curl`) gets the Prometheus text format
//! 0.0.4, converted from it here.

use std::collections::HashSet;

/// The content type of each format.
pub(crate) const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The Prometheus text format's content type.
pub(crate) const PROMETHEUS: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Whether an `Accept` header asks for OpenMetrics (a media range of it with a non-zero q).
pub(crate) fn wants_openmetrics(accept: Option<&str>) -> bool {
    accept.is_some_and(|accept| {
        accept.split(',').any(|range| {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default();
            let refused = parts.any(|param| {
                param.split_once('=').is_some_and(|(name, value)| {
                    name.trim().eq_ignore_ascii_case("q")
                        && value.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
                })
            });
            media.eq_ignore_ascii_case("application/openmetrics-text") && !refused
        })
    })
}

/// OpenMetrics text as Prometheus text 0.0.4: without `# EOF`, `# UNIT` and `_created`
/// series, which Prometheus text has not; a counter's family is named with its `_total`, as its
/// samples are, so that promtool sees one family per counter; `unknown` is `untyped`.
pub(crate) fn to_prometheus(openmetrics: &str) -> String {
    let counters: HashSet<&str> = openmetrics
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.split_once(' '))
        .filter(|(_, kind)| *kind == "counter")
        .map(|(name, _)| name)
        .collect();
    let mut text = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        let kept = if line == "# EOF" || line.starts_with("# UNIT ") {
            None
        } else if let Some((keyword, rest)) =
            line.strip_prefix("# ").and_then(|comment| comment.split_once(' '))
        {
            let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            let name = if counters.contains(name) { format!("{name}_total") } else { name.to_owned() };
            let tail = if keyword == "TYPE" && tail == "unknown" { "untyped" } else { tail };
            Some(format!("# {keyword} {name} {tail}"))
        } else {
            let name = line.split(['{', ' ']).next().unwrap_or_default();
            (!name.ends_with("_created")).then(|| line.to_owned())
        };
        if let Some(kept) = kept {
            text.push_str(&kept);
            text.push('\n');
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_s_own_accept_header_asks_for_openmetrics_and_curl_s_does_not() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert!(wants_openmetrics(Some(prometheus)));
        assert!(!wants_openmetrics(Some("*/*")));
        assert!(!wants_openmetrics(Some("text/plain;version=0.0.4")));
        assert!(!wants_openmetrics(Some("application/openmetrics-text; q=0, text/plain")));
        assert!(!wants_openmetrics(None));
    }

    #[test]
    fn a_counter_keeps_its_total_and_loses_its_created_and_the_eof_goes() {
        let openmetrics = "# HELP x_requests Requests.\n# TYPE x_requests counter\n# UNIT x_requests requests\nx_requests_total{a=\"b\"} 3\nx_requests_created{a=\"b\"} 1.7e9\n# TYPE x_up unknown\nx_up 1\n# EOF\n";
        assert_eq!(
            to_prometheus(openmetrics),
            "# HELP x_requests_total Requests.\n# TYPE x_requests_total counter\nx_requests_total{a=\"b\"} 3\n# TYPE x_up untyped\nx_up 1\n"
        );
    }
}
