package io.mooncake.engine.metadata.support;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit extension that runs a real {@code redis-server} (Debian's {@code redis-server}, found on
 * {@code PATH} or in {@code REDIS_SERVER_BIN}) on a free loopback port, without persistence, in a
 * temporary directory. Extra configuration lines (ACL users, {@code requirepass}) can be given.
 * Register it as a static field with {@code @RegisterExtension}. A missing binary fails the tests:
 * CI installs it.
 *
 * <p>{@link #command} speaks RESP over a plain socket, independently of Lettuce, so tests see
 * exactly the stored bytes.
 */
public final class LocalRedis implements BeforeAllCallback, AfterAllCallback {

    private final List<String> extraConfig;
    private Path dir;
    private int port;
    private Process process;

    /** A server with default settings: no password, 16 databases. */
    public LocalRedis() {
        this(List.of());
    }

    /** A server with extra {@code redis.conf} lines, such as {@code user alice on >secret ~* &* +@all}. */
    public LocalRedis(List<String> extraConfig) {
        this.extraConfig = List.copyOf(extraConfig);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("mooncake-redis-");
        port = ServerBinaries.freePort();
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        ServerBinaries.stop(process);
        ServerBinaries.deleteTree(dir);
    }

    /** The port. */
    public int port() {
        return port;
    }

    /** {@code redis://127.0.0.1:<port>}. */
    public String connectionString() {
        return "redis://127.0.0.1:" + port;
    }

    private void start() throws IOException {
        Path bin = ServerBinaries.find("redis-server", "REDIS_SERVER_BIN", "redis-server");
        List<String> conf = new ArrayList<>(List.of("port " + port, "bind 127.0.0.1", "protected-mode no",
                "save \"\"", "appendonly no", "dir " + dir, "daemonize no", "loglevel warning"));
        conf.addAll(extraConfig);
        Path confFile = dir.resolve("redis.conf");
        Files.write(confFile, conf, StandardCharsets.UTF_8);
        Path log = dir.resolve("redis.log");
        process = new ProcessBuilder(bin.toString(), confFile.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server exited with " + process.exitValue() + ":\n"
                        + ServerBinaries.tail(log));
            }
            try {
                Object reply = command(null, null, "PING");
                if (reply != null) {
                    return; // PONG, or NOAUTH which also proves it is serving
                }
            } catch (IOException e) {
                // not listening yet
            }
            try {
                Thread.sleep(30);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        throw new IllegalStateException("redis-server on port " + port + " not ready within 15 s:\n"
                + ServerBinaries.tail(log));
    }

    /** GET through a fresh raw connection, optionally authenticated and in database {@code db}. */
    public Optional<byte[]> rawGet(String user, String password, int db, String key) {
        try (Socket s = connect()) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            if (password != null) {
                expectOk(user == null ? send(in, out, "AUTH", password) : send(in, out, "AUTH", user, password));
            }
            expectOk(send(in, out, "SELECT", Integer.toString(db)));
            Object v = send(in, out, "GET", key);
            return Optional.ofNullable((byte[]) v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** GET in database 0 without AUTH. */
    public Optional<byte[]> rawGet(String key) {
        return rawGet(null, null, 0, key);
    }

    /**
     * Sends one command on a fresh connection (after AUTH when {@code password} is set) and returns
     * the reply: a String for simple strings and errors ({@code -ERR ...}), byte[] for bulk strings,
     * Long for integers, {@code null} for a null bulk string.
     */
    public Object command(String user, String password, String... args) throws IOException {
        try (Socket s = connect()) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            if (password != null) {
                expectOk(user == null ? send(in, out, "AUTH", password) : send(in, out, "AUTH", user, password));
            }
            return send(in, out, args);
        }
    }

    private Socket connect() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setSoTimeout(5000);
        return s;
    }

    private static void expectOk(Object reply) {
        if (!"OK".equals(reply)) {
            throw new IllegalStateException("redis answered " + (reply instanceof byte[] b
                    ? new String(b, StandardCharsets.UTF_8) : reply));
        }
    }

    private static Object send(InputStream in, OutputStream out, String... args) throws IOException {
        ByteArrayOutputStream req = new ByteArrayOutputStream();
        req.write(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (String a : args) {
            byte[] b = a.getBytes(StandardCharsets.UTF_8);
            req.write(("$" + b.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            req.write(b);
            req.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.write(req.toByteArray());
        out.flush();
        return read(new DataInputStream(in));
    }

    private static Object read(DataInputStream in) throws IOException {
        int type = in.read();
        String line = readLine(in);
        switch (type) {
            case '+':
                return line;
            case '-':
                return "-" + line;
            case ':':
                return Long.parseLong(line);
            case '$':
                int len = Integer.parseInt(line);
                if (len < 0) {
                    return null;
                }
                byte[] b = new byte[len];
                in.readFully(b);
                readLine(in);
                return b;
            default:
                throw new IOException("unexpected RESP type " + (char) type + line);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\r') {
                in.read();
                break;
            }
            sb.append((char) c);
        }
        return sb.toString();
    }
}
