package io.mooncake.engine.metadata.http;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Command-line entry point that runs an {@link HttpMetadataServer} until the process is stopped:
 * {@code java -cp <classpath> io.mooncake.engine.metadata.http.HttpMetadataServerMain --port 8090}.
 *
 * <p>Options: {@code --host} (default {@code 0.0.0.0}), {@code --port} (8080), {@code --path}
 * ({@code /metadata}), {@code --ttl} (default {@value #DEFAULT_TTL_SECONDS} s, so keys of crashed
 * nodes expire; {@code 0} = never, for reference C++ clients, which do not refresh; {@code 30},
 * {@code 30s}, {@code 500ms} or {@code 2m}), {@code --help}.
 */
public final class HttpMetadataServerMain {

    /** Keys not PUT again within this many seconds are removed unless {@code --ttl} says otherwise. */
    static final int DEFAULT_TTL_SECONDS = 30;

    static final String USAGE = "usage: HttpMetadataServerMain [--host 0.0.0.0] [--port 8080] [--path /metadata]"
            + " [--ttl 30s|0|500ms|2m]\n"
            + "  Serves GET/PUT/DELETE <path>?key=<key> like the reference's HTTP metadata servers, accepts\n"
            + "  re-registration of a restarted node, and removes keys not PUT again within the TTL (default\n"
            + "  30s: Java engines refresh every third of it). Reference C++ clients never refresh: give them\n"
            + "  --ttl 0 (keys never expire).";

    private HttpMetadataServerMain() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        HttpMetadataServer.Builder builder;
        try {
            builder = parse(args);
        } catch (MooncakeException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        if (builder == null) {
            System.out.println(USAGE);
            return;
        }
        HttpMetadataServer server = builder.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "mooncake-http-metadata-shutdown"));
        PrintStream out = System.out;
        out.println("Mooncake HTTP metadata server listening; clients use " + server.url().replaceFirst(
                "127\\.0\\.0\\.1", "<this host>") + (server.ttl().isZero() ? " (keys never expire)"
                : " (keys expire " + server.ttl().toMillis() + " ms after their last PUT)"));
        out.flush();
        stopped.await();
    }

    /** Parses the command line; {@code null} means "print usage". */
    static HttpMetadataServer.Builder parse(String[] args) {
        HttpMetadataServer.Builder b = HttpMetadataServer.builder().ttl(Duration.ofSeconds(DEFAULT_TTL_SECONDS));
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                return null;
            }
            String value;
            int eq = a.indexOf('=');
            String opt = eq > 0 ? a.substring(0, eq) : a;
            if (eq > 0) {
                value = a.substring(eq + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw bad("option " + a + " needs a value");
            }
            switch (opt) {
                case "--host" -> b.host(value);
                case "--port" -> b.port(parseInt("--port", value));
                case "--path" -> b.path(value);
                case "--ttl" -> b.ttl(parseDuration(value));
                default -> throw bad("unknown option '" + a + "'");
            }
        }
        return b;
    }

    static Duration parseDuration(String v) {
        String s = v.trim();
        try {
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            }
            if (s.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)));
            }
            if (s.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
            }
            return Duration.ofSeconds(Long.parseLong(s));
        } catch (NumberFormatException e) {
            throw bad("invalid --ttl '" + v + "'; expected 0, seconds, or a number with ms, s or m");
        }
    }

    private static int parseInt(String opt, String v) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw bad("invalid " + opt + " '" + v + "'; expected a number");
        }
    }

    private static MooncakeException bad(String msg) {
        return new MooncakeException(ErrorCode.INVALID_ARGUMENT, msg);
    }
}
