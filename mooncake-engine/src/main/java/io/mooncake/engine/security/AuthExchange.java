package io.mooncake.engine.security;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * One connection's HMAC challenge-response, independent of how bytes travel (a blocking socket
 * for the handshake port, an NIO channel for the data port). Three fixed-size messages:
 *
 * <pre>
 * server -&gt; client  CHALLENGE  40 bytes: "MCA1", 4 zero bytes, server nonce (32 random bytes)
 * client -&gt; server  RESPONSE   72 bytes: "MCA1", 4 zero bytes, client nonce (32), client proof (32)
 * server -&gt; client  PROOF      32 bytes: server proof
 *
 * client proof = HMAC-SHA256(secret, "mooncake-auth-v1 client " || context || 0 || server nonce || client nonce)
 * server proof = HMAC-SHA256(secret, "mooncake-auth-v1 server " || context || 0 || server nonce || client nonce)
 * </pre>
 *
 * The server speaks first, so a client learns at once that a listener wants a proof; it serves
 * nothing before the RESPONSE checks out, and a client sends no request before the PROOF does
 * (mutual: a node without the secret can neither be served nor impersonate a server). Both
 * nonces make every exchange unique, so a recorded one cannot be replayed; the context
 * ({@code handshake}, {@code tcp-data}) binds a proof to its port; the two labels keep a server's
 * proof from serving as a client's. Proofs are compared in constant time.
 *
 * <p>Use: {@link #outbound()} holds what to send now (may be empty); {@link #expected()} is how
 * many bytes to read next (exactly that many: never read past it, what follows belongs to the
 * protocol behind); hand them to {@link #receive}, which throws {@link AuthenticationException}
 * when they are wrong. {@link #done()} once the peer is proven and the last message sent. Not
 * thread-safe: one per connection.
 */
public final class AuthExchange {

    /** Bytes of the server's challenge. */
    public static final int CHALLENGE_SIZE = 40;
    /** Bytes of the client's response. */
    public static final int RESPONSE_SIZE = 72;
    /** Bytes of the server's proof. */
    public static final int PROOF_SIZE = 32;
    /** The largest message either side reads: nothing bigger is ever buffered before authentication. */
    public static final int MAX_MESSAGE = RESPONSE_SIZE;

    private static final byte[] MAGIC = {'M', 'C', 'A', '1'};
    private static final int NONCE = 32;

    private final SharedSecret secret;
    private final byte[] context;
    private final boolean server;
    private final byte[] serverNonce = new byte[NONCE];
    private final byte[] clientNonce = new byte[NONCE];
    private ByteBuffer outbound = ByteBuffer.allocate(0);
    private int expected;
    private boolean proven;

    private AuthExchange(SharedSecret secret, String context, boolean server) {
        this.secret = secret;
        this.context = (context + "\0").getBytes(StandardCharsets.US_ASCII);
        this.server = server;
    }

    /** The listener's side: its challenge is ready in {@link #outbound()}. */
    public static AuthExchange server(SharedSecret secret, String context, SecureRandom random) {
        AuthExchange x = new AuthExchange(secret, context, true);
        random.nextBytes(x.serverNonce);
        ByteBuffer b = ByteBuffer.allocate(CHALLENGE_SIZE);
        b.put(MAGIC).putInt(0).put(x.serverNonce).flip();
        x.outbound = b;
        x.expected = RESPONSE_SIZE;
        return x;
    }

    /** The connecting side: it waits for the challenge. */
    public static AuthExchange client(SharedSecret secret, String context, SecureRandom random) {
        AuthExchange x = new AuthExchange(secret, context, false);
        random.nextBytes(x.clientNonce);
        x.expected = CHALLENGE_SIZE;
        return x;
    }

    /** What to send now; drain it before reading further. Empty when nothing is due. */
    public ByteBuffer outbound() {
        return outbound;
    }

    /** Bytes to read next; 0 when nothing more is expected. */
    public int expected() {
        return expected;
    }

    /** Whether the peer is proven and everything this side owes is in {@link #outbound()} (or sent). */
    public boolean proven() {
        return proven;
    }

    /** Whether the peer is proven and this side's last message has left {@link #outbound()}. */
    public boolean done() {
        return proven && !outbound.hasRemaining();
    }

    /**
     * Takes the next message: exactly {@link #expected()} bytes from {@code in}'s position.
     *
     * @throws AuthenticationException when it is not what a holder of the secret sends
     */
    public void receive(ByteBuffer in) {
        if (expected == 0 || in.remaining() < expected) {
            throw new IllegalStateException("expected " + expected + " bytes, got " + in.remaining());
        }
        if (server) {
            receiveResponse(in);
        } else if (expected == CHALLENGE_SIZE) {
            receiveChallenge(in);
        } else {
            receiveProof(in);
        }
    }

    private void receiveResponse(ByteBuffer in) {
        checkMagic(in, "response");
        in.getInt();
        in.get(clientNonce);
        byte[] proof = new byte[NONCE];
        in.get(proof);
        expected = 0;
        if (!MessageDigest.isEqual(proof, proof("client"))) {
            throw new AuthenticationException(AuthenticationException.Reason.WRONG_PROOF,
                    "its proof does not match this node's secret");
        }
        proven = true;
        outbound = ByteBuffer.wrap(proof("server"));
    }

    private void receiveChallenge(ByteBuffer in) {
        checkMagic(in, "challenge");
        in.getInt();
        in.get(serverNonce);
        ByteBuffer b = ByteBuffer.allocate(RESPONSE_SIZE);
        b.put(MAGIC).putInt(0).put(clientNonce).put(proof("client")).flip();
        outbound = b;
        expected = PROOF_SIZE;
    }

    private void receiveProof(ByteBuffer in) {
        byte[] proof = new byte[NONCE];
        in.get(proof);
        expected = 0;
        if (!MessageDigest.isEqual(proof, proof("server"))) {
            throw new AuthenticationException(AuthenticationException.Reason.WRONG_PROOF,
                    "the listener's proof does not match this node's secret: its mooncake.auth.secret differs");
        }
        proven = true;
    }

    private void checkMagic(ByteBuffer in, String what) {
        int p = in.position();
        for (int i = 0; i < MAGIC.length; i++) {
            if (in.get(p + i) != MAGIC[i]) {
                expected = 0;
                throw new AuthenticationException(AuthenticationException.Reason.NOT_AUTHENTICATING,
                        server ? "it sent no authentication " + what + " (a peer without mooncake.auth.secret,"
                                + " or not a Mooncake peer)"
                                : "the listener sent no authentication challenge: it runs without"
                                        + " mooncake.auth.secret, or is not a Mooncake peer");
            }
        }
        in.position(p + MAGIC.length);
    }

    private byte[] proof(String side) {
        return secret.hmac(("mooncake-auth-v1 " + side + " ").getBytes(StandardCharsets.US_ASCII), context,
                serverNonce, clientNonce);
    }
}
