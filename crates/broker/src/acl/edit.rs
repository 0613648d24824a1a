//! The ACL management codes' side of the file (Java `PlainPermissionManager.updateAccessConfig`,
//! `deleteAccessConfig`, `updateGlobalWhiteAddrsConfig`, `getAllAclConfig`,
//! `updateAclConfigFileVersion`): each change reads the file, edits it as a YAML tree, writes
//! it back as SnakeYAML's `dumpAsMap` writes it (see [`super::yaml_out`]) with its `dataVersion`
//! moved on, and reloads it at once (Java's own reload comes from its 5 s file watcher).
//!
//! An `Err` is the text Java puts in the remark (its exception's message); `Ok(false)` is a
//! refusal Java reports with its fixed "has been ... failed." text.

use rocklet_protocol::body::{AclConfig, DataVersion, PlainAccessConfig};
use std::path::Path;
use yaml_rust2::yaml::Hash;
use yaml_rust2::{Yaml, YamlLoader};

use super::{scalar, split_nonempty, AclManager, AddrPattern};

/// `AclConstants.ACCESS_KEY_MIN_LENGTH` / `SECRET_KEY_MIN_LENGTH`.
const KEY_MIN_LENGTH: usize = 6;

/// Java `String.length()`.
fn jlen(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Java `String.split(regex)` for a one-character separator: trailing empty strings removed,
/// but `""` gives `[""]`.
pub fn java_split(s: &str, sep: char) -> Vec<String> {
    if s.is_empty() {
        return vec![String::new()];
    }
    let mut v: Vec<String> = s.split(sep).map(str::to_owned).collect();
    while v.last().is_some_and(String::is_empty) {
        v.pop();
    }
    v
}

/// What UPDATE_AND_CREATE_ACL_CONFIG carries (`PlainAccessConfig` as the processor builds it
/// from the header).
#[derive(Debug, Clone, Default)]
pub struct AccountUpdate {
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub white_remote_address: Option<String>,
    pub admin: bool,
    pub default_topic_perm: Option<String>,
    pub default_group_perm: Option<String>,
    pub topic_perms: Option<Vec<String>>,
    pub group_perms: Option<Vec<String>>,
}

/// `Permission.checkResourcePerms`.
fn check_resource_perms(resources: Option<&Vec<String>>) -> Result<(), String> {
    for r in resources.into_iter().flatten() {
        let items = split_nonempty(r, '=');
        if items.len() != 2 {
            return Err(format!(
                "Parse Resource format error for {r}.\nThe expected resource format is 'Res=Perm'. For example: topicA=SUB"
            ));
        }
        let p = items[1].trim();
        if p != "DENY" && super::parse_perm(Some(p)) == super::DENY {
            return Err(format!(
                "Parse resource permission error for {r}.\nThe expected permissions are 'SUB' or 'PUB' or 'SUB|PUB' or 'PUB|SUB'."
            ));
        }
    }
    Ok(())
}

fn key(k: &str) -> Yaml {
    Yaml::String(k.to_owned())
}

/// Java `LinkedHashMap.put`: a new key goes last, an existing one keeps its place.
fn put(h: &mut Hash, k: &str, v: Yaml) {
    let k = key(k);
    match h.get_mut(&k) {
        Some(slot) => *slot = v,
        None => {
            h.insert(k, v);
        }
    }
}

fn str_list(v: &[String]) -> Yaml {
    Yaml::Array(v.iter().map(|s| Yaml::String(s.clone())).collect())
}

fn now_ms() -> i64 {
    rocklet_protocol::time::now_ms()
}

/// The `dataVersion` of a parsed file: the first element of its `dataVersion` list.
pub(super) fn file_version(root: &Yaml) -> Option<DataVersion> {
    let Yaml::Array(a) = &root["dataVersion"] else {
        return None;
    };
    let first = a.first()?;
    let num = |k: &str| scalar(&first[k]).and_then(|s| s.trim().parse::<i64>().ok());
    Some(DataVersion {
        counter: num("counter").unwrap_or(0),
        timestamp: num("timestamp").unwrap_or(0),
    })
}

/// `updateAclConfigFileVersion`: the file's version (or a new one) moved on, written into the
/// tree as `dataVersion: [{counter, timestamp}]`.
fn next_version(root: &mut Hash) -> DataVersion {
    let old = file_version(&Yaml::Hash(root.clone())).unwrap_or(DataVersion {
        counter: 0,
        timestamp: now_ms(),
    });
    let v = DataVersion {
        counter: old.counter + 1,
        timestamp: now_ms(),
    };
    let mut entry = Hash::new();
    entry.insert(key("counter"), Yaml::Integer(v.counter));
    entry.insert(key("timestamp"), Yaml::Integer(v.timestamp));
    put(root, "dataVersion", Yaml::Array(vec![Yaml::Hash(entry)]));
    v
}

impl AclManager {
    /// The file as a YAML tree: `Ok(None)` when it is absent or holds no document (SnakeYAML's
    /// `null`).
    fn read_tree(path: &Path) -> Result<Option<Yaml>, String> {
        let text = match std::fs::read(path) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let docs = YamlLoader::load_from_str(&text).map_err(|e| e.to_string())?;
        Ok(docs
            .into_iter()
            .next()
            .filter(|d| !matches!(d, Yaml::Null | Yaml::BadValue)))
    }

    /// Write the tree and take it in force now.
    fn write_tree(&self, path: &Path, root: Hash) -> Result<(), String> {
        let text = super::yaml_out::dump(&Yaml::Hash(root));
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
        }
        // Rewritten in place, as Java's FileWriter does (a symlinked file, e.g. a mounted config
        // map, stays a symlink). A watcher tick that reads it half-written fails to parse, keeps
        // the accounts in force and reads it again: the reload below sees the whole file.
        std::fs::write(path, text.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
        self.reload_if_changed();
        Ok(())
    }

    fn root_map(path: &Path, tree: Option<Yaml>, empty_ok: bool) -> Result<Hash, String> {
        match tree {
            Some(Yaml::Hash(h)) if !h.is_empty() || empty_ok => Ok(h),
            None if empty_ok => Ok(Hash::new()),
            _ => Err(format!("the {} file is not found or empty", path.display())),
        }
    }

    /// UPDATE_AND_CREATE_ACL_CONFIG (`updateAccessConfig`): an account of that accessKey is
    /// updated (and moves to the end of `accounts`, as Java's remove-then-add leaves it) in the
    /// file it was taken from, else one is added to the default file.
    pub fn update_account(&self, u: &AccountUpdate) -> Result<bool, String> {
        let _g = self.edit.lock();
        let ak_ok = u
            .access_key
            .as_deref()
            .is_some_and(|a| jlen(a) > KEY_MIN_LENGTH);
        let sk_ok = u
            .secret_key
            .as_deref()
            .is_some_and(|s| jlen(s) > KEY_MIN_LENGTH);
        if !ak_ok || !sk_ok {
            return Err(format!(
                "The accessKey={} and secretKey={} cannot be null and length should longer than 6",
                u.access_key.as_deref().unwrap_or("null"),
                u.secret_key.as_deref().unwrap_or("null")
            ));
        }
        check_resource_perms(u.topic_perms.as_ref())?;
        check_resource_perms(u.group_perms.as_ref())?;
        // Java parses the address only when it builds the account in memory (and for an
        // existing account not even then): a bad one is refused here before anything is written.
        AddrPattern::parse(u.white_remote_address.as_deref())?;
        let ak = u.access_key.clone().unwrap_or_default();

        self.reload_if_changed();
        let path = self.file_of(&ak);
        let mut root = Self::root_map(&path, Self::read_tree(&path)?, true)?;
        // An empty (or absent) file: Java starts from a HashMap, which holds `dataVersion` in an
        // earlier bucket than `accounts` and so writes it first.
        let fresh = root.is_empty();
        let mut accounts = match root.get(&key("accounts")) {
            Some(Yaml::Array(a)) => a.clone(),
            _ => Vec::new(),
        };
        let found = accounts
            .iter()
            .position(|a| scalar(&a["accessKey"]).as_deref() == Some(ak.as_str()));
        let mut account = match found {
            Some(i) => match accounts.remove(i) {
                Yaml::Hash(h) => h,
                _ => Hash::new(),
            },
            None => Hash::new(),
        };
        put(&mut account, "accessKey", Yaml::String(ak.clone()));
        if let Some(sk) = u.secret_key.as_ref().filter(|s| !s.is_empty()) {
            put(&mut account, "secretKey", Yaml::String(sk.clone()));
        }
        if let Some(w) = &u.white_remote_address {
            put(&mut account, "whiteRemoteAddress", Yaml::String(w.clone()));
        }
        put(&mut account, "admin", Yaml::Boolean(u.admin));
        if let Some(p) = u.default_topic_perm.as_ref().filter(|s| !s.is_empty()) {
            put(&mut account, "defaultTopicPerm", Yaml::String(p.clone()));
        }
        if let Some(p) = u.default_group_perm.as_ref().filter(|s| !s.is_empty()) {
            put(&mut account, "defaultGroupPerm", Yaml::String(p.clone()));
        }
        if let Some(p) = &u.topic_perms {
            put(&mut account, "topicPerms", str_list(p));
        }
        if let Some(p) = &u.group_perms {
            put(&mut account, "groupPerms", str_list(p));
        }
        accounts.push(Yaml::Hash(account));
        put(&mut root, "accounts", Yaml::Array(accounts));
        // The whole file must still load (an account Java would fail to build is refused).
        super::PlainAcl::parse(
            &super::yaml_out::dump(&Yaml::Hash(root.clone())),
            &path.display().to_string(),
        )?;
        next_version(&mut root);
        if fresh {
            let mut h = Hash::new();
            for k in ["dataVersion", "accounts"] {
                if let Some(v) = root.remove(&key(k)) {
                    h.insert(key(k), v);
                }
            }
            root = h;
        }
        self.write_tree(&path, root)?;
        tracing::info!(access_key = %ak, "ACL account created or updated");
        Ok(true)
    }

    /// DELETE_ACL_CONFIG (`deleteAccessConfig`): removed from the file the account was taken
    /// from; `Ok(false)` when no account has that key.
    pub fn delete_account(&self, ak: &str) -> Result<bool, String> {
        let _g = self.edit.lock();
        if ak.is_empty() {
            return Ok(false);
        }
        self.reload_if_changed();
        if !self.current.read().accounts.contains_key(ak) {
            return Ok(false);
        }
        let path = self.file_of(ak);
        let mut root = Self::root_map(&path, Self::read_tree(&path)?, false)?;
        let Some(Yaml::Array(accounts)) = root.get(&key("accounts")) else {
            return Ok(false);
        };
        let mut accounts = accounts.clone();
        let Some(i) = accounts
            .iter()
            .position(|a| scalar(&a["accessKey"]).as_deref() == Some(ak))
        else {
            return Ok(false);
        };
        accounts.remove(i);
        put(&mut root, "accounts", Yaml::Array(accounts));
        next_version(&mut root);
        self.write_tree(&path, root)?;
        tracing::info!(access_key = %ak, file = %path.display(), "ACL account deleted");
        Ok(true)
    }

    /// UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (`updateGlobalWhiteAddrsConfig`): the list of the
    /// default file replaced (the other files' lists stay);
    /// `Ok(false)` when the file has no `globalWhiteRemoteAddresses` list to replace.
    pub fn update_global_white(&self, addrs: &[String]) -> Result<bool, String> {
        let _g = self.edit.lock();
        for a in addrs {
            AddrPattern::parse(Some(a))?;
        }
        self.reload_if_changed();
        let mut root = Self::root_map(&self.path, Self::read_tree(&self.path)?, false)?;
        if !matches!(
            root.get(&key("globalWhiteRemoteAddresses")),
            Some(Yaml::Array(_))
        ) {
            tracing::error!(file = %self.path.display(), "the ACL file has no globalWhiteRemoteAddresses list to update");
            return Ok(false);
        }
        put(&mut root, "globalWhiteRemoteAddresses", str_list(addrs));
        next_version(&mut root);
        self.write_tree(&self.path, root)?;
        tracing::info!(?addrs, "ACL global white addresses updated");
        Ok(true)
    }

    /// GET_BROKER_CLUSTER_ACL_CONFIG (`getAllAclConfig`): read from the files in their order,
    /// every file's global white addresses, the first of a repeated accessKey kept.
    pub fn all_config(&self) -> Result<AclConfig, String> {
        self.reload_if_changed();
        let files: Vec<std::path::PathBuf> = {
            let cur = self.current.read();
            cur.files.iter().map(|(p, _)| p.clone()).collect()
        };
        let mut white = Vec::new();
        let mut configs: Vec<PlainAccessConfig> = Vec::new();
        for path in files {
            let Some(tree) = Self::read_tree(&path)? else {
                continue;
            };
            let Yaml::Hash(h) = &tree else {
                return Err(format!("{} file is not data", path.display()));
            };
            if h.is_empty() {
                return Err(format!("{} file is not data", path.display()));
            }
            if let Yaml::Array(a) = &tree["globalWhiteRemoteAddresses"] {
                white.extend(a.iter().map(|y| scalar(y).unwrap_or_default()));
            }
            if let Yaml::Array(accounts) = &tree["accounts"] {
                for a in accounts {
                    let s = |k: &str| scalar(&a[k]);
                    let ak = s("accessKey");
                    if configs.iter().any(|c| c.access_key == ak) {
                        continue;
                    }
                    let list = |k: &str| match &a[k] {
                        Yaml::Array(v) => {
                            Some(v.iter().map(|y| scalar(y).unwrap_or_default()).collect())
                        }
                        _ => None,
                    };
                    configs.push(PlainAccessConfig {
                        access_key: ak,
                        admin: match &a["admin"] {
                            Yaml::Boolean(b) => *b,
                            Yaml::String(s) => s.eq_ignore_ascii_case("true"),
                            _ => false,
                        },
                        default_group_perm: s("defaultGroupPerm"),
                        default_topic_perm: s("defaultTopicPerm"),
                        group_perms: list("groupPerms"),
                        secret_key: s("secretKey"),
                        topic_perms: list("topicPerms"),
                        white_remote_address: s("whiteRemoteAddress"),
                    });
                }
            }
        }
        Ok(AclConfig {
            global_white_addrs: Some(white),
            plain_access_configs: Some(configs),
        })
    }

    /// GET_BROKER_CLUSTER_ACL_INFO: the default file's version (Java's deprecated
    /// `dataVersion`), and each file's version (`dataVersionMap`) in the order Java's `HashMap`
    /// of file paths iterates.
    pub fn versions(&self) -> (DataVersion, Vec<(String, DataVersion)>) {
        let cur = self.current.read().clone();
        let files = cur
            .files
            .iter()
            .map(|(p, v)| (p.display().to_string(), v.clone()))
            .collect();
        (cur.version.clone(), super::java_hashmap_order(files))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_emptied_while_running_then_an_account_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plain_acl.yml");
        std::fs::write(
            &path,
            "accounts:\n  - accessKey: rocketmq2\n    secretKey: 87654321\n    admin: true\n",
        )
        .unwrap();
        let m = AclManager::load(path.clone()).unwrap();
        std::fs::write(&path, "").unwrap();
        let u = AccountUpdate {
            access_key: Some("newUser01".into()),
            secret_key: Some("newSecret01".into()),
            ..Default::default()
        };
        assert_eq!(m.update_account(&u), Ok(true));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("dataVersion:\n- counter: 1\n  timestamp: "),
            "{text}"
        );
        assert!(
            text.ends_with(
                "accounts:\n- accessKey: newUser01\n  secretKey: newSecret01\n  admin: false\n"
            ),
            "{text}"
        );
        assert!(m.current.read().accounts.contains_key("newUser01"));
        assert_eq!(m.versions().0.counter, 1);
        // Deleting the last account leaves an empty list (Java fails with an index error).
        assert_eq!(m.delete_account("newUser01"), Ok(true));
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .contains("accounts: []\n"));
        assert_eq!(m.delete_account("newUser01"), Ok(false));
        // No globalWhiteRemoteAddresses list to replace: refused (Java's `false`).
        assert_eq!(m.update_global_white(&["127.0.0.1".into()]), Ok(false));
        assert!(m.update_global_white(&["300.1.1.1".into()]).is_err());
        assert_eq!(m.versions().0.counter, 2);
    }

    #[test]
    fn split_like_java() {
        assert_eq!(java_split("", ','), vec![""]);
        assert_eq!(java_split("a,b", ','), vec!["a", "b"]);
        assert_eq!(java_split("a,,b,,", ','), vec!["a", "", "b"]);
        assert!(java_split(",", ',').is_empty());
    }
}
