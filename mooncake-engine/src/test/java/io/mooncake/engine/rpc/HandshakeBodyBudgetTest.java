package io.mooncake.engine.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * Request bodies are buffered from a shared budget (64 MiB, or twice the largest frame): clients that
 * announce large bodies and never send them cannot make the server allocate beyond it; a request that
 * finds the budget taken waits (without failing) and is served as soon as budget comes back.
 */
class HandshakeBodyBudgetTest {

    private static final int MAX_LENGTH = 1 << 20;
    private static final int BUDGET = 64 << 20;

    private final List<Socket> sockets = new ArrayList<>();
    private HandshakeServer server;

    @AfterEach
    void close() throws Exception {
        for (Socket s : sockets) {
            s.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aRequestThatFindsTheBudgetTakenWaitsAndIsServedWhenItComesBack() throws Exception {
        server = HandshakeServer.start("127.0.0.1", 0, 0, 0, 128,
                (type, request) -> JsonNodeFactory.instance.objectNode().put("served", request.get("pad").asString()
                        .length()), MAX_LENGTH, Duration.ofSeconds(60));
        // 64 clients, 32 from each of two addresses (the per-address limit), each announcing a 1 MiB body
        // and sending none of it: together they hold the whole budget
        List<Socket> hogs = new ArrayList<>();
        for (int i = 0; i < BUDGET / MAX_LENGTH; i++) {
            Socket s = connect("127.0.0." + (10 + i % 2));
            s.getOutputStream().write(prefix(MAX_LENGTH));
            s.getOutputStream().flush();
            hogs.add(s);
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> server.bodyBudgetLeft() == 0);
        Socket probe = connect("127.0.0.3");
        probe.setSoTimeout(1500);
        byte[] request = request(600_000);
        probe.getOutputStream().write(request);
        // the budget is gone: the request waits, neither answered nor failed
        assertThatThrownBy(() -> probe.getInputStream().readNBytes(1)).isInstanceOf(SocketTimeoutException.class);
        // one hog leaves: its megabyte comes back and the waiting request is read and answered
        hogs.get(0).close();
        probe.setSoTimeout(30_000);
        HandshakeFrame reply = HandshakeFrame.readFrom(probe.getInputStream(), MAX_LENGTH);
        assertThat(reply.json().strip()).isEqualTo("{\"served\":" + (600_000 - 10) + "}");
    }

    private Socket connect(String from) throws Exception {
        Socket s = new Socket();
        sockets.add(s);
        s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
        return s;
    }

    private static byte[] prefix(long length) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(length).array();
    }

    /** A METADATA request frame whose JSON body is {@code bodyLength} bytes: {"pad":"xx..."}. */
    private static byte[] request(int bodyLength) {
        String json = "{\"pad\":\"" + "x".repeat(bodyLength - 10) + "\"}";
        return new HandshakeFrame(HandshakeType.METADATA, json, false).encode();
    }
}
