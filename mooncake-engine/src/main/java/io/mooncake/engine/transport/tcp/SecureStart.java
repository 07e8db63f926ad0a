package io.mooncake.engine.transport.tcp;

import io.mooncake.engine.batch.Deadlines;
import io.mooncake.engine.security.AuthExchange;
import io.mooncake.engine.security.AuthenticationException;
import io.mooncake.engine.security.TlsChannel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;

/**
 * What runs on a data connection's I/O loop before the connection proper sees the channel: the TLS
 * handshake (when {@code mooncake.tls} is on), then the shared-secret {@link AuthExchange} (when
 * {@code mooncake.auth.secret} is set, over TLS when both are). It takes over the channel's
 * selection key, reads exactly the bytes the exchange expects into a buffer of
 * {@value AuthExchange#MAX_MESSAGE} bytes on the heap (no staging memory, nothing read past the
 * exchange), and ends within one deadline for the whole: then {@code onProven} runs with the TLS
 * channel to read and write through ({@code null} without TLS), or {@code onFailed} with the reason.
 * Confined to the loop thread, except the deadline, which only hands work to the loop.
 */
final class SecureStart implements IoLoop.Handler {

    /** Why a start failed. */
    interface Failure {
        void failed(AuthenticationException.Reason reason, String why);
    }

    private final SocketChannel ch;
    private final IoLoop loop;
    private final TlsChannel tls;
    private final AuthExchange exchange;
    private final ByteChannel io;
    private final Consumer<TlsChannel> onProven;
    private final Failure onFailed;
    private final ByteBuffer in;
    private SelectionKey key;
    private Object previous;
    private ScheduledFuture<?> deadline;
    private boolean tlsDone;
    private boolean finished;

    /**
     * @param tls the TLS channel over {@code ch} to handshake, or {@code null} for none
     * @param exchange the shared-secret exchange, or {@code null} for none
     */
    SecureStart(SocketChannel ch, IoLoop loop, TlsChannel tls, AuthExchange exchange, Consumer<TlsChannel> onProven,
            Failure onFailed) {
        this.ch = ch;
        this.loop = loop;
        this.tls = tls;
        this.exchange = exchange;
        this.io = tls != null ? tls : ch;
        this.onProven = onProven;
        this.onFailed = onFailed;
        this.tlsDone = tls == null;
        this.in = ByteBuffer.allocate(exchange == null ? 0 : AuthExchange.MAX_MESSAGE);
        in.limit(exchange == null ? 0 : exchange.expected());
    }

    /**
     * Starts on the loop thread: takes over {@code existing} (a client's key, given back on success)
     * or registers the channel.
     */
    void begin(SelectionKey existing, Deadlines timer, Duration timeout) {
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
                (tlsDone ? "no proof" : "no TLS handshake (" + tls.state() + ")") + " within " + timeout.toMillis()
                        + " ms")), timeout);
        step();
    }

    @Override
    public void ready(SelectionKey k) {
        step();
    }

    private void step() {
        if (!tlsDone) {
            try {
                int ops = tls.handshake();
                if (ops != 0) {
                    interest(ops);
                    return;
                }
                tlsDone = true;
            } catch (IOException | RuntimeException e) {
                finish(AuthenticationException.Reason.TLS_FAILED, "TLS handshake failed: " + e.getMessage());
                return;
            }
        }
        try {
            while (!finished) {
                if (exchange == null) {
                    proven();
                    return;
                }
                ByteBuffer out = exchange.outbound();
                if (out.hasRemaining()) {
                    io.write(out);
                    if (out.hasRemaining()) {
                        interest(SelectionKey.OP_WRITE);
                        return;
                    }
                }
                if (exchange.done()) {
                    proven();
                    return;
                }
                int n = io.read(in);
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
        onProven.accept(tls);
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
}
