package io.mooncake.device.cuda;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Marks a test class that needs a real NVIDIA GPU: without one (no libcuda.so.1, or no GPU) the
 * class is reported skipped with what is missing; with {@code -Dmooncake.gpu.required=true} it runs
 * anyway, so {@link GpuTests#requireGpu()} in its setup fails instead of skipping.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresGpu.Condition.class)
public @interface RequiresGpu {

    /** The condition behind the annotation. */
    final class Condition implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            if (Boolean.getBoolean(GpuTests.REQUIRED)) {
                return ConditionEvaluationResult.enabled("-D" + GpuTests.REQUIRED + "=true: GPU tests are mandatory");
            }
            String missing = GpuTests.missingReason();
            return missing == null ? ConditionEvaluationResult.enabled("an NVIDIA GPU is present")
                    : ConditionEvaluationResult.disabled("GPU test skipped: " + missing + " (needs an NVIDIA GPU; run "
                            + "mooncake-native/bin/gpu-check on a GPU machine)");
        }
    }
}
