//! Work spread over the cores in contiguous parts (verification and signing).

/// Below this many items the work stays on the calling thread.
pub const PARALLEL_THRESHOLD: usize = 64;

/// Splits `items` into one contiguous part per core (at most 8) and runs `f(offset, part)`
/// on each, `offset` being the index of the part's first item; returns the parts' results
/// in order. Small inputs, or a single core, run as one part on the calling thread.
pub fn in_parts<T: Send, R: Send>(items: Vec<T>, f: impl Fn(usize, Vec<T>) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    if threads <= 1 || items.len() < PARALLEL_THRESHOLD {
        return vec![f(0, items)];
    }
    let per = items.len().div_ceil(threads);
    let mut parts: Vec<(usize, Vec<T>)> = Vec::with_capacity(threads);
    let mut rest = items;
    let mut offset = 0;
    while !rest.is_empty() {
        let tail = rest.split_off(per.min(rest.len()));
        let n = rest.len();
        parts.push((offset, rest));
        offset += n;
        rest = tail;
    }
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|(offset, part)| s.spawn(move || f(offset, part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// `f` applied to every item, on all cores as [`in_parts`] splits them; the results in the
/// items' order.
pub fn map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    in_parts(items, |_, part| {
        part.into_iter().map(&f).collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_every_item_once_in_order() {
        for n in [0, 1, 63, 64, 65, 1000, 1001] {
            let items: Vec<usize> = (0..n).collect();
            let parts = in_parts(items, |offset, part| {
                assert!(part.iter().zip(offset..).all(|(a, b)| *a == b));
                part
            });
            let flat: Vec<usize> = parts.into_iter().flatten().collect();
            assert_eq!(flat, (0..n).collect::<Vec<_>>());
        }
    }
}
