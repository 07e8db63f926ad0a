package io.mooncake.engine.batch;

/** Tasks for tests of structures that only hold and hand over tasks (queues, rings). */
public final class TestTasks {

    private TestTasks() {
    }

    /** A task that belongs to no batch: good for its identity only (no request, no slices). */
    public static TransferTask detached() {
        return new TransferTask(() -> {
        });
    }

    /** {@code n} distinct {@link #detached()} tasks. */
    public static TransferTask[] detached(int n) {
        TransferTask[] tasks = new TransferTask[n];
        for (int i = 0; i < n; i++) {
            tasks[i] = detached();
        }
        return tasks;
    }
}
