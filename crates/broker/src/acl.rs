//! Plain ACL (Java `PlainAccessValidator`, `PlainPermissionManager`, `PlainAccessResource`,
//! `Permission`, `RemoteAddressStrategyFactory`): with `aclEnable=true` every client request is
//! checked against `<rocketmqHome>/conf/plain_acl.yml` and the `.yml`/`.yaml` files under
//! `<rocketmqHome>/conf/acl/` (merged as Java merges them) before its processor runs.
//!
//! A refusal is what Java's remoting layer answers when the RPC hook throws: SYSTEM_ERROR with
//! `RemotingHelper.exceptionSimpleDesc(AclException)`, i.e. `org.apache.rocketmq.acl.common.
//! AclException: <text>, <first stack frame>`; the frame is the one the 4.9.3 jar reports.

use parking_lot::RwLock;
use rocklet_protocol::acl as sig;
use rocklet_protocol::{RemotingCommand, RequestCode};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use yaml_rust2::{Yaml, YamlLoader};

mod edit;
mod yaml_out;
pub use edit::{java_split, AccountUpdate};
pub use rocklet_protocol::body::DataVersion;

/// `Permission.DENY` / `ANY` / `PUB` / `SUB`.
pub const DENY: u8 = 1;
pub const ANY: u8 = 1 << 1;
pub const PUB: u8 = 1 << 2;
pub const SUB: u8 = 1 << 3;

/// `MixAll.RETRY_GROUP_TOPIC_PREFIX`.
const RETRY_PREFIX: &str = "%RETRY%";

/// How often the file is read again and compared (Java's `AclFileWatchService` looks every
/// 5 s).
pub const WATCH_INTERVAL: Duration = Duration::from_secs(1);

/// `Permission.ADMIN_CODE`, and the five ACL management codes: Java 4.9.3 lets any account
/// with a valid signature rewrite (and read, secret keys included) the ACL file; Rocklet asks
/// for an admin account (docs/differences.md).
fn need_admin_perm(code: i32) -> bool {
    [
        RequestCode::UPDATE_AND_CREATE_TOPIC,
        RequestCode::UPDATE_BROKER_CONFIG,
        RequestCode::DELETE_TOPIC_IN_BROKER,
        RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
        RequestCode::DELETE_SUBSCRIPTIONGROUP,
        RequestCode::UPDATE_AND_CREATE_ACL_CONFIG,
        RequestCode::DELETE_ACL_CONFIG,
        RequestCode::GET_BROKER_CLUSTER_ACL_INFO,
        RequestCode::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG,
        RequestCode::GET_BROKER_CLUSTER_ACL_CONFIG,
    ]
    .iter()
    .any(|c| c.as_i32() == code)
}

/// `Permission.checkPermission`.
pub fn check_permission(needed: u8, owned: u8) -> bool {
    if owned & DENY != 0 {
        return false;
    }
    if needed & ANY != 0 {
        return owned & PUB != 0 || owned & SUB != 0;
    }
    needed & owned != 0
}

/// `Permission.parsePermFromString`.
pub fn parse_perm(s: Option<&str>) -> u8 {
    match s.map(str::trim) {
        Some("PUB") => PUB,
        Some("SUB") => SUB,
        Some("PUB|SUB") | Some("SUB|PUB") => PUB | SUB,
        _ => DENY,
    }
}

fn retry_topic(group: &str) -> String {
    format!("{RETRY_PREFIX}{group}")
}

/// A refusal: the `AclException` text and the stack frame Java reports for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclError {
    pub message: String,
    frame: &'static str,
}

const FRAME_VALIDATE_NO_AK: &str =
    "org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:636)";
const FRAME_VALIDATE_NO_CONFIG: &str =
    "org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:640)";
const FRAME_VALIDATE_SIGNATURE: &str =
    "org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:653)";
const FRAME_CHECK_ADMIN: &str =
    "org.apache.rocketmq.acl.plain.PlainPermissionManager.checkPerm(PlainPermissionManager.java:553)";
const FRAME_CHECK_DEFAULT: &str =
    "org.apache.rocketmq.acl.plain.PlainPermissionManager.checkPerm(PlainPermissionManager.java:578)";
const FRAME_CHECK_LISTED: &str =
    "org.apache.rocketmq.acl.plain.PlainPermissionManager.checkPerm(PlainPermissionManager.java:583)";
const FRAME_PARSE: &str =
    "org.apache.rocketmq.acl.plain.PlainAccessValidator.parse(PlainAccessValidator.java:124)";

impl AclError {
    fn new(message: impl Into<String>, frame: &'static str) -> Self {
        AclError {
            message: message.into(),
            frame,
        }
    }
    /// `RemotingHelper.exceptionSimpleDesc(e)`.
    pub fn remark(&self) -> String {
        format!(
            "org.apache.rocketmq.acl.common.AclException: {}, {}",
            self.message, self.frame
        )
    }
}

impl std::fmt::Display for AclError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

// ---------------------------------------------------------------------------------------------
// Remote address patterns (`RemoteAddressStrategyFactory`)

/// Java `AclUtils.expandIP(addr, 8)`, upper-cased.
fn expand_ip(addr: &str) -> String {
    expand_ip_n(addr, 8)
}

/// Java `AclUtils.expandIP(addr, part)`: upper-cased, `::` widened to `part` groups, each group
/// left-padded with `0` to four characters.
fn expand_ip_n(addr: &str, part: usize) -> String {
    let mut a = addr.to_uppercase();
    let colons = a.matches(':').count();
    if colons < part && a.contains("::") {
        let pad = ":".repeat(part - colons + 1);
        a = a.replace("::", &pad);
    }
    a.split(':')
        .map(|p| format!("{p:0>4}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn is_ipv4(s: &str) -> bool {
    s.parse::<Ipv4Addr>().is_ok()
}
fn is_ipv6(s: &str) -> bool {
    s.parse::<Ipv6Addr>().is_ok()
}

/// One white-address pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddrPattern {
    /// Blank: matches nothing.
    Blank,
    /// `*`, `*.*.*.*`, `*:*:*:*:*:*:*:*`: matches everything.
    Any,
    /// `a,b,c` or `192.168.1.{1,2}`.
    Multiple(HashSet<String>),
    /// One address.
    One(String),
    /// `192.168.1.*`, `192.168.1-5.*`, `10.*.*.*`: one octet (the first with `*` or `-`) in
    /// `start..=end` after the fixed `head`.
    Range {
        head: String,
        start: u32,
        end: u32,
        index: usize,
    },
    /// `1050::5:600:300c:*`, `1050::5:600:300c:1-200`, `1050::5:600:300c:1-200:*`: the address
    /// expanded starts with `head` (the groups before the range, expanded as Java's
    /// `v6ipProcess` does) and its group number `index` (hex) is in `start..=end`.
    Range6 {
        head: String,
        start: u32,
        end: u32,
        index: usize,
    },
}

fn addr_err(s: &str) -> String {
    format!("Netaddress examine Exception netaddress is {s}")
}

/// Java `StringUtils.split(s, sep)`: no empty tokens.
fn split_nonempty(s: &str, sep: char) -> Vec<&str> {
    s.split(sep).filter(|t| !t.is_empty()).collect()
}

impl AddrPattern {
    /// `RemoteAddressStrategyFactory.getRemoteAddressStrategy`.
    pub fn parse(pattern: Option<&str>) -> Result<AddrPattern, String> {
        let s = match pattern {
            Some(s) if !s.trim().is_empty() => s,
            _ => return Ok(AddrPattern::Blank),
        };
        if s == "*" || s == "*.*.*.*" || s == "*:*:*:*:*:*:*:*" {
            return Ok(AddrPattern::Any);
        }
        let multiple = |addrs: Vec<String>| -> Result<AddrPattern, String> {
            let mut set = HashSet::new();
            for a in addrs {
                if is_ipv4(&a) {
                    set.insert(a);
                } else if is_ipv6(&a) {
                    set.insert(expand_ip(&a));
                } else {
                    return Err(addr_err(&a));
                }
            }
            Ok(AddrPattern::Multiple(set))
        };
        if s.ends_with('}') {
            let sep = if s.contains(':') { ':' } else { '.' };
            let parts = split_nonempty(s, sep);
            if sep == '.' && parts.len() < 4 {
                // Java's format strings have no placeholder: the address is not in the text.
                return Err(
                    "MultipleRemoteAddressStrategy has got a/some wrong format IP(s) ".into(),
                );
            }
            let last = parts.last().copied().unwrap_or("");
            if !last.starts_with('{') {
                return Err(
                    "MultipleRemoteAddressStrategy netaddress examine scope Exception netaddress"
                        .into(),
                );
            }
            let prefix = &s[..s.find('{').unwrap_or(0)];
            let inner = &last[1..last.len() - 1];
            return multiple(
                split_nonempty(inner, ',')
                    .into_iter()
                    .map(|p| format!("{prefix}{p}"))
                    .collect(),
            );
        }
        if s.contains(',') {
            return multiple(
                split_nonempty(s, ',')
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
            );
        }
        if s.contains('*') || s.contains('-') {
            return Self::range(s);
        }
        if is_ipv4(s) || is_ipv6(s) {
            Ok(AddrPattern::One(expand_ip(s)))
        } else {
            Err(addr_err(s))
        }
    }

    /// `RangeRemoteAddressStrategy` for IPv6 patterns (`AclUtils.IPv6AddressCheck`,
    /// `ipv6Analysis`, `verify`, `v6ipProcess`).
    fn range6(s: &str) -> Result<AddrPattern, String> {
        let scope_err = || format!("Netaddress examine scope Exception netaddress is {s}");
        // IPv6AddressCheck: `*` only as the last character; a `-` only in the last group, or in
        // the one before a last `*`.
        let asterisk = s.find('*');
        if asterisk.is_some_and(|a| a != s.len() - 1) {
            return Err(scope_err());
        }
        if let Some(minus) = s.find('-') {
            let last = s.rfind(':').unwrap_or(0);
            let limit = if asterisk.is_none() {
                Some(last)
            } else {
                s[..last].rfind(':')
            };
            if limit.is_some_and(|l| minus <= l) {
                return Err(scope_err());
            }
        }
        let parts = split_nonempty(s, ':');
        let (mut start, mut end) = (0u32, 0u32);
        let mut found = None;
        for (index, v) in parts.iter().enumerate().skip(1) {
            let v = v.trim();
            if v == "*" {
                (start, end) = (0, 0xffff);
            } else if v.contains('-') {
                if v.starts_with('-') {
                    return Err(format!(
                        "RangeRemoteAddressStrategy netaddress examine scope Exception value {v} "
                    ));
                }
                let se = split_nonempty(v, '-');
                let num = |x: Option<&&str>| -> Result<u32, String> {
                    x.and_then(|x| u32::from_str_radix(x, 16).ok())
                        .ok_or_else(|| addr_err(s))
                };
                (start, end) = (num(se.first())?, num(se.get(1))?);
                if !(start <= end && end <= 0xffff) {
                    return Err(format!("RangeRemoteAddressStrategy netaddress examine scope Exception start is {start} , end is {end}"));
                }
            }
            if end > 0 {
                found = Some(index);
                break;
            }
        }
        let Some(index) = found else {
            return Err(addr_err(s));
        };
        // AclUtils.verify(remoteAddr, index - 1): the groups before the range are hex 0..=ffff.
        let expanded = expand_ip(s);
        let groups = split_nonempty(&expanded, ':');
        if groups.len() < index - 1
            || !groups[..index - 1]
                .iter()
                .all(|g| u32::from_str_radix(g, 16).is_ok_and(|n| n <= 0xffff))
        {
            return Err(scope_err());
        }
        // v6ipProcess: the address without its range group(s), expanded to 6 or 7 groups.
        let last = s.rfind(':').unwrap_or(0);
        let (part, sub) = match (asterisk.is_some(), s.contains('-')) {
            (true, true) => (6, s[..last].rfind(':').map(|c| &s[..c])),
            _ => (7, Some(&s[..last])),
        };
        let Some(sub) = sub else {
            return Err(scope_err());
        };
        let head = expand_ip_n(sub, part);
        let index = split_nonempty(&head, ':').len();
        Ok(AddrPattern::Range6 {
            head,
            start,
            end,
            index,
        })
    }

    /// `RangeRemoteAddressStrategy` for IPv4 patterns.
    fn range(s: &str) -> Result<AddrPattern, String> {
        if s.contains(':') {
            return Self::range6(s);
        }
        let parts = split_nonempty(s, '.');
        let (mut start, mut end) = (0u32, 0u32);
        let mut found = None;
        for index in 1..=3 {
            let Some(v) = parts.get(index).map(|v| v.trim()) else {
                break;
            };
            if v == "*" {
                (start, end) = (0, 255);
            } else if v.contains('-') {
                if v.starts_with('-') {
                    return Err(format!(
                        "RangeRemoteAddressStrategy netaddress examine scope Exception value {v} "
                    ));
                }
                let se = split_nonempty(v, '-');
                let num = |x: Option<&&str>| -> Result<u32, String> {
                    x.and_then(|x| x.trim().parse::<u32>().ok())
                        .ok_or_else(|| addr_err(s))
                };
                (start, end) = (num(se.first())?, num(se.get(1))?);
                if !(start <= end && end <= 255) {
                    return Err(format!("RangeRemoteAddressStrategy netaddress examine scope Exception start is {start} , end is {end}"));
                }
            }
            if end > 0 {
                found = Some(index);
                break;
            }
        }
        let Some(index) = found else {
            return Err(addr_err(s));
        };
        // AclUtils.verify(remoteAddr, index - 1): four parts, the fixed ones 0..=255.
        if parts.len() != 4
            || !parts[..index - 1]
                .iter()
                .all(|p| p.trim().parse::<u32>().is_ok_and(|n| n <= 255))
        {
            return Err(addr_err(s));
        }
        let head: String = parts[..index]
            .iter()
            .map(|p| format!("{}.", p.trim()))
            .collect();
        Ok(AddrPattern::Range {
            head,
            start,
            end,
            index,
        })
    }

    /// `RemoteAddressStrategy.match` against the request's address (without the port).
    pub fn matches(&self, addr: &str) -> bool {
        match self {
            AddrPattern::Blank => false,
            AddrPattern::Any => true,
            AddrPattern::Multiple(set) => {
                if is_ipv6(addr) {
                    set.contains(&expand_ip(addr))
                } else {
                    set.contains(addr)
                }
            }
            AddrPattern::One(a) => *a == expand_ip(addr),
            AddrPattern::Range {
                head,
                start,
                end,
                index,
            } => {
                if !is_ipv4(addr) || !addr.starts_with(head.as_str()) {
                    return false;
                }
                let rest = &addr[head.len()..];
                let value = match index {
                    3 => rest,
                    2 => rest.split('.').next().unwrap_or(""),
                    _ => rest.split('.').next().unwrap_or(""),
                };
                value.parse::<u32>().is_ok_and(|v| v >= *start && v <= *end)
            }
            AddrPattern::Range6 {
                head,
                start,
                end,
                index,
            } => {
                if !is_ipv6(addr) {
                    return false;
                }
                let a = expand_ip(addr);
                if !a.starts_with(head.as_str()) {
                    return false;
                }
                a.get(5 * index..5 * index + 4)
                    .and_then(|g| u32::from_str_radix(g, 16).ok())
                    .is_some_and(|v| v >= *start && v <= *end)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The file

/// One `accounts` entry (`PlainAccessResource` as `buildPlainAccessResource` makes it).
#[derive(Debug, Clone)]
pub struct Account {
    pub access_key: String,
    pub secret_key: String,
    pub white: AddrPattern,
    pub admin: bool,
    pub default_topic_perm: u8,
    pub default_group_perm: u8,
    /// Topics, and groups as their retry topics; `None` when neither list is given.
    pub perms: Option<HashMap<String, u8>>,
}

/// The parsed `plain_acl.yml`.
#[derive(Debug, Clone, Default)]
pub struct PlainAcl {
    pub global_white: Vec<AddrPattern>,
    pub accounts: HashMap<String, Account>,
    /// The file's `dataVersion` (its first element), or counter 0 stamped when read; merged:
    /// the default file's.
    pub version: DataVersion,
    /// Whether there was a file; merged: whether the default file was among them.
    pub exists: bool,
    /// Merged from several files: each file read, in order, with its `dataVersion`.
    pub files: Vec<(PathBuf, DataVersion)>,
    /// Merged: the file each accessKey was taken from (Java's `accessKeyTable`).
    pub key_file: HashMap<String, PathBuf>,
}

/// A YAML scalar as fastjson's `getString` gives it.
fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn list(y: &Yaml) -> Vec<String> {
    match y {
        Yaml::Array(a) => a.iter().filter_map(scalar).collect(),
        _ => Vec::new(),
    }
}

impl PlainAcl {
    /// Parse the file's text (`PlainPermissionManager.load`); errors carry Java's texts.
    pub fn parse(text: &str, path: &str) -> Result<PlainAcl, String> {
        let docs = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
        let root = match docs.into_iter().next() {
            Some(Yaml::Hash(h)) if !h.is_empty() => Yaml::Hash(h),
            _ => return Err(format!("{path} file is not data")),
        };
        let mut acl = PlainAcl {
            version: edit::file_version(&root).unwrap_or(DataVersion {
                counter: 0,
                timestamp: rocklet_protocol::time::now_ms(),
            }),
            exists: true,
            ..PlainAcl::default()
        };
        for a in list(&root["globalWhiteRemoteAddresses"]) {
            acl.global_white.push(AddrPattern::parse(Some(&a))?);
        }
        if let Yaml::Array(accounts) = &root["accounts"] {
            for a in accounts {
                let s = |k: &str| scalar(&a[k]);
                let (ak, sk) = (s("accessKey"), s("secretKey"));
                match (&ak, &sk) {
                    (Some(ak), Some(sk)) if ak.chars().count() > 6 && sk.chars().count() > 6 => {}
                    _ => {
                        return Err(format!(
                        "The accessKey={} and secretKey={} cannot be null and length should longer than 6",
                        ak.as_deref().unwrap_or("null"),
                        sk.as_deref().unwrap_or("null")
                    ))
                    }
                }
                let (ak, sk) = (ak.unwrap_or_default(), sk.unwrap_or_default());
                let mut perms: Option<HashMap<String, u8>> = None;
                for (key, is_topic) in [("groupPerms", false), ("topicPerms", true)] {
                    for r in list(&a[key]) {
                        let items = split_nonempty(&r, '=');
                        if items.len() != 2 {
                            return Err(format!(
                                "Parse resource permission failed for {}:{r}",
                                if is_topic { "topic" } else { "group" }
                            ));
                        }
                        let name = items[0].trim();
                        let name = if is_topic {
                            name.to_owned()
                        } else {
                            retry_topic(name)
                        };
                        perms
                            .get_or_insert_with(HashMap::new)
                            .insert(name, parse_perm(Some(items[1])));
                    }
                }
                let admin = match &a["admin"] {
                    Yaml::Boolean(b) => *b,
                    Yaml::String(s) => s.eq_ignore_ascii_case("true"),
                    _ => false,
                };
                let account = Account {
                    white: AddrPattern::parse(s("whiteRemoteAddress").as_deref())?,
                    admin,
                    default_topic_perm: parse_perm(s("defaultTopicPerm").as_deref()),
                    default_group_perm: parse_perm(s("defaultGroupPerm").as_deref()),
                    perms,
                    access_key: ak.clone(),
                    secret_key: sk,
                };
                // The first of a repeated accessKey wins (Java: "AccessKey can not be defined in
                // multiple ACL files"; within one file its map keeps the last, but the key table
                // the validator reads holds the first file's entry).
                acl.accounts.entry(ak).or_insert(account);
            }
        }
        Ok(acl)
    }

    /// `PlainPermissionManager.validate` for a request from `addr` (the IP, no port).
    pub fn validate(&self, req: &RemotingCommand, addr: &str) -> Result<(), AclError> {
        if self.global_white.iter().any(|p| p.matches(addr)) {
            return Ok(());
        }
        let needed = needed_perms(req)?;
        let Some(ak) = req.ext_fields.get(sig::ACCESS_KEY) else {
            return Err(AclError::new(
                "No accessKey is configured",
                FRAME_VALIDATE_NO_AK,
            ));
        };
        let Some(owned) = self.accounts.get(ak) else {
            return Err(AclError::new(
                format!("No acl config for {ak}"),
                FRAME_VALIDATE_NO_CONFIG,
            ));
        };
        if owned.white.matches(addr) {
            return Ok(());
        }
        if !sig::verify_request(req, &owned.secret_key) {
            return Err(AclError::new(
                format!("Check signature failed for accessKey={ak}"),
                FRAME_VALIDATE_SIGNATURE,
            ));
        }
        check_perm(req.code, &needed, owned)
    }
}

/// `PlainPermissionManager.checkPerm`.
fn check_perm(code: i32, needed: &[(String, u8)], owned: &Account) -> Result<(), AclError> {
    if need_admin_perm(code) && !owned.admin {
        return Err(AclError::new(
            format!(
                "Need admin permission for request code={code}, but accessKey={} is not",
                owned.access_key
            ),
            FRAME_CHECK_ADMIN,
        ));
    }
    if needed.is_empty() || (owned.perms.is_none() && owned.admin) {
        return Ok(());
    }
    for (resource, perm) in needed {
        let group = resource.starts_with(RETRY_PREFIX);
        let print = || {
            if group {
                format!("group:{}", &resource[RETRY_PREFIX.len()..])
            } else {
                format!("topic:{resource}")
            }
        };
        match owned.perms.as_ref().and_then(|m| m.get(resource)) {
            None => {
                let d = if group {
                    owned.default_group_perm
                } else {
                    owned.default_topic_perm
                };
                if !check_permission(*perm, d) {
                    return Err(AclError::new(
                        format!("No default permission for {}", print()),
                        FRAME_CHECK_DEFAULT,
                    ));
                }
            }
            Some(p) => {
                if !check_permission(*perm, *p) {
                    return Err(AclError::new(
                        format!("No default permission for {}", print()),
                        FRAME_CHECK_LISTED,
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Java's `String.hashCode`.
fn java_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

/// The resources of a request and the permission each needs (`PlainAccessValidator.parse`),
/// in the order Java's `HashMap` iterates them (which decides the resource a refusal names).
fn needed_perms(req: &RemotingCommand) -> Result<Vec<(String, u8)>, AclError> {
    let f = |k: &str| req.ext_fields.get(k).map(str::to_owned);
    let mut v: Vec<(String, u8)> = Vec::new();
    let mut add = |r: Option<String>, p: u8| {
        if let Some(r) = r {
            match v.iter_mut().find(|(x, _)| *x == r) {
                Some(e) => e.1 = p,
                None => v.push((r, p)),
            }
        }
    };
    if req.ext_fields.is_empty() {
        return Ok(Vec::new());
    }
    let rt = |g: Option<String>| g.map(|g| retry_topic(&g));
    match RequestCode::from(req.code) {
        RequestCode::SEND_MESSAGE => add(f("topic"), PUB),
        RequestCode::SEND_MESSAGE_V2 => add(f("b"), PUB),
        RequestCode::CONSUMER_SEND_MSG_BACK => {
            add(f("originTopic"), PUB);
            add(rt(f("group")), SUB);
        }
        RequestCode::PULL_MESSAGE => {
            add(f("topic"), SUB);
            add(rt(f("consumerGroup")), SUB);
        }
        RequestCode::QUERY_MESSAGE => add(f("topic"), SUB),
        RequestCode::HEART_BEAT => {
            let hb: rocklet_protocol::body::HeartbeatData =
                serde_json::from_slice(req.body_bytes())
                    .map_err(|e| AclError::new(format!("heartbeat body: {e}"), FRAME_PARSE))?;
            for c in hb.consumer_data_set {
                add(Some(retry_topic(&c.group_name)), SUB);
                for s in c.subscription_data_set {
                    add(Some(s.topic), SUB);
                }
            }
        }
        // Java decodes these headers with `decodeCommandCustomHeader`, which in 4.9.3 only logs
        // a missing or malformed field: a missing group or topic is simply not checked.
        RequestCode::UNREGISTER_CLIENT | RequestCode::GET_CONSUMER_LIST_BY_GROUP => {
            add(rt(f("consumerGroup")), SUB)
        }
        RequestCode::UPDATE_CONSUMER_OFFSET => {
            add(rt(f("consumerGroup")), SUB);
            add(f("topic"), SUB);
        }
        _ => {}
    }
    Ok(java_hashmap_order(v))
}

/// The order Java's `HashMap<String, _>` iterates entries put in the order given: by bucket
/// (hash spread, a table of 16 growing at 3/4 load), then insertion order within a bucket.
pub fn java_hashmap_order<T>(v: Vec<(String, T)>) -> Vec<(String, T)> {
    let mut cap = 16usize;
    while v.len() * 4 > cap * 3 {
        cap *= 2;
    }
    let bucket = |s: &str| {
        let h = java_hash(s) as u32;
        ((h ^ (h >> 16)) as usize) & (cap - 1)
    };
    let mut v: Vec<(usize, (String, T))> = v.into_iter().enumerate().collect();
    v.sort_by_key(|(i, (k, _))| (bucket(k), *i));
    v.into_iter().map(|(_, e)| e).collect()
}

// ---------------------------------------------------------------------------------------------
// The manager: the files, reloaded when they change

/// The broker's ACL state: the files merged, and where they were read from.
pub struct AclManager {
    /// The default file (`rocketmq.acl.plain.file`): new accounts and the global white list
    /// are written there.
    path: PathBuf,
    /// `<home>/conf/acl`, read recursively (Java's `defaultAclDir`); `None`: the file alone.
    dir: Option<PathBuf>,
    current: RwLock<Arc<PlainAcl>>,
    /// Every file's path and bytes when last read, compared every [`WATCH_INTERVAL`]: an edit
    /// within the same second and of the same length is still seen, and so is a file added or
    /// removed (Java compares modification times and the number of files).
    seen: parking_lot::Mutex<Vec<(PathBuf, Vec<u8>)>>,
    /// Held by the management codes while they rewrite a file (Java's `synchronized`).
    edit: parking_lot::Mutex<()>,
    /// Java's deprecated `dataVersion` as constructed: what the `version` field of
    /// GET_BROKER_CLUSTER_ACL_INFO carries while there is no default file.
    created: DataVersion,
}

/// The file's bytes; `Ok(None)` when it does not exist.
fn read_bytes(path: &Path) -> Result<Option<Vec<u8>>, String> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// How deep `conf/acl` is searched (Java recurses without a bound, and loops for ever on a
/// symlink to a parent).
const MAX_DIR_DEPTH: usize = 16;

/// Java `PlainPermissionManager.getAllAclFiles`: every entry whose name ends in `.yml` or
/// `.yaml`, and the same within every other directory, recursively. Java takes the entries in
/// the order the file system lists them; Rocklet sorts them by name. (Java's exclusion of
/// `<home>/conf/tools.yml` never matches under `conf/acl`, so no file there is left out.)
fn list_acl_files(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let name = p.to_string_lossy();
        if name.ends_with(".yml") || name.ends_with(".yaml") {
            // Java keys its file tables (and code 52's answer) by `getAbsolutePath()`.
            out.push(std::path::absolute(&p).unwrap_or(p));
        } else if p.is_dir() && depth < MAX_DIR_DEPTH {
            list_acl_files(&p, depth + 1, out);
        }
    }
}

impl AclManager {
    /// `<home>/<file>` alone (Java: `rocketmq.home.dir` + `rocketmq.acl.plain.file`, default
    /// `conf/plain_acl.yml`). A missing file means no accounts (every signed request refused);
    /// a malformed one fails the start.
    pub fn load(path: PathBuf) -> Result<AclManager, String> {
        Self::load_all(path, None)
    }

    /// The default file and every `.yml`/`.yaml` file under `dir` (`<home>/conf/acl`), merged
    /// as Java's `PlainPermissionManager.load()` merges them: the files under `dir` first, the
    /// default file last; an accessKey defined in several files keeps the first definition (a
    /// warning for the others); the global white addresses of every file apply. A malformed
    /// file fails the start (the error names it).
    pub fn load_all(path: PathBuf, dir: Option<PathBuf>) -> Result<AclManager, String> {
        let m = AclManager {
            path,
            dir,
            current: RwLock::new(Arc::new(PlainAcl::default())),
            seen: parking_lot::Mutex::new(Vec::new()),
            edit: parking_lot::Mutex::new(()),
            created: DataVersion {
                counter: 0,
                timestamp: rocklet_protocol::time::now_ms(),
            },
        };
        let snap = m.snapshot()?;
        let acl = m.build(&snap)?;
        *m.current.write() = Arc::new(acl);
        *m.seen.lock() = snap;
        Ok(m)
    }

    /// The files to read, in Java's order: those under the directory, then the default file
    /// if it exists and is not one of them.
    fn files(&self) -> Vec<PathBuf> {
        let mut v = Vec::new();
        if let Some(dir) = &self.dir {
            list_acl_files(dir, 0, &mut v);
        }
        if self.path.exists() && !v.contains(&self.path) {
            v.push(self.path.clone());
        }
        v
    }

    /// Every file's bytes (a file gone since it was listed is left out).
    fn snapshot(&self) -> Result<Vec<(PathBuf, Vec<u8>)>, String> {
        let mut v = Vec::new();
        for f in self.files() {
            if let Some(b) = read_bytes(&f)? {
                v.push((f, b));
            }
        }
        Ok(v)
    }

    /// Parse and merge the files (Java's `load()`); an error names the file.
    fn build(&self, snap: &[(PathBuf, Vec<u8>)]) -> Result<PlainAcl, String> {
        let mut acl = PlainAcl {
            version: self.created.clone(),
            ..PlainAcl::default()
        };
        if snap.is_empty() {
            tracing::warn!(file = %self.path.display(), "ACL file not found: no accounts");
        }
        for (path, bytes) in snap {
            let name = path.display().to_string();
            let one = PlainAcl::parse(&String::from_utf8_lossy(bytes), &name).map_err(|e| {
                if e.starts_with(&name) {
                    e
                } else {
                    format!("{name}: {e}")
                }
            })?;
            acl.global_white.extend(one.global_white);
            for (ak, account) in one.accounts {
                if acl.accounts.contains_key(&ak) {
                    tracing::warn!(access_key = %ak, file = %name, "The accessKey is repeated in multiple ACL files: the first definition is kept");
                    continue;
                }
                acl.key_file.insert(ak.clone(), path.clone());
                acl.accounts.insert(ak, account);
            }
            if *path == self.path {
                acl.version = one.version.clone();
                acl.exists = true;
            }
            acl.files.push((path.clone(), one.version));
        }
        Ok(acl)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file that holds `ak` (Java's `accessKeyTable`), else the default file.
    fn file_of(&self, ak: &str) -> PathBuf {
        self.current
            .read()
            .key_file
            .get(ak)
            .cloned()
            .unwrap_or_else(|| self.path.clone())
    }

    /// Re-read the files if any changed, or one was added or removed; a file that no longer
    /// parses (or cannot be read) leaves the previous accounts in force (logged).
    pub fn reload_if_changed(&self) {
        let snap = match self.snapshot() {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "ACL file not readable; the previous accounts stay in force");
                return;
            }
        };
        {
            let mut seen = self.seen.lock();
            if *seen == snap {
                return;
            }
            seen.clone_from(&snap);
        }
        match self.build(&snap) {
            Ok(acl) => {
                tracing::info!(
                    files = acl.files.len(),
                    accounts = acl.accounts.len(),
                    "ACL files reloaded"
                );
                *self.current.write() = Arc::new(acl);
            }
            Err(e) => {
                tracing::error!(error = %e, "ACL files not reloaded; the previous accounts stay in force")
            }
        }
    }

    /// Check one request from `peer`.
    pub fn check(&self, req: &RemotingCommand, peer: IpAddr) -> Result<(), AclError> {
        let acl = self.current.read().clone();
        // An IPv4 client of a dual-stack listener shows as `::ffff:a.b.c.d`; Java sees a.b.c.d.
        acl.validate(req, &peer.to_canonical().to_string())
    }
}

#[cfg(test)]
mod tests;
