//! The send engine (`sendDefaultImpl`, `sendKernelImpl`, `MQClientAPIImpl.sendMessageAsync`):
//! route lookup, queue selection with fault avoidance, the broker call, and the retries inside
//! one timeout budget.

use rocklet_protocol::header::SendMessageResponseHeader;
use rocklet_protocol::{RemotingCommand, ResponseCode};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::prepare::Prepared;
use super::{no_route, DefaultMQProducer, Mode};
use crate::error::{client_error_code, faq, ClientError, FAQ_SEND_MSG_FAILED};
use crate::instance::{ClientInstance, TopicPublishInfo};
use crate::message::{MessageQueue, SendResult, SendStatus};

impl DefaultMQProducer {
    /// `sendDefaultImpl`: route, select, send; sync sends retry up to
    /// `retryTimesWhenSendFailed` times within `timeout`, on the errors Java retries.
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
        let times_total = if mode == Mode::Sync {
            1 + self.inner.cfg.retry_times_when_send_failed
        } else {
            1
        };
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
            let r = match mode {
                Mode::Async => self
                    .send_async_kernel(inst, &p, &mq, timeout - cost, begin, &info)
                    .await
                    .map(Some),
                _ => {
                    self.send_kernel(inst, &p, &mq, mode, timeout - cost, attempt)
                        .await
                }
            };
            let latency = attempt.elapsed().as_millis() as u64;
            match r {
                Ok(res) => {
                    self.inner.fault.update(&mq.broker_name, latency, false);
                    match (mode, &res) {
                        (Mode::Sync, Some(sr))
                            if sr.send_status != SendStatus::SEND_OK
                                && self.inner.cfg.retry_another_broker_when_not_store_ok =>
                        {
                            result = res;
                            continue;
                        }
                        _ => return Ok(res),
                    }
                }
                Err(e) => {
                    self.inner.fault.update(&mq.broker_name, latency, true);
                    tracing::warn!(attempt = times, broker = %mq.broker_name, rt_ms = latency, error = %e, "send failed");
                    // Async sends retry in `send_async_kernel` (network errors only).
                    let retry = e.is_retryable_with(&self.inner.cfg.retry_response_codes);
                    if !retry || mode == Mode::Async {
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
            return Err(ClientError::Timeout("sendDefaultImpl call timeout".into()));
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

    /// `sendKernelImpl` for sync and oneway.
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
        if mode == Mode::Oneway {
            inst.remoting
                .invoke_oneway(&addr, req, timeout - cost)
                .await?;
            return Ok(None);
        }
        let resp = inst.remoting.invoke(&addr, req, timeout - cost).await?;
        process_send_response(&resp, &addr, mq, &p.uniq_id).map(Some)
    }

    /// `sendMessageAsync` + `onExceptionImpl`: network failures are retried on another queue
    /// (avoiding the failed broker) up to `retryTimesWhenSendAsyncFailed` times; broker errors
    /// are not.
    async fn send_async_kernel(
        &self,
        inst: &ClientInstance,
        p: &Prepared,
        first: &MessageQueue,
        timeout: Duration,
        begin: Instant,
        info: &TopicPublishInfo,
    ) -> Result<SendResult, ClientError> {
        let mut mq = first.clone();
        let mut tries = 0;
        loop {
            let cost = begin.elapsed();
            if cost > timeout {
                return Err(ClientError::Timeout(
                    "DEFAULT ASYNC send call timeout".into(),
                ));
            }
            let attempt = Instant::now();
            let addr = self.broker_addr(inst, &mq).await?;
            let req = self.send_command(p, &mq);
            match inst.remoting.invoke(&addr, req, timeout - cost).await {
                Ok(resp) => {
                    self.inner.fault.update(
                        &mq.broker_name,
                        attempt.elapsed().as_millis() as u64,
                        false,
                    );
                    return process_send_response(&resp, &addr, &mq, &p.uniq_id);
                }
                Err(e) => {
                    self.inner.fault.update(
                        &mq.broker_name,
                        attempt.elapsed().as_millis() as u64,
                        true,
                    );
                    tries += 1;
                    if tries > self.inner.cfg.retry_times_when_send_async_failed {
                        return Err(e.into());
                    }
                    tracing::debug!(broker = %mq.broker_name, error = %e, "async send failed, retrying");
                    if let Some(next) = self
                        .inner
                        .fault
                        .select_one_message_queue(info, Some(&mq.broker_name))
                    {
                        mq = next;
                    }
                }
            }
        }
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
