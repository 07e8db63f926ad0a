package io.mooncake.engine.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.Notify;
import io.mooncake.engine.stats.NotifyRefusal;
import io.mooncake.engine.testsupport.Engines;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Defect 3 of issue 17: a peer sending 1,300 notifications of 1 MiB each to a node whose
 * application does not drain them. The node runs in its own JVM with a 256 MiB heap (today's
 * unbounded queue kept about a thousand of them and died of OutOfMemoryError); every notification
 * must be answered (queued or refused, none lost to a timeout), the refusals counted by reason,
 * the heap left bounded, and the queue must drain and accept again.
 */
class NotifyFloodTest {

    private static final int MESSAGES = 1300;
    private static final int MIB = 1 << 20;

    /** The node under attack: a target engine that drains its queue only when told to. */
    public static final class Target {
        public static void main(String[] args) throws Exception {
            MooncakeEngine engine = MooncakeEngine.start(Engines.loopback().handshakeMaxLength(2 * MIB).build());
            System.out.println("READY " + engine.localSegmentName());
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                if (line.equals("drain")) {
                    List<Notify> got = engine.getNotifies();
                    long chars = 0;
                    for (Notify n : got) {
                        chars += n.message().length();
                    }
                    got = null;
                    System.gc();
                    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                    System.out.println("DRAINED " + engine.stats().notifiesQueued() + " " + chars / MIB + " "
                            + heap / MIB + " " + engine.stats().notifiesRefused(NotifyRefusal.QUEUE_FULL) + " "
                            + engine.stats().notifiesRefused(NotifyRefusal.QUEUE_BYTES));
                    System.out.flush();
                }
            }
            engine.close();
        }
    }

    @Test
    void aThousandMebibyteNotificationsLeaveTheHeapBoundedAndTheQueueDrains() throws Exception {
        List<String> cmd = List.of(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                "-Xmx256m", "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
                Target.class.getName());
        Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (MooncakeEngine sender = MooncakeEngine.start(Engines.loopback().build())) {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            PrintWriter in = new PrintWriter(new OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8), true);
            String ready = out.readLine();
            assertThat(ready).as("child's first line").startsWith("READY ");
            String target = ready.substring(6);

            String mebibyte = "x".repeat(MIB);
            AtomicInteger accepted = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            List<String> otherErrors = new ArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<?>> sends = new ArrayList<>();
            for (int i = 0; i < MESSAGES; i++) {
                sends.add(pool.submit(() -> {
                    try {
                        sender.sendNotify(target, mebibyte);
                        accepted.incrementAndGet();
                    } catch (MooncakeException e) {
                        if (e.getMessage().contains("notification queue full")) {
                            refused.incrementAndGet();
                        } else {
                            synchronized (otherErrors) {
                                otherErrors.add(e.getMessage());
                            }
                        }
                    }
                }));
            }
            for (Future<?> f : sends) {
                f.get(5, TimeUnit.MINUTES);
            }
            pool.shutdown();
            assertThat(otherErrors).as("notifications neither queued nor refused").isEmpty();
            assertThat(child.isAlive()).as("the node survived").isTrue();
            assertThat(accepted.get() + refused.get()).isEqualTo(MESSAGES);
            // 64 MiB by default, counted 2 bytes per character: 31 of them fit (each also carries 64 bytes of bookkeeping)
            assertThat(accepted.get()).isEqualTo(31);

            in.println("drain");
            String[] drained = out.readLine().split(" ");
            assertThat(drained[0]).isEqualTo("DRAINED");
            assertThat(Long.parseLong(drained[1])).as("queued, as counted").isEqualTo(accepted.get());
            assertThat(Long.parseLong(drained[2])).as("MiB drained").isEqualTo(accepted.get());
            assertThat(Long.parseLong(drained[3])).as("heap MiB used after drain and GC").isLessThan(128);
            assertThat(Long.parseLong(drained[4]) + Long.parseLong(drained[5])).as("refusals counted")
                    .isEqualTo(refused.get());
            assertThat(Long.parseLong(drained[5])).as("refused by the byte bound").isEqualTo(refused.get());

            // Drained: it accepts again.
            sender.sendNotify(target, mebibyte);
            in.println("drain");
            assertThat(out.readLine()).startsWith("DRAINED " + (accepted.get() + 1) + " 1 ");
        } finally {
            child.getOutputStream().close();
            if (!child.waitFor(20, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        }
    }

    @Test
    void theCountBoundRefusesBeyondItAndSaysWhy() {
        try (MooncakeEngine target = MooncakeEngine.start(Engines.loopback().notifyQueueCapacity(3).build());
                MooncakeEngine sender = MooncakeEngine.start(Engines.loopback().build())) {
            for (int i = 0; i < 3; i++) {
                sender.sendNotify(target.localSegmentName(), "m" + i);
            }
            assertThatThrownBy(() -> sender.sendNotify(target.localSegmentName(), "m3"))
                    .isInstanceOf(MooncakeException.class).hasMessageContaining("notification queue full (QUEUE_FULL)");
            assertThat(target.stats().notifiesRefused(NotifyRefusal.QUEUE_FULL)).isEqualTo(1);
            assertThat(target.getNotifies()).extracting(Notify::message).containsExactly("m0", "m1", "m2");
            sender.sendNotify(target.localSegmentName(), "m4");
            assertThat(target.getNotifies()).extracting(Notify::message).containsExactly("m4");
        }
    }
}
