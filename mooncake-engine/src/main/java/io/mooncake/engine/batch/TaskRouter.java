package io.mooncake.engine.batch;

import io.mooncake.engine.stats.FailureKind;

/**
 * Told when an attempt of a task ended with a failure another transport might not have: the
 * engine's router either hands the task to the next transport that reaches the target (calling
 * {@link TransferTask#plan} again) or ends it FAILED. Called on the thread that ended the
 * attempt's last slice; must not block.
 */
@FunctionalInterface
public interface TaskRouter {

    /**
     * An attempt ended; every one of its slices has ended, so no transport touches the task's
     * memory for it any more.
     *
     * @param kind the category of the first failure of the attempt
     * @param reason its message
     */
    void attemptFailed(TransferTask task, FailureKind kind, String reason);
}
