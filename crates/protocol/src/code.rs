//! Request, response and language codes of RocketMQ 4.9.3 (`RequestCode`, `ResponseCode`,
//! `LanguageCode`). Values are pinned by tests; unknown numbers are kept, not rejected.

macro_rules! int_codes {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $val:expr),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(non_camel_case_types)]
        pub enum $name {
            $($variant,)*
            /// A code this version does not name; kept so it can be echoed or reported.
            Unknown(i32),
        }
        impl $name {
            /// Every named code, for tables and tests.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            pub const fn from_i32(v: i32) -> Self {
                match v { $($val => $name::$variant,)* other => $name::Unknown(other) }
            }
            pub const fn as_i32(self) -> i32 {
                match self { $($name::$variant => $val,)* $name::Unknown(v) => v }
            }
            /// The Java constant name, e.g. `SEND_MESSAGE_V2`.
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => stringify!($variant),)* $name::Unknown(_) => "UNKNOWN" }
            }
        }
        impl From<i32> for $name { fn from(v: i32) -> Self { Self::from_i32(v) } }
        impl From<$name> for i32 { fn from(v: $name) -> i32 { v.as_i32() } }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", self.name(), self.as_i32())
            }
        }
    };
}

int_codes! {
    /// `org.apache.rocketmq.common.protocol.RequestCode`: every constant of 4.9.3 (read from the
    /// 4.9.3 jar with `javap -constants`), plus `GET_TOPIC_CONFIG` of 5.x.
    RequestCode {
        SEND_MESSAGE = 10, PULL_MESSAGE = 11, QUERY_MESSAGE = 12, QUERY_BROKER_OFFSET = 13,
        QUERY_CONSUMER_OFFSET = 14, UPDATE_CONSUMER_OFFSET = 15, UPDATE_AND_CREATE_TOPIC = 17,
        GET_ALL_TOPIC_CONFIG = 21, GET_TOPIC_CONFIG_LIST = 22, GET_TOPIC_NAME_LIST = 23,
        UPDATE_BROKER_CONFIG = 25, GET_BROKER_CONFIG = 26, TRIGGER_DELETE_FILES = 27,
        GET_BROKER_RUNTIME_INFO = 28, SEARCH_OFFSET_BY_TIMESTAMP = 29, GET_MAX_OFFSET = 30,
        GET_MIN_OFFSET = 31, GET_EARLIEST_MSG_STORETIME = 32, VIEW_MESSAGE_BY_ID = 33,
        HEART_BEAT = 34, UNREGISTER_CLIENT = 35, CONSUMER_SEND_MSG_BACK = 36, END_TRANSACTION = 37,
        GET_CONSUMER_LIST_BY_GROUP = 38, CHECK_TRANSACTION_STATE = 39,
        NOTIFY_CONSUMER_IDS_CHANGED = 40, LOCK_BATCH_MQ = 41, UNLOCK_BATCH_MQ = 42,
        GET_ALL_CONSUMER_OFFSET = 43, GET_ALL_DELAY_OFFSET = 45, CHECK_CLIENT_CONFIG = 46,
        UPDATE_AND_CREATE_ACL_CONFIG = 50, DELETE_ACL_CONFIG = 51, GET_BROKER_CLUSTER_ACL_INFO = 52,
        UPDATE_GLOBAL_WHITE_ADDRS_CONFIG = 53, GET_BROKER_CLUSTER_ACL_CONFIG = 54,
        PUT_KV_CONFIG = 100, GET_KV_CONFIG = 101, DELETE_KV_CONFIG = 102, REGISTER_BROKER = 103,
        UNREGISTER_BROKER = 104, GET_ROUTEINFO_BY_TOPIC = 105, GET_BROKER_CLUSTER_INFO = 106,
        UPDATE_AND_CREATE_SUBSCRIPTIONGROUP = 200, GET_ALL_SUBSCRIPTIONGROUP_CONFIG = 201,
        GET_TOPIC_STATS_INFO = 202, GET_CONSUMER_CONNECTION_LIST = 203,
        GET_PRODUCER_CONNECTION_LIST = 204, WIPE_WRITE_PERM_OF_BROKER = 205,
        GET_ALL_TOPIC_LIST_FROM_NAMESERVER = 206, DELETE_SUBSCRIPTIONGROUP = 207,
        GET_CONSUME_STATS = 208, SUSPEND_CONSUMER = 209, RESUME_CONSUMER = 210,
        RESET_CONSUMER_OFFSET_IN_CONSUMER = 211, RESET_CONSUMER_OFFSET_IN_BROKER = 212,
        ADJUST_CONSUMER_THREAD_POOL = 213, WHO_CONSUME_THE_MESSAGE = 214,
        DELETE_TOPIC_IN_BROKER = 215, DELETE_TOPIC_IN_NAMESRV = 216, GET_KVLIST_BY_NAMESPACE = 219,
        RESET_CONSUMER_CLIENT_OFFSET = 220, GET_CONSUMER_STATUS_FROM_CLIENT = 221,
        INVOKE_BROKER_TO_RESET_OFFSET = 222, INVOKE_BROKER_TO_GET_CONSUMER_STATUS = 223,
        QUERY_TOPIC_CONSUME_BY_WHO = 300, GET_TOPICS_BY_CLUSTER = 224, REGISTER_FILTER_SERVER = 301,
        REGISTER_MESSAGE_FILTER_CLASS = 302, QUERY_CONSUME_TIME_SPAN = 303,
        GET_SYSTEM_TOPIC_LIST_FROM_NS = 304, GET_SYSTEM_TOPIC_LIST_FROM_BROKER = 305,
        CLEAN_EXPIRED_CONSUMEQUEUE = 306, GET_CONSUMER_RUNNING_INFO = 307,
        QUERY_CORRECTION_OFFSET = 308, CONSUME_MESSAGE_DIRECTLY = 309, SEND_MESSAGE_V2 = 310,
        GET_UNIT_TOPIC_LIST = 311, GET_HAS_UNIT_SUB_TOPIC_LIST = 312,
        GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST = 313, CLONE_GROUP_OFFSET = 314,
        VIEW_BROKER_STATS_DATA = 315, CLEAN_UNUSED_TOPIC = 316, GET_BROKER_CONSUME_STATS = 317,
        UPDATE_NAMESRV_CONFIG = 318, GET_NAMESRV_CONFIG = 319, SEND_BATCH_MESSAGE = 320,
        QUERY_CONSUME_QUEUE = 321, QUERY_DATA_VERSION = 322, RESUME_CHECK_HALF_MESSAGE = 323,
        SEND_REPLY_MESSAGE = 324, SEND_REPLY_MESSAGE_V2 = 325, PUSH_REPLY_MESSAGE_TO_CLIENT = 326,
        ADD_WRITE_PERM_OF_BROKER = 327,
        // Not in 4.9.3: the 5.x admin library (and consoles built on it) asks for one topic's
        // config with this code, so Rocklet answers it too.
        GET_TOPIC_CONFIG = 351,
    }
}

int_codes! {
    /// `ResponseCode` (common and remoting) of 4.9.3.
    ResponseCode {
        SUCCESS = 0, SYSTEM_ERROR = 1, SYSTEM_BUSY = 2, REQUEST_CODE_NOT_SUPPORTED = 3,
        TRANSACTION_FAILED = 4, FLUSH_DISK_TIMEOUT = 10, SLAVE_NOT_AVAILABLE = 11,
        FLUSH_SLAVE_TIMEOUT = 12, MESSAGE_ILLEGAL = 13, SERVICE_NOT_AVAILABLE = 14,
        VERSION_NOT_SUPPORTED = 15, NO_PERMISSION = 16, TOPIC_NOT_EXIST = 17,
        TOPIC_EXIST_ALREADY = 18, PULL_NOT_FOUND = 19, PULL_RETRY_IMMEDIATELY = 20,
        PULL_OFFSET_MOVED = 21, QUERY_NOT_FOUND = 22, SUBSCRIPTION_PARSE_FAILED = 23,
        SUBSCRIPTION_NOT_EXIST = 24, SUBSCRIPTION_NOT_LATEST = 25,
        SUBSCRIPTION_GROUP_NOT_EXIST = 26, FILTER_DATA_NOT_EXIST = 27,
        FILTER_DATA_NOT_LATEST = 28, TRANSACTION_SHOULD_COMMIT = 200,
        TRANSACTION_SHOULD_ROLLBACK = 201, TRANSACTION_STATE_UNKNOW = 202,
        TRANSACTION_STATE_GROUP_WRONG = 203, NO_BUYER_ID = 204, NOT_IN_CURRENT_UNIT = 205,
        CONSUMER_NOT_ONLINE = 206, CONSUME_MSG_TIMEOUT = 207, NO_MESSAGE = 208,
        UPDATE_AND_CREATE_ACL_CONFIG_FAILED = 209, DELETE_ACL_CONFIG_FAILED = 210,
        UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED = 211,
    }
}

/// `org.apache.rocketmq.remoting.protocol.LanguageCode` of 4.9.3. There is no RUST: Rocklet's
/// client sends `OTHER` unless configured to pretend to be Java.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[allow(clippy::upper_case_acronyms)]
pub enum LanguageCode {
    #[default]
    JAVA,
    CPP,
    DOTNET,
    PYTHON,
    DELPHI,
    ERLANG,
    RUBY,
    OTHER,
    HTTP,
    GO,
    PHP,
    OMS,
}

impl LanguageCode {
    const TABLE: [(LanguageCode, u8, &'static str); 12] = [
        (LanguageCode::JAVA, 0, "JAVA"),
        (LanguageCode::CPP, 1, "CPP"),
        (LanguageCode::DOTNET, 2, "DOTNET"),
        (LanguageCode::PYTHON, 3, "PYTHON"),
        (LanguageCode::DELPHI, 4, "DELPHI"),
        (LanguageCode::ERLANG, 5, "ERLANG"),
        (LanguageCode::RUBY, 6, "RUBY"),
        (LanguageCode::OTHER, 7, "OTHER"),
        (LanguageCode::HTTP, 8, "HTTP"),
        (LanguageCode::GO, 9, "GO"),
        (LanguageCode::PHP, 10, "PHP"),
        (LanguageCode::OMS, 11, "OMS"),
    ];
    pub fn code(self) -> u8 {
        Self::TABLE[self as usize].1
    }
    pub fn name(self) -> &'static str {
        Self::TABLE[self as usize].2
    }
    /// Unknown bytes become OTHER: Java servers accept any language, so must we.
    pub fn from_code(b: u8) -> Self {
        Self::TABLE
            .get(b as usize)
            .map(|t| t.0)
            .unwrap_or(LanguageCode::OTHER)
    }
    /// Unknown names (other clients send e.g. "RUST" or lower case) become OTHER.
    pub fn from_name(s: &str) -> Self {
        Self::TABLE
            .iter()
            .find(|t| t.2.eq_ignore_ascii_case(s))
            .map(|t| t.0)
            .unwrap_or(LanguageCode::OTHER)
    }
}

/// Header serialization: the high byte of the header-length word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SerializeType {
    #[default]
    Json = 0,
    RocketMq = 1,
}

impl SerializeType {
    pub fn from_byte(b: u8) -> Option<Self> {
        match b {
            0 => Some(Self::Json),
            1 => Some(Self::RocketMq),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_request_codes() {
        let pins = [
            (RequestCode::SEND_MESSAGE, 10),
            (RequestCode::PULL_MESSAGE, 11),
            (RequestCode::QUERY_MESSAGE, 12),
            (RequestCode::UPDATE_AND_CREATE_TOPIC, 17),
            (RequestCode::SEARCH_OFFSET_BY_TIMESTAMP, 29),
            (RequestCode::GET_MAX_OFFSET, 30),
            (RequestCode::GET_MIN_OFFSET, 31),
            (RequestCode::GET_EARLIEST_MSG_STORETIME, 32),
            (RequestCode::VIEW_MESSAGE_BY_ID, 33),
            (RequestCode::HEART_BEAT, 34),
            (RequestCode::UNREGISTER_CLIENT, 35),
            (RequestCode::END_TRANSACTION, 37),
            (RequestCode::GET_CONSUMER_LIST_BY_GROUP, 38),
            (RequestCode::CHECK_TRANSACTION_STATE, 39),
            (RequestCode::REGISTER_BROKER, 103),
            (RequestCode::UNREGISTER_BROKER, 104),
            (RequestCode::GET_ROUTEINFO_BY_TOPIC, 105),
            (RequestCode::GET_BROKER_CLUSTER_INFO, 106),
            (RequestCode::GET_ALL_TOPIC_LIST_FROM_NAMESERVER, 206),
            (RequestCode::SEND_MESSAGE_V2, 310),
            (RequestCode::SEND_BATCH_MESSAGE, 320),
        ];
        for (c, v) in pins {
            assert_eq!(c.as_i32(), v, "{c:?}");
            assert_eq!(RequestCode::from_i32(v), c);
        }
        assert_eq!(RequestCode::from_i32(9999), RequestCode::Unknown(9999));
        for c in RequestCode::ALL {
            assert_eq!(
                RequestCode::from_i32(c.as_i32()),
                *c,
                "duplicate value for {c:?}"
            );
        }
    }

    #[test]
    fn pinned_response_codes() {
        let pins = [
            (ResponseCode::SUCCESS, 0),
            (ResponseCode::SYSTEM_ERROR, 1),
            (ResponseCode::SYSTEM_BUSY, 2),
            (ResponseCode::REQUEST_CODE_NOT_SUPPORTED, 3),
            (ResponseCode::FLUSH_DISK_TIMEOUT, 10),
            (ResponseCode::SLAVE_NOT_AVAILABLE, 11),
            (ResponseCode::FLUSH_SLAVE_TIMEOUT, 12),
            (ResponseCode::MESSAGE_ILLEGAL, 13),
            (ResponseCode::SERVICE_NOT_AVAILABLE, 14),
            (ResponseCode::NO_PERMISSION, 16),
            (ResponseCode::TOPIC_NOT_EXIST, 17),
            (ResponseCode::PULL_NOT_FOUND, 19),
            (ResponseCode::PULL_RETRY_IMMEDIATELY, 20),
            (ResponseCode::PULL_OFFSET_MOVED, 21),
            (ResponseCode::QUERY_NOT_FOUND, 22),
            (ResponseCode::NO_BUYER_ID, 204),
            (ResponseCode::NOT_IN_CURRENT_UNIT, 205),
        ];
        for (c, v) in pins {
            assert_eq!(c.as_i32(), v, "{c:?}");
            assert_eq!(ResponseCode::from_i32(v), c);
        }
        for c in ResponseCode::ALL {
            assert_eq!(ResponseCode::from_i32(c.as_i32()), *c);
        }
    }

    #[test]
    fn language_codes() {
        for (i, name) in [
            "JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY", "OTHER", "HTTP", "GO",
            "PHP", "OMS",
        ]
        .iter()
        .enumerate()
        {
            let l = LanguageCode::from_code(i as u8);
            assert_eq!(l.code() as usize, i);
            assert_eq!(l.name(), *name);
            assert_eq!(LanguageCode::from_name(name), l);
        }
        assert_eq!(LanguageCode::from_name("RUST"), LanguageCode::OTHER);
        assert_eq!(LanguageCode::from_code(200), LanguageCode::OTHER);
    }
}
