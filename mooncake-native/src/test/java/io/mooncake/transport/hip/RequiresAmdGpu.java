package io.mooncake.transport.hip;

import io.mooncake.device.hip.HipRuntime;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a test class only where the real HIP runtime sees an AMD GPU; elsewhere the class is
 * reported skipped with the runtime's own answer ({@code hipGetDeviceCount failed: hipErrorNoDevice
 * (100)}, or the library that is missing). With {@code -Dmooncake.gpu.required=true} a missing GPU
 * fails the class instead.
 */
public final class RequiresAmdGpu implements ExecutionCondition {

    static final boolean REQUIRED = Boolean.getBoolean("mooncake.gpu.required");

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        HipRuntime rt = HipRuntime.real(System.getenv());
        if (rt.usable()) {
            return ConditionEvaluationResult.enabled(rt.devices() + " AMD GPU(s) through " + rt.hip().library());
        }
        if (REQUIRED) {
            throw new AssertionError("-Dmooncake.gpu.required=true but no usable AMD GPU: " + rt.unavailable());
        }
        return ConditionEvaluationResult.disabled("skipped: no AMD GPU here (" + rt.unavailable()
                + "); -Dmooncake.gpu.required=true makes this a failure");
    }
}
