//! The console's routes: which page or API call a path names, and what each does (the data
//! from [`super::api`] and [`super::groups`], rendered by [`super::pages`] or as JSON).

use hyper::Method;

use super::api::{self, ConsoleError, CreateTopic};
use super::form::{self, field, parse_pairs, percent_encode};
use super::{groups, pages, State};

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
}

impl Route<'_> {
    pub(super) fn allows(self, m: &Method) -> bool {
        let get = *m == Method::GET || *m == Method::HEAD;
        match self {
            Route::Topics => get || *m == Method::POST,
            Route::TopicDelete(_) | Route::GroupReset(_) => *m == Method::POST,
            _ => get,
        }
    }
    pub(super) fn allow_header(self) -> &'static str {
        match self {
            Route::Topics => "GET, HEAD, POST",
            Route::TopicDelete(_) | Route::GroupReset(_) => "POST",
            _ => "GET, HEAD",
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

pub(super) async fn handle(
    st: &State,
    api: bool,
    route: Route<'_>,
    all: bool,
    post: bool,
    body: &[u8],
) -> api::Result<Reply> {
    let admin = &st.admin;
    let ns = st.namesrv.as_str();
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
            let req = if api {
                json_body::<CreateTopic>(body)?
            } else {
                let p = form_pairs(body)?;
                CreateTopic {
                    topic: field(&p, "topic").unwrap_or("").to_owned(),
                    cluster: field(&p, "cluster").map(str::to_owned),
                    read_queue_nums: int_field(&p, "readQueueNums", 8)?,
                    write_queue_nums: int_field(&p, "writeQueueNums", 8)?,
                    perm: int_field(&p, "perm", 6)?,
                }
            };
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
    })
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
        assert!(Route::Topics.allows(&Method::POST));
        assert!(!Route::Topic("t").allows(&Method::POST));
        assert!(!Route::GroupReset("g").allows(&Method::GET));
    }
}
