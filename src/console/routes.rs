//! The console's routes: which page or API call a path names, and what each does (the data
//! from [`super::api`], [`super::groups`], [`super::messages`], [`super::stats`] and
//! [`super::send`], rendered by [`super::pages`] and [`super::pages_msg`] or as JSON).

use hyper::Method;

use super::api::{self, ConsoleError, CreateTopic};
use super::form::{self, field, parse_pairs, percent_encode};
use super::messages::{self, BodyFormat, Search};
use super::pages_msg::{self, SearchForm};
use super::send::{self, SendRequest};
use super::{groups, pages, stats, State};

/// The console's pages and their API twins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route<'a> {
    Overview,
    Topics,
    Topic(&'a str),
    TopicDelete(&'a str),
    Groups,
    Group(&'a str),
    GroupReset(&'a str),
    /// Update the group's `SubscriptionGroupConfig` on every master.
    GroupConfig(&'a str),
    /// The send form (page) and the send itself.
    Send,
    Messages,
    Message,
    Dlq,
    DlqResend,
    Producers,
    TopicTps(&'a str),
}

impl Route<'_> {
    fn post_only(self, api: bool) -> bool {
        matches!(
            self,
            Route::TopicDelete(_) | Route::GroupReset(_) | Route::GroupConfig(_) | Route::DlqResend
        ) || (api && self == Route::Send)
    }
    pub(super) fn allows(self, api: bool, m: &Method) -> bool {
        let get = *m == Method::GET || *m == Method::HEAD;
        if self.post_only(api) {
            *m == Method::POST
        } else if matches!(self, Route::Topics | Route::Send) {
            get || *m == Method::POST
        } else {
            get
        }
    }
    pub(super) fn allow_header(self, api: bool) -> &'static str {
        if self.post_only(api) {
            "POST"
        } else if matches!(self, Route::Topics | Route::Send) {
            "GET, HEAD, POST"
        } else {
            "GET, HEAD"
        }
    }
}

/// (API?, route) of the decoded path segments.
pub(super) fn parse_route(segs: &[String]) -> Option<(bool, Route<'_>)> {
    let (api, rest) = match segs.split_first() {
        Some((first, rest)) if first == "api" => (true, rest),
        _ => (false, segs),
    };
    let name = |i: usize| rest.get(i).map(String::as_str).filter(|s| !s.is_empty());
    let words: Vec<&str> = rest.iter().map(String::as_str).collect();
    let r = match (api, words.as_slice()) {
        (false, [""]) | (true, ["cluster"]) => Route::Overview,
        (_, ["topics"]) => Route::Topics,
        (_, ["groups"]) => Route::Groups,
        (_, ["topic", _]) => Route::Topic(name(1)?),
        (_, ["topic", _, "delete"]) => Route::TopicDelete(name(1)?),
        (_, ["group", _]) => Route::Group(name(1)?),
        (_, ["group", _, "reset"]) => Route::GroupReset(name(1)?),
        (_, ["group", _, "config"]) => Route::GroupConfig(name(1)?),
        (_, ["send"]) => Route::Send,
        (_, ["messages"]) => Route::Messages,
        (_, ["message"]) => Route::Message,
        (_, ["dlq"]) => Route::Dlq,
        (_, ["dlq", "resend"]) => Route::DlqResend,
        (_, ["producers"]) => Route::Producers,
        (true, ["topic", _, "tps"]) => Route::TopicTps(name(1)?),
        _ => return None,
    };
    Some((api, r))
}

/// A successful answer.
pub(super) enum Reply {
    Html(String),
    Json(String),
    /// 303 See Other, after a form POST.
    Redirect(String),
}

fn json<T: serde::Serialize>(v: &T) -> Reply {
    Reply::Json(serde_json::to_string(v).unwrap_or_else(|_| "{}".into()))
}

fn form_pairs(body: &[u8]) -> api::Result<Vec<(String, String)>> {
    std::str::from_utf8(body)
        .ok()
        .and_then(parse_pairs)
        .ok_or_else(|| ConsoleError::BadRequest("the form does not decode".into()))
}

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> api::Result<T> {
    serde_json::from_slice(body)
        .map_err(|e| ConsoleError::BadRequest(format!("bad JSON body: {e}")))
}

/// The request's input: the JSON body for the API, else what `from_form` makes of the form.
fn input<T: serde::de::DeserializeOwned>(
    api: bool,
    body: &[u8],
    from_form: impl FnOnce(&[(String, String)]) -> api::Result<T>,
) -> api::Result<T> {
    if api {
        json_body(body)
    } else {
        from_form(&form_pairs(body)?)
    }
}

/// An integer form field, `default` when empty or absent.
fn int_field(p: &[(String, String)], name: &str, default: i32) -> api::Result<i32> {
    match field(p, name).map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| ConsoleError::BadRequest(format!("{name} [{v}] is not a number"))),
    }
}

#[derive(serde::Deserialize)]
struct ResetBody {
    topic: String,
    /// Milliseconds, or `yyyy-MM-dd'T'HH:mm` (UTC).
    time: serde_json::Value,
}

/// A non-blank query field.
fn given<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    field(q, name).map(str::trim).filter(|v| !v.is_empty())
}

/// An optional time field (milliseconds or `yyyy-MM-ddTHH:mm` UTC).
fn time_field(q: &[(String, String)], name: &str) -> api::Result<Option<i64>> {
    given(q, name)
        .map(|v| form::parse_time(v).map_err(|e| ConsoleError::BadRequest(format!("{name}: {e}"))))
        .transpose()
}

fn search_form(q: &[(String, String)]) -> SearchForm<'_> {
    SearchForm {
        topic: field(q, "topic"),
        key: field(q, "key"),
        begin: field(q, "begin"),
        end: field(q, "end"),
    }
}

fn missing(name: &str) -> ConsoleError {
    ConsoleError::BadRequest(format!("give the {name}"))
}

pub(super) async fn handle(
    st: &State,
    api: bool,
    route: Route<'_>,
    q: &[(String, String)],
    post: bool,
    body: &[u8],
) -> api::Result<Reply> {
    let admin = &st.admin;
    let ns = st.namesrv.as_str();
    let all = field(q, "all").is_some_and(|v| v == "1" || v == "true");
    if let Some(r) = handle_messages(st, api, route, q, post, body).await? {
        return Ok(r);
    }
    Ok(match route {
        Route::Overview => {
            let v = api::cluster(admin, ns).await?;
            if api {
                json(&v)
            } else {
                Reply::Html(pages::overview(&v))
            }
        }
        Route::Topics if post => {
            let req = input(api, body, |p| {
                Ok(CreateTopic {
                    topic: field(p, "topic").unwrap_or("").to_owned(),
                    cluster: field(p, "cluster").map(str::to_owned),
                    read_queue_nums: int_field(p, "readQueueNums", 8)?,
                    write_queue_nums: int_field(p, "writeQueueNums", 8)?,
                    perm: int_field(p, "perm", 6)?,
                })
            })?;
            let done = api::create_topic(admin, &req).await?;
            if api {
                json(&done)
            } else {
                Reply::Redirect(format!("/topic/{}", percent_encode(&done.topic)))
            }
        }
        Route::Topics => {
            let v = api::topics(admin, all).await?;
            if api {
                json(&v)
            } else {
                Reply::Html(pages::topics(&v, ns))
            }
        }
        Route::Topic(t) => {
            let v = api::topic(admin, t).await?;
            if api {
                json(&v)
            } else {
                Reply::Html(pages::topic(&v, ns))
            }
        }
        Route::TopicDelete(t) => {
            let done = api::delete_topic(admin, t).await?;
            if api {
                json(&done)
            } else {
                Reply::Redirect("/topics".into())
            }
        }
        Route::Groups => {
            let v = groups::groups(admin, all).await?;
            if api {
                json(&v)
            } else {
                Reply::Html(pages::groups(&v, ns))
            }
        }
        Route::Group(g) => {
            let v = groups::group(admin, g).await?;
            if api {
                json(&v)
            } else {
                Reply::Html(pages::group(&v, ns))
            }
        }
        Route::GroupConfig(g) => {
            let s = if api {
                json_body::<groups::GroupSettings>(body)?
            } else {
                let p = form_pairs(body)?;
                // A checkbox is sent only when checked.
                groups::GroupSettings {
                    consume_enable: field(&p, "consumeEnable").is_some(),
                    consume_broadcast_enable: field(&p, "consumeBroadcastEnable").is_some(),
                    retry_queue_nums: int_field(&p, "retryQueueNums", 1)?,
                    retry_max_times: int_field(&p, "retryMaxTimes", 16)?,
                    broker_id: int_field(&p, "brokerId", 0)?.into(),
                    which_broker_when_consume_slowly: int_field(
                        &p,
                        "whichBrokerWhenConsumeSlowly",
                        1,
                    )?
                    .into(),
                }
            };
            let v = groups::update_config(admin, g, &s).await?;
            if api {
                json(&v)
            } else {
                Reply::Redirect(format!("/group/{}", percent_encode(g)))
            }
        }
        Route::GroupReset(g) => {
            let (topic, time) = if api {
                let b: ResetBody = json_body(body)?;
                let time = match b.time {
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (b.topic, time)
            } else {
                let p = form_pairs(body)?;
                (
                    field(&p, "topic").unwrap_or("").to_owned(),
                    field(&p, "time").unwrap_or("").to_owned(),
                )
            };
            let ts = form::parse_time(&time).map_err(ConsoleError::BadRequest)?;
            let v = groups::reset(admin, g, topic.trim(), ts).await?;
            if api {
                json(&v)
            } else {
                Reply::Html(pages::reset(&v, ns))
            }
        }
        _ => return Err(ConsoleError::NotFound("not found".into())),
    })
}

#[derive(serde::Deserialize)]
struct ResendBody {
    group: String,
    id: String,
}

/// The message routes (None for the others).
async fn handle_messages(
    st: &State,
    api: bool,
    route: Route<'_>,
    q: &[(String, String)],
    post: bool,
    body: &[u8],
) -> api::Result<Option<Reply>> {
    let admin = &st.admin;
    let ns = st.namesrv.as_str();
    Ok(Some(match route {
        Route::Send if post => {
            let req = input(api, body, |p| {
                Ok(SendRequest {
                    topic: field(p, "topic").unwrap_or("").to_owned(),
                    tag: field(p, "tag").map(str::to_owned),
                    keys: field(p, "keys").map(str::to_owned),
                    body: field(p, "body").unwrap_or("").to_owned(),
                })
            })?;
            let v = send::send(&st.sender, &req).await?;
            if api {
                json(&v)
            } else {
                Reply::Redirect(format!(
                    "/message?topic={}&id={}",
                    percent_encode(&v.topic),
                    percent_encode(&v.msg_id)
                ))
            }
        }
        Route::Send => Reply::Html(pages_msg::send_form(given(q, "topic"), ns)),
        Route::Messages => {
            let Some(topic) = given(q, "topic") else {
                if api {
                    return Err(missing("topic"));
                }
                return Ok(Some(Reply::Html(pages_msg::messages(
                    None,
                    &search_form(q),
                    ns,
                ))));
            };
            let how = match given(q, "key") {
                Some(k) => Search::Key(k.to_owned()),
                None => {
                    let (begin, end) =
                        messages::range(time_field(q, "begin")?, time_field(q, "end")?);
                    Search::Range { begin, end }
                }
            };
            let v = messages::search(admin, topic, &how).await?;
            if api {
                json(&v)
            } else {
                Reply::Html(pages_msg::messages(Some(&v), &search_form(q), ns))
            }
        }
        Route::Message => {
            let topic = given(q, "topic").ok_or_else(|| missing("topic"))?;
            let id = given(q, "id").ok_or_else(|| missing("message id"))?;
            let format = BodyFormat::parse(field(q, "format"))?;
            let v = messages::message(admin, topic, id, format).await?;
            if api {
                json(&v)
            } else {
                Reply::Html(pages_msg::message(&v, ns))
            }
        }
        Route::Dlq => {
            let group = given(q, "group");
            let v = match group {
                Some(g) => {
                    let (begin, end) =
                        messages::range(time_field(q, "begin")?, time_field(q, "end")?);
                    Some(messages::dlq(admin, g, begin, end).await?)
                }
                None if api => return Err(missing("consumer group")),
                None => None,
            };
            if api {
                json(&v)
            } else {
                let resent = match (given(q, "resent"), given(q, "to"), given(q, "newId")) {
                    (Some(a), Some(b), Some(c)) => Some((a, b, c)),
                    _ => None,
                };
                Reply::Html(pages_msg::dlq(
                    v.as_ref(),
                    group,
                    &search_form(q),
                    resent,
                    ns,
                ))
            }
        }
        Route::DlqResend => {
            let b = input(api, body, |p| {
                Ok(ResendBody {
                    group: field(p, "group").unwrap_or("").trim().to_owned(),
                    id: field(p, "id").unwrap_or("").to_owned(),
                })
            })?;
            let v = send::resend(admin, &st.sender, &b.group, &b.id).await?;
            if api {
                json(&v)
            } else {
                Reply::Redirect(format!(
                    "/dlq?group={}&resent={}&to={}&newId={}",
                    percent_encode(&v.group),
                    percent_encode(&v.dlq_msg_id),
                    percent_encode(&v.sent.topic),
                    percent_encode(&v.sent.msg_id)
                ))
            }
        }
        Route::Producers => {
            let (topic, group) = (given(q, "topic"), given(q, "group"));
            let v = match (topic, group) {
                (Some(t), Some(g)) => Some(stats::producers(admin, t, g).await?),
                _ if api => return Err(missing("topic and the producer group")),
                _ => None,
            };
            if api {
                json(&v)
            } else {
                Reply::Html(pages_msg::producers(v.as_ref(), topic, group, ns))
            }
        }
        Route::TopicTps(t) => json(&stats::tps(admin, t).await?),
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::form::percent_decode;

    fn route(path: &str) -> Option<(bool, String)> {
        let segs: Vec<String> = path[1..]
            .split('/')
            .map(|s| percent_decode(s, false).unwrap())
            .collect();
        parse_route(&segs).map(|(api, r)| (api, format!("{r:?}")))
    }

    #[test]
    fn routes() {
        assert_eq!(route("/"), Some((false, "Overview".into())));
        assert_eq!(route("/api/cluster"), Some((true, "Overview".into())));
        assert_eq!(route("/cluster"), None);
        assert_eq!(route("/api/"), None);
        assert_eq!(route("/topics"), Some((false, "Topics".into())));
        assert_eq!(
            route("/api/topic/%25DLQ%25g"),
            Some((true, "Topic(\"%DLQ%g\")".into()))
        );
        assert_eq!(
            route("/topic/T/delete"),
            Some((false, "TopicDelete(\"T\")".into()))
        );
        assert_eq!(
            route("/group/G/reset"),
            Some((false, "GroupReset(\"G\")".into()))
        );
        assert_eq!(route("/topic/"), None);
        assert_eq!(route("/topics/x"), None);
        assert_eq!(route("/send"), Some((false, "Send".into())));
        assert_eq!(route("/dlq/resend"), Some((false, "DlqResend".into())));
        assert_eq!(
            route("/api/topic/T/tps"),
            Some((true, "TopicTps(\"T\")".into()))
        );
        assert_eq!(route("/topic/T/tps"), None);
        assert!(Route::Topics.allows(false, &Method::POST));
        assert!(!Route::Topic("t").allows(false, &Method::POST));
        assert!(!Route::GroupReset("g").allows(false, &Method::GET));
        assert_eq!(
            route("/api/group/G/config"),
            Some((true, "GroupConfig(\"G\")".into()))
        );
        assert!(!Route::GroupConfig("g").allows(false, &Method::GET));
        assert!(Route::Send.allows(false, &Method::GET));
        assert!(!Route::Send.allows(true, &Method::GET));
        assert_eq!(Route::Send.allow_header(true), "POST");
        assert!(!Route::DlqResend.allows(false, &Method::GET));
    }
}
