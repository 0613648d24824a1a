//! The settings GET_NAMESRV_CONFIG reports and UPDATE_NAMESRV_CONFIG changes (Java
//! `Configuration` over `NamesrvConfig` and `NettyServerConfig`; the 4.9.3 name server registers
//! those two objects only, so `NettyClientConfig` keys are not part of it).
//!
//! Every key of the 4.9.3 name server is reported and accepted, but Rocklet acts on few:
//! `kvConfigPath` and `configStorePath` (where the next write goes, read at each write as in
//! Java), `orderMessageEnable` (routes carry `orderTopicConf`, from the next request on). The
//! other keys (`listenPort`, the Netty thread, buffer and semaphore sizes, `useEpollNativeSelector`,
//! `rocketmqHome`, `productEnvName`, `clusterTest`) are stored and reported only; in Java too
//! `listenPort` and `clusterTest` only matter at start.

use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Str,
    Int,
    Bool,
}

/// The keys in the order the 4.9.3 name server prints them on Java 17 (its `Properties` hash
/// order, captured from `getNamesrvConfig`), so the text matches byte for byte. Readers parse it
/// as properties, so the order carries no meaning.
const KEYS: [(&str, Kind); 20] = [
    ("serverSocketBacklog", Kind::Int),
    ("writeBufferHighWaterMark", Kind::Int),
    ("serverWorkerThreads", Kind::Int),
    ("serverSelectorThreads", Kind::Int),
    ("serverChannelMaxIdleTimeSeconds", Kind::Int),
    ("writeBufferLowWaterMark", Kind::Int),
    ("serverSocketRcvBufSize", Kind::Int),
    ("serverAsyncSemaphoreValue", Kind::Int),
    ("kvConfigPath", Kind::Str),
    ("configStorePath", Kind::Str),
    ("clusterTest", Kind::Bool),
    ("orderMessageEnable", Kind::Bool),
    ("serverSocketSndBufSize", Kind::Int),
    ("serverOnewaySemaphoreValue", Kind::Int),
    ("serverCallbackExecutorThreads", Kind::Int),
    ("listenPort", Kind::Int),
    ("rocketmqHome", Kind::Str),
    ("productEnvName", Kind::Str),
    ("useEpollNativeSelector", Kind::Bool),
    ("serverPooledByteBufAllocatorEnable", Kind::Bool),
];

/// `NettyServerConfig` defaults of a 4.9.3 name server (as `getNamesrvConfig` reports them).
const NETTY_DEFAULTS: [(&str, &str); 13] = [
    ("serverSocketBacklog", "1024"),
    ("writeBufferHighWaterMark", "0"),
    ("serverWorkerThreads", "8"),
    ("serverSelectorThreads", "3"),
    ("serverChannelMaxIdleTimeSeconds", "120"),
    ("writeBufferLowWaterMark", "0"),
    ("serverSocketRcvBufSize", "0"),
    ("serverAsyncSemaphoreValue", "64"),
    ("serverSocketSndBufSize", "0"),
    ("serverOnewaySemaphoreValue", "256"),
    ("serverCallbackExecutorThreads", "0"),
    ("useEpollNativeSelector", "false"),
    ("serverPooledByteBufAllocatorEnable", "true"),
];

/// The values of [`KEYS`], index for index; `None` is a Java `null` (not printed).
#[derive(Debug, Clone)]
pub struct Settings {
    values: Vec<Option<String>>,
}

/// The `NamesrvConfig` part of the settings, as they start.
pub struct Initial<'a> {
    pub listen_port: u16,
    pub rocketmq_home: Option<&'a str>,
    pub kv_config_path: &'a str,
    pub config_store_path: &'a str,
    pub product_env_name: &'a str,
    pub cluster_test: bool,
    pub order_message_enable: bool,
}

impl Settings {
    pub fn new(init: Initial<'_>) -> Self {
        let mut s = Settings {
            values: vec![None; KEYS.len()],
        };
        for (k, v) in NETTY_DEFAULTS {
            s.set_raw(k, v.to_owned());
        }
        s.set_raw("listenPort", init.listen_port.to_string());
        if let Some(home) = init.rocketmq_home {
            s.set_raw("rocketmqHome", home.to_owned());
        }
        s.set_raw("kvConfigPath", init.kv_config_path.to_owned());
        s.set_raw("configStorePath", init.config_store_path.to_owned());
        s.set_raw("productEnvName", init.product_env_name.to_owned());
        s.set_raw("clusterTest", init.cluster_test.to_string());
        s.set_raw("orderMessageEnable", init.order_message_enable.to_string());
        s
    }

    fn index(key: &str) -> Option<usize> {
        KEYS.iter().position(|(k, _)| *k == key)
    }

    fn set_raw(&mut self, key: &str, value: String) {
        if let Some(i) = Self::index(key) {
            self.values[i] = Some(value);
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.values[Self::index(key)?].as_deref()
    }

    /// Apply `key=value` pairs as Java's `MixAll.properties2Object` does: unknown keys and
    /// numbers that do not parse are ignored, a boolean is `true` only for "true" in any case.
    /// Returns the keys whose value changed.
    pub fn update(&mut self, pairs: &[(String, String)]) -> Vec<&'static str> {
        let mut changed = Vec::new();
        for (key, value) in pairs {
            let Some(i) = Self::index(key) else {
                continue;
            };
            let (name, kind) = KEYS[i];
            let parsed = match kind {
                Kind::Str => Some(value.clone()),
                Kind::Int => value.parse::<i32>().ok().map(|n| n.to_string()),
                Kind::Bool => Some(value.eq_ignore_ascii_case("true").to_string()),
            };
            if let Some(v) = parsed {
                if self.values[i].as_deref() != Some(v.as_str()) {
                    tracing::info!(key = name, old = ?self.values[i], new = v, "name server setting changed");
                    self.values[i] = Some(v);
                    changed.push(name);
                }
            }
        }
        changed
    }

    /// `MixAll.properties2String`: `key=value\n` for every non-null value, nothing escaped.
    pub fn to_properties_text(&self) -> String {
        let mut out = String::new();
        for ((key, _), value) in KEYS.iter().zip(&self.values) {
            if let Some(v) = value {
                out.push_str(key);
                out.push('=');
                out.push_str(v);
                out.push('\n');
            }
        }
        out
    }

    pub fn order_message_enable(&self) -> bool {
        self.get("orderMessageEnable") == Some("true")
    }
    pub fn kv_config_path(&self) -> PathBuf {
        PathBuf::from(self.get("kvConfigPath").unwrap_or_default())
    }
    pub fn config_store_path(&self) -> PathBuf {
        PathBuf::from(self.get("configStorePath").unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::new(Initial {
            listen_port: 39876,
            rocketmq_home: Some("/tmp/nsjava-wt"),
            kv_config_path: "/tmp/nsjava-wt/namesrv/kvConfig.json",
            config_store_path: "/tmp/nsjava-wt/namesrv-39876.properties",
            product_env_name: "center",
            cluster_test: false,
            order_message_enable: false,
        })
    }

    /// The body of GET_NAMESRV_CONFIG from the real 4.9.3 name server (Java 17), started by
    /// `interop/servers.sh` on port 39876 with ROCKETMQ_HOME=/tmp/nsjava-wt.
    const JAVA_GET_NAMESRV_CONFIG: &str = "serverSocketBacklog=1024\nwriteBufferHighWaterMark=0\nserverWorkerThreads=8\nserverSelectorThreads=3\nserverChannelMaxIdleTimeSeconds=120\nwriteBufferLowWaterMark=0\nserverSocketRcvBufSize=0\nserverAsyncSemaphoreValue=64\nkvConfigPath=/tmp/nsjava-wt/namesrv/kvConfig.json\nconfigStorePath=/tmp/nsjava-wt/namesrv-39876.properties\nclusterTest=false\norderMessageEnable=false\nserverSocketSndBufSize=0\nserverOnewaySemaphoreValue=256\nserverCallbackExecutorThreads=0\nlistenPort=39876\nrocketmqHome=/tmp/nsjava-wt\nproductEnvName=center\nuseEpollNativeSelector=false\nserverPooledByteBufAllocatorEnable=true\n";

    #[test]
    fn prints_what_java_prints() {
        assert_eq!(settings().to_properties_text(), JAVA_GET_NAMESRV_CONFIG);
    }

    #[test]
    fn update_as_properties2object() {
        let mut s = settings();
        let pairs: Vec<(String, String)> = [
            ("orderMessageEnable", "TRUE"),
            ("foo", "bar"),
            ("serverWorkerThreads", "abc"),
            ("serverSelectorThreads", "+5"),
            ("productEnvName", "x y"),
            ("clusterTest", "yes"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let changed = s.update(&pairs);
        assert_eq!(
            changed,
            [
                "orderMessageEnable",
                "serverSelectorThreads",
                "productEnvName"
            ]
        );
        assert!(s.order_message_enable());
        assert_eq!(s.get("serverWorkerThreads"), Some("8"));
        assert_eq!(s.get("serverSelectorThreads"), Some("5"));
        assert_eq!(s.get("clusterTest"), Some("false"));
        assert_eq!(s.get("foo"), None);
        assert!(!s.to_properties_text().contains("foo"));
    }

    #[test]
    fn null_home_is_not_printed() {
        let s = Settings::new(Initial {
            listen_port: 9876,
            rocketmq_home: None,
            kv_config_path: "k",
            config_store_path: "c",
            product_env_name: "center",
            cluster_test: false,
            order_message_enable: false,
        });
        assert!(!s.to_properties_text().contains("rocketmqHome"));
        assert_eq!(s.to_properties_text().lines().count(), 19);
    }
}
