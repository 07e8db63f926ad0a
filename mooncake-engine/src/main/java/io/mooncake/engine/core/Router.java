package io.mooncake.engine.core;

import io.mooncake.engine.api.TransferState;
import io.mooncake.engine.batch.CancelCause;
import io.mooncake.engine.batch.Staging;
import io.mooncake.engine.batch.TaskRouter;
import io.mooncake.engine.batch.TransferTask;
import io.mooncake.engine.memory.MemoryKind;
import io.mooncake.engine.memory.Region;
import io.mooncake.engine.metadata.BufferDescriptor;
import io.mooncake.engine.metadata.RemoteTarget;
import io.mooncake.engine.stats.FailureKind;
import io.mooncake.engine.stats.TransferListener;
import io.mooncake.engine.transport.Transport;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends each request over the best transport that reaches its target and can carry it, and hands
 * it to the next one when an attempt fails for a reason another transport might not have (the
 * reference cannot do this; its successor TENT only re-submits after a failure is reported).
 * One per engine; stateless per request (nothing allocated on the way). Thread-safe.
 */
final class Router implements TaskRouter {

    private static final Logger log = LoggerFactory.getLogger(Router.class);

    private final TransferListener listener;
    private final Segments segments;
    private final DeviceStaging staging;
    private final ConcurrentHashMap<String, String> announced = new ConcurrentHashMap<>();

    Router(TransferListener listener, Segments segments, DeviceStaging staging) {
        this.listener = listener;
        this.segments = segments;
        this.staging = staging;
    }

    /**
     * Starts a task: checks its remote range against the target's descriptor and plans its first
     * attempt on the best candidate that can carry it. The task ends FAILED here when the range is
     * outside every published buffer or no transport can carry it.
     */
    void dispatch(TransferTask task, Route route) {
        RemoteTarget t = route.target;
        BufferDescriptor buffer = t.descriptor().findBuffer(task.targetAddress(), task.length());
        if (buffer == null && task.length() > 0) {
            task.finish(TransferState.FAILED, FailureKind.NOT_FOUND, "target range 0x"
                    + Long.toHexString(task.targetAddress()) + " + " + task.length()
                    + " bytes is not inside any buffer segment '" + t.segmentName() + "' publishes");
            return;
        }
        task.remoteBuffer(buffer);
        if (task.length() == 0) {
            Transport best = route.best();
            task.plan(best == null ? "none" : best.protocol(), 1, null);
            task.sliceCompleted(0);
            return;
        }
        announce(route);
        start(task, route, 0, null, null);
    }

    /**
     * Plans and submits the task on the first candidate from {@code from} on that can carry it.
     *
     * @param previousKind why the previous attempt failed (for the fallback metric), or {@code null}
     * @param previousReason its message, or {@code null}
     */
    private void start(TransferTask task, Route route, int from, FailureKind previousKind, String previousReason) {
        Transport[] c = route.candidates;
        StringBuilder refusals = null;
        Region local = task.localRegion();
        boolean device = local != null && local.kind() == MemoryKind.DEVICE;
        for (int i = from; i < c.length; i++) {
            Transport t = c[i];
            if (device && !t.takesDeviceMemory(local)) {
                Staging s = stagingFor(task, local);
                if (s != null) {
                    fallbackHeard(task, route, t, previousKind);
                    task.plan(t.protocol(), s.unitBytes(), i + 1 < c.length ? this : null);
                    task.carrier(s);
                    s.submit(task, staging.path(t), route.sliceSizes[i]);
                    return;
                }
            }
            String why = t.unsupported(task);
            if (why != null) {
                if (refusals == null) {
                    refusals = new StringBuilder();
                }
                refusals.append(refusals.length() == 0 ? "" : "; ").append(t.protocol()).append(": ").append(why);
                continue;
            }
            fallbackHeard(task, route, t, previousKind);
            task.plan(t.protocol(), route.sliceSizes[i], i + 1 < c.length ? this : null);
            task.carrier(t);
            try {
                t.submit(task);
            } catch (RuntimeException e) {
                log.warn("Transport {} failed to take a request to {}: {}", t.protocol(),
                        route.target.segmentName(), e.toString());
                task.finish(TransferState.FAILED, FailureKind.LOCAL, "transport " + t.protocol()
                        + " failed to submit: " + e);
            }
            return;
        }
        String reason;
        if (previousKind != null) {
            task.finish(TransferState.FAILED, previousKind, previousReason
                    + (refusals == null ? "" : " (no other transport can carry it: " + refusals + ")"));
            return;
        }
        if (c.length == 0) {
            reason = "segment '" + route.target.segmentName() + "' (protocol '" + route.target.descriptor().protocol()
                    + "') cannot be reached: " + route.summary();
        } else if (refusals != null) {
            reason = "no running transport can carry this request to '" + route.target.segmentName() + "': "
                    + refusals;
        } else {
            reason = "no further transport reaches '" + route.target.segmentName() + "'";
        }
        task.finish(TransferState.FAILED, FailureKind.NO_TRANSPORT, reason);
    }

    private void fallbackHeard(TransferTask task, Route route, Transport t, FailureKind previousKind) {
        if (previousKind != null) {
            String from0 = task.protocol();
            listener.onFallback(from0, t.protocol(), route.target.segmentName(), previousKind);
            log.debug("Request to {} moves from {} to {} after {}", route.target.segmentName(), from0,
                    t.protocol(), previousKind);
        }
    }

    /** The bounce pool for a device-memory task, or {@code null} (no device module: the transport decides). */
    private Staging stagingFor(TransferTask task, Region local) {
        try {
            return staging.stagingFor(local);
        } catch (RuntimeException e) {
            log.warn("No staging pool for {} device memory: {}", local.location(), e.getMessage());
            return null;
        }
    }

    /** An attempt failed on a transport; try the candidates after it (see {@link TaskRouter}). */
    @Override
    public void attemptFailed(TransferTask task, FailureKind kind, String reason) {
        Route route = segments.route(task.target());
        Object carrier = task.carrier();
        if (carrier instanceof Staging && task.stagedPath() != null) {
            carrier = ((DeviceStaging.TransportPathView) task.stagedPath()).transport();
        }
        int i = route.indexOf(carrier);
        if (i < 0 || i + 1 >= route.candidates.length) {
            task.finish(TransferState.FAILED, kind, reason);
            return;
        }
        log.info("Request to {} failed on {} ({}); falling back to the next transport that reaches it",
                route.target.segmentName(), task.protocol(), reason);
        start(task, route, i + 1, kind, reason);
    }

    /** The task ended before its slices: the transport carrying it drops them. */
    void cancel(TransferTask task, CancelCause cause) {
        Object c = task.carrier();
        if (c instanceof Staging s) {
            s.cancel(task, cause);
        } else if (c instanceof Transport t) {
            try {
                t.cancel(task, cause);
            } catch (RuntimeException e) {
                log.debug("cancel on {} failed", t.protocol(), e);
            }
        }
    }

    /** One INFO line per peer and route: the transport its requests use, and why. */
    private void announce(Route route) {
        String name = route.target.segmentName();
        String summary = route.summary();
        String old = announced.get(name);
        if (!summary.equals(old) && (old == null ? announced.putIfAbsent(name, summary) == null
                : announced.replace(name, old, summary))) {
            Transport best = route.best();
            log.info("Requests to {} go over {}: {}", name, best == null ? "nothing" : best.protocol(), summary);
        }
    }
}
