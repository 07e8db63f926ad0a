package io.mooncake.engine.transport.tcp;

import java.io.IOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One NIO event loop thread: a selector, the channels registered with it, and a queue of work
 * handed over by other threads. Every connection belongs to exactly one loop and is touched
 * only by its thread.
 *
 * <p>Other threads call {@link #execute} (setup work) or {@link #schedule} (a connection has new
 * slices to send). The selector is woken only when the loop is, or is about to be, blocked.
 */
final class IoLoop implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(IoLoop.class);

    /** A channel handler driven by the loop. */
    interface Handler {
        /** Called on the loop thread with the key's ready operations. */
        void ready(SelectionKey key);

        /** Called on the loop thread when another thread scheduled this handler. */
        default void scheduled() {
        }

        /** Called on the loop thread when the loop stops. */
        void closeFromLoop(String reason);
    }

    private final Selector selector;
    private final Thread thread;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Queue<Handler> ready = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    private volatile boolean running = true;
    /** Staging memory of the inbound connections on this loop (its units are allocated on first use). */
    private final StagingPool stagingPool = new StagingPool(TcpWire.BUFFER_SIZE,
            TcpWire.SERVER_STAGING_UNITS_PER_LOOP);
    private final java.util.function.Consumer<SelectionKey> dispatch = key -> {
        if (key.isValid()) {
            ((Handler) key.attachment()).ready(key);
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

    /** Registers a channel; call on the loop thread. */
    SelectionKey register(SelectableChannel ch, int ops, Handler handler) throws IOException {
        return ch.register(selector, ops, handler);
    }

    @Override
    public void run() {
        while (running) {
            try {
                // The Consumer forms hand each ready key over directly: no selected-key set, no
                // iterator, nothing allocated per wake-up.
                // (Busy-polling before blocking was measured: on two cores it slows single requests.)
                if (!tasks.isEmpty() || !ready.isEmpty()) {
                    selector.selectNow(dispatch);
                } else {
                    selector.select(dispatch, 1000);
                }
                wakeupPending.set(false);
                runQueued();
            } catch (ClosedSelectorException e) {
                break;
            } catch (IOException | RuntimeException e) {
                log.error("I/O loop {} failed; continuing", thread.getName(), e);
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
    }

    private void runQueued() {
        Runnable r;
        while ((r = tasks.poll()) != null) {
            try {
                r.run();
            } catch (RuntimeException e) {
                log.error("task on I/O loop {} failed", thread.getName(), e);
            }
        }
        Handler h;
        while ((h = ready.poll()) != null) {
            try {
                h.scheduled();
            } catch (RuntimeException e) {
                log.error("connection handler on I/O loop {} failed", thread.getName(), e);
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
