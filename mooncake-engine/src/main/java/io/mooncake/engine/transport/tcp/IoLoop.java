package io.mooncake.engine.transport.tcp;

import java.io.IOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One NIO event loop thread: a selector, the channels registered with it, and a queue of work
 * handed over by other threads. Every connection belongs to exactly one loop at a time and is
 * touched only by its thread.
 *
 * <p>Other threads call {@link #execute} (setup work) or {@link #schedule} (a connection has new
 * slices to send). The selector is woken only when the loop is, or is about to be, blocked.
 *
 * <p>The loop never dies of what one handler throws: an exception or error (an
 * {@link OutOfMemoryError} included) thrown while a handler runs is contained, the handler is told
 * through {@link Handler#failed} (connections close themselves), the failure is counted and logged,
 * and the loop goes on serving every other channel.
 */
final class IoLoop implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(IoLoop.class);
    /** How often {@link Handler#tick} runs. */
    private static final long TICK_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** A channel handler driven by the loop. */
    interface Handler {
        /** Called on the loop thread with the key's ready operations. */
        void ready(SelectionKey key);

        /** Called on the loop thread when another thread scheduled this handler. */
        default void scheduled() {
        }

        /** Called on the loop thread when the loop stops. */
        void closeFromLoop(String reason);

        /**
         * Called on the loop thread after this handler threw {@code failure}; the default closes it.
         * Must not throw.
         */
        default void failed(Throwable failure) {
            closeFromLoop("internal error: " + failure);
        }

        /** Called on the loop thread about once a second with the loop's clock ({@link System#nanoTime}). */
        default void tick(long now) {
        }

        /** Called on the loop thread at the end of the turn in which this handler called {@link #defer}. */
        default void endOfTurn() {
        }
    }

    private record Timer(long due, Runnable task) {
    }

    private final Selector selector;
    private final Thread thread;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Queue<Handler> ready = new ConcurrentLinkedQueue<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>((a, b) -> Long.compare(a.due, b.due));
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    /** Channels whose keys were cancelled, to close once their selector dropped them. */
    private final java.util.ArrayList<java.nio.channels.Channel> closing = new java.util.ArrayList<>();
    /** Handlers whose output waits for the end of this turn ({@link #defer}). */
    private final java.util.ArrayList<Handler> deferred = new java.util.ArrayList<>();
    private final LongAdder contained = new LongAdder();
    private volatile boolean running = true;
    /** The loop's clock: {@link System#nanoTime} read once per wake-up. */
    private long now = System.nanoTime();
    private long nextTick = now + TICK_NANOS;
    private long lastFailureLog;
    private long failuresSinceLog;
    /** Staging memory of the inbound connections on this loop (its units are allocated on first use). */
    private final StagingPool stagingPool = new StagingPool(TcpWire.BUFFER_SIZE,
            TcpWire.SERVER_STAGING_UNITS_PER_LOOP);
    private final java.util.function.Consumer<SelectionKey> dispatch = key -> {
        if (key.isValid()) {
            Handler h = (Handler) key.attachment();
            try {
                h.ready(key);
            } catch (Throwable t) {
                contain(h, t);
            }
        }
    };

    IoLoop(String name) throws IOException {
        selector = Selector.open();
        thread = new Thread(this, name);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** Runs {@code task} on the loop thread. */
    void execute(Runnable task) {
        tasks.add(task);
        wakeup();
    }

    /** Asks the loop to call {@link Handler#scheduled()}; callers coalesce with their own flag. */
    void schedule(Handler handler) {
        ready.add(handler);
        wakeup();
    }

    /** Runs {@code task} on the loop thread once {@code delayNanos} have passed; call on the loop thread. */
    void after(long delayNanos, Runnable task) {
        timers.add(new Timer(System.nanoTime() + delayNanos, task)); // not the cached clock: at least the delay
    }

    /** The loop's clock ({@link System#nanoTime} at its latest wake-up); read on the loop thread. */
    long now() {
        return now;
    }

    private void wakeup() {
        if (!inLoop() && wakeupPending.compareAndSet(false, true)) {
            selector.wakeup();
        }
    }

    /**
     * The staging pool of this loop's inbound connections: lend and give back on the loop thread
     * only; its counters may be read from any thread.
     */
    StagingPool stagingPool() {
        return stagingPool;
    }

    /** Failures thrown by handlers and contained by this loop so far. */
    long containedFailures() {
        return contained.sum();
    }

    /**
     * Closes {@code ch}, whose key on this loop was just cancelled, after the next select has
     * dropped the key. Closed while still registered, the JDK would first look up SO_LINGER and
     * shut the socket down (two more system calls per connection); once deregistered, closing is a
     * plain close. Call on the loop thread.
     */
    void closeAfterDeregistration(java.nio.channels.Channel ch) {
        closing.add(ch);
    }

    private void closeDeregistered(int count) {
        for (int i = 0; i < count; i++) {
            try {
                closing.get(i).close();
            } catch (IOException | RuntimeException e) {
                log.trace("closing a channel", e);
            }
        }
        if (count == closing.size()) {
            closing.clear();
        } else {
            closing.subList(0, count).clear();
        }
    }

    /**
     * Asks for {@link Handler#endOfTurn} at the end of this turn, once every channel the selector reported
     * has been served; the caller coalesces with its own flag. Call on the loop thread.
     */
    void defer(Handler handler) {
        deferred.add(handler);
    }

    private void flushDeferred() {
        for (int i = 0; i < deferred.size(); i++) {
            Handler h = deferred.get(i);
            try {
                h.endOfTurn();
            } catch (Throwable t) {
                contain(h, t);
            }
        }
        deferred.clear();
    }

    /** Registers a channel; call on the loop thread. */
    SelectionKey register(SelectableChannel ch, int ops, Handler handler) throws IOException {
        return ch.register(selector, ops, handler);
    }

    @Override
    public void run() {
        while (running) {
            try {
                turn();
            } catch (ClosedSelectorException e) {
                break;
            } catch (Throwable t) {
                contain(null, t);
            }
        }
        for (SelectionKey key : selector.keys()) {
            Object a = key.attachment();
            if (a instanceof Handler h) {
                try {
                    h.closeFromLoop("transport closed");
                } catch (RuntimeException e) {
                    log.debug("closing handler", e);
                }
            }
        }
        try {
            selector.close();
        } catch (IOException e) {
            log.trace("closing selector", e);
        }
        closeDeregistered(closing.size());
    }

    /**
     * One turn of the loop: select, then queued tasks and due timers. A method of its own so that the
     * JIT compiles it as soon as it is hot, rather than waiting to replace the running loop on stack.
     */
    private void turn() throws IOException {
        // The Consumer forms hand each ready key over directly: no selected-key set, no
        // iterator, nothing allocated per wake-up.
        // (Busy-polling before blocking was measured: on two cores it slows single requests.)
        int cancelled = closing.size(); // their keys are dropped at the start of this select
        if (!tasks.isEmpty() || !ready.isEmpty() || cancelled > 0) {
            selector.selectNow(dispatch);
        } else {
            long wait = Math.min(nextTick, timers.isEmpty() ? nextTick : timers.peek().due) - now;
            selector.select(dispatch, Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait) + 1));
        }
        wakeupPending.set(false);
        if (cancelled > 0) {
            closeDeregistered(cancelled);
        }
        now = System.nanoTime();
        runQueued();
        runTimers();
        if (!deferred.isEmpty()) {
            flushDeferred();
        }
    }

    private void runQueued() {
        Runnable r;
        while ((r = tasks.poll()) != null) {
            try {
                r.run();
            } catch (Throwable t) {
                contain(null, t);
            }
        }
        Handler h;
        while ((h = ready.poll()) != null) {
            try {
                h.scheduled();
            } catch (Throwable t) {
                contain(h, t);
            }
        }
    }

    private void runTimers() {
        Timer t;
        while ((t = timers.peek()) != null && t.due - now <= 0) {
            timers.poll();
            try {
                t.task.run();
            } catch (Throwable e) {
                contain(null, e);
            }
        }
        if (now - nextTick >= 0) {
            nextTick = now + TICK_NANOS;
            for (SelectionKey key : selector.keys()) {
                if (key.isValid() && key.attachment() instanceof Handler handler) {
                    try {
                        handler.tick(now);
                    } catch (Throwable e) {
                        contain(handler, e);
                    }
                }
            }
        }
    }

    /**
     * Keeps the loop alive after {@code t}: counts it, logs it (the first one at once with its stack,
     * then at most one line a second with the count), and closes {@code h} when there is one.
     */
    private void contain(Handler h, Throwable t) {
        contained.increment();
        failuresSinceLog++;
        long at = System.nanoTime();
        if (lastFailureLog == 0 || at - lastFailureLog >= TICK_NANOS) {
            if (failuresSinceLog == 1) {
                log.error("I/O loop {}: a connection handler failed; closing that connection, the loop goes on",
                        thread.getName(), t);
            } else {
                log.error("I/O loop {}: {} handler failures since the last report, the latest: {}; closing "
                        + "each failed connection, the loop goes on", thread.getName(), failuresSinceLog, t.toString());
            }
            lastFailureLog = at;
            failuresSinceLog = 0;
        }
        if (h != null) {
            try {
                h.failed(t);
            } catch (Throwable again) {
                log.debug("closing a failed handler", again);
            }
        }
    }

    void shutdown() {
        running = false;
        selector.wakeup();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
