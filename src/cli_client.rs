//! `rocklet send` and `rocklet admin`: a small mqadmin for Rocklet and Java clusters alike.

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use rocklet_client::{
    ClientConfig, DefaultMQProducer, MQAdmin, Message, MessageExt, MessageQueue, ProducerConfig,
};
use rocklet_protocol::body::TopicConfig;
use std::time::Instant;

use crate::bench::SendMode;

/// ACL credentials: every request is signed (Java's `AclClientRPCHook`).
#[derive(Args, Debug, Clone, Default)]
pub struct AclArgs {
    /// ACL access key (the broker's plain_acl.yml `accessKey`).
    #[arg(
        long = "access-key",
        env = "ROCKETMQ_ACCESS_KEY",
        global = true,
        requires = "secret_key"
    )]
    pub access_key: Option<String>,
    /// ACL secret key.
    #[arg(
        long = "secret-key",
        env = "ROCKETMQ_SECRET_KEY",
        global = true,
        hide_env_values = true
    )]
    pub secret_key: Option<String>,
}

impl AclArgs {
    pub fn credentials(&self) -> Option<rocklet_client::SessionCredentials> {
        match (&self.access_key, &self.secret_key) {
            (Some(a), Some(s)) => Some(rocklet_client::SessionCredentials::new(a, s)),
            _ => None,
        }
    }
}

#[derive(Args, Debug)]
pub struct SendArgs {
    #[command(flatten)]
    pub acl: AclArgs,
    #[arg(short = 'n', long = "namesrv-addr", env = "NAMESRV_ADDR")]
    pub namesrv: String,
    #[arg(short = 't', long)]
    pub topic: String,
    /// Message body (or use --file).
    #[arg(short = 'b', long, conflicts_with = "file")]
    pub body: Option<String>,
    /// Read the body from a file.
    #[arg(short = 'f', long)]
    pub file: Option<std::path::PathBuf>,
    #[arg(long)]
    pub tags: Option<String>,
    /// Keys, space-separated.
    #[arg(short = 'k', long)]
    pub keys: Option<String>,
    #[arg(short = 'm', long, value_enum, default_value = "sync")]
    pub mode: SendMode,
    #[arg(short = 'c', long, default_value_t = 1)]
    pub count: u32,
    /// Send to this queue id (of the topic's first broker).
    #[arg(short = 'q', long)]
    pub queue: Option<i32>,
    #[arg(short = 'g', long, default_value = "rocklet_cli_producer")]
    pub group: String,
    /// Message trace (Java `enableMsgTrace`): a trace record of each acknowledged send goes to
    /// the trace topic, where `mqadmin queryMsgTraceById` finds it.
    #[arg(long)]
    pub trace: bool,
    /// The trace topic (Java `customizedTraceTopic`; default RMQ_SYS_TRACE_TOPIC).
    #[arg(long, requires = "trace")]
    pub trace_topic: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum AdminCmd {
    /// Route of a topic as the name server returns it.
    TopicRoute {
        #[arg(short = 't', long)]
        topic: String,
    },
    /// Create or update a topic on every broker of a cluster, or on one broker.
    UpdateTopic {
        #[arg(short = 't', long)]
        topic: String,
        #[arg(short = 'c', long = "cluster")]
        cluster: Option<String>,
        #[arg(short = 'b', long = "broker-addr")]
        broker: Option<String>,
        #[arg(short = 'r', long = "read-queue-nums", default_value_t = 8)]
        read: i32,
        #[arg(short = 'w', long = "write-queue-nums", default_value_t = 8)]
        write: i32,
        #[arg(short = 'p', long, default_value_t = 6)]
        perm: i32,
    },
    /// Brokers of every cluster.
    ClusterList,
    /// A message by its offset msgId (or by unique key with --topic).
    QueryMsgById {
        #[arg(short = 'i', long = "msg-id")]
        id: String,
        #[arg(short = 't', long)]
        topic: Option<String>,
    },
    /// Messages by key.
    QueryMsgByKey {
        #[arg(short = 't', long)]
        topic: String,
        #[arg(short = 'k', long)]
        key: String,
    },
    /// Min and max offset, and last update time, of every queue of a topic.
    Offsets {
        #[arg(short = 't', long)]
        topic: String,
    },
    /// Runtime figures of one broker, or of every master (mqadmin `brokerStatus`).
    BrokerStatus {
        #[arg(short = 'b', long = "broker-addr")]
        broker: Option<String>,
    },
    /// Min and max offset and last store time of every queue of a topic (`topicStatus`).
    TopicStatus {
        #[arg(short = 't', long)]
        topic: String,
    },
    /// Offsets and lag of a consumer group on every broker (`consumerProgress -g`).
    ConsumerProgress {
        #[arg(short = 'g', long = "group")]
        group: String,
        #[arg(short = 't', long)]
        topic: Option<String>,
    },
    /// Live members of a consumer group and what they subscribe (`consumerConnection`).
    ConsumerConnection {
        #[arg(short = 'g', long = "group")]
        group: String,
    },
    /// Live producers of a group (`producerConnection`).
    ProducerConnection {
        #[arg(short = 'g', long = "group")]
        group: String,
    },
    /// A broker's configuration (`getBrokerConfig`).
    GetBrokerConfig {
        #[arg(short = 'b', long = "broker-addr")]
        broker: Option<String>,
    },
    /// Change one broker setting (`updateBrokerConfig`; acts when the broker next starts).
    UpdateBrokerConfig {
        #[arg(short = 'b', long = "broker-addr")]
        broker: Option<String>,
        #[arg(short = 'k', long)]
        key: String,
        #[arg(short = 'v', long)]
        value: String,
    },
    /// Create or update a subscription group on every master (`updateSubGroup`).
    UpdateSubGroup {
        #[arg(short = 'g', long = "group")]
        group: String,
        #[arg(short = 'b', long = "broker-addr")]
        broker: Option<String>,
        /// retryMaxTimes
        #[arg(short = 'r', long = "retry-max-times", default_value_t = 16)]
        retry_max_times: i32,
        /// consumeEnable
        #[arg(short = 's', long = "consume-enable", default_value_t = true)]
        consume_enable: bool,
    },
    /// Delete a subscription group (and its offsets with -r) (`deleteSubGroup`).
    DeleteSubGroup {
        #[arg(short = 'g', long = "group")]
        group: String,
        #[arg(short = 'b', long = "broker-addr")]
        broker: Option<String>,
        #[arg(short = 'r', long = "remove-offset")]
        remove_offset: bool,
    },
    /// Set a KV config entry on every name server (`updateKvConfig`).
    UpdateKvConfig {
        #[arg(short = 's', long)]
        namespace: String,
        #[arg(short = 'k', long)]
        key: String,
        #[arg(short = 'v', long)]
        value: String,
    },
    /// Delete a KV config entry (`deleteKvConfig`).
    DeleteKvConfig {
        #[arg(short = 's', long)]
        namespace: String,
        #[arg(short = 'k', long)]
        key: String,
    },
    /// Every name server's configuration (`getNamesrvConfig`).
    GetNamesrvConfig,
    /// Move a group's offsets to a time: millis, `yyyy-MM-dd#HH:mm:ss:SSS`, or `now`
    /// (`resetOffsetByTime`; the group's live consumers apply it).
    ResetOffsetByTime {
        #[arg(short = 'g', long = "group")]
        group: String,
        #[arg(short = 't', long)]
        topic: String,
        #[arg(short = 's', long = "timestamp")]
        timestamp: String,
        #[arg(short = 'f', long = "force", default_value_t = true)]
        force: bool,
    },
    /// Create or update a plain ACL account on one broker or every master (`updateAclConfig`).
    UpdateAclConfig {
        #[arg(short = 'b', long = "broker-addr")]
        broker: Option<String>,
        /// The account's accessKey (more than 6 characters).
        #[arg(short = 'a', long = "acl-access-key")]
        acl_access_key: String,
        /// Its secretKey (more than 6 characters).
        #[arg(short = 's', long = "acl-secret-key")]
        acl_secret_key: Option<String>,
        /// whiteRemoteAddress
        #[arg(short = 'w', long = "white-remote-address")]
        white_remote_address: Option<String>,
        /// defaultTopicPerm (DENY, PUB, SUB, PUB|SUB)
        #[arg(short = 'i', long = "default-topic-perm")]
        default_topic_perm: Option<String>,
        /// defaultGroupPerm
        #[arg(short = 'u', long = "default-group-perm")]
        default_group_perm: Option<String>,
        /// topicPerms, e.g. topicA=DENY,topicD=SUB
        #[arg(short = 't', long = "topic-perms")]
        topic_perms: Option<String>,
        /// groupPerms, e.g. groupD=DENY,groupE=SUB
        #[arg(short = 'g', long = "group-perms")]
        group_perms: Option<String>,
        /// admin
        #[arg(short = 'm', long = "admin")]
        admin: Option<bool>,
    },
    /// Delete a plain ACL account (`deleteAccessConfig`).
    DeleteAccessConfig {
        #[arg(short = 'b', long = "broker-addr")]
        broker: Option<String>,
        #[arg(short = 'a', long = "acl-access-key")]
        acl_access_key: String,
    },
    /// Replace the global white remote addresses (`updateGlobalWhiteAddr`).
    UpdateGlobalWhiteAddr {
        #[arg(short = 'b', long = "broker-addr")]
        broker: Option<String>,
        /// Comma-separated addresses or patterns.
        #[arg(short = 'g', long = "global-white-addrs")]
        global_white_addrs: String,
    },
    /// The ACL file versions of one broker or every master (`clusterAclConfigVersion`).
    ClusterAclConfigVersion {
        #[arg(short = 'b', long = "broker-addr")]
        broker: Option<String>,
    },
    /// The ACL config (white addresses and accounts) of one broker or every master
    /// (`getAccessConfigSubCommand`).
    GetAccessConfig {
        #[arg(short = 'b', long = "broker-addr")]
        broker: Option<String>,
    },
    /// The request codes Rocklet's broker and name server answer (`server<TAB>code<TAB>name`),
    /// for the coverage table in interop/.
    HandledCodes,
}

#[derive(Args, Debug)]
pub struct AdminArgs {
    #[arg(
        short = 'n',
        long = "namesrv-addr",
        env = "NAMESRV_ADDR",
        global = true
    )]
    pub namesrv: Option<String>,
    #[command(flatten)]
    pub acl: AclArgs,
    #[command(subcommand)]
    pub cmd: AdminCmd,
}

pub async fn send(a: SendArgs) -> anyhow::Result<()> {
    let body = match (&a.body, &a.file) {
        (Some(b), _) => b.clone().into_bytes(),
        (None, Some(f)) => std::fs::read(f).with_context(|| format!("reading {}", f.display()))?,
        (None, None) => bail!("give --body or --file"),
    };
    let mut cfg = ProducerConfig::new(&a.group).with_namesrv(&a.namesrv);
    cfg.client.session_credentials = a.acl.credentials();
    crate::sysprops::apply_client(&mut cfg.client);
    cfg.enable_msg_trace = a.trace;
    cfg.customized_trace_topic = a.trace_topic.clone();
    let p = DefaultMQProducer::new(cfg);
    p.start().await?;
    let mq = match a.queue {
        Some(q) => {
            let qs = p.fetch_publish_message_queues(&a.topic).await?;
            let b = qs
                .first()
                .context("topic has no queues")?
                .broker_name
                .clone();
            Some(MessageQueue::new(&a.topic, b, q))
        }
        None => None,
    };
    let mut failed = 0;
    for i in 0..a.count {
        let mut m = Message::new(&a.topic, body.clone());
        if let Some(t) = &a.tags {
            m.set_tags(t);
        }
        if let Some(k) = &a.keys {
            m.set_keys(k.split(' '));
        }
        let t = Instant::now();
        let r = match (a.mode, &mq) {
            (SendMode::Sync, Some(q)) => p.send_to_queue(m, q).await.map(|r| r.to_string()),
            (SendMode::Sync, None) => p.send(m).await.map(|r| r.to_string()),
            (SendMode::Async, _) => match p.send_async_future(m).await {
                Ok(f) => f.await.map(|r| r.to_string()),
                Err(e) => Err(e),
            },
            (SendMode::Oneway, Some(q)) => p
                .send_oneway_to_queue(m, q)
                .await
                .map(|_| "sent oneway".into()),
            (SendMode::Oneway, None) => p.send_oneway(m).await.map(|_| "sent oneway".into()),
        };
        match r {
            Ok(s) => out!("#{i} {s} ({:.2} ms)", t.elapsed().as_secs_f64() * 1000.0),
            Err(e) => {
                failed += 1;
                eprintln!("#{i} failed: {e}");
            }
        }
    }
    p.shutdown().await;
    if failed > 0 {
        bail!("{failed} of {} sends failed", a.count);
    }
    Ok(())
}

fn print_msg(m: &MessageExt) {
    out!("Topic:             {}", m.topic);
    out!("Tags:              {}", m.tags().unwrap_or(""));
    out!("Keys:              {}", m.keys().unwrap_or(""));
    out!("Queue ID:          {}", m.queue_id);
    out!("Queue Offset:      {}", m.queue_offset);
    out!("CommitLog Offset:  {}", m.commit_log_offset);
    out!("Msg ID:            {}", m.msg_id());
    out!("Offset Msg ID:     {}", m.offset_msg_id());
    out!("Born Timestamp:    {}", m.born_timestamp);
    out!("Store Timestamp:   {}", m.store_timestamp);
    out!("Born Host:         {}", m.born_host);
    out!("Store Host:        {}", m.store_host);
    out!("Reconsume Times:   {}", m.reconsume_times);
    let props: Vec<String> = m
        .properties
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    out!("Properties:        {{{}}}", props.join(", "));
    let body = m
        .body()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|e| format!("<{e}>"));
    out!("Body:              {body}");
}

pub async fn admin(a: AdminArgs) -> anyhow::Result<()> {
    if let AdminCmd::HandledCodes = a.cmd {
        for (server, codes) in [
            ("broker", rocklet_broker::handled_codes()),
            ("namesrv", rocklet_namesrv::HANDLED_CODES.to_vec()),
        ] {
            for c in codes {
                out!("{server}\t{}\t{}", c.as_i32(), c.name());
            }
        }
        return Ok(());
    }
    let mut cfg = ClientConfig::default();
    if let Some(n) = a.namesrv {
        cfg.namesrv_addr = Some(n);
    }
    cfg.instance_name = "rocklet_admin".into();
    cfg.session_credentials = a.acl.credentials();
    crate::sysprops::apply_client(&mut cfg);
    let admin = MQAdmin::connect(cfg)?;
    match a.cmd {
        AdminCmd::TopicRoute { topic } => {
            let r = admin.topic_route(&topic).await?;
            out!("{}", serde_json::to_string_pretty(&r)?);
        }
        AdminCmd::ClusterList => {
            let c = admin.cluster_info().await?;
            out!(
                "{:<20} {:<20} {:<4} #Addr",
                "#Cluster Name",
                "#Broker Name",
                "#BID"
            );
            for (cluster, names) in &c.cluster_addr_table {
                for n in names {
                    if let Some(bd) = c.broker_addr_table.get(n) {
                        for (id, addr) in &bd.broker_addrs {
                            out!("{cluster:<20} {n:<20} {id:<4} {addr}");
                        }
                    }
                }
            }
        }
        AdminCmd::UpdateTopic {
            topic,
            cluster,
            broker,
            read,
            write,
            perm,
        } => {
            let tc = TopicConfig::new(&topic, read, write, perm);
            let addrs: Vec<String> = match (broker, cluster) {
                (Some(b), _) => vec![b],
                (None, Some(c)) => {
                    let info = admin.cluster_info().await?;
                    let names = info
                        .cluster_addr_table
                        .get(&c)
                        .with_context(|| format!("no cluster {c}"))?;
                    names
                        .iter()
                        .filter_map(|n| {
                            info.broker_addr_table
                                .get(n)?
                                .master_addr()
                                .map(str::to_owned)
                        })
                        .collect()
                }
                (None, None) => bail!("give --cluster or --broker-addr"),
            };
            for addr in addrs {
                admin.create_topic_on(&addr, &tc).await?;
                out!("create topic to {addr} success.");
            }
            out!("TopicConfig [topicName={topic}, readQueueNums={read}, writeQueueNums={write}, perm={perm}]");
        }
        AdminCmd::QueryMsgById { id, topic } => {
            let m = match topic {
                Some(t) => admin.view_message_by_topic(&t, &id).await?,
                None => admin.view_message(&id).await?,
            };
            print_msg(&m);
        }
        AdminCmd::QueryMsgByKey { topic, key } => {
            let r = admin
                .query_message(&topic, &key, 64, 0, i64::MAX, false)
                .await?;
            out!("{:<34} {:<10} {:<10}", "#Message ID", "#QID", "#Offset");
            for m in &r.message_list {
                out!(
                    "{:<34} {:<10} {:<10}",
                    m.msg_id(),
                    m.queue_id,
                    m.queue_offset
                );
            }
        }
        AdminCmd::Offsets { topic } => {
            let route = admin.topic_route(&topic).await?;
            out!(
                "{:<20} {:<4} {:<12} {:<12} #Earliest Store Time",
                "#Broker Name",
                "#QID",
                "#Min Offset",
                "#Max Offset"
            );
            let mut qds = route.queue_datas.clone();
            qds.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
            for qd in qds {
                for q in 0..qd.read_queue_nums {
                    let mq = MessageQueue::new(&topic, &qd.broker_name, q);
                    let min = admin.min_offset(&mq).await?;
                    let max = admin.max_offset(&mq).await?;
                    let last = if max > 0 {
                        admin.earliest_msg_store_time(&mq).await.unwrap_or(0)
                    } else {
                        0
                    };
                    out!(
                        "{:<20} {:<4} {:<12} {:<12} {}",
                        qd.broker_name,
                        q,
                        min,
                        max,
                        last
                    );
                }
            }
        }
        // Answered above, before connecting.
        AdminCmd::HandledCodes => {}
        other => crate::cli_admin_ext::run(&admin, other).await?,
    }
    admin.instance().shutdown();
    Ok(())
}
