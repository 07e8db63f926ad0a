package io.mooncake.engine.bench;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A lock-free log-linear histogram of nanosecond values: 16 sub-buckets per power of two
 * (about 6% resolution), safe to record from many threads without allocating.
 */
final class LatencyHistogram {

    private static final int SUB = 16;
    private final AtomicLongArray counts = new AtomicLongArray(64 * SUB);

    void record(long nanos) {
        counts.incrementAndGet(index(Math.max(1, nanos)));
    }

    private static int index(long v) {
        int exp = 63 - Long.numberOfLeadingZeros(v);
        if (exp < 4) {
            return (int) v;
        }
        int sub = (int) ((v >>> (exp - 4)) & (SUB - 1));
        return exp * SUB + sub;
    }

    private static long lowerBound(int index) {
        int exp = index / SUB;
        int sub = index % SUB;
        if (exp < 4) {
            return index;
        }
        return (1L << exp) + ((long) sub << (exp - 4));
    }

    long count() {
        long n = 0;
        for (int i = 0; i < counts.length(); i++) {
            n += counts.get(i);
        }
        return n;
    }

    /** The value at quantile {@code q} (0..1), as the lower bound of its bucket. */
    long percentile(double q) {
        long total = count();
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(q * total);
        long seen = 0;
        for (int i = 0; i < counts.length(); i++) {
            seen += counts.get(i);
            if (seen >= rank) {
                return lowerBound(i);
            }
        }
        return lowerBound(counts.length() - 1);
    }
}
