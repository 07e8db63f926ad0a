package io.mooncake.engine.metadata.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mooncake.engine.metadata.support.LocalEtcd;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Defect 6 of issue 17 (logging): lease renewals that fail while a real etcd is down are reported
 * at WARN once per outage, not at DEBUG (invisible by default), and an INFO line with the count of
 * failed attempts says when renewal recovered.
 *
 * <p>The log is read from standard error, where the tests' SLF4J binding (slf4j-simple) writes,
 * looking it up on every line.
 */
class EtcdLeaseOutageLogTest {

    @RegisterExtension
    static final LocalEtcd etcd = new LocalEtcd();

    private static final Pattern RECOVERED = Pattern.compile(
            "INFO .*Lease renewal at etcd \\S+ recovered after (\\d+) failed attempts");

    @Test
    void anOutageIsOneWarnAndItsEndOneInfoWithTheCount() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.err;
        PrintStream tee = new PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) {
                original.write(b);
                synchronized (captured) {
                    captured.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                original.write(b, off, len);
                synchronized (captured) {
                    captured.write(b, off, len);
                }
            }
        }, true, StandardCharsets.UTF_8);
        System.setErr(tee);
        // TTL 3 s: a renewal a second (etcd extends leases when it restarts, so the lease survives the outage)
        try (EtcdMetadataStore store = new EtcdMetadataStore(etcd.connectionString(), List.of(etcd.endpoint()),
                Duration.ofSeconds(2), Duration.ofSeconds(3))) {
            store.put("mooncake/outage-log/key", new byte[] {1});
            etcd.stop();
            try {
                // more renewals fail (one every second, each bounded by the 2 s timeout)
                await().atMost(Duration.ofSeconds(30)).until(() -> text(captured).contains("Lease renewal at"));
                Thread.sleep(6000);
            } finally {
                etcd.start();
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> RECOVERED.matcher(text(captured)).find());
        } finally {
            System.setErr(original);
        }
        String log = text(captured);
        assertThat(count(log, "WARN .*Lease renewal at etcd \\S+ failed")).as(log).isEqualTo(1);
        assertThat(log).contains("keys stay published until the lease's TTL of 3 s runs out");
        Matcher m = RECOVERED.matcher(log);
        assertThat(m.find()).isTrue();
        assertThat(Integer.parseInt(m.group(1))).as("failed attempts counted").isGreaterThanOrEqualTo(2);
    }

    private static String text(ByteArrayOutputStream b) {
        synchronized (b) {
            return b.toString(StandardCharsets.UTF_8);
        }
    }

    private static int count(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
