package io.mooncake.engine.rpc;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.security.PeerAuthentication;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Sends one handshake request and reads the reply, on a new connection, with the connect and
 * exchange bounded by deadlines: the exchange's deadline holds for the whole reply, however the
 * peer spreads its bytes (each read waits at most for what is left of it). Stateless and thread-safe.
 */
public final class HandshakeClient {

    private final int connectTimeoutMillis;
    private final int timeoutMillis;
    private final int maxLength;
    private final PeerAuthentication authentication;

    public HandshakeClient(Duration connectTimeout, Duration timeout, int maxLength) {
        this(connectTimeout, timeout, maxLength, PeerAuthentication.disabled());
    }

    /** A client that proves the shared secret on every connection when {@code authentication} is on. */
    public HandshakeClient(Duration connectTimeout, Duration timeout, int maxLength,
            PeerAuthentication authentication) {
        this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
        this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        this.maxLength = maxLength;
        this.authentication = authentication;
    }

    /**
     * Sends {@code body} as a request of {@code type} to {@code host:port} and returns the parsed reply.
     *
     * @throws MooncakeException DNS, SOCKET (connect, I/O, timeout, type mismatch) or MALFORMED_JSON
     */
    public JsonNode call(String host, int port, HandshakeType type, JsonNode body) {
        String json = HandshakeServer.MAPPER.writeValueAsString(body) + "\n";
        return call(host, port, new HandshakeFrame(type, json, false));
    }

    /** Sends a raw frame (for tests and legacy peers) and returns the parsed reply. */
    public JsonNode call(String host, int port, HandshakeFrame request) {
        String peer = host + ":" + port;
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new MooncakeException(ErrorCode.DNS, "cannot resolve host '" + host + "' of peer " + peer);
        }
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(address, connectTimeoutMillis);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            Socket io = authentication.guarded() ? authentication.prove(s, PeerAuthentication.HANDSHAKE, peer) : s;
            request.writeTo(io.getOutputStream());
            HandshakeFrame reply = HandshakeFrame.readFrom(new DeadlineInput(io, deadline), maxLength);
            if (reply.type() != request.type() || reply.legacy() != request.legacy()) {
                throw new MooncakeException(ErrorCode.SOCKET, "peer " + peer + " answered a " + request.type()
                        + " request with a " + reply.type() + " reply");
            }
            return HandshakeServer.MAPPER.readTree(reply.json());
        } catch (UnknownHostException e) {
            throw new MooncakeException(ErrorCode.DNS, "cannot resolve host '" + host + "' of peer " + peer, e);
        } catch (SocketTimeoutException e) {
            throw new MooncakeException(ErrorCode.SOCKET, "handshake " + request.type() + " with " + peer
                    + " timed out (connect " + connectTimeoutMillis + " ms, exchange " + timeoutMillis + " ms)", e);
        } catch (EOFException e) {
            throw new MooncakeException(ErrorCode.SOCKET, "peer " + peer + " closed the handshake connection without"
                    + " a reply to " + request.type() + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new MooncakeException(ErrorCode.SOCKET, "handshake " + request.type() + " with " + peer
                    + " failed: " + e, e);
        } catch (JacksonException e) {
            throw new MooncakeException(ErrorCode.MALFORMED_JSON, "peer " + peer + " sent a reply that is not JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    /** A socket's input whose reads wait at most until one deadline, however the bytes trickle in. */
    private static final class DeadlineInput extends InputStream {
        private final Socket socket;
        private final InputStream in;
        private final long deadline;

        DeadlineInput(Socket socket, long deadline) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.deadline = deadline;
        }

        private void arm() throws IOException {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                throw new SocketTimeoutException("handshake reply not complete by the deadline");
            }
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
        }

        @Override
        public int read() throws IOException {
            arm();
            return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            arm();
            return in.read(b, off, len);
        }
    }
}
