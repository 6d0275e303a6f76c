//! The secretariat's read-only web console (联盟秘书处控制台), served by the node's HTTP
//! side under `/console`: certificate lookup by any two of {certificate number, name, ID
//! number} with the recognition verdict of every member county and its reasons, the
//! federation's status, and the plan's targets against the data.
//!
//! Server-rendered HTML, no script, no external resource (a strict Content-Security-Policy
//! says so to the browser). Every value from the data or the request goes through
//! [`esc`]. Chinese by default, English with `?lang=en`. Lookups go through the node's own
//! `Query` service in-process, so the console answers exactly what a Query client would
//! (the same "any two" rule, no full ID numbers, the same verdicts).
//!
//! Access: the same as `Query` — the bearer token of a client of this node whose role may
//! call Query (secretariat, operator; `[[clients]]`), or a console-only token from
//! `[http] console_token_file` — presented as `Authorization: Bearer …`, `?token=…` (then
//! kept in an HttpOnly cookie) or the cookie. Lookups are written to the audit trail like
//! Query calls (keyed hashes only, purpose "secretariat console").

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use http::{HeaderValue, Response, StatusCode, header, request::Parts};
use tonic::Request;

use bashu_core::{CountyCode, Date, Level};
use bashu_proto::v1 as pb;
use bashu_proto::v1::query_server::Query as _;
use bashu_rules::{Outcome, Severity, Verdict};

use crate::federation::FederationFacts;
use crate::http::{Body, respond};
use crate::node::{NodeState, now_ms};
use crate::plan::PlanProgress;
use crate::services::Services;

const COOKIE: &str = "bashu_console";
/// The Query method the console's lookups stand for (authorisation and audit).
const QUERY_FIND: &str = "/bashu.v1.Query/FindCertificate";

/// The console's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Zh,
    En,
}

impl Lang {
    fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// The query suffix that keeps the language on links (`&lang=en` or nothing).
    fn suffix(self) -> &'static str {
        match self {
            Lang::Zh => "",
            Lang::En => "lang=en",
        }
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Decodes `application/x-www-form-urlencoded` (query strings and form bodies): `+` is a
/// space, `%XX` a byte; invalid UTF-8 is replaced. Later keys do not override earlier ones.
pub(crate) fn parse_form(s: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for pair in s.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |x: &str| {
            let x = x.replace('+', " ");
            percent_encoding::percent_decode_str(&x)
                .decode_utf8_lossy()
                .into_owned()
        };
        out.entry(decode(k)).or_insert_with(|| decode(v));
    }
    out
}

/// Compares two secrets without an early exit on the first differing byte.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn cookie_value<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

type PlanKey = (Vec<(CountyCode, u64)>, Date);

/// The console of one node.
pub(crate) struct Console {
    state: Arc<NodeState>,
    services: Services,
    /// Console-only tokens (`[http] console_token_file`), besides the Query clients'.
    tokens: Vec<String>,
    /// The gRPC side's authority and audit trail: the console admits exactly the callers
    /// that may call `Query`, and its lookups are audited like Query calls.
    gate: Arc<crate::gate::Gate>,
    high_skill_target: u64,
    plan: Mutex<Option<(PlanKey, Arc<PlanProgress>)>>,
}

/// What a handler has to work with.
struct Ctx<'a> {
    lang: Lang,
    params: &'a BTreeMap<String, String>,
    /// Who is asking (name, role), once authorised.
    caller: Option<(String, String)>,
    /// The HTTP client's address, for the audit trail.
    remote: &'a str,
}

impl Ctx<'_> {
    fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(zh, en)
    }

    fn param(&self, k: &str) -> &str {
        self.params.get(k).map_or("", |v| v.trim())
    }

    /// A console link keeping the language.
    fn href(&self, path: &str) -> String {
        match self.lang.suffix() {
            "" => path.to_owned(),
            s if path.contains('?') => format!("{path}&{s}"),
            s => format!("{path}?{s}"),
        }
    }
}

impl Console {
    pub(crate) fn new(
        state: Arc<NodeState>,
        services: Services,
        tokens: Vec<String>,
        gate: Arc<crate::gate::Gate>,
        high_skill_target: u64,
    ) -> Console {
        Console {
            state,
            services,
            tokens,
            gate,
            high_skill_target,
            plan: Mutex::new(None),
        }
    }

    /// Serves one console request; `form` is the body of a POSTed lookup form.
    pub(crate) async fn serve(
        &self,
        parts: &Parts,
        form: Option<&[u8]>,
        remote: &str,
    ) -> Response<Body> {
        let mut params = parse_form(parts.uri.query().unwrap_or(""));
        if let Some(f) = form {
            for (k, v) in parse_form(&String::from_utf8_lossy(f)) {
                params.insert(k, v);
            }
        }
        let lang = if params.get("lang").is_some_and(|l| l == "en") {
            Lang::En
        } else {
            Lang::Zh
        };
        let ctx = Ctx {
            lang,
            params: &params,
            caller: None,
            remote: "",
        };

        let from_query = params.get("token").map(String::as_str);
        let presented = bearer(parts)
            .or(from_query)
            .or_else(|| cookie_value(parts, COOKIE));
        let Some(caller) = presented.and_then(|t| self.authorise(t)) else {
            return self.login(&ctx, presented.is_some());
        };
        let ctx = Ctx {
            caller: Some(caller),
            remote,
            ..ctx
        };

        let mut response = match parts.uri.path() {
            "/console" | "/console/" => self.home(&ctx),
            "/console/cert" => self.certificate(&ctx).await,
            "/console/federation" => self.federation(&ctx).await,
            "/console/targets" => self.targets(&ctx).await,
            _ => self.page(
                &ctx,
                StatusCode::NOT_FOUND,
                ctx.t("未找到", "Not found"),
                &format!("<p>{}</p>", esc(ctx.t("没有这个页面。", "No such page."))),
            ),
        };
        if let Some(t) = from_query {
            // Only a token the node knows is echoed into a header (it is also header-safe
            // then: token files hold printable tokens).
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{COOKIE}={t}; Path=/console; HttpOnly; SameSite=Strict"
            )) {
                response.headers_mut().insert(header::SET_COOKIE, v);
            }
        }
        response
    }

    /// The caller (name, role) a token stands for, when it may use the console: a client
    /// of this node that may call `Query` (the same authorisation as the gRPC side:
    /// secretariat or operator), or a console-only token from `[http]`.
    fn authorise(&self, token: &str) -> Option<(String, String)> {
        if self
            .tokens
            .iter()
            .any(|t| same_secret(t.as_bytes(), token.as_bytes()))
        {
            return Some(("console".to_owned(), "secretariat".to_owned()));
        }
        let header = HeaderValue::from_str(&format!("Bearer {token}")).ok()?;
        let caller = self
            .gate
            .authority
            .identify(None, Some(&header))
            .ok()
            .flatten()?;
        self.gate
            .authority
            .authorise(&caller, QUERY_FIND)
            .ok()
            .map(|()| (caller.name.clone(), caller.role.as_str().to_owned()))
    }

    /// Records a console lookup in the audit trail, as the gate records a Query call:
    /// keyed hashes of the request, never its values.
    async fn audit(&self, ctx: &Ctx<'_>, request: &pb::FindCertificateRequest, outcome: &str) {
        use prost::Message as _;
        let audit = self.gate.audit.clone();
        let (name, role) = ctx.caller.clone().unwrap_or_default();
        let remote = format!("http:{}", ctx.remote);
        let bytes = request.encode_to_vec();
        let outcome = outcome.to_owned();
        let appended = tokio::task::spawn_blocking(move || {
            let (request_hash, fields) = audit.hash_request(QUERY_FIND, &bytes);
            audit.append(&crate::audit::AuditRecord {
                v: 1,
                at_ms: now_ms(),
                caller: name,
                role,
                remote,
                method: QUERY_FIND.to_owned(),
                request_hash,
                fields,
                purpose: "secretariat console".to_owned(),
                outcome,
            })
        })
        .await;
        if !matches!(appended, Ok(Ok(()))) {
            tracing::error!("audit trail unavailable for a console lookup");
        }
    }

    fn page(&self, ctx: &Ctx<'_>, status: StatusCode, title: &str, body: &str) -> Response<Body> {
        let mut html = String::with_capacity(body.len() + 2048);
        let html_lang = ctx.t("zh-CN", "en");
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html lang=\"{html_lang}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{} · {}</title><style>{STYLE}</style></head><body>",
            esc(title),
            esc(ctx.t(
                "巴蜀工匠互认 秘书处控制台",
                "Bashu Exchange secretariat console"
            )),
        );
        let other = match ctx.lang {
            Lang::Zh => ("English", "lang=en"),
            Lang::En => ("中文", "lang=zh"),
        };
        let _ = write!(
            html,
            "<header><strong>{}</strong> <span class=\"node\">{} {}</span><nav>\
             <a href=\"{}\">{}</a> <a href=\"{}\">{}</a> <a href=\"{}\">{}</a> \
             <a href=\"/console?{}\">{}</a></nav></header><main><h1>{}</h1>{body}</main>\
             <footer>{}</footer></body></html>",
            esc(ctx.t("巴蜀工匠 互评互认", "Bashu craftsmen mutual recognition")),
            esc(ctx.t("本节点", "node")),
            esc(self.state.county.as_str()),
            esc(&ctx.href("/console")),
            esc(ctx.t("证书查询", "Certificate lookup")),
            esc(&ctx.href("/console/federation")),
            esc(ctx.t("联盟状态", "Federation")),
            esc(&ctx.href("/console/targets")),
            esc(ctx.t("规划目标", "Plan targets")),
            other.1,
            other.0,
            esc(title),
            esc(ctx.t(
                "只读。数据为各区县签名日志的已验证副本；认可结论由各节点按同一规则计算。",
                "Read-only. The data is a verified replica of every county's signed log; every node computes the same verdicts."
            )),
        );
        html.push('\n');
        let mut r = respond(status, "text/html; charset=utf-8", html);
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
            ),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        r
    }

    fn login(&self, ctx: &Ctx<'_>, refused: bool) -> Response<Body> {
        let mut body = String::new();
        if refused {
            let _ = write!(
                body,
                "<p class=\"bad\">{}</p>",
                esc(ctx.t("令牌无效。", "The token is not valid."))
            );
        }
        let _ = write!(
            body,
            "<form method=\"get\" action=\"/console\"><label>{} <input type=\"password\" name=\"token\" autocomplete=\"off\"></label>\
             {}<button type=\"submit\">{}</button></form>",
            esc(ctx.t("秘书处令牌", "Secretariat token")),
            if ctx.lang == Lang::En {
                "<input type=\"hidden\" name=\"lang\" value=\"en\">"
            } else {
                ""
            },
            esc(ctx.t("进入", "Enter")),
        );
        let mut r = self.page(
            ctx,
            StatusCode::UNAUTHORIZED,
            ctx.t("请出示秘书处令牌", "Secretariat token required"),
            &body,
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"bashu-console\""),
        );
        r
    }

    fn lookup_form(&self, ctx: &Ctx<'_>) -> String {
        let field = |name: &str, zh: &str, en: &str, value: &str| {
            format!(
                "<label>{} <input name=\"{name}\" value=\"{}\" autocomplete=\"off\"></label>",
                esc(ctx.t(zh, en)),
                esc(value)
            )
        };
        format!(
            "<form method=\"post\" action=\"{}\" class=\"lookup\">{}{}{}{}<button type=\"submit\">{}</button>\
             <p class=\"hint\">{}</p></form>",
            esc(&ctx.href("/console/cert")),
            field("cert_no", "证书编号", "Certificate number", ctx.param("cert_no")),
            field("name", "姓名", "Name", ctx.param("name")),
            // The ID number is never echoed back into the page.
            field("id_no", "证件号码", "ID number", ""),
            if ctx.lang == Lang::En { "<input type=\"hidden\" name=\"lang\" value=\"en\">" } else { "" },
            esc(ctx.t("查询", "Look up")),
            esc(ctx.t(
                "任意填写两项即可查询（与全国证书查询规则一致）；不支持仅凭姓名查询。",
                "Give any two of the three (as the national certificate query does); a name alone finds nothing."
            )),
        )
    }

    fn home(&self, ctx: &Ctx<'_>) -> Response<Body> {
        self.page(
            ctx,
            StatusCode::OK,
            ctx.t("证书查询", "Certificate lookup"),
            &self.lookup_form(ctx),
        )
    }

    async fn certificate(&self, ctx: &Ctx<'_>) -> Response<Body> {
        let mut body = self.lookup_form(ctx);
        let request = pb::FindCertificateRequest {
            cert_no: ctx.param("cert_no").to_owned(),
            name: ctx.param("name").to_owned(),
            id_no: ctx.param("id_no").to_owned(),
            id_type: ctx.param("id_type").to_owned(),
            reveal_id: false,
        };
        let found = self
            .services
            .find_certificate(Request::new(request.clone()))
            .await;
        let outcome = match &found {
            Ok(_) => "OK",
            Err(s) => crate::gate::code_name(s.code()),
        };
        self.audit(ctx, &request, outcome).await;
        let matches = match found {
            Ok(r) => r.into_inner().matches,
            Err(status) => {
                let _ = write!(body, "<p class=\"bad\">{}</p>", esc(status.message()));
                return self.page(
                    ctx,
                    StatusCode::BAD_REQUEST,
                    ctx.t("查询结果", "Lookup"),
                    &body,
                );
            }
        };
        if matches.is_empty() {
            let _ = write!(
                body,
                "<p class=\"bad\">{}</p>",
                esc(ctx.t("未查到证书。", "No certificate found."))
            );
            return self.page(
                ctx,
                StatusCode::NOT_FOUND,
                ctx.t("查询结果", "Lookup"),
                &body,
            );
        }
        for m in &matches {
            body.push_str(&self.render_match(ctx, m).await);
        }
        self.page(ctx, StatusCode::OK, ctx.t("查询结果", "Lookup"), &body)
    }

    async fn render_match(&self, ctx: &Ctx<'_>, m: &pb::CertificateMatch) -> String {
        let c = m.certificate.clone().unwrap_or_default();
        let mut out = String::new();
        let level = level_label(ctx.lang, c.level);
        let status = pb::CertStatus::try_from(c.status)
            .map(|s| {
                s.as_str_name()
                    .trim_start_matches("CERT_STATUS_")
                    .to_owned()
            })
            .unwrap_or_default();
        let rows: [(&str, &str, String); 11] = [
            ("证书编号", "Certificate number", c.cert_no.clone()),
            ("姓名", "Name", c.name.clone()),
            ("证件", "ID", format!("{} {}", c.id_type, c.id_masked)),
            (
                "职业（工种）",
                "Occupation",
                format!(
                    "{} {} ({})",
                    c.occupation_code, c.occupation_name, c.work_type
                ),
            ),
            ("等级", "Level", level),
            ("发证日期", "Issued", c.issue_date.clone()),
            (
                "评价机构",
                "Institution",
                format!("{} ({})", c.institution_name_printed, c.institution_uscc),
            ),
            ("备案编号", "Filing", c.filing_no.clone()),
            ("认定批次", "Batch", c.batch_id.clone()),
            ("状态", "Status", status),
            ("发证区县", "Issuing county", self.county_label(&m.author)),
        ];
        let _ = write!(
            out,
            "<section class=\"cert\"><h2>{} {}</h2><table>",
            esc(ctx.t("证书", "Certificate")),
            esc(&c.cert_no)
        );
        for (zh, en, v) in &rows {
            let _ = write!(
                out,
                "<tr><th>{}</th><td>{}</td></tr>",
                esc(ctx.t(zh, en)),
                esc(v)
            );
        }
        out.push_str("</table>");
        let _ = write!(
            out,
            "<h3>{}</h3><table><tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td><code>{}</code></td></tr>\
             <tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td>{}</td></tr></table>",
            esc(ctx.t("复制与见证", "Replication")),
            esc(ctx.t("日志位置", "Log position")),
            esc(&format!("{} #{}", m.author, m.seq)),
            esc(ctx.t("条目哈希", "Entry hash")),
            esc(&hex::encode(&m.entry_hash)),
            esc(ctx.t("所依据的检查点", "Checkpoint")),
            esc(&format!("{} {}", ctx.t("大小", "size"), m.checkpoint_size)),
            esc(ctx.t("见证签名数", "Cosignatures")),
            m.cosignatures,
        );
        out.push_str(&self.render_verdicts(ctx, &c.cert_no, &m.author).await);
        out.push_str("</section>");
        out
    }

    fn county_label(&self, code: &str) -> String {
        let state = self.state.trust.current();
        match CountyCode::parse(code)
            .ok()
            .and_then(|c| state.members.get(&c).map(|m| m.name.clone()))
        {
            Some(name) => format!("{code} {name}"),
            None => code.to_owned(),
        }
    }

    /// The recognition verdict of every current member county, from the node's own
    /// `Query.CheckRecognition` (the rules of bashu-rules over this node's snapshot).
    async fn render_verdicts(&self, ctx: &Ctx<'_>, cert_no: &str, author: &str) -> String {
        let counties: Vec<CountyCode> = {
            let state = self.state.trust.current();
            state
                .members
                .values()
                .filter(|m| m.removed_from.is_none())
                .map(|m| m.county.clone())
                .collect()
        };
        let mut out = format!(
            "<h3>{}</h3><table class=\"verdicts\"><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
            esc(ctx.t("各成员区县的互认结论", "Recognition in each member county")),
            esc(ctx.t("区县", "County")),
            esc(ctx.t("结论", "Verdict")),
            esc(ctx.t("理由", "Reasons")),
        );
        for county in counties {
            let verdict = self
                .recognition(cert_no, &county, author, ctx.param("as_of"))
                .await;
            let _ = write!(
                out,
                "<tr><td>{}</td>",
                esc(&self.county_label(county.as_str()))
            );
            match verdict {
                Ok(v) => {
                    let (class, zh, en) = outcome_words(v.outcome);
                    let _ = write!(
                        out,
                        "<td class=\"{class}\"><strong>{}</strong> <small>{}</small></td><td>",
                        esc(ctx.t(zh, en)),
                        esc(outcome_code(v.outcome)),
                    );
                    if v.findings.is_empty() {
                        out.push_str(&esc(ctx.t("所有规则均满足。", "Every rule is met.")));
                    } else {
                        out.push_str("<ul>");
                        for f in &v.findings {
                            let message = ctx.t(&f.message_zh, &f.message_en);
                            // Messages usually name their rule already.
                            let rule = if message.starts_with(f.rule.as_str()) {
                                ""
                            } else {
                                f.rule.as_str()
                            };
                            let _ = write!(
                                out,
                                "<li><span class=\"sev {}\">{}</span> {} {}</li>",
                                severity_class(f.severity),
                                esc(severity_words(ctx.lang, f.severity)),
                                esc(rule),
                                esc(message),
                            );
                        }
                        out.push_str("</ul>");
                    }
                    let _ = write!(
                        out,
                        "<small>{} {} · {}</small></td></tr>",
                        esc(ctx.t("评估日期", "as of")),
                        esc(&v.as_of.to_string()),
                        esc(&v.rule_set)
                    );
                }
                Err(message) => {
                    let _ = write!(
                        out,
                        "<td class=\"pending\">{}</td><td>{}</td></tr>",
                        esc(ctx.t("无法评估", "Not evaluated")),
                        esc(&message)
                    );
                }
            }
        }
        out.push_str("</table>");
        out
    }

    /// The recognition verdict of `cert_no` (issued by `author`) in `county`, as the node's
    /// `Query.CheckRecognition` answers it.
    async fn recognition(
        &self,
        cert_no: &str,
        county: &CountyCode,
        author: &str,
        as_of: &str,
    ) -> Result<Verdict, String> {
        let request = pb::CheckRecognitionRequest {
            cert_no: cert_no.to_owned(),
            county: county.as_str().to_owned(),
            as_of: as_of.to_owned(),
            author: author.to_owned(),
        };
        let answer = self.services.check_recognition(Request::new(request)).await;
        answer.map_err(|s| s.message().to_owned()).and_then(|r| {
            serde_json::from_str::<Verdict>(&r.into_inner().verdict_json).map_err(|e| e.to_string())
        })
    }

    async fn gather(&self) -> Result<FederationFacts, String> {
        let state = self.state.clone();
        tokio::task::spawn_blocking(move || crate::federation::gather(&state, now_ms()))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| {
                tracing::error!(error = %e, "console: store unavailable");
                "storage unavailable / 存储不可用".to_owned()
            })
    }

    async fn federation(&self, ctx: &Ctx<'_>) -> Response<Body> {
        let facts = match self.gather().await {
            Ok(f) => f,
            Err(e) => {
                return self.page(
                    ctx,
                    StatusCode::SERVICE_UNAVAILABLE,
                    ctx.t("联盟状态", "Federation"),
                    &format!("<p class=\"bad\">{}</p>", esc(&e)),
                );
            }
        };
        let now = now_ms();
        let mut body = format!(
            "<p>{} <code>{}</code> · {} {} · {} {}</p>",
            esc(ctx.t("联盟", "Alliance")),
            esc(&facts.alliance_id),
            esc(ctx.t("本节点", "this node")),
            esc(&self.county_label(&facts.county)),
            esc(ctx.t("存证的多签冲突证据", "equivocation evidence held")),
            facts.evidence,
        );
        let heads = [
            ("区县", "County"),
            ("日志条目", "Log size"),
            ("检查点", "Checkpoint"),
            ("检查点时长", "Checkpoint age"),
            ("见证签名", "Cosignatures"),
            ("落后条目", "Lag (entries)"),
            ("落后时长", "Lag"),
            ("冻结", "Frozen"),
        ];
        body.push_str("<table class=\"fed\"><tr>");
        for (zh, en) in heads {
            let _ = write!(body, "<th>{}</th>", esc(ctx.t(zh, en)));
        }
        body.push_str("</tr>");
        for l in &facts.logs {
            let age = if l.checkpoint_signed_at_ms > 0 {
                human_duration(
                    ctx.lang,
                    (now - l.checkpoint_signed_at_ms).max(0) as f64 / 1000.0,
                )
            } else {
                "—".to_owned()
            };
            let label = if l.name.is_empty() {
                l.county.as_str().to_owned()
            } else {
                format!("{} {}", l.county, l.name)
            };
            let frozen = match l.frozen_at {
                Some(at) => format!("{} {at}", ctx.t("冻结于", "after")),
                None => ctx.t("否", "no").to_owned(),
            };
            let _ = write!(
                body,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
                esc(&label),
                l.size,
                l.checkpoint_size,
                esc(&age),
                l.cosignatures,
                l.lag_entries,
                esc(&human_duration(ctx.lang, l.lag_seconds)),
                if l.frozen_at.is_some() {
                    "rejected"
                } else {
                    ""
                },
                esc(&frozen),
            );
        }
        body.push_str("</table>");
        let _ = write!(
            body,
            "<h2>{}</h2><table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            esc(ctx.t("同步对端", "Peers")),
            esc(ctx.t("区县", "County")),
            esc(ctx.t("地址", "Endpoint")),
            esc(ctx.t("最近成功同步", "Last successful sync")),
            esc(ctx.t("最近错误", "Last error")),
        );
        for p in &facts.peers {
            let last = p.history.last_success.map_or_else(
                || ctx.t("尚无", "never").to_owned(),
                |s| {
                    format!(
                        "{} {}",
                        human_duration(ctx.lang, (now / 1000 - s).max(0) as f64),
                        ctx.t("前", "ago")
                    )
                },
            );
            let _ = write!(
                body,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(&self.county_label(&p.county)),
                esc(&p.endpoint),
                esc(&last),
                esc(p.history.last_error.as_deref().unwrap_or("")),
            );
        }
        body.push_str("</table>");
        self.page(ctx, StatusCode::OK, ctx.t("联盟状态", "Federation"), &body)
    }

    /// The plan's progress, recomputed only when a log grew or the day changed.
    async fn plan(&self) -> Result<Arc<PlanProgress>, String> {
        let state = self.state.clone();
        let target = self.high_skill_target;
        let cached = self
            .plan
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let computed = tokio::task::spawn_blocking(move || {
            let as_of = crate::schedule::today_cst();
            let mut sizes = Vec::new();
            for a in state.store.authors()? {
                let n = state.store.log_state(&a)?.size;
                sizes.push((a, n));
            }
            let key: PlanKey = (sizes, as_of);
            if let Some((k, p)) = cached {
                if k == key {
                    return Ok((k, p));
                }
            }
            let alliance = state.trust.current();
            let p = crate::plan::compute(state.store.as_ref(), &alliance, as_of, target)?;
            Ok::<_, bashu_store::StoreError>((key, Arc::new(p)))
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| {
            tracing::error!(error = %e, "console: store unavailable");
            "storage unavailable / 存储不可用".to_owned()
        })?;
        let plan = computed.1.clone();
        *self
            .plan
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(computed);
        Ok(plan)
    }

    async fn targets(&self, ctx: &Ctx<'_>) -> Response<Body> {
        let plan = match self.plan().await {
            Ok(p) => p,
            Err(e) => {
                return self.page(
                    ctx,
                    StatusCode::SERVICE_UNAVAILABLE,
                    ctx.t("规划目标", "Plan targets"),
                    &format!("<p class=\"bad\">{}</p>", esc(&e)),
                );
            }
        };
        let share = if plan.high_skill_target == 0 {
            100.0
        } else {
            (plan.high_skill_people as f64 * 100.0 / plan.high_skill_target as f64).min(100.0)
        };
        let mut body = format!(
            "<p>{} <strong>{}</strong> / {} {} ({:.1}%)</p><div class=\"bar\"><div style=\"width:{:.1}%\"></div></div>\
             <p class=\"hint\">{} {}</p>",
            esc(ctx.t(
                "联盟高技能人才（三级/高级工及以上，按人计）",
                "High-skill talents alliance-wide (level 3 and above, people)"
            )),
            plan.high_skill_people,
            plan.high_skill_target,
            esc(ctx.t("（规划目标）", "(the plan's target)")),
            share,
            share,
            esc(ctx.t("统计日期", "As of")),
            esc(&plan.as_of.to_string()),
        );
        let heads = [
            ("区县", "County"),
            ("高技能人才（人）", "High-skill talents (people)"),
            ("高技能证书（本）", "High-skill certificates"),
            ("共享专家库专家", "Experts in the shared pool"),
            ("其中全联盟共享", "shared alliance-wide"),
            ("备案机构", "Filed institutions"),
        ];
        body.push_str("<table class=\"fed\"><tr>");
        for (zh, en) in heads {
            let _ = write!(body, "<th>{}</th>", esc(ctx.t(zh, en)));
        }
        body.push_str("</tr>");
        for c in &plan.counties {
            let label = if c.name.is_empty() {
                c.county.clone()
            } else {
                format!("{} {}", c.county, c.name)
            };
            let _ = write!(
                body,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&label),
                c.high_skill_people,
                c.high_skill_certificates,
                c.experts,
                c.experts_alliance_wide,
                c.filed_institutions,
            );
        }
        let _ = write!(
            body,
            "<tr class=\"total\"><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td></tr></table>\
             <p class=\"hint\">{}</p>",
            esc(ctx.t("全联盟", "Alliance")),
            plan.high_skill_people,
            plan.counties.iter().map(|c| c.high_skill_certificates).sum::<u64>(),
            plan.experts,
            plan.counties.iter().map(|c| c.experts_alliance_wide).sum::<u64>(),
            plan.filed_institutions,
            esc(ctx.t(
                "全联盟人数按人去重（同一人持多个区县证书只计一次）；只计当日有效的证书、备案和在册专家。",
                "Alliance-wide, people are counted once even with certificates of several counties; only certificates, filings and experts in force today count."
            )),
        );
        self.page(
            ctx,
            StatusCode::OK,
            ctx.t("规划目标", "Plan targets"),
            &body,
        )
    }
}

fn outcome_code(o: Outcome) -> &'static str {
    match o {
        Outcome::Recognised => "RECOGNISED",
        Outcome::Pending => "PENDING",
        Outcome::Rejected => "REJECTED",
        Outcome::Valid => "VALID",
        Outcome::Invalid => "INVALID",
    }
}

/// (css class, Chinese, English) of an outcome.
fn outcome_words(o: Outcome) -> (&'static str, &'static str, &'static str) {
    match o {
        Outcome::Recognised => ("ok", "予以互认", "Recognised"),
        Outcome::Pending => ("pending", "待人工复核", "Pending review"),
        Outcome::Rejected => ("rejected", "不予互认", "Not recognised"),
        Outcome::Valid => ("ok", "有效", "Valid"),
        Outcome::Invalid => ("rejected", "无效", "Invalid"),
    }
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Fail => "fail",
        Severity::Review => "review",
        Severity::Info => "info",
    }
}

fn severity_words(lang: Lang, s: Severity) -> &'static str {
    match s {
        Severity::Fail => lang.pick("不通过", "fail"),
        Severity::Review => lang.pick("需复核", "review"),
        Severity::Info => lang.pick("提示", "info"),
    }
}

fn level_label(lang: Lang, digit: u32) -> String {
    match (lang, Level::from_digit(digit)) {
        (Lang::Zh, Some(l)) => l.label_zh().to_owned(),
        (Lang::En, Some(_)) => match digit {
            1 => "Level 1 (Senior Technician)".to_owned(),
            2 => "Level 2 (Technician)".to_owned(),
            3 => "Level 3 (Senior Worker)".to_owned(),
            4 => "Level 4 (Intermediate Worker)".to_owned(),
            5 => "Level 5 (Junior Worker)".to_owned(),
            _ => "Principal Technician".to_owned(),
        },
        (_, None) => "?".to_owned(),
    }
}

/// `3 h 5 min`, `42 s`, in the console's language.
fn human_duration(lang: Lang, secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    match lang {
        Lang::Zh if d > 0 => format!("{d} 天 {h} 小时"),
        Lang::Zh if h > 0 => format!("{h} 小时 {m} 分"),
        Lang::Zh if m > 0 => format!("{m} 分 {} 秒", s % 60),
        Lang::Zh => format!("{s} 秒"),
        Lang::En if d > 0 => format!("{d} d {h} h"),
        Lang::En if h > 0 => format!("{h} h {m} min"),
        Lang::En if m > 0 => format!("{m} min {} s", s % 60),
        Lang::En => format!("{s} s"),
    }
}

const STYLE: &str = "body{font-family:system-ui,'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:0;color:#222}\
header{background:#8a1c1c;color:#fff;padding:.6em 1em}header a{color:#fff;margin-left:1em}\
header .node{opacity:.8;margin-left:1em}nav{display:inline}main{padding:1em;max-width:72em}\
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}\
td.n{text-align:right}.ok{background:#e6f4e6}.pending{background:#fff6d6}.rejected{background:#fbe3e3}\
.bad{color:#a00}.hint{color:#666;font-size:.9em}.sev{font-weight:bold}.sev.fail{color:#a00}.sev.review{color:#a60}\
.sev.info{color:#357}form.lookup label{margin-right:1em}.bar{background:#eee;height:1em;width:30em;max-width:100%}\
.bar div{background:#8a1c1c;height:1em}tr.total td{font-weight:bold}footer{color:#777;font-size:.85em;padding:1em}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_that_matters() {
        assert_eq!(
            esc("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
        assert_eq!(esc("张三"), "张三");
    }

    #[test]
    fn parses_forms() {
        let f = parse_form("cert_no=Y00&name=%E5%BC%A0%E4%B8%89&x=a+b&x=second&flag&lang=en");
        assert_eq!(f.get("name").map(String::as_str), Some("张三"));
        assert_eq!(f.get("x").map(String::as_str), Some("a b"));
        assert_eq!(f.get("flag").map(String::as_str), Some(""));
        assert_eq!(f.get("lang").map(String::as_str), Some("en"));
        assert!(parse_form("").is_empty());
        // Broken escapes do not panic.
        assert_eq!(
            parse_form("a=%ZZ%E5").get("a").map(String::as_str),
            Some("%ZZ\u{fffd}")
        );
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abcdef", b"abcdef"));
        assert!(!same_secret(b"abcdef", b"abcdeg"));
        assert!(!same_secret(b"abc", b"abcdef"));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(Lang::En, 42.0), "42 s");
        assert_eq!(human_duration(Lang::En, 3725.0), "1 h 2 min");
        assert_eq!(human_duration(Lang::Zh, 90_000.0), "1 天 1 小时");
    }
}
