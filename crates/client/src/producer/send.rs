//! The send engine (`sendDefaultImpl`, `sendKernelImpl`, `MQClientAPIImpl.onExceptionImpl`):
//! route lookup, queue selection with fault avoidance, the broker call, and ONE retry loop for
//! every mode, inside one timeout budget.
//!
//! Java 4.9.3 retries in two places: `sendDefaultImpl` loops for sync sends, and the async
//! callback's `onExceptionImpl` re-sends on its own. They differ only in what they retry, which
//! [`Mode::attempts`] and [`Mode::retries`] state; the loop, the budget check before each
//! attempt, the queue selection avoiding the broker that just failed and the fault bookkeeping
//! (one update per attempt, as Java's callbacks do) are shared.

use rocklet_protocol::header::SendMessageResponseHeader;
use rocklet_protocol::{RemotingCommand, ResponseCode};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::prepare::Prepared;
use super::{no_route, DefaultMQProducer, Mode};
use crate::config::ProducerConfig;
use crate::error::{client_error_code, faq, ClientError, FAQ_SEND_MSG_FAILED};
use crate::instance::ClientInstance;
use crate::message::{MessageQueue, SendResult, SendStatus};

impl Mode {
    /// Attempts a send gets: `timesTotal` of `sendDefaultImpl` for sync (1 +
    /// `retryTimesWhenSendFailed`) and oneway (1), 1 + `retryTimesWhenSendAsyncFailed` for
    /// async (`onExceptionImpl`'s count).
    fn attempts(self, cfg: &ProducerConfig) -> u32 {
        match self {
            Mode::Sync => 1 + cfg.retry_times_when_send_failed,
            Mode::Async => 1 + cfg.retry_times_when_send_async_failed,
            Mode::Oneway => 1,
        }
    }

    /// Whether a failed attempt earns another. Sync: remoting and client errors, and the broker
    /// answers in `retryResponseCodes` ([`ClientError::is_retryable_with`]). Async: network
    /// errors only; Java's callback passes `needRetry = false` when the broker answered.
    fn retries(self, e: &ClientError, retry_response_codes: &[ResponseCode]) -> bool {
        match self {
            Mode::Async => matches!(e, ClientError::Remoting(_)),
            Mode::Sync | Mode::Oneway => e.is_retryable_with(retry_response_codes),
        }
    }
}

impl DefaultMQProducer {
    /// `sendDefaultImpl`: route, select, send, and retry as `mode` allows within `timeout`.
    ///
    /// Out of attempts, sync and oneway sends fail with `Send [n] times, still failed` (the
    /// last error as its cause); async sends with the last error itself, as Java's callback
    /// gets it.
    pub(super) async fn send_default(
        &self,
        inst: &Arc<ClientInstance>,
        p: Prepared,
        mode: Mode,
        timeout: Duration,
    ) -> Result<Option<SendResult>, ClientError> {
        let begin = Instant::now();
        let info = match self.find_publish(inst, &p.topic).await {
            Some(i) if i.ok() => i,
            _ => return Err(no_route(&p.topic)),
        };
        let cfg = &self.inner.cfg;
        let times_total = mode.attempts(cfg);
        let mut last_broker: Option<String> = None;
        let mut brokers_sent = Vec::new();
        let mut last_err: Option<ClientError> = None;
        let mut call_timeout = false;
        let mut times = 0;
        let mut result: Option<SendResult> = None;
        while times < times_total {
            let Some(mq) = self
                .inner
                .fault
                .select_one_message_queue(&info, last_broker.as_deref())
            else {
                break;
            };
            last_broker = Some(mq.broker_name.clone());
            brokers_sent.push(mq.broker_name.clone());
            let attempt = Instant::now();
            let cost = attempt - begin;
            if cost > timeout {
                call_timeout = true;
                break;
            }
            times += 1;
            let r = self
                .send_kernel(inst, &p, &mq, mode, timeout - cost, attempt)
                .await;
            let latency = attempt.elapsed().as_millis() as u64;
            match r {
                Ok(res) => {
                    self.inner.fault.update(&mq.broker_name, latency, false);
                    match (mode, &res) {
                        (Mode::Sync, Some(sr))
                            if sr.send_status != SendStatus::SEND_OK
                                && cfg.retry_another_broker_when_not_store_ok =>
                        {
                            result = res;
                            continue;
                        }
                        _ => return Ok(res),
                    }
                }
                Err(e) => {
                    self.inner.fault.update(&mq.broker_name, latency, true);
                    tracing::warn!(?mode, attempt = times, broker = %mq.broker_name, rt_ms = latency, error = %e, "send failed");
                    if !mode.retries(&e, &cfg.retry_response_codes) {
                        if let Some(r) = result {
                            return Ok(Some(r));
                        }
                        return Err(e);
                    }
                    last_err = Some(e);
                }
            }
        }
        if let Some(r) = result {
            return Ok(Some(r));
        }
        if call_timeout {
            let what = if mode == Mode::Async && times > 0 {
                "DEFAULT ASYNC send call timeout"
            } else {
                "sendDefaultImpl call timeout"
            };
            return Err(ClientError::Timeout(what.into()));
        }
        if mode == Mode::Async {
            if let Some(e) = last_err {
                return Err(e);
            }
        }
        let info_msg = format!(
            "Send [{}] times, still failed, cost [{}]ms, Topic: {}, BrokersSent: {:?}{}",
            times,
            begin.elapsed().as_millis(),
            p.topic,
            brokers_sent,
            faq(FAQ_SEND_MSG_FAILED)
        );
        let code = match &last_err {
            Some(ClientError::Broker { code, .. }) => code.as_i32(),
            Some(ClientError::Remoting(e)) if e.is_connect() => {
                client_error_code::CONNECT_BROKER_EXCEPTION
            }
            Some(ClientError::Remoting(e)) if e.is_timeout() => {
                client_error_code::ACCESS_BROKER_TIMEOUT
            }
            Some(ClientError::Client { .. }) => client_error_code::BROKER_NOT_EXIST_EXCEPTION,
            _ => -1,
        };
        Err(ClientError::Client {
            code,
            message: info_msg,
            cause: last_err.map(Box::new),
        })
    }

    async fn broker_addr(
        &self,
        inst: &ClientInstance,
        mq: &MessageQueue,
    ) -> Result<String, ClientError> {
        if let Some(a) = inst.find_broker_addr_in_publish(&mq.broker_name) {
            return Ok(a);
        }
        self.find_publish(inst, &mq.topic).await;
        inst.find_broker_addr_in_publish(&mq.broker_name)
            .ok_or_else(|| {
                ClientError::client(-1, format!("The broker[{}] not exist", mq.broker_name))
            })
    }

    /// `sendKernelImpl`: one attempt on `mq`.
    pub(super) async fn send_kernel(
        &self,
        inst: &ClientInstance,
        p: &Prepared,
        mq: &MessageQueue,
        mode: Mode,
        timeout: Duration,
        start: Instant,
    ) -> Result<Option<SendResult>, ClientError> {
        let addr = self.broker_addr(inst, mq).await?;
        let cost = start.elapsed();
        if cost > timeout {
            return Err(ClientError::Timeout("sendKernelImpl call timeout".into()));
        }
        let req = self.send_command(p, mq);
        let trace_start = crate::producer::now_ms();
        if mode == Mode::Oneway {
            inst.remoting
                .invoke_oneway(&addr, req, timeout - cost)
                .await?;
            return Ok(None);
        }
        let resp = inst.remoting.invoke(&addr, req, timeout - cost).await?;
        let r = process_send_response(&resp, &addr, mq, &p.uniq_id)?;
        self.trace_sent(p, &addr, &r, trace_start);
        Ok(Some(r))
    }

    /// `SendMessageTraceHookImpl.sendMessageAfter`: a `Pub` record for an answered send whose
    /// broker has trace on (never for the trace topic itself, nor for oneway sends).
    fn trace_sent(&self, p: &Prepared, addr: &str, r: &SendResult, start_ms: i64) {
        // `p.trace` is None unless tracing is on: no lock on the untraced send path.
        let Some(info) = &p.trace else {
            return;
        };
        let Some(tracer) = self.inner.tracer.lock().clone() else {
            return;
        };
        if p.topic.starts_with(&tracer.topic) || !r.trace_on {
            return;
        }
        let cost = crate::producer::now_ms() - start_ms;
        tracer.append(crate::trace::PubTrace {
            timestamp: start_ms,
            region_id: r.region_id.clone(),
            group: self
                .inner
                .cfg
                .client
                .without_namespace(&self.inner.cfg.producer_group),
            topic: self.inner.cfg.client.without_namespace(&p.topic),
            msg_id: r.msg_id.clone(),
            tags: info.tags.clone(),
            keys: info.keys.clone(),
            store_host: addr.to_owned(),
            body_length: p.body_len(),
            cost_ms: cost,
            msg_type: info.msg_type,
            offset_msg_id: r.offset_msg_id.clone(),
            success: r.send_status == SendStatus::SEND_OK,
        });
    }
}

/// `processSendResponse`.
fn process_send_response(
    resp: &RemotingCommand,
    addr: &str,
    mq: &MessageQueue,
    uniq_id: &str,
) -> Result<SendResult, ClientError> {
    let status = match ResponseCode::from_i32(resp.code) {
        ResponseCode::SUCCESS => SendStatus::SEND_OK,
        ResponseCode::FLUSH_DISK_TIMEOUT => SendStatus::FLUSH_DISK_TIMEOUT,
        ResponseCode::FLUSH_SLAVE_TIMEOUT => SendStatus::FLUSH_SLAVE_TIMEOUT,
        ResponseCode::SLAVE_NOT_AVAILABLE => SendStatus::SLAVE_NOT_AVAILABLE,
        _ => {
            return Err(ClientError::Broker {
                code: ResponseCode::from_i32(resp.code),
                remark: resp.remark.clone().unwrap_or_default(),
                addr: addr.to_owned(),
            })
        }
    };
    let h: SendMessageResponseHeader = resp.header()?;
    Ok(SendResult {
        send_status: status,
        msg_id: uniq_id.to_owned(),
        offset_msg_id: h.msg_id,
        message_queue: MessageQueue::new(mq.topic.clone(), mq.broker_name.clone(), h.queue_id),
        queue_offset: h.queue_offset,
        transaction_id: h.transaction_id,
        region_id: h.msg_region.unwrap_or_else(|| "DefaultRegion".into()),
        trace_on: h.trace_on.as_deref() != Some("false"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rocklet_remoting::RemotingError;

    fn broker(code: ResponseCode) -> ClientError {
        ClientError::Broker {
            code,
            remark: String::new(),
            addr: "127.0.0.1:10911".into(),
        }
    }

    #[test]
    fn attempts_per_mode() {
        let mut cfg = ProducerConfig::new("g");
        cfg.retry_times_when_send_failed = 2;
        cfg.retry_times_when_send_async_failed = 5;
        assert_eq!(Mode::Sync.attempts(&cfg), 3);
        assert_eq!(Mode::Async.attempts(&cfg), 6);
        assert_eq!(Mode::Oneway.attempts(&cfg), 1);
    }

    #[test]
    fn what_each_mode_retries() {
        let codes = crate::DEFAULT_RETRY_RESPONSE_CODES;
        let net = ClientError::Remoting(RemotingError::TooMuchRequest("x".into()));
        let listed = broker(codes[0]);
        let unlisted = broker(ResponseCode::MESSAGE_ILLEGAL);
        let no_broker = ClientError::client(-1, "The broker[b] not exist");
        let budget = ClientError::Timeout("sendKernelImpl call timeout".into());
        for e in [&net, &listed, &no_broker, &budget] {
            assert!(Mode::Sync.retries(e, codes), "{e:?}");
        }
        assert!(!Mode::Sync.retries(&unlisted, codes));
        assert!(Mode::Async.retries(&net, codes));
        for e in [&listed, &unlisted, &no_broker, &budget] {
            assert!(!Mode::Async.retries(e, codes), "{e:?}");
        }
    }
}
