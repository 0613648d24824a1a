//! Consumer groups' settings (`SubscriptionGroupManager`), persisted to
//! `config/subscriptionGroup.json` in Java's layout (`{"dataVersion":..,"subscriptionGroupTable":..}`).

use parking_lot::RwLock;
use rocklet_protocol::body::{DataVersion, SubscriptionGroupConfig, SubscriptionGroupWrapper};
use std::path::Path;

use rocklet_store::config_file::{self, ConfigFileError, ConfigWriter};

/// The groups Java 4.9.3's `SubscriptionGroupManager.init()` creates (`MixAll`'s tool, filter
/// server, self-test and ONS groups); a group in the file wins over these.
const SYSTEM_GROUPS: &[&str] = &[
    "TOOLS_CONSUMER",
    "FILTERSRV_CONSUMER",
    "SELF_TEST_C_GROUP",
    "CID_ONS-HTTP-PROXY",
    "CID_ONSAPI_PULL",
    "CID_ONSAPI_PERMISSION",
    "CID_ONSAPI_OWNER",
];

pub struct SubscriptionGroupManager {
    inner: RwLock<SubscriptionGroupWrapper>,
    writer: ConfigWriter,
    auto_create: bool,
}

impl SubscriptionGroupManager {
    /// Loads `config/subscriptionGroup.json` (or its `.bak`); an error when neither decodes.
    pub fn load(root: &Path, auto_create: bool) -> Result<Self, ConfigFileError> {
        let path = root.join("config").join("subscriptionGroup.json");
        let mut w: SubscriptionGroupWrapper =
            config_file::load(&path, rocklet_protocol::body::decode_json)?.unwrap_or_default();
        for g in SYSTEM_GROUPS {
            w.subscription_group_table
                .entry((*g).to_owned())
                .or_insert_with(|| SubscriptionGroupConfig::new(*g));
        }
        if w.data_version.timestamp == 0 {
            w.data_version = DataVersion {
                counter: 0,
                timestamp: crate::processor::now_ms(),
            };
        }
        Ok(SubscriptionGroupManager {
            inner: RwLock::new(w),
            writer: ConfigWriter::new(path),
            auto_create,
        })
    }

    /// `findSubscriptionGroupConfig`: the group's settings, created with the defaults when
    /// `autoCreateSubscriptionGroup` is on; `None` when absent and not auto-created.
    pub fn find_or_create(&self, group: &str) -> Option<SubscriptionGroupConfig> {
        if let Some(c) = self.inner.read().subscription_group_table.get(group) {
            return Some(c.clone());
        }
        if !self.auto_create || group.is_empty() {
            return None;
        }
        let c = {
            let mut w = self.inner.write();
            let c = w
                .subscription_group_table
                .entry(group.to_owned())
                .or_insert_with(|| SubscriptionGroupConfig::new(group))
                .clone();
            bump(&mut w.data_version);
            c
        };
        tracing::info!(group, "subscription group auto-created");
        self.persist();
        Some(c)
    }

    /// Whether the group may consume (`consumeEnable`), creating it as [`Self::find_or_create`]
    /// does; without cloning the settings (asked on every pull).
    pub fn consume_enable(&self, group: &str) -> Option<bool> {
        if let Some(c) = self.inner.read().subscription_group_table.get(group) {
            return Some(c.consume_enable);
        }
        self.find_or_create(group).map(|c| c.consume_enable)
    }

    pub fn get(&self, group: &str) -> Option<SubscriptionGroupConfig> {
        self.inner
            .read()
            .subscription_group_table
            .get(group)
            .cloned()
    }

    /// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP.
    pub fn update(&self, c: SubscriptionGroupConfig) {
        {
            let mut w = self.inner.write();
            w.subscription_group_table.insert(c.group_name.clone(), c);
            bump(&mut w.data_version);
        }
        self.persist();
    }

    /// DELETE_SUBSCRIPTIONGROUP; whether the group existed.
    pub fn delete(&self, group: &str) -> bool {
        let removed = {
            let mut w = self.inner.write();
            let r = w.subscription_group_table.remove(group).is_some();
            if r {
                bump(&mut w.data_version);
            }
            r
        };
        if removed {
            self.persist();
        }
        removed
    }

    pub fn snapshot(&self) -> SubscriptionGroupWrapper {
        self.inner.read().clone()
    }

    pub fn group_names(&self) -> Vec<String> {
        self.inner
            .read()
            .subscription_group_table
            .keys()
            .cloned()
            .collect()
    }

    /// Hands the table to the file's writer thread; returns at once.
    pub fn persist(&self) {
        let json = serde_json::to_vec_pretty(&*self.inner.read()).unwrap_or_default();
        self.writer.submit(json);
    }

    /// Waits until every persist so far is on disk.
    pub fn flush(&self) {
        self.writer.flush();
    }
}

fn bump(v: &mut DataVersion) {
    v.counter += 1;
    v.timestamp = crate::processor::now_ms();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_create_persist_and_reload() {
        let dir = tempfile::tempdir().unwrap();
        let m = SubscriptionGroupManager::load(dir.path(), true).unwrap();
        assert!(m.get("TOOLS_CONSUMER").is_some());
        let c = m.find_or_create("g1").unwrap();
        assert_eq!((c.retry_max_times, c.retry_queue_nums), (16, 1));
        let mut c2 = SubscriptionGroupConfig::new("g2");
        c2.retry_max_times = 3;
        m.update(c2);
        assert!(m.delete("g1"));
        assert!(!m.delete("g1"));
        m.flush();
        let text =
            std::fs::read_to_string(dir.path().join("config/subscriptionGroup.json")).unwrap();
        assert!(text.contains("\"subscriptionGroupTable\""), "{text}");
        assert!(text.contains("\"retryMaxTimes\": 3"), "{text}");
        let again = SubscriptionGroupManager::load(dir.path(), false).unwrap();
        assert_eq!(again.get("g2").unwrap().retry_max_times, 3);
        assert!(again.get("g1").is_none());
        assert!(
            again.find_or_create("g3").is_none(),
            "no auto-create when off"
        );
    }
}
