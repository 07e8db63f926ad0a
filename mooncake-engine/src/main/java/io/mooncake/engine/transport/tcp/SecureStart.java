package io.mooncake.engine.transport.tcp;

import io.mooncake.engine.batch.Deadlines;
import io.mooncake.engine.security.AuthExchange;
import io.mooncake.engine.security.AuthenticationException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;

/**
 * Runs a connection's {@link AuthExchange} on its I/O loop before the connection proper sees the
 * channel: it takes over the channel's selection key, reads exactly the bytes the exchange expects
 * into a buffer of {@value AuthExchange#MAX_MESSAGE} bytes on the heap (no staging memory, nothing
 * read past the exchange), and ends within the deadline: then {@code onProven} runs (the
 * connection registers itself and starts), or {@code onFailed} with the reason (the connection
 * closes). Confined to the loop thread, except the deadline, which only hands work to the loop.
 */
final class SecureStart implements IoLoop.Handler {

    /** Why an exchange failed. */
    interface Failure {
        void failed(AuthenticationException.Reason reason, String why);
    }

    private final SocketChannel ch;
    private final IoLoop loop;
    private final AuthExchange exchange;
    private final Runnable onProven;
    private final Failure onFailed;
    private final ByteBuffer in = ByteBuffer.allocate(AuthExchange.MAX_MESSAGE);
    private SelectionKey key;
    private Object previous;
    private ScheduledFuture<?> deadline;
    private boolean finished;

    SecureStart(SocketChannel ch, IoLoop loop, AuthExchange exchange, Runnable onProven, Failure onFailed) {
        this.ch = ch;
        this.loop = loop;
        this.exchange = exchange;
        this.onProven = onProven;
        this.onFailed = onFailed;
        in.limit(exchange.expected());
    }

    /**
     * Starts on the loop thread: takes over {@code existing} (a client's key, given back on success)
     * or registers the channel.
     */
    void begin(SelectionKey existing, Deadlines timer, java.time.Duration timeout) {
        try {
            if (existing != null) {
                key = existing;
                previous = existing.attach(this);
            } else {
                key = loop.register(ch, SelectionKey.OP_READ, this);
            }
        } catch (IOException | RuntimeException e) {
            finish(AuthenticationException.Reason.NO_PROOF, "cannot register: " + e);
            return;
        }
        deadline = timer.schedule(() -> loop.execute(() -> finish(AuthenticationException.Reason.NO_PROOF,
                "no proof within " + timeout.toMillis() + " ms")), timeout);
        step();
    }

    @Override
    public void ready(SelectionKey k) {
        step();
    }

    private void step() {
        try {
            while (!finished) {
                ByteBuffer out = exchange.outbound();
                if (out.hasRemaining()) {
                    ch.write(out);
                    if (out.hasRemaining()) {
                        interest(SelectionKey.OP_WRITE);
                        return;
                    }
                }
                if (exchange.done()) {
                    proven();
                    return;
                }
                int n = ch.read(in);
                if (n < 0) {
                    finish(AuthenticationException.Reason.NO_PROOF, "closed before proving the shared secret ("
                            + in.position() + " of " + in.limit() + " bytes of the exchange received)");
                    return;
                }
                if (in.hasRemaining()) {
                    interest(SelectionKey.OP_READ);
                    return;
                }
                in.flip();
                exchange.receive(in);
                in.clear();
                in.limit(Math.max(exchange.expected(), 0));
            }
        } catch (AuthenticationException e) {
            finish(e.reason(), e.getMessage());
        } catch (IOException e) {
            finish(AuthenticationException.Reason.NO_PROOF, "I/O error during authentication: " + e.getMessage());
        }
    }

    private void interest(int ops) {
        if (key.isValid() && key.interestOps() != ops) {
            key.interestOps(ops);
        }
    }

    private void proven() {
        finished = true;
        cancelDeadline();
        if (previous != null) {
            key.attach(previous);
        }
        onProven.run();
    }

    private void finish(AuthenticationException.Reason reason, String why) {
        if (finished) {
            return;
        }
        finished = true;
        cancelDeadline();
        if (previous != null && key != null) {
            key.attach(previous);
        }
        onFailed.failed(reason, why);
    }

    private void cancelDeadline() {
        ScheduledFuture<?> d = deadline;
        if (d != null) {
            d.cancel(false);
        }
    }

    @Override
    public void closeFromLoop(String reason) {
        finish(AuthenticationException.Reason.NO_PROOF, reason);
    }

    /** Convenience for callers that only need the message. */
    static Failure message(Consumer<String> c) {
        return (reason, why) -> c.accept(why);
    }
}
