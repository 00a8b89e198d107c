//! Work split over the machine's cores, results in order. A slice is cut into as many
//! contiguous runs as the process has cores (at most [`MAX_THREADS`]), the first run done on
//! the calling thread and each other on its own (scoped) thread; the runs' results come back
//! in the slice's order, so what is computed never depends on the number of cores. PURE: no
//! I/O, threads only.

/// At most this many threads: the Lambda function has at most 6 vCPUs, and the CLI runs
/// beside other work.
pub const MAX_THREADS: usize = 4;

/// How many runs `len` items are cut into when a thread should get at least `min_per_thread`.
fn runs(len: usize, min_per_thread: usize) -> usize {
    let cores = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(MAX_THREADS);
    cores.min(len / min_per_thread.max(1)).max(1)
}

/// `work` on each run of `items`, the results in the runs' order. A thread that panics (a
/// bug) makes the caller panic with its payload.
pub fn chunks<T: Sync, R: Send>(
    items: &[T],
    min_per_thread: usize,
    work: impl Fn(&[T]) -> R + Sync,
) -> Vec<R> {
    let n = runs(items.len(), min_per_thread);
    if n < 2 {
        return vec![work(items)];
    }
    let size = items.len().div_ceil(n);
    std::thread::scope(|scope| {
        let mut parts = items.chunks(size);
        let first = parts.next().unwrap_or_default();
        let handles: Vec<_> = parts.map(|c| scope.spawn(|| work(c))).collect();
        let mut out = Vec::with_capacity(n);
        out.push(work(first));
        for h in handles {
            match h.join() {
                Ok(r) => out.push(r),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

/// `work` on each item, in order (see [`chunks`]).
pub fn map<T: Sync, R: Send>(
    items: &[T],
    min_per_thread: usize,
    work: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let parts = chunks(items, min_per_thread, |c| {
        c.iter().map(&work).collect::<Vec<R>>()
    });
    let mut out = Vec::with_capacity(items.len());
    for p in parts {
        out.extend(p);
    }
    out
}

/// `work` on each item, given the item to keep or drop: a run holds no item longer than
/// its own turn (see [`chunks`]).
pub fn map_owned<T: Send, R: Send>(
    items: Vec<T>,
    min_per_thread: usize,
    work: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    let total = items.len();
    let n = runs(total, min_per_thread);
    if n < 2 {
        return items.into_iter().map(work).collect();
    }
    let size = total.div_ceil(n);
    let mut rest = items.into_iter();
    let mut parts: Vec<Vec<T>> = Vec::with_capacity(n);
    loop {
        let next: Vec<T> = rest.by_ref().take(size).collect();
        if next.is_empty() {
            break;
        }
        parts.push(next);
    }
    let work = &work;
    let done: Vec<Vec<R>> = std::thread::scope(|scope| {
        let mut parts = parts.into_iter();
        let first = parts.next().unwrap_or_default();
        let handles: Vec<_> = parts
            .map(|c| scope.spawn(move || c.into_iter().map(work).collect::<Vec<R>>()))
            .collect();
        let mut out = Vec::with_capacity(n);
        out.push(first.into_iter().map(work).collect());
        for h in handles {
            match h.join() {
                Ok(r) => out.push(r),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    });
    let mut out = Vec::with_capacity(total);
    for d in done {
        out.extend(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_order_whatever_the_split() {
        let items: Vec<usize> = (0..1000).collect();
        for min in [1, 7, 64, 500, 2000] {
            assert_eq!(
                map(&items, min, |i| i * 2),
                items.iter().map(|i| i * 2).collect::<Vec<_>>()
            );
            assert_eq!(
                map_owned(items.clone(), min, |i| i + 1),
                (1..1001).collect::<Vec<_>>()
            );
            let sums = chunks(&items, min, |c| c.iter().sum::<usize>());
            assert_eq!(sums.iter().sum::<usize>(), 499_500);
            assert!(!sums.is_empty() && sums.len() <= MAX_THREADS);
        }
        assert!(map(&Vec::<u8>::new(), 1, |b| *b).is_empty());
        assert!(map_owned(Vec::<u8>::new(), 1, |b| b).is_empty());
    }

    #[test]
    fn a_small_input_stays_on_the_calling_thread() {
        let caller = std::thread::current().id();
        let ids = map(&[1, 2, 3], 64, |_| std::thread::current().id());
        assert!(ids.iter().all(|id| *id == caller));
    }
}
