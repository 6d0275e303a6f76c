//! When a node syncs on its own: every `[sync] interval_secs`, and/or every day at
//! `[sync] at` (China Standard Time, UTC+8 all year: the alliance's counties are all in
//! that zone and it has no daylight saving, so a fixed offset is exact) plus up to
//! `jitter_secs` chosen at random each day. The arithmetic is pure (`now` is an argument);
//! the task that sleeps and syncs is [`run`].

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tracing::Instrument;

use crate::config::SyncConfig;
use crate::metrics::Observed;
use crate::node::{NodeState, PeerOutcome, now_ms};

/// China Standard Time: UTC+8, no daylight saving.
pub const CST_OFFSET_SECS: i64 = 8 * 3600;
const DAY_SECS: i64 = 24 * 3600;

/// Today's date in China Standard Time.
pub(crate) fn today_cst() -> bashu_core::Date {
    bashu_core::date::date_from_unix_ms(now_ms() + CST_OFFSET_SECS * 1000)
}

/// A time of day, `HH:MM` (24-hour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeOfDay {
    pub hour: u8,
    pub minute: u8,
}

impl TimeOfDay {
    /// Parses `"HH:MM"` (`"2:30"` is accepted too).
    pub fn parse(s: &str) -> Result<TimeOfDay, String> {
        let bad = || format!("\"{s}\" is not a time of day HH:MM (e.g. \"02:30\")");
        let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
        let digits =
            |t: &str| !t.is_empty() && t.len() <= 2 && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(h) || m.len() != 2 || !digits(m) {
            return Err(bad());
        }
        let hour: u8 = h.parse().map_err(|_| bad())?;
        let minute: u8 = m.parse().map_err(|_| bad())?;
        if hour > 23 || minute > 59 {
            return Err(bad());
        }
        Ok(TimeOfDay { hour, minute })
    }

    fn seconds_into_day(self) -> i64 {
        i64::from(self.hour) * 3600 + i64::from(self.minute) * 60
    }
}

/// Seconds from `now_unix` until the next `at` (local time at `offset_secs` east of UTC),
/// strictly in the future, plus `jitter` seconds.
pub fn secs_until_daily(now_unix: i64, at: TimeOfDay, offset_secs: i64, jitter: u64) -> u64 {
    let local = now_unix + offset_secs;
    let into_day = local.rem_euclid(DAY_SECS);
    let mut wait = at.seconds_into_day() - into_day;
    if wait <= 0 {
        wait += DAY_SECS;
    }
    u64::try_from(wait).unwrap_or(0) + jitter
}

/// A random jitter in `0..=max` seconds.
fn jitter(max: u64) -> u64 {
    if max == 0 {
        return 0;
    }
    let mut b = [0u8; 8];
    match getrandom::fill(&mut b) {
        Ok(()) => u64::from_le_bytes(b) % (max + 1),
        Err(_) => max / 2,
    }
}

/// What the schedule of a node is, from its config; `None` when it never syncs on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Schedule {
    pub interval: Option<Duration>,
    pub daily: Option<(TimeOfDay, u64)>,
    /// Heads-only probes of the peers, for the lag gauges.
    pub probe: Option<Duration>,
}

impl Schedule {
    pub(crate) fn from_config(cfg: &SyncConfig) -> Result<Option<Schedule>, String> {
        let daily = match &cfg.at {
            Some(at) => Some((TimeOfDay::parse(at)?, cfg.jitter_secs)),
            None => None,
        };
        let interval = (cfg.interval_secs > 0).then(|| Duration::from_secs(cfg.interval_secs));
        let probe = (cfg.probe_secs > 0).then(|| Duration::from_secs(cfg.probe_secs));
        Ok(
            (interval.is_some() || daily.is_some() || probe.is_some()).then_some(Schedule {
                interval,
                daily,
                probe,
            }),
        )
    }
}

/// Syncs on the schedule until `shutdown` turns true.
pub(crate) async fn run(
    state: Arc<NodeState>,
    schedule: Schedule,
    mut shutdown: watch::Receiver<bool>,
) {
    let start = tokio::time::Instant::now();
    let mut next_interval = schedule.interval.map(|p| start + p);
    let mut next_probe = schedule.probe.map(|p| start + p);
    let mut next_daily = schedule.daily.map(|(at, j)| {
        let secs = secs_until_daily(now_ms() / 1000, at, CST_OFFSET_SECS, jitter(j));
        start + Duration::from_secs(secs)
    });
    if let (Some((at, j)), Some(when)) = (schedule.daily, next_daily) {
        tracing::info!(at = %format_args!("{:02}:{:02}", at.hour, at.minute), jitter_secs = j,
            in_secs = when.saturating_duration_since(start).as_secs(), "daily sync scheduled (UTC+8)");
    }
    loop {
        let Some(due) = [next_interval, next_daily, next_probe]
            .into_iter()
            .flatten()
            .min()
        else {
            return;
        };
        tokio::select! {
            _ = tokio::time::sleep_until(due) => {}
            _ = async { let _ = shutdown.wait_for(|stop| *stop).await; } => return,
        }
        let now = tokio::time::Instant::now();
        let daily_due = next_daily.is_some_and(|d| d <= now);
        let sync_due = daily_due || next_interval.is_some_and(|d| d <= now);
        if let (Some(p), false) = (schedule.probe, sync_due) {
            // Only a probe is due (a sync sees the heads anyway).
            state.probe_heads().await;
            next_probe = Some(tokio::time::Instant::now() + p);
            continue;
        }
        let reason = if daily_due { "daily" } else { "interval" };
        let span = tracing::info_span!("scheduled_sync", reason);
        async {
            tracing::info!("scheduled sync starting");
            state.sync_all().await;
        }
        .instrument(span)
        .await;
        let after = tokio::time::Instant::now();
        next_probe = schedule.probe.map(|p| after + p);
        if let (Some(p), Some(n)) = (schedule.interval, next_interval) {
            if n <= after {
                // Missed ticks are not caught up: the next one is a period from now.
                next_interval = Some(after + p);
            }
        }
        if let (Some((at, j)), true) = (schedule.daily, daily_due) {
            let secs = secs_until_daily(now_ms() / 1000, at, CST_OFFSET_SECS, jitter(j));
            next_daily = Some(after + Duration::from_secs(secs));
        }
    }
}

impl NodeState {
    /// Asks every peer for its heads, pulling nothing, so that the lag gauges show how far
    /// behind this node is between syncs.
    pub(crate) async fn probe_heads(&self) {
        use bashu_sync::Transport as _;
        for peer in &self.peers {
            let span = tracing::info_span!("probe", peer.county = %peer.county);
            async {
                let result = match self.connect_peer(peer).await {
                    Ok(t) => {
                        let t = t.with_identity(
                            self.alliance.genesis().alliance_id.as_str(),
                            &self.county,
                        );
                        Observed::new(t, &self.metrics, &self.trust, &peer.county)
                            .heads()
                            .await
                            .map(|_| ())
                    }
                    Err(e) => Err(e),
                };
                if let Err(e) = result {
                    tracing::debug!(error = %e, "heads probe failed");
                }
            }
            .instrument(span)
            .await;
        }
    }
}

/// Logs one line per author for a finished round: entries, bytes and seconds received
/// from all peers together, and one line for the round.
pub(crate) fn log_round_summary(outcomes: &[PeerOutcome]) {
    let mut per_author: std::collections::BTreeMap<&str, (u64, u64, f64)> = Default::default();
    for o in outcomes {
        for p in &o.received {
            let e = per_author.entry(p.author.as_str()).or_default();
            e.0 += p.entries;
            e.1 += p.bytes;
            e.2 += o.seconds;
        }
    }
    for (author, (entries, bytes, seconds)) in &per_author {
        tracing::info!(author, entries, bytes, seconds, "sync summary");
    }
    let failed = outcomes.iter().filter(|o| !o.ok).count();
    let entries: u64 = per_author.values().map(|v| v.0).sum();
    let seconds: f64 = outcomes.iter().map(|o| o.seconds).sum();
    tracing::info!(
        peers = outcomes.len(),
        failed,
        entries,
        seconds,
        "sync round finished"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tod(s: &str) -> TimeOfDay {
        TimeOfDay::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn parses_times_of_day() {
        assert_eq!(
            tod("02:30"),
            TimeOfDay {
                hour: 2,
                minute: 30
            }
        );
        assert_eq!(
            tod("2:30"),
            TimeOfDay {
                hour: 2,
                minute: 30
            }
        );
        assert_eq!(
            tod("23:59"),
            TimeOfDay {
                hour: 23,
                minute: 59
            }
        );
        for bad in [
            "24:00", "12:60", "1230", "12:3", "", "ab:cd", "-1:30", "12:30:00",
        ] {
            assert!(TimeOfDay::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn next_daily_run_is_in_utc_plus_8() {
        // 2026-12-01T00:00:00Z is 08:00 in Chongqing.
        let midnight_utc = 1_796_083_200;
        // 02:30 CST = 18:30 UTC the same day: 18.5 h after midnight UTC.
        assert_eq!(
            secs_until_daily(midnight_utc, tod("02:30"), CST_OFFSET_SECS, 0),
            18 * 3600 + 1800
        );
        // At 09:00 CST, 10:00 CST is an hour away.
        assert_eq!(
            secs_until_daily(midnight_utc + 3600, tod("10:00"), CST_OFFSET_SECS, 0),
            3600
        );
        // Exactly at the time: the next day's (never "now" twice).
        assert_eq!(
            secs_until_daily(midnight_utc, tod("08:00"), CST_OFFSET_SECS, 0),
            24 * 3600
        );
        // Jitter is added.
        assert_eq!(
            secs_until_daily(midnight_utc, tod("08:01"), CST_OFFSET_SECS, 30),
            90
        );
        // Before the epoch's day boundary too.
        assert_eq!(secs_until_daily(-60, tod("00:00"), 0, 0), 60);
    }

    #[test]
    fn jitter_stays_in_range() {
        for _ in 0..100 {
            assert!(jitter(10) <= 10);
        }
        assert_eq!(jitter(0), 0);
    }

    #[test]
    fn schedule_from_config() {
        let mut cfg = SyncConfig {
            interval_secs: 0,
            ..SyncConfig::default()
        };
        assert_eq!(Schedule::from_config(&cfg), Ok(None));
        cfg.at = Some("02:30".into());
        cfg.jitter_secs = 600;
        cfg.probe_secs = 300;
        let s = Schedule::from_config(&cfg).ok().flatten();
        assert_eq!(
            s,
            Some(Schedule {
                interval: None,
                daily: Some((tod("02:30"), 600)),
                probe: Some(Duration::from_secs(300)),
            })
        );
        cfg.at = Some("25:00".into());
        assert!(Schedule::from_config(&cfg).is_err());
    }
}
