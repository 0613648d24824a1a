//! The route table (`RouteInfoManager`): clusters, brokers, topic queues and broker liveness.

use parking_lot::RwLock;
use rocklet_protocol::body::{DataVersion, TopicConfig};
use rocklet_protocol::route::{
    perm, BrokerData, ClusterInfo, QueueData, TopicRouteData, MASTER_ID,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

struct BrokerLive {
    last_update: Instant,
    data_version: DataVersion,
    ha_server_addr: String,
    /// The connection the registration came from; when it closes the broker is removed.
    peer: Option<SocketAddr>,
}

#[derive(Default)]
struct Tables {
    /// topic -> brokerName -> queue data
    topic_queue: BTreeMap<String, BTreeMap<String, QueueData>>,
    broker_addr: BTreeMap<String, BrokerData>,
    cluster_addr: BTreeMap<String, BTreeSet<String>>,
    broker_live: HashMap<String, BrokerLive>,
    filter_server: HashMap<String, Vec<String>>,
}

/// A broker registration (fields of REGISTER_BROKER).
pub struct Registration<'a> {
    pub cluster_name: &'a str,
    pub broker_addr: &'a str,
    pub broker_name: &'a str,
    pub broker_id: i64,
    pub ha_server_addr: &'a str,
    pub data_version: DataVersion,
    pub topic_configs: &'a BTreeMap<String, TopicConfig>,
    pub filter_server_list: Vec<String>,
    pub peer: Option<SocketAddr>,
}

/// What a registration answers: the master's address for a slave.
#[derive(Debug, Default, Clone)]
pub struct RegisterResult {
    pub ha_server_addr: Option<String>,
    pub master_addr: Option<String>,
}

/// Sizes of the route tables.
#[derive(Debug, Default, Clone)]
pub struct RouteCounts {
    /// Cluster name -> how many broker names (master/slave sets) it has.
    pub brokers_by_cluster: Vec<(String, usize)>,
    /// Broker addresses heard from within the expiry time.
    pub live_brokers: usize,
    pub topics: usize,
}

#[derive(Default)]
pub struct RouteInfoManager {
    t: RwLock<Tables>,
}

impl RouteInfoManager {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register_broker(&self, r: Registration<'_>) -> RegisterResult {
        let mut t = self.t.write();
        t.cluster_addr
            .entry(r.cluster_name.to_owned())
            .or_default()
            .insert(r.broker_name.to_owned());
        let mut first = false;
        let bd = t
            .broker_addr
            .entry(r.broker_name.to_owned())
            .or_insert_with(|| {
                first = true;
                BrokerData {
                    broker_addrs: BTreeMap::new(),
                    broker_name: r.broker_name.to_owned(),
                    cluster: r.cluster_name.to_owned(),
                }
            });
        // The same address under another id (slave promoted to master): drop the old entry.
        bd.broker_addrs
            .retain(|id, addr| !(addr == r.broker_addr && *id != r.broker_id));
        let old = bd
            .broker_addrs
            .insert(r.broker_id, r.broker_addr.to_owned());
        first |= old.is_none();
        if r.broker_id == MASTER_ID {
            let changed = t
                .broker_live
                .get(r.broker_addr)
                .map(|l| l.data_version != r.data_version)
                .unwrap_or(true);
            if changed || first {
                for tc in r.topic_configs.values() {
                    let qd = QueueData {
                        broker_name: r.broker_name.to_owned(),
                        perm: tc.perm,
                        read_queue_nums: tc.read_queue_nums,
                        topic_syn_flag: tc.topic_sys_flag,
                        write_queue_nums: tc.write_queue_nums,
                    };
                    t.topic_queue
                        .entry(tc.topic_name.clone())
                        .or_default()
                        .insert(r.broker_name.to_owned(), qd);
                }
            }
        }
        let prev = t.broker_live.insert(
            r.broker_addr.to_owned(),
            BrokerLive {
                last_update: Instant::now(),
                data_version: r.data_version,
                ha_server_addr: r.ha_server_addr.to_owned(),
                peer: r.peer,
            },
        );
        if prev.is_none() {
            tracing::info!(
                broker = r.broker_name,
                addr = r.broker_addr,
                id = r.broker_id,
                "new broker registered"
            );
        }
        if r.filter_server_list.is_empty() {
            t.filter_server.remove(r.broker_addr);
        } else {
            t.filter_server
                .insert(r.broker_addr.to_owned(), r.filter_server_list);
        }
        let mut res = RegisterResult::default();
        if r.broker_id != MASTER_ID {
            if let Some(master) = t
                .broker_addr
                .get(r.broker_name)
                .and_then(|b| b.master_addr())
                .map(str::to_owned)
            {
                res.ha_server_addr = t.broker_live.get(&master).map(|l| l.ha_server_addr.clone());
                res.master_addr = Some(master);
            }
        }
        res
    }

    /// `isBrokerTopicConfigChanged` + `updateBrokerInfoUpdateTimestamp` (QUERY_DATA_VERSION).
    pub fn query_data_version(
        &self,
        broker_addr: &str,
        dv: &DataVersion,
    ) -> (bool, Option<DataVersion>) {
        let mut t = self.t.write();
        match t.broker_live.get_mut(broker_addr) {
            Some(l) => {
                let changed = l.data_version != *dv;
                if !changed {
                    l.last_update = Instant::now();
                }
                (changed, Some(l.data_version.clone()))
            }
            None => (true, None),
        }
    }

    pub fn unregister_broker(
        &self,
        cluster: &str,
        broker_addr: &str,
        broker_name: &str,
        broker_id: i64,
    ) {
        let mut t = self.t.write();
        t.broker_live.remove(broker_addr);
        t.filter_server.remove(broker_addr);
        Self::remove_addr(&mut t, cluster, broker_name, broker_id, broker_addr);
    }

    fn remove_addr(
        t: &mut Tables,
        cluster: &str,
        broker_name: &str,
        broker_id: i64,
        broker_addr: &str,
    ) {
        let mut remove_name = false;
        if let Some(bd) = t.broker_addr.get_mut(broker_name) {
            if bd
                .broker_addrs
                .get(&broker_id)
                .is_some_and(|a| a == broker_addr)
            {
                bd.broker_addrs.remove(&broker_id);
            }
            remove_name = bd.broker_addrs.is_empty();
        }
        if remove_name {
            t.broker_addr.remove(broker_name);
            if let Some(set) = t.cluster_addr.get_mut(cluster) {
                set.remove(broker_name);
                if set.is_empty() {
                    t.cluster_addr.remove(cluster);
                }
            }
            t.topic_queue.retain(|_, qs| {
                qs.remove(broker_name);
                !qs.is_empty()
            });
        }
        tracing::info!(
            broker = broker_name,
            addr = broker_addr,
            "broker unregistered"
        );
    }

    fn remove_live(&self, pred: impl Fn(&str, &BrokerLive) -> bool) {
        let mut t = self.t.write();
        let dead: Vec<String> = t
            .broker_live
            .iter()
            .filter(|(a, l)| pred(a, l))
            .map(|(a, _)| a.clone())
            .collect();
        for addr in dead {
            t.broker_live.remove(&addr);
            t.filter_server.remove(&addr);
            let found: Vec<(String, String, i64)> = t
                .broker_addr
                .values()
                .flat_map(|bd| {
                    bd.broker_addrs
                        .iter()
                        .filter(|(_, a)| **a == addr)
                        .map(|(id, _)| (bd.cluster.clone(), bd.broker_name.clone(), *id))
                        .collect::<Vec<_>>()
                })
                .collect();
            for (cluster, name, id) in found {
                Self::remove_addr(&mut t, &cluster, &name, id, &addr);
            }
        }
    }

    /// Drop brokers not heard from within `expired` (Java `scanNotActiveBroker`).
    pub fn scan_not_active_brokers(&self, expired: Duration) {
        let now = Instant::now();
        self.remove_live(|addr, l| {
            let dead = now.duration_since(l.last_update) > expired;
            if dead {
                tracing::warn!(
                    broker = addr,
                    "broker expired: not heard from in {expired:?}"
                );
            }
            dead
        });
    }

    /// The registering connection closed (Java `onChannelDestroy`).
    pub fn connection_closed(&self, peer: SocketAddr) {
        self.remove_live(|_, l| l.peer == Some(peer));
    }

    pub fn pickup_topic_route_data(&self, topic: &str) -> Option<TopicRouteData> {
        let t = self.t.read();
        let qs = t.topic_queue.get(topic)?;
        let mut route = TopicRouteData::default();
        for (name, qd) in qs {
            route.queue_datas.push(qd.clone());
            if let Some(bd) = t.broker_addr.get(name) {
                route.broker_datas.push(bd.clone());
                for addr in bd.broker_addrs.values() {
                    if let Some(fs) = t.filter_server.get(addr) {
                        route.filter_server_table.insert(addr.clone(), fs.clone());
                    }
                }
            }
        }
        if route.broker_datas.is_empty() {
            return None;
        }
        Some(route)
    }

    pub fn cluster_info(&self) -> ClusterInfo {
        let t = self.t.read();
        ClusterInfo {
            broker_addr_table: t.broker_addr.clone(),
            cluster_addr_table: t
                .cluster_addr
                .iter()
                .map(|(c, s)| (c.clone(), s.iter().cloned().collect()))
                .collect(),
        }
    }

    /// For `/metrics`: broker names per cluster, live broker addresses, topics.
    pub fn counts(&self) -> RouteCounts {
        let t = self.t.read();
        RouteCounts {
            brokers_by_cluster: t
                .cluster_addr
                .iter()
                .map(|(c, names)| (c.clone(), names.len()))
                .collect(),
            live_brokers: t.broker_live.len(),
            topics: t.topic_queue.len(),
        }
    }

    pub fn all_topics(&self) -> Vec<String> {
        self.t.read().topic_queue.keys().cloned().collect()
    }

    pub fn topics_by_cluster(&self, cluster: &str) -> Vec<String> {
        let t = self.t.read();
        let Some(names) = t.cluster_addr.get(cluster) else {
            return Vec::new();
        };
        t.topic_queue
            .iter()
            .filter(|(_, qs)| qs.keys().any(|n| names.contains(n)))
            .map(|(k, _)| k.clone())
            .collect()
    }

    pub fn delete_topic(&self, topic: &str) {
        self.t.write().topic_queue.remove(topic);
    }

    /// WIPE_WRITE_PERM_OF_BROKER (`writable` false) clears the write bit of every queue of
    /// `broker_name`; ADD_WRITE_PERM_OF_BROKER sets the permission to read+write (Java sets it
    /// outright, so an inherit or priority bit is dropped too). Returns the number of topics
    /// touched, changed or not, as Java counts.
    pub fn set_write_perm(&self, broker_name: &str, writable: bool) -> i32 {
        let mut t = self.t.write();
        let mut n = 0;
        for qs in t.topic_queue.values_mut() {
            if let Some(qd) = qs.get_mut(broker_name) {
                qd.perm = if writable {
                    perm::READ | perm::WRITE
                } else {
                    qd.perm & !perm::WRITE
                };
                n += 1;
            }
        }
        n
    }

    /// GET_SYSTEM_TOPIC_LIST_FROM_NS: every cluster name and broker name (Java lists them as
    /// "system topics"), and the address of one broker to ask for more. Java takes the first
    /// broker its hash map yields; here it is the first by name, and its lowest broker id.
    pub fn system_topics(&self) -> (BTreeSet<String>, Option<String>) {
        let t = self.t.read();
        let mut names = BTreeSet::new();
        for (cluster, brokers) in &t.cluster_addr {
            names.insert(cluster.clone());
            names.extend(brokers.iter().cloned());
        }
        let addr = t
            .broker_addr
            .values()
            .find_map(|bd| bd.broker_addrs.values().next().cloned());
        (names, addr)
    }

    /// Topics whose first queue entry's `topicSysFlag` satisfies `pred` (Java `getUnitTopics`
    /// and its two siblings look at the first `QueueData` only; the first here is the broker
    /// first by name, in Java the one registered first).
    pub fn topics_by_sys_flag(&self, pred: impl Fn(i32) -> bool) -> Vec<String> {
        let t = self.t.read();
        t.topic_queue
            .iter()
            .filter(|(_, qs)| qs.values().next().is_some_and(|q| pred(q.topic_syn_flag)))
            .map(|(k, _)| k.clone())
            .collect()
    }
}

/// `TopicSysFlag`: bits of `topicSysFlag`.
pub mod sys_flag {
    pub const UNIT: i32 = 0x1;
    pub const UNIT_SUB: i32 = 0x1 << 1;
    pub fn has_unit(f: i32) -> bool {
        f & UNIT == UNIT
    }
    pub fn has_unit_sub(f: i32) -> bool {
        f & UNIT_SUB == UNIT_SUB
    }
}
