//! `ClientConfig` and `DefaultMQProducer` settings with the 4.9.3 defaults.

use std::net::IpAddr;
use std::time::Duration;

pub use rocklet_protocol::acl::SessionCredentials;
use rocklet_protocol::ResponseCode;

use crate::error::{faq, ClientError, DEFAULT_RETRY_RESPONSE_CODES, FAQ_GROUP_NAME_DUPLICATE};

/// `MixAll.DEFAULT_PRODUCER_GROUP`.
pub const DEFAULT_PRODUCER_GROUP: &str = "DEFAULT_PRODUCER";
/// `MixAll.CLIENT_INNER_PRODUCER_GROUP`: the instance's own producer group, sent in heartbeats.
pub const CLIENT_INNER_PRODUCER_GROUP: &str = "CLIENT_INNER_PRODUCER";
/// `TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC`.
pub const AUTO_CREATE_TOPIC_KEY_TOPIC: &str = "TBW102";

/// `ClientConfig`: what every client of one instance shares.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `namesrvAddr`, `host:port;host:port`; falls back to the `NAMESRV_ADDR` environment variable
    /// (and the `rocketmq.namesrv.addr` notion of Java system properties does not exist here).
    pub namesrv_addr: Option<String>,
    /// `clientIP`: this host's address, part of the clientId. `None` (the default) resolves it
    /// with [`local_ip`] when the client id is built, so `ClientConfig::default()` does no
    /// look-up of its own.
    pub client_ip: Option<String>,
    /// `instanceName`, default `DEFAULT` (from `rocketmq.client.name` in Java; here the
    /// `ROCKETMQ_CLIENT_NAME` environment variable).
    pub instance_name: String,
    /// `namespace`, default none: when set, topics are prefixed `namespace%topic`
    /// ([`ClientConfig::with_namespace`]).
    pub namespace: Option<String>,
    /// `unitName`, default none: appended to the client id as `@unitName`.
    pub unit_name: Option<String>,
    /// `unitMode`, default false: sent as the `unitMode` field of every send request header.
    pub unit_mode: bool,
    /// `pollNameServerInterval`, 30 s.
    pub poll_name_server_interval: Duration,
    /// `heartbeatBrokerInterval`, 30 s.
    pub heartbeat_broker_interval: Duration,
    /// `persistConsumerOffsetInterval`, 5 s (kept for completeness; no push consumer yet).
    pub persist_consumer_offset_interval: Duration,
    /// `vipChannelEnabled`, default false: when true requests go to broker port - 2.
    pub vip_channel_enabled: bool,
    /// `mqClientApiTimeout`, 3 s: timeout of name server and admin calls.
    pub mq_client_api_timeout: Duration,
    /// Language code sent in every request. 4.9.3 has no RUST, so OTHER.
    pub language: rocklet_protocol::LanguageCode,
    /// Header encoding of requests (Java's `rocketmq.serialize.type`, here the
    /// `ROCKETMQ_SERIALIZE_TYPE` environment variable as in Java: `JSON` or `ROCKETMQ`).
    pub serialize_type: rocklet_protocol::SerializeType,
    /// ACL credentials (Java: an `AclClientRPCHook` given to the producer, consumer or admin):
    /// every request this client sends, to name servers and brokers, is signed with them.
    pub session_credentials: Option<SessionCredentials>,
    /// `useTLS` (Java: the `tls.enable` system property, default false): every connection of
    /// the instance, to name servers and brokers, is TLS, set up from [`ClientConfig::tls`].
    pub use_tls: bool,
    /// The `tls.client.*` / `tls.test.mode.enable` settings used when [`ClientConfig::use_tls`]
    /// (defaults: Java's test mode, which trusts any server).
    pub tls: rocklet_remoting::tls::TlsSettings,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            namesrv_addr: std::env::var("NAMESRV_ADDR")
                .ok()
                .filter(|s| !s.trim().is_empty()),
            client_ip: None,
            instance_name: std::env::var("ROCKETMQ_CLIENT_NAME")
                .unwrap_or_else(|_| "DEFAULT".into()),
            namespace: None,
            unit_name: None,
            unit_mode: false,
            poll_name_server_interval: Duration::from_secs(30),
            heartbeat_broker_interval: Duration::from_secs(30),
            persist_consumer_offset_interval: Duration::from_secs(5),
            vip_channel_enabled: false,
            mq_client_api_timeout: Duration::from_secs(3),
            language: rocklet_protocol::LanguageCode::OTHER,
            serialize_type: default_serialize_type(),
            session_credentials: None,
            use_tls: false,
            tls: Default::default(),
        }
    }
}

fn default_serialize_type() -> rocklet_protocol::SerializeType {
    match std::env::var("ROCKETMQ_SERIALIZE_TYPE").as_deref() {
        Ok("JSON") => rocklet_protocol::SerializeType::Json,
        _ => rocklet_protocol::SerializeType::RocketMq,
    }
}

impl ClientConfig {
    /// The configured `clientIP`, else this host's address ([`local_ip`], resolved now).
    pub fn resolve_client_ip(&self) -> String {
        match &self.client_ip {
            Some(ip) => ip.clone(),
            None => local_ip().to_string(),
        }
    }
    /// `buildMQClientId`: `ip@instanceName[@unitName]`.
    pub fn build_client_id(&self) -> String {
        let mut s = format!("{}@{}", self.resolve_client_ip(), self.instance_name);
        if let Some(u) = self.unit_name.as_deref().filter(|u| !u.trim().is_empty()) {
            s.push('@');
            s.push_str(u);
        }
        s
    }
    /// `changeInstanceNameToPID`: 4.9.3 turns `DEFAULT` into `pid#nanoTime`, so every producer
    /// with the default name gets its own instance; set an instance name to share one.
    pub fn change_instance_name_to_pid(&mut self) {
        if self.instance_name == "DEFAULT" {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0);
            self.instance_name = format!("{}#{}", std::process::id(), nanos);
        }
    }
    pub(crate) fn namesrv_addrs(&self) -> Vec<String> {
        rocklet_remoting::split_addr_list(self.namesrv_addr.as_deref().unwrap_or(""))
    }
    /// Topic name with the namespace prefix (`NamespaceUtil.wrapNamespace`).
    pub fn with_namespace(&self, resource: &str) -> String {
        match self.namespace.as_deref().filter(|n| !n.is_empty()) {
            Some(ns) if !resource.starts_with(&format!("{ns}%")) && !resource.starts_with('%') => {
                format!("{ns}%{resource}")
            }
            _ => resource.to_owned(),
        }
    }
    /// The name without this client's namespace prefix (`NamespaceUtil.withoutNamespace`).
    pub fn without_namespace(&self, resource: &str) -> String {
        match self.namespace.as_deref().filter(|n| !n.is_empty()) {
            Some(ns) => resource
                .strip_prefix(&format!("{ns}%"))
                .unwrap_or(resource)
                .to_owned(),
            None => resource.to_owned(),
        }
    }
}

/// What an async send does when the in-flight limit is reached (Rocklet extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsyncFullPolicy {
    /// Wait for room (up to the send timeout, then fail with [`ClientError::Backpressure`]).
    Wait,
    /// Fail at once with [`ClientError::Backpressure`].
    Fail,
}

/// `DefaultMQProducer`'s own settings.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// The `ClientConfig` part (Java's `DefaultMQProducer` extends `ClientConfig`).
    pub client: ClientConfig,
    /// `producerGroup`, default `DEFAULT_PRODUCER`, which [`DefaultMQProducer::start`] refuses:
    /// name a group of your own.
    ///
    /// [`DefaultMQProducer::start`]: crate::DefaultMQProducer::start
    pub producer_group: String,
    /// `createTopicKey`, TBW102.
    pub create_topic_key: String,
    /// `defaultTopicQueueNums`, 4.
    pub default_topic_queue_nums: i32,
    /// `sendMsgTimeout`, 3000 ms.
    pub send_msg_timeout: Duration,
    /// `compressMsgBodyOverHowmuch`, 4096 bytes.
    pub compress_msg_body_over_howmuch: usize,
    /// zlib level used for compression (Java `rocketmq.message.compressLevel`, 5).
    pub compress_level: u32,
    /// `retryTimesWhenSendFailed`, 2 (3 attempts in all).
    pub retry_times_when_send_failed: u32,
    /// `retryTimesWhenSendAsyncFailed`, 2.
    pub retry_times_when_send_async_failed: u32,
    /// `retryAnotherBrokerWhenNotStoreOK`, false.
    pub retry_another_broker_when_not_store_ok: bool,
    /// `maxMessageSize`, 4 MiB.
    pub max_message_size: usize,
    /// `retryResponseCodes`: broker codes after which a sync send is retried (see
    /// [`ClientError::is_retryable_with`]).
    pub retry_response_codes: Vec<ResponseCode>,
    /// `sendLatencyFaultEnable`, false.
    pub send_latency_fault_enable: bool,
    /// `latencyMax` (ms) of `MQFaultStrategy`.
    pub latency_max: Vec<u64>,
    /// `notAvailableDuration` (ms) of `MQFaultStrategy`.
    pub not_available_duration: Vec<u64>,
    /// `enableMsgTrace` (Java's `DefaultMQProducer(group, enableMsgTrace)`), false: write a
    /// `Pub` trace record of every acknowledged send to the trace topic, in Java's format.
    pub enable_msg_trace: bool,
    /// `customizedTraceTopic`: the trace topic, `RMQ_SYS_TRACE_TOPIC` when None.
    pub customized_trace_topic: Option<String>,
    /// Rocklet extension: most async sends in flight.
    pub max_async_inflight_msgs: usize,
    /// Rocklet extension: most bytes of async sends in flight.
    pub max_async_inflight_bytes: usize,
    /// Rocklet extension: what an async send does when either in-flight limit is reached,
    /// default [`AsyncFullPolicy::Wait`].
    pub async_full_policy: AsyncFullPolicy,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            client: ClientConfig::default(),
            producer_group: DEFAULT_PRODUCER_GROUP.into(),
            create_topic_key: AUTO_CREATE_TOPIC_KEY_TOPIC.into(),
            default_topic_queue_nums: 4,
            send_msg_timeout: Duration::from_millis(3000),
            compress_msg_body_over_howmuch: 4096,
            compress_level: 5,
            retry_times_when_send_failed: 2,
            retry_times_when_send_async_failed: 2,
            retry_another_broker_when_not_store_ok: false,
            max_message_size: 4 * 1024 * 1024,
            retry_response_codes: DEFAULT_RETRY_RESPONSE_CODES.to_vec(),
            send_latency_fault_enable: false,
            latency_max: vec![50, 100, 550, 1000, 2000, 3000, 15000],
            not_available_duration: vec![0, 0, 30000, 60000, 120000, 180000, 600000],
            enable_msg_trace: false,
            customized_trace_topic: None,
            max_async_inflight_msgs: 10_000,
            max_async_inflight_bytes: 64 * 1024 * 1024,
            async_full_policy: AsyncFullPolicy::Wait,
        }
    }
}

impl ProducerConfig {
    /// The defaults with producer group `group` (Java `new DefaultMQProducer(group)`).
    pub fn new(group: impl Into<String>) -> Self {
        ProducerConfig {
            producer_group: group.into(),
            ..Default::default()
        }
    }
    /// Builder: set `namesrvAddr` (`host:port`, several separated by `;`).
    pub fn with_namesrv(mut self, addr: impl Into<String>) -> Self {
        self.client.namesrv_addr = Some(addr.into());
        self
    }
}

/// `Validators.checkGroup` plus the producer's DEFAULT_PRODUCER rule.
pub(crate) fn check_producer_group(group: &str) -> Result<(), ClientError> {
    crate::validators::check_group(group)?;
    if group == DEFAULT_PRODUCER_GROUP {
        return Err(ClientError::client(
            -1,
            format!("producerGroup can not equal {DEFAULT_PRODUCER_GROUP}, please specify another one.{}", faq(FAQ_GROUP_NAME_DUPLICATE)),
        ));
    }
    Ok(())
}

/// This host's address, as Java's `RemotingUtil.getLocalAddress` picks it: the first
/// non-loopback IPv4 address the host name resolves to, else 127.0.0.1. (Resolution only; no
/// packet leaves the machine.)
pub fn local_ip() -> IpAddr {
    use std::net::ToSocketAddrs;
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty());
    host.and_then(|h| (h.as_str(), 0).to_socket_addrs().ok())
        .and_then(|mut addrs| {
            addrs
                .find(|a| a.is_ipv4() && !a.ip().is_loopback())
                .map(|a| a.ip())
        })
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ip_is_resolved_when_the_client_id_is_built() {
        let mut c = ClientConfig {
            instance_name: "inst".into(),
            unit_name: Some("u".into()),
            ..ClientConfig::default()
        };
        assert_eq!(c.client_ip, None);
        assert_eq!(c.build_client_id(), format!("{}@inst@u", local_ip()));
        c.client_ip = Some("10.0.0.7".into());
        assert_eq!(c.build_client_id(), "10.0.0.7@inst@u");
    }

    #[test]
    fn default_retry_codes_are_java_4_9_3s() {
        let codes: Vec<i32> = ProducerConfig::default()
            .retry_response_codes
            .iter()
            .map(|c| c.as_i32())
            .collect();
        assert_eq!(codes, [17, 14, 1, 16, 204, 205]);
    }
}
