//! Which addresses an article fetch may connect to.
//!
//! Article URLs come from feed content, which strangers control. Left
//! unchecked, a feed could make the daemon request `http://127.0.0.1:8080/`
//! or the cloud metadata service on the box's behalf. So by default article
//! fetches may only reach public addresses, checked on the *resolved*
//! address (a public-looking name can resolve to 10.0.0.1), unless the feed
//! itself lives on a private address or the user allows private networks.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Decides whether an address counts as public.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    /// Addresses treated as public although they are not: lets tests model
    /// "a public feed" with servers on loopback. Empty in production.
    pub treat_as_public: HashSet<IpAddr>,
}

impl AddressPolicy {
    pub fn is_public(&self, ip: IpAddr) -> bool {
        self.treat_as_public.contains(&ip) || is_global(ip)
    }
}

/// True for addresses on the public internet: not loopback, private,
/// link-local (which holds the 169.254.169.254 metadata service), CGNAT,
/// unique-local, multicast, unspecified, documentation or benchmark ranges.
pub fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_global_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_global_v4(v4),
            None => is_global_v6(v6),
        },
    }
}

fn is_global_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64.0.0/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking 198.18.0.0/15
        || a >= 240) // reserved
}

fn is_global_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || (first == 0x0064 && ip.segments()[1] == 0xff9b)) // NAT64 can reach IPv4 private space
}

/// A DNS resolver that only returns public addresses, so the connection an
/// article fetch makes is the address we checked (no second lookup to race).
pub struct PublicOnlyResolver {
    pub policy: Arc<AddressPolicy>,
    /// Names resolved without the check: the configured proxies, which
    /// the operator chose and which often live on a private network.
    pub trusted_hosts: HashSet<String>,
}

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_string();
        let trusted = self.trusted_hosts.contains(&host);
        Box::pin(async move {
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if trusted {
                return Ok(Box::new(resolved.into_iter()) as Addrs);
            }
            let public: Vec<SocketAddr> = resolved
                .iter()
                .copied()
                .filter(|a| policy.is_public(a.ip()))
                .collect();
            if public.is_empty() {
                let shown = resolved
                    .first()
                    .map(|a| a.ip().to_string())
                    .unwrap_or_else(|| "nothing".into());
                return Err(Box::new(BlockedAddress(format!(
                    "{host} resolves to {shown}, a non-public address"
                )))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// Refuses a URL whose name resolves to any non-public address; used
/// before a request through a proxy, which resolves the name itself. A
/// name this machine cannot resolve is left to the proxy (behind a proxy,
/// local DNS often knows only the local network).
pub async fn check_name(
    policy: &AddressPolicy,
    url: &url::Url,
) -> Result<(), crate::fetch::FetchError> {
    let Some(host) = url.host_str() else {
        return Ok(());
    };
    let Ok(resolved) = tokio::net::lookup_host((host, 0)).await else {
        return Ok(());
    };
    for addr in resolved {
        if !policy.is_public(addr.ip()) {
            return Err(crate::fetch::FetchError::Blocked(format!(
                "{host} resolves to {}, a non-public address",
                addr.ip()
            )));
        }
    }
    Ok(())
}

/// The resolver refused every address of a name.
#[derive(Debug)]
pub struct BlockedAddress(pub String);

impl std::fmt::Display for BlockedAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BlockedAddress {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_ranges_are_not_global() {
        for addr in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
        ] {
            assert!(
                !is_global(addr.parse().unwrap()),
                "{addr} must not count as public"
            );
        }
        for addr in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_global(addr.parse().unwrap()), "{addr} is public");
        }
    }

    #[test]
    fn policy_override_models_a_public_test_server() {
        let ip: IpAddr = "127.0.0.2".parse().unwrap();
        let mut policy = AddressPolicy::default();
        assert!(!policy.is_public(ip));
        policy.treat_as_public.insert(ip);
        assert!(policy.is_public(ip));
    }
}
