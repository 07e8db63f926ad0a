package io.mooncake.engine.transport;

import io.mooncake.engine.batch.TransferTask;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * A first-in first-out queue of slices waiting for a thread or a provider to take them: each slice
 * is its {@link TransferTask}, an attachment (a {@link io.mooncake.engine.memory.Hold}, or
 * {@code null}) and a fixed number of {@code long} and {@code int} fields (addresses, keys,
 * lengths) that the owner names by index. The slices live in parallel arrays used as a ring, which
 * doubles when a burst fills it and never shrinks: nothing is allocated per slice.
 *
 * <p>Not thread-safe: its owner guards it (a lock of its own, or the lock of a device). A slot
 * answered by {@link #add} or {@link #first} is valid until the next {@code add} or remove.
 *
 * <pre>{@code
 * int s = ring.add(task, hold);          // the owner holds its lock
 * ring.setLong(s, FROM, from);
 * ring.setInt(s, LENGTH, length);
 * ...
 * int f = ring.first();                  // oldest slice
 * long from = ring.getLong(f, FROM);
 * ring.removeFirst();
 * }</pre>
 *
 * @param <A> the attachment type ({@link Void} for none)
 */
public final class SliceRing<A> {

    private final int longFields;
    private final int intFields;
    private TransferTask[] tasks;
    private Object[] attachments;
    private long[] longs;
    private int[] ints;
    /** Slot of the oldest slice. */
    private int head;
    private int size;

    /**
     * @param longFields {@code long} fields per slice
     * @param intFields {@code int} fields per slice
     * @param capacity slices held before the first growth (rounded up to a power of two)
     */
    public SliceRing(int longFields, int intFields, int capacity) {
        if (longFields < 0 || intFields < 0) {
            throw new IllegalArgumentException("field counts must not be negative: longFields=" + longFields
                    + ", intFields=" + intFields);
        }
        if (capacity < 1 || capacity > 1 << 30) {
            throw new IllegalArgumentException("capacity must be 1 to 2^30, not " + capacity);
        }
        int n = Integer.highestOneBit(capacity);
        n = n == capacity ? n : n << 1;
        this.longFields = longFields;
        this.intFields = intFields;
        this.tasks = new TransferTask[n];
        this.attachments = new Object[n];
        this.longs = new long[n * longFields];
        this.ints = new int[n * intFields];
    }

    /** Slices queued. */
    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /** Slices held before the arrays grow again. */
    public int capacity() {
        return tasks.length;
    }

    /**
     * Appends a slice (its fields zero until set) and answers its slot, for {@link #setLong} and
     * {@link #setInt}. Doubles the arrays when they are full.
     */
    public int add(TransferTask task, A attachment) {
        if (size == tasks.length) {
            grow();
        }
        int slot = (head + size) & (tasks.length - 1);
        tasks[slot] = task;
        attachments[slot] = attachment;
        size++;
        return slot;
    }

    public void setLong(int slot, int field, long value) {
        longs[slot * longFields + Objects.checkIndex(field, longFields)] = value;
    }

    public void setInt(int slot, int field, int value) {
        ints[slot * intFields + Objects.checkIndex(field, intFields)] = value;
    }

    /** Slot of the oldest slice; throws {@link NoSuchElementException} when the ring is empty. */
    public int first() {
        if (size == 0) {
            throw new NoSuchElementException("no slice queued");
        }
        return head;
    }

    public TransferTask task(int slot) {
        return tasks[slot];
    }

    @SuppressWarnings("unchecked")
    public A attachment(int slot) {
        return (A) attachments[slot];
    }

    public long getLong(int slot, int field) {
        return longs[slot * longFields + Objects.checkIndex(field, longFields)];
    }

    public int getInt(int slot, int field) {
        return ints[slot * intFields + Objects.checkIndex(field, intFields)];
    }

    /** Drops the oldest slice (read it first), letting go of its task and attachment. */
    public void removeFirst() {
        if (size == 0) {
            throw new NoSuchElementException("no slice queued");
        }
        tasks[head] = null;
        attachments[head] = null;
        head = (head + 1) & (tasks.length - 1);
        size--;
    }

    /**
     * Drops every queued slice of {@code task}, keeping the others in their order; answers how many
     * were dropped (the caller ends them).
     */
    public int removeTask(TransferTask task) {
        int mask = tasks.length - 1;
        int kept = 0;
        for (int k = 0; k < size; k++) {
            int from = (head + k) & mask;
            if (tasks[from] == task) {
                continue;
            }
            int to = (head + kept) & mask;
            if (to != from) {
                tasks[to] = tasks[from];
                attachments[to] = attachments[from];
                System.arraycopy(longs, from * longFields, longs, to * longFields, longFields);
                System.arraycopy(ints, from * intFields, ints, to * intFields, intFields);
            }
            kept++;
        }
        int dropped = size - kept;
        for (int k = kept; k < size; k++) {
            int slot = (head + k) & mask;
            tasks[slot] = null;
            attachments[slot] = null;
        }
        size = kept;
        return dropped;
    }

    private void grow() {
        int n = tasks.length;
        if (n == 1 << 30) {
            throw new IllegalStateException("slice ring full at " + n + " slices");
        }
        // unroll the ring (head..end, then 0..head) into arrays twice as long, oldest at 0
        int tail = n - head;
        tasks = unroll(tasks, new TransferTask[2 * n], tail);
        attachments = unroll(attachments, new Object[2 * n], tail);
        long[] l = new long[2 * n * longFields];
        System.arraycopy(longs, head * longFields, l, 0, tail * longFields);
        System.arraycopy(longs, 0, l, tail * longFields, head * longFields);
        longs = l;
        int[] i = new int[2 * n * intFields];
        System.arraycopy(ints, head * intFields, i, 0, tail * intFields);
        System.arraycopy(ints, 0, i, tail * intFields, head * intFields);
        ints = i;
        head = 0;
    }

    private <T> T[] unroll(T[] from, T[] to, int tail) {
        System.arraycopy(from, head, to, 0, tail);
        System.arraycopy(from, 0, to, tail, head);
        return to;
    }

    @Override
    public String toString() {
        return "SliceRing[size=" + size + ", capacity=" + tasks.length + ", fields=" + longFields + " long + "
                + intFields + " int]";
    }
}
