//! Wiring of the co-assessment rules: a cached store snapshot per (log sizes, date), the
//! parameters in force, and today's date in the alliance's time zone.

use std::sync::{Arc, Mutex};

use bashu_core::{CountyCode, Date};
use bashu_rules::params_in_force;
use bashu_store::StoreSnapshot;
use tonic::Status;

use crate::node::{NodeState, now_ms};

/// China Standard Time (UTC+8, no daylight saving): the alliance's calendar.
const UTC_OFFSET_MS: i64 = 8 * 3600 * 1000;

/// Today's date in the alliance's time zone.
pub(crate) fn today() -> Date {
    bashu_core::date::date_from_unix_ms(now_ms() + UTC_OFFSET_MS)
}

/// `as_of` from a request: a date, or today when empty.
pub(crate) fn as_of(s: &str) -> Result<Date, Status> {
    if s.trim().is_empty() {
        Ok(today())
    } else {
        Date::parse(s.trim()).map_err(|e| Status::invalid_argument(format!("as_of: {e}")))
    }
}

pub(crate) fn county(field: &str, s: &str) -> Result<CountyCode, Status> {
    CountyCode::parse(s.trim()).map_err(|e| Status::invalid_argument(format!("{field}: {e}")))
}

type Key = (Vec<(CountyCode, u64)>, usize, Date);

/// The last snapshot built, reused while nothing changed.
#[derive(Default)]
pub(crate) struct SnapshotCache(Mutex<Option<(Key, Arc<StoreSnapshot>)>>);

impl NodeState {
    /// A snapshot of the store for checks evaluated on `as_of`. Blocking.
    pub(crate) fn snapshot(&self, as_of: Date) -> Result<Arc<StoreSnapshot>, Status> {
        let internal = |e: &dyn std::fmt::Display| {
            tracing::error!(error = %e, "snapshot failed");
            Status::internal("internal error / 内部错误")
        };
        let mut sizes = Vec::new();
        for a in self.store.authors().map_err(|e| internal(&e))? {
            let n = self.store.log_state(&a).map_err(|e| internal(&e))?.size;
            sizes.push((a, n));
        }
        let state = self.trust.current();
        let key: Key = (sizes, state.decisions.len() + state.frozen.len(), as_of);
        let mut cache = self
            .snapshots
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((k, snap)) = cache.as_ref() {
            if *k == key {
                return Ok(snap.clone());
            }
        }
        let (params, skipped) = params_in_force(&state, as_of).map_err(|e| internal(&e))?;
        for s in skipped {
            tracing::warn!(decision = %s, "parameter decision does not validate; skipped");
        }
        let snap = Arc::new(
            StoreSnapshot::load(self.store.clone(), state, params).map_err(|e| internal(&e))?,
        );
        *cache = Some((key, snap.clone()));
        Ok(snap)
    }
}
