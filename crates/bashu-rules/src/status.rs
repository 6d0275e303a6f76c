//! Statuses on a date and calendar arithmetic the rules share.

use bashu_core::Date;
use bashu_core::codec::Certificate;
use bashu_core::record::{CertStatus, CertificateStatusChange, FilingStatus, FilingStatusChange};

/// A certificate's status on a date, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusOn {
    pub status: CertStatus,
    /// The date it took effect, when known.
    pub since: Option<Date>,
    pub reason: String,
}

impl StatusOn {
    /// VALID and REISSUED (a 补发 keeps the number) count as in force.
    pub fn in_force(&self) -> bool {
        matches!(self.status, CertStatus::Valid | CertStatus::Reissued)
    }
}

/// The status of `cert` on `on`: its own status field (effective from its
/// `status_effective_date`, or from the start when that is empty) and the status changes
/// effective on or before `on`, the latest winning (a change beats the record's own field
/// on the same day). `None` when the record's own status is not a status at all.
pub fn certificate_status_on(
    cert: &Certificate,
    changes: &[CertificateStatusChange],
    on: Date,
) -> Option<StatusOn> {
    let own_status = cert.status?;
    let own_since = Date::parse(&cert.status_effective_date).ok();
    // (date, tie-break, status, reason); Date::MIN stands for "from the start".
    let mut events: Vec<(Date, u8, CertStatus, String)> = Vec::new();
    match own_since {
        Some(d) if d > on => {}
        _ => events.push((
            own_since.unwrap_or(Date::MIN),
            0,
            own_status,
            cert.status_reason.clone(),
        )),
    }
    for c in changes.iter().filter(|c| c.effective_date <= on) {
        events.push((c.effective_date, 1, c.status, c.reason.clone()));
    }
    events.sort_by_key(|e| (e.0, e.1, e.2));
    Some(match events.pop() {
        Some((d, _, status, reason)) => StatusOn {
            status,
            since: (d != Date::MIN).then_some(d),
            reason,
        },
        None => StatusOn {
            status: CertStatus::Valid,
            since: None,
            reason: String::new(),
        },
    })
}

/// The filing status change in force on `on` (the latest effective on or before it), or
/// `None` when none is (the filing is then as filed: ACTIVE).
pub fn filing_change_on(changes: &[FilingStatusChange], on: Date) -> Option<&FilingStatusChange> {
    changes
        .iter()
        .filter(|c| c.effective_at <= on)
        .max_by(|a, b| {
            (a.effective_at, a.status, &a.reason).cmp(&(b.effective_at, b.status, &b.reason))
        })
}

/// Whether a filing change takes the filing out of ACTIVE.
pub fn is_inactive(s: FilingStatus) -> bool {
    s != FilingStatus::Active
}

/// The same day `n` months later; the 31st becomes the month's last day when needed.
pub fn add_months(d: Date, n: u32) -> Date {
    let total = i64::from(d.year()) * 12 + i64::from(d.month()) - 1 + i64::from(n);
    let year = i32::try_from(total.div_euclid(12))
        .unwrap_or(9999)
        .min(9999);
    let month = u32::try_from(total.rem_euclid(12)).unwrap_or(0) + 1;
    (0..4)
        .map(|back| Date::from_ymd(year, month, d.day().saturating_sub(back)))
        .find_map(Result::ok)
        .unwrap_or(Date::MAX)
}

/// The same day `n` years later.
pub fn add_years(d: Date, n: u32) -> Date {
    d.add_years(i32::try_from(n).unwrap_or(i32::MAX))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn months_clip_to_month_end() {
        assert_eq!(add_months(d("2024-01-31"), 1), d("2024-02-29"));
        assert_eq!(add_months(d("2023-01-31"), 1), d("2023-02-28"));
        assert_eq!(add_months(d("2023-05-04"), 12), d("2024-05-04"));
        assert_eq!(add_months(d("2023-11-30"), 3), d("2024-02-29"));
        assert_eq!(add_months(d("2023-08-31"), 1), d("2023-09-30"));
    }
}
