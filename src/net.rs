//! Network helpers any module may use: whether a host or endpoint is this
//! machine (TLS defaults and emulator relaxations depend on it).

/// Whether `host` is this machine: `localhost`, a loopback address, or a
/// Unix socket directory. A name that merely starts with `127.` is not.
pub fn is_loopback(host: &str) -> bool {
    let ip = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    host.eq_ignore_ascii_case("localhost") || ip.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()) || host.starts_with('/')
}

/// The host of an endpoint URL, without brackets around an IPv6 address.
pub fn endpoint_host(url: &str) -> &str {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or(host);
    if host.starts_with('[') {
        host.split(']').next().unwrap_or("").trim_start_matches('[')
    } else {
        host.split(':').next().unwrap_or("")
    }
}

/// Whether an endpoint URL points at this machine: `localhost` or a loopback address.
pub fn loopback_endpoint(url: &str) -> bool {
    let host = endpoint_host(url);
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The hosts an emulator SDK takes as local: plain HTTP and unverified
/// certificates are allowed for these only.
pub const EMULATOR_HOSTS: &[&str] = &["localhost", "127.0.0.1", "[::1]"];

/// Whether `url`'s host is one of [`EMULATOR_HOSTS`].
pub fn emulator_host(url: &str) -> bool {
    let host = endpoint_host(url);
    ["localhost", "127.0.0.1", "::1", "0:0:0:0:0:0:0:1"].iter().any(|h| host.eq_ignore_ascii_case(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_is_loopback() {
        for host in ["localhost", "127.0.0.1", "127.0.0.2", "::1", "[::1]", "/var/run/postgresql"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["127.evil.example", "db.example.com", "10.0.0.1", "0.0.0.0"] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn endpoints() {
        assert!(loopback_endpoint("http://127.0.0.1:8000"));
        assert!(loopback_endpoint("http://localhost:4567/"));
        assert!(loopback_endpoint("http://[::1]:8000"));
        assert!(!loopback_endpoint("https://dynamodb.us-east-1.amazonaws.com"));
        assert!(!loopback_endpoint("http://127.evil.example:80/"));
        assert!(loopback_endpoint("http://127.0.0.2:80/"));
        assert_eq!(endpoint_host("https://acct.documents.azure.com:443/"), "acct.documents.azure.com");
        assert!(
            emulator_host("http://localhost:8081/")
                && emulator_host("https://[::1]:8081")
                && !emulator_host("https://a.documents.azure.com")
        );
    }
}
