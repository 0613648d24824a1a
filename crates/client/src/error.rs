//! Client errors, mirroring Java's `MQClientException` (with `ClientErrorCode` or a response
//! code), `MQBrokerException` and the remoting exceptions.

use rocklet_protocol::{ProtocolError, ResponseCode};
use rocklet_remoting::RemotingError;

/// `org.apache.rocketmq.client.common.ClientErrorCode`.
///
/// The `code` of a [`ClientError::Client`]; [`ClientError::code`] also maps remoting errors to
/// the first two.
pub mod client_error_code {
    /// 10001: the broker could not be connected to (a sync send's last attempt failed so, or
    /// the [`code`](crate::ClientError::code) of a remoting connect error).
    pub const CONNECT_BROKER_EXCEPTION: i32 = 10001;
    /// 10002: the broker did not answer in time (a sync send's last attempt timed out, or
    /// the [`code`](crate::ClientError::code) of a remoting timeout).
    pub const ACCESS_BROKER_TIMEOUT: i32 = 10002;
    /// 10003: a sync send's last attempt failed with a client error, e.g. its queue's broker is
    /// missing from the route.
    pub const BROKER_NOT_EXIST_EXCEPTION: i32 = 10003;
    /// 10004: no name server address is configured (`namesrvAddr` / `NAMESRV_ADDR`).
    pub const NO_NAME_SERVER_EXCEPTION: i32 = 10004;
    /// 10005: the topic has no route with a writable queue, not even one derived from
    /// `createTopicKey`.
    pub const NOT_FOUND_TOPIC_EXCEPTION: i32 = 10005;
    /// 10006: Java's code for a request-reply timeout. Rocklet reports that timeout with code
    /// -1 and does not raise this code.
    pub const REQUEST_TIMEOUT_EXCEPTION: i32 = 10006;
    /// 10007: Java's code for a failure to create a reply message. Not raised by Rocklet
    /// ([`crate::create_reply_message`] returns `None` instead).
    pub const CREATE_REPLY_MESSAGE_EXCEPTION: i32 = 10007;
}

/// Link Java appends to many client errors (`FAQUrl.suggestTodo`).
pub(crate) fn faq(url: &str) -> String {
    format!("\nSee {url} for further details.")
}
pub(crate) const FAQ_SEND_MSG_FAILED: &str = "http://rocketmq.apache.org/docs/faq/";
pub(crate) const FAQ_NO_TOPIC_ROUTE_INFO: &str = "http://rocketmq.apache.org/docs/faq/";
pub(crate) const FAQ_CLIENT_SERVICE_NOT_OK: &str = "http://rocketmq.apache.org/docs/faq/";
pub(crate) const FAQ_GROUP_NAME_DUPLICATE: &str = "http://rocketmq.apache.org/docs/faq/";
pub(crate) const FAQ_NAME_SERVER_ADDR_NOT_EXIST: &str = "http://rocketmq.apache.org/docs/faq/";
pub(crate) const FAQ_CLIENT_PARAMETER_CHECK: &str = "http://rocketmq.apache.org/docs/faq/";

/// `DefaultMQProducer.retryResponseCodes` of 4.9.3: the broker answers after which a sync send
/// is retried. SYSTEM_BUSY is not among them (4.9.3 leaves it to the caller).
pub const DEFAULT_RETRY_RESPONSE_CODES: &[ResponseCode] = &[
    ResponseCode::TOPIC_NOT_EXIST,
    ResponseCode::SERVICE_NOT_AVAILABLE,
    ResponseCode::SYSTEM_ERROR,
    ResponseCode::NO_PERMISSION,
    ResponseCode::NO_BUYER_ID,
    ResponseCode::NOT_IN_CURRENT_UNIT,
];

/// Every error of the client crate. [`ClientError::code`] gives the number Java would report,
/// [`ClientError::is_retryable`] whether a sync send tries again after it.
#[derive(Debug, thiserror::Error, Clone)]
#[non_exhaustive]
pub enum ClientError {
    /// `MQClientException`: a client-side failure; `code` is a `ClientErrorCode`, a response code
    /// (e.g. MESSAGE_ILLEGAL for validation) or -1.
    #[error("CODE: {code}  DESC: {message}")]
    Client {
        /// A [`client_error_code`] constant, a [`ResponseCode`] number or -1.
        code: i32,
        /// What went wrong, worded as Java's message.
        message: String,
        /// The error this one wraps (e.g. the last attempt's error of a failed sync send).
        cause: Option<Box<ClientError>>,
    },
    /// `MQBrokerException`: the broker answered with an error code.
    #[error("CODE: {}  DESC: {remark}  BROKER: {addr}", .code.as_i32())]
    Broker {
        /// The response code of the answer (e.g. SYSTEM_BUSY 2, TOPIC_NOT_EXIST 17).
        code: ResponseCode,
        /// The answer's remark, the broker's explanation; empty when it sent none.
        remark: String,
        /// Address (`host:port`) of the broker that answered.
        addr: String,
    },
    /// `RemotingException` and subclasses (connect, timeout, send failed).
    #[error("{0}")]
    Remoting(#[from] RemotingError),
    /// The send's time budget was spent before an attempt could start (Java's
    /// `RemotingTooMuchRequestException`, e.g. "sendDefaultImpl call timeout"). A timeout on the
    /// wire is a [`ClientError::Remoting`] error instead.
    #[error("{0}")]
    Timeout(String),
    /// Rocklet's async in-flight limit (`max_async_inflight_msgs` / `_bytes`) was full and the
    /// [`crate::AsyncFullPolicy`] gave up; nothing was sent.
    #[error("{0}")]
    Backpressure(String),
    /// A peer answered with bytes we could not decode.
    #[error("{0}")]
    Protocol(#[from] ProtocolError),
}

impl ClientError {
    pub(crate) fn client(code: i32, message: impl Into<String>) -> Self {
        ClientError::Client {
            code,
            message: message.into(),
            cause: None,
        }
    }
    /// The Java code: ClientErrorCode, response code, or -1.
    pub fn code(&self) -> i32 {
        match self {
            ClientError::Client { code, .. } => *code,
            ClientError::Broker { code, .. } => code.as_i32(),
            ClientError::Remoting(e) if e.is_connect() => {
                client_error_code::CONNECT_BROKER_EXCEPTION
            }
            ClientError::Remoting(e) if e.is_timeout() => client_error_code::ACCESS_BROKER_TIMEOUT,
            _ => -1,
        }
    }
    /// The broker's response code, for a broker error.
    pub fn response_code(&self) -> Option<ResponseCode> {
        match self {
            ClientError::Broker { code, .. } => Some(*code),
            _ => None,
        }
    }
    /// Whether a sync send that failed with this error tries again (on another broker when it
    /// can), by Java 4.9.3's rule in `sendDefaultImpl`: broker errors only for the
    /// [`DEFAULT_RETRY_RESPONSE_CODES`]; every other error always: remoting errors, a spent
    /// time budget and undecodable responses (all `RemotingException`s in Java; after a spent
    /// budget the loop itself stops), and every `MQClientException` (e.g. a broker missing from
    /// the route). [`ClientError::Backpressure`] is retryable too: it means "not now", and no
    /// send loop sees it (it is raised before an async send starts).
    pub fn is_retryable(&self) -> bool {
        self.is_retryable_with(DEFAULT_RETRY_RESPONSE_CODES)
    }
    /// [`Self::is_retryable`] with the producer's own `retryResponseCodes`.
    pub fn is_retryable_with(&self, retry_response_codes: &[ResponseCode]) -> bool {
        match self {
            ClientError::Broker { code, .. } => retry_response_codes.contains(code),
            _ => true,
        }
    }
    /// The error that caused this one, when wrapped (Java `getCause`).
    pub fn cause(&self) -> Option<&ClientError> {
        match self {
            ClientError::Client { cause, .. } => cause.as_deref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broker(code: i32) -> ClientError {
        ClientError::Broker {
            code: ResponseCode::from_i32(code),
            remark: String::new(),
            addr: "127.0.0.1:10911".into(),
        }
    }

    #[test]
    fn retryable_broker_codes_are_java_4_9_3s() {
        for code in [17, 14, 1, 16, 204, 205] {
            assert!(broker(code).is_retryable(), "{code}");
        }
        // SYSTEM_BUSY, MESSAGE_ILLEGAL, an unknown code: not retried.
        for code in [2, 13, 4242] {
            assert!(!broker(code).is_retryable(), "{code}");
        }
        assert!(!broker(17).is_retryable_with(&[]));
        assert!(broker(2).is_retryable_with(&[ResponseCode::SYSTEM_BUSY]));
    }

    #[test]
    fn broker_error_keeps_numeric_code() {
        let e = broker(4242);
        assert_eq!(e.code(), 4242);
        assert_eq!(e.response_code(), Some(ResponseCode::Unknown(4242)));
        assert_eq!(e.to_string(), "CODE: 4242  DESC:   BROKER: 127.0.0.1:10911");
    }

    #[test]
    fn remoting_and_client_errors_are_retried() {
        assert!(ClientError::client(-1, "The broker[b] not exist").is_retryable());
        assert!(ClientError::Remoting(RemotingError::TooMuchRequest("x".into())).is_retryable());
        assert!(ClientError::Timeout("sendKernelImpl call timeout".into()).is_retryable());
    }
}
